//! How an HTTP API reads its Lambda integration's answer (payload format 2.0): an object with
//! `statusCode` is a structured answer (headers, `cookies` as `Set-Cookie`, a body that may be
//! base64); anything else, a bare JSON value or string, is the body of a 200
//! `application/json` answer.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::response::{Body, Response};

/// The HTTP response API Gateway makes of `answer`; an answer it cannot use is an error (API
/// Gateway: 500) saying why.
pub fn read_answer(answer: &Value) -> Result<Response, String> {
    let Some(status) = answer.get("statusCode") else {
        let body = match answer {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Ok(Response::new(body).with_header("Content-Type", "application/json"));
    };
    let status = status
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..=599).contains(code))
        .ok_or_else(|| format!("statusCode {status} is not an HTTP status"))?;
    let text = match answer.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => return Err(format!("body must be a string, got {other}")),
    };
    let body = if answer.get("isBase64Encoded") == Some(&Value::Bool(true)) {
        Body::Binary(
            BASE64
                .decode(&text)
                .map_err(|_| "isBase64Encoded is true but the body is not base64".to_owned())?,
        )
    } else {
        Body::Text(text)
    };
    let mut response = Response::new(body).with_status(status);
    if let Some(headers) = answer.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            let value = value
                .as_str()
                .ok_or_else(|| format!("header {name} is not a string"))?;
            response = response.with_header(name, value);
        }
    }
    if let Some(cookies) = answer.get("cookies").and_then(Value::as_array) {
        for cookie in cookies {
            let cookie = cookie.as_str().ok_or("a cookie is not a string")?;
            response = response.with_header("Set-Cookie", cookie);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(answer: Value) -> (u16, Vec<(String, String)>, String) {
        let (status, headers, body) = read_answer(&answer).unwrap().into_parts();
        let headers = headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        let body = match body {
            Body::Empty => String::new(),
            Body::Text(text) => text,
            Body::Binary(bytes) => String::from_utf8(bytes).unwrap(),
        };
        (status, headers, body)
    }

    fn json_type() -> (String, String) {
        ("content-type".into(), "application/json".into())
    }

    #[test]
    fn a_bare_value_or_string_is_a_200_json_body() {
        assert_eq!(
            parts(json!({"message": "hi"})),
            (200, vec![json_type()], r#"{"message":"hi"}"#.into())
        );
        assert_eq!(
            parts(json!("Hello from Lambda!")),
            (200, vec![json_type()], "Hello from Lambda!".into())
        );
        assert_eq!(parts(json!([1, 2])).2, "[1,2]");
    }

    #[test]
    fn a_structured_answer_keeps_status_headers_cookies_and_base64_bodies() {
        let (status, headers, body) = parts(json!({
            "statusCode": 201, "headers": {"x-a": "1"}, "cookies": ["a=1", "b=2"],
            "body": "aGk=", "isBase64Encoded": true
        }));
        assert_eq!((status, body.as_str()), (201, "hi"));
        assert_eq!(
            headers,
            [("x-a", "1"), ("set-cookie", "a=1"), ("set-cookie", "b=2")]
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn answers_api_gateway_cannot_use_are_errors() {
        for bad in [
            json!({"statusCode": "200"}),
            json!({"statusCode": 99}),
            json!({"statusCode": 200, "body": {"a": 1}}),
            json!({"statusCode": 200, "body": "%%", "isBase64Encoded": true}),
            json!({"statusCode": 200, "headers": {"x": 1}}),
        ] {
            assert!(read_answer(&bad).is_err(), "{bad}");
        }
    }
}
