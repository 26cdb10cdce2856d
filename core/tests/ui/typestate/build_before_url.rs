//! `build()` before a required step: the URL was never set.
use mastery_core::typing_examples::{Method, Request};

fn main() {
    let _request = Request::builder().method(Method::Get).build();
}
