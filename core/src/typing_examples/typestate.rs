//! Typestate: a request builder whose type records which required steps
//! are done, so that `build()` exists only once they are — misuse is a
//! compile error (the trybuild cases in `core/tests/ui/typestate/`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An HTTP method: `Literal["GET", "POST", "PUT", "DELETE"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Read.
    Get,
    /// Create.
    Post,
    /// Replace.
    Put,
    /// Delete.
    Delete,
}

/// A request, complete: made only by [`RequestBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Where to send it.
    pub url: String,
    /// What to do.
    pub method: Method,
    /// Headers, in the order they were added.
    pub headers: Vec<(String, String)>,
    /// How long to wait for an answer; `None` waits forever.
    pub timeout: Option<Duration>,
}

impl Request {
    /// Starts a builder with nothing set. `url` and `method` are required,
    /// once each, in any order; `header` and `timeout` are optional.
    pub fn builder() -> RequestBuilder<NoUrl, NoMethod> {
        RequestBuilder {
            url_state: NoUrl,
            method_state: NoMethod,
            headers: Vec::new(),
            timeout: None,
        }
    }
}

/// Typestate: the URL is not set yet (zero-sized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoUrl;
/// Typestate: the URL is set, and here it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithUrl(String);
/// Typestate: the method is not set yet (zero-sized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoMethod;
/// Typestate: the method is set, and here it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithMethod(Method);

/// A [`Request`] under construction. The type parameters record whether
/// the URL (`U`) and the method (`M`) are set, and hold them when they are:
/// `build` exists only for `RequestBuilder<WithUrl, WithMethod>`, and takes
/// the values out of the state types — no `Option`, no run-time check, no
/// "url is required" error to handle.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RequestBuilder<U, M> {
    url_state: U,
    method_state: M,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
}

impl<M> RequestBuilder<NoUrl, M> {
    /// Sets the URL. Only available while it is unset: a second call does
    /// not compile.
    pub fn url(self, url: impl Into<String>) -> RequestBuilder<WithUrl, M> {
        RequestBuilder {
            url_state: WithUrl(url.into()),
            method_state: self.method_state,
            headers: self.headers,
            timeout: self.timeout,
        }
    }
}

impl<U> RequestBuilder<U, NoMethod> {
    /// Sets the method. Only available while it is unset.
    pub fn method(self, method: Method) -> RequestBuilder<U, WithMethod> {
        RequestBuilder {
            url_state: self.url_state,
            method_state: WithMethod(method),
            headers: self.headers,
            timeout: self.timeout,
        }
    }
}

impl<U, M> RequestBuilder<U, M> {
    /// Adds a header; allowed any number of times, in any state.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the timeout; the last call wins, like a keyword argument.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl RequestBuilder<WithUrl, WithMethod> {
    /// The finished request. Exists only once both required steps are done.
    pub fn build(self) -> Request {
        Request {
            url: self.url_state.0,
            method: self.method_state.0,
            headers: self.headers,
            timeout: self.timeout,
        }
    }
}
