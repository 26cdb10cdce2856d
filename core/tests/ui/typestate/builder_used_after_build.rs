//! A consumed builder: `build(self)` takes the builder by value, so it
//! cannot hand out a second request from the same state.
use mastery_core::typing_examples::{Method, Request};

fn main() {
    let builder = Request::builder().url("https://example.com").method(Method::Get);
    let _first = builder.build();
    let _second = builder.build();
}
