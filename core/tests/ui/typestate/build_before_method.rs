//! `build()` before a required step: the method was never set.
use mastery_core::typing_examples::Request;

fn main() {
    let _request = Request::builder().url("https://example.com").build();
}
