//! What a view returns: [`Response`] and the [`IntoResponse`] conversions.

use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::log_text::printable;

/// A response body: nothing, text, or bytes (sent base64-encoded through API Gateway).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A UTF-8 body.
    Text(String),
    /// A binary body.
    Binary(Vec<u8>),
}

impl Body {
    /// The body's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Empty => &[],
            Body::Text(text) => text.as_bytes(),
            Body::Binary(bytes) => bytes,
        }
    }
}

/// An HTTP response, as Chalice's `Response(body, headers, status_code)`.
///
/// With no `Content-Type` set, the response is sent as `application/json`, as Chalice does.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    status_code: u16,
    headers: HeaderMap,
    body: Body,
}

impl Response {
    /// A 200 response with the given body.
    pub fn new(body: impl Into<Body>) -> Self {
        Response {
            status_code: 200,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    /// A 200 `application/json` response holding `value`.
    pub fn json(value: Value) -> Self {
        let mut response = Response::new(Body::from(value));
        response
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    /// The same response with another status code.
    pub fn with_status(mut self, status_code: u16) -> Self {
        self.status_code = status_code;
        self
    }

    /// The same response with one more header value (a repeated name adds a value).
    ///
    /// # Panics
    /// If the name or value is not valid in HTTP; both are usually literals in the view.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("invalid header name {name:?}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|_| panic!("invalid value for header {name}: {value:?}"));
        self.headers.append(name, value);
        self
    }

    /// The status code.
    pub fn status_code(&self) -> u16 {
        self.status_code
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(self.body.as_bytes()).ok()
    }

    /// Fills in the default content type, as Chalice does before answering.
    pub(crate) fn with_default_content_type(mut self) -> Self {
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self
    }

    pub(crate) fn into_parts(self) -> (u16, HeaderMap, Body) {
        (self.status_code, self.headers, self.body)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Text(text)
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Self {
        Body::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Binary(bytes)
    }
}

impl From<Value> for Body {
    fn from(value: Value) -> Self {
        Body::Text(json_text(&value))
    }
}

/// `value` as JSON text. Straight into a buffer: `Value`'s `Display` goes through
/// `fmt::Write` a token at a time, twice as slow on a typical response.
fn json_text(value: &Value) -> String {
    // A `Value`'s keys are strings, so serializing it cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// Anything a view may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a route",
    label = "not a response",
    note = "a view returns `serde_json::Value`, `Response`, `String`, `&'static str`, `()`, or `Result<T, E>` of one of these where `E` is `chalice_runtime::Error` or any `std::error::Error + Send + Sync` (a 500)"
)]
pub trait IntoResponse {
    /// Converts the view's value into a response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Value {
    fn into_response(self) -> Response {
        Response::json(self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::new(Body::Text(self))
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::new(Body::Text(self.to_owned()))
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::Empty)
    }
}

/// The answer Chalice sends for an error: `{"Code": .., "Message": ..}`. As in Chalice, the
/// message of a view error repeats the class name (`"BadRequestError: unknown city"`);
/// internal errors say nothing of their cause.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let kind = self.kind();
        let body = match kind {
            ErrorKind::Internal => serde_json::json!({
                "Code": "InternalServerError",
                "Message": "An internal server error occurred.",
            }),
            kind => serde_json::json!({
                "Code": kind.code(),
                "Message": format!("{}: {}", kind.code(), self.message()),
            }),
        };
        Response::json(body).with_status(kind.status_code())
    }
}

// Without this, a bad `E` is reported as std's "`E: Error` is not satisfied"; with it, as
// "`Result<_, E>` cannot be returned from a route" with the note above.
#[diagnostic::do_not_recommend]
impl<T: IntoResponse, E: Into<Error>> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => {
                let error = error.into();
                if error.kind() == ErrorKind::Internal {
                    eprintln!(
                        "chalice-rs: view failed: {}",
                        printable(&format!("{error:?}"))
                    );
                }
                error.into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_are_json_responses() {
        let response = json!({"a": 1}).into_response();
        assert_eq!(response.status_code(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.body(), &Body::Text("{\"a\":1}".into()));
    }

    #[test]
    fn strings_default_to_json_content_type_as_chalice_does() {
        let response = "hi".into_response().with_default_content_type();
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.body().as_bytes(), b"hi");
    }

    #[test]
    fn errors_in_results_become_their_status() {
        let result: Result<Value, Error> = Err(Error::not_found("no such user"));
        assert_eq!(result.into_response().status_code(), 404);
    }

    #[test]
    fn repeated_headers_keep_every_value() {
        let response = Response::new("x")
            .with_header("Set-Cookie", "a=1")
            .with_header("Set-Cookie", "b=2");
        let values: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(values, ["a=1", "b=2"]);
    }

    #[test]
    fn view_errors_carry_code_and_prefixed_message() {
        let response = Error::bad_request("unknown city").into_response();
        assert_eq!(response.status_code(), 400);
        assert_eq!(
            response.body_json().unwrap(),
            json!({"Code": "BadRequestError", "Message": "BadRequestError: unknown city"})
        );
    }

    #[test]
    fn every_kind_has_its_chalice_status() {
        let cases = [
            (Error::unauthorized("x"), 401),
            (Error::forbidden("x"), 403),
            (Error::not_found("x"), 404),
            (Error::conflict("x"), 409),
            (Error::too_many_requests("x"), 429),
            (Error::view("x"), 500),
        ];
        for (error, status) in cases {
            let name = error.to_string();
            assert_eq!(error.into_response().status_code(), status, "{name}");
        }
    }

    #[test]
    fn foreign_errors_become_opaque_500s() {
        let error: Error = "x".parse::<u8>().unwrap_err().into();
        assert!(error.message().contains("invalid digit"));
        let response = error.into_response();
        assert_eq!(response.status_code(), 500);
        assert_eq!(
            response.body_json().unwrap(),
            json!({"Code": "InternalServerError", "Message": "An internal server error occurred."})
        );
    }
}
