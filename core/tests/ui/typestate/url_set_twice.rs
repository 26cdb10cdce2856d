//! A required field set twice: `url` exists only while the URL is unset.
use mastery_core::typing_examples::{Method, Request};

fn main() {
    let _request = Request::builder()
        .url("https://example.com")
        .method(Method::Get)
        .url("https://example.org")
        .build();
}
