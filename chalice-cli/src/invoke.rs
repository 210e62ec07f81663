//! `chalice-rs invoke`: sends an event (JSON, from standard input) to a deployed function and
//! gives back its answer, as `chalice invoke` and `cargo lambda invoke --remote` do. A function
//! that failed answers with its error as the payload; the command prints it and fails.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::operation::invoke::InvokeError;
use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;

use crate::deploy::aws_failure;
use crate::deployed::DeployedFunction;
use crate::error::{Error, Result};

/// A function's answer to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// What the function returned (or, when it failed, its error as Lambda reports it).
    pub payload: Vec<u8>,
    /// Lambda's `FunctionError` (`Unhandled`, `Handled`) when the function failed.
    pub function_error: Option<String>,
}

impl Answer {
    /// Why the function failed, in one line (`errorType: errorMessage` from Lambda's error
    /// payload when it has them); `None` when it did not fail.
    pub fn failure(&self, function: &DeployedFunction) -> Option<String> {
        let kind = self.function_error.as_deref()?;
        let payload: Option<Value> = serde_json::from_slice(&self.payload).ok();
        let field = |name: &str| {
            payload
                .as_ref()
                .and_then(|payload| payload.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let why = match (field("errorType"), field("errorMessage")) {
            (Some(kind), Some(message)) => format!(": {kind}: {message}"),
            (None, Some(message)) => format!(": {message}"),
            (Some(kind), None) => format!(": {kind}"),
            (None, None) => String::new(),
        };
        Some(format!(
            "function `{}` ({}) failed ({kind} error){why}",
            function.record_name, function.function_name
        ))
    }
}

/// The event to send: standard input's JSON as read, or `{}` when it is empty.
pub fn event_from(input: &[u8]) -> Result<Vec<u8>> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Ok(b"{}".to_vec());
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(input)
        .map_err(|error| Error::new(format!("the event on standard input is not JSON: {error}")))?;
    Ok(input.to_vec())
}

/// Sends `event` to `function` and waits for its answer.
pub async fn invoke(
    client: &Client,
    function: &DeployedFunction,
    event: Vec<u8>,
) -> Result<Answer> {
    let answer = client
        .invoke()
        .function_name(&function.function_name)
        .payload(Blob::new(event))
        .send()
        .await;
    match answer {
        Ok(answer) => Ok(Answer {
            payload: answer
                .payload()
                .map(|blob| blob.as_ref().to_vec())
                .unwrap_or_default(),
            function_error: answer.function_error().map(str::to_owned),
        }),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(InvokeError::is_resource_not_found_exception) =>
        {
            Err(Error::new(format!(
                "function `{}` ({}) is not on AWS though the record names it: it was deleted \
                 outside chalice-rs; deploy the stage again",
                function.record_name, function.function_name
            )))
        }
        Err(error) => Err(aws_failure::explain(
            format!(
                "Invoking function `{}` ({}, lambda:Invoke)",
                function.record_name, function.function_name
            ),
            error,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function() -> DeployedFunction {
        DeployedFunction {
            record_name: "api_handler".to_owned(),
            arn: "arn:aws:lambda:us-west-2:123456789012:function:demo-dev".to_owned(),
            function_name: "demo-dev".to_owned(),
        }
    }

    #[test]
    fn the_event_is_standard_inputs_json_or_an_empty_object() {
        assert_eq!(event_from(b" {\"a\": [1]}\n").unwrap(), b" {\"a\": [1]}\n");
        assert_eq!(event_from(b"\"text\"").unwrap(), b"\"text\"");
        assert_eq!(event_from(b"").unwrap(), b"{}");
        assert_eq!(event_from(b" \n").unwrap(), b"{}");
        let error = event_from(b"{\"a\": ").unwrap_err().to_string();
        assert!(
            error.starts_with("the event on standard input is not JSON: EOF while parsing"),
            "{error}"
        );
        assert!(event_from(b"{} {}").is_err());
    }

    #[test]
    fn a_failed_function_is_told_with_its_error_type_and_message() {
        let answer = |payload: &str, error: Option<&str>| Answer {
            payload: payload.as_bytes().to_vec(),
            function_error: error.map(str::to_owned),
        };
        assert_eq!(
            answer("{\"statusCode\": 200}", None).failure(&function()),
            None
        );
        assert_eq!(
            answer(
                r#"{"errorType": "&alloc::boxed::Box<dyn core::error::Error>", "errorMessage": "boom"}"#,
                Some("Unhandled")
            )
            .failure(&function())
            .unwrap(),
            "function `api_handler` (demo-dev) failed (Unhandled error): \
             &alloc::boxed::Box<dyn core::error::Error>: boom"
        );
        assert_eq!(
            answer(r#"{"errorMessage": "timed out"}"#, Some("Unhandled"))
                .failure(&function())
                .unwrap(),
            "function `api_handler` (demo-dev) failed (Unhandled error): timed out"
        );
        assert_eq!(
            answer("not json", Some("Handled"))
                .failure(&function())
                .unwrap(),
            "function `api_handler` (demo-dev) failed (Handled error)"
        );
    }
}
