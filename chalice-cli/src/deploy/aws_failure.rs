//! What an AWS SDK failure means for the user, in one line: the SDK's own report of a missing
//! credential or an unreachable endpoint runs to a thousand characters of nested debug output.
//! The common causes get their remedy (profile, `AWS_REGION`, `AWS_ENDPOINT_URL`); anything
//! else gets the chain of causes; the full report stays available behind `--debug`.

use std::error::Error as StdError;

use aws_smithy_types::error::display::DisplayErrorContext;

use crate::error::Error;

/// The error for `what` failing with `error`.
pub(crate) fn explain(what: impl std::fmt::Display, error: impl StdError) -> Error {
    let full = DisplayErrorContext(&error).to_string();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    let line = match cause(&full) {
        Some(cause) => cause.remedy(endpoint.as_deref()),
        None => chain(&error),
    };
    Error::new(format!("{what}: {line}")).with_detail(full)
}

/// The failures a user fixes in their own setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    NoCredentials,
    BadCredentials,
    AccessDenied,
    Unreachable,
}

impl Cause {
    fn remedy(self, endpoint: Option<&str>) -> String {
        match self {
            Cause::NoCredentials => {
                "no AWS credentials were found: use a profile (`--profile NAME` \
                or AWS_PROFILE), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                    .to_owned()
            }
            Cause::BadCredentials => "AWS refused the credentials (invalid or expired): refresh \
                them, or use another profile (`--profile NAME` or AWS_PROFILE)"
                .to_owned(),
            Cause::AccessDenied => "AWS denied it to these credentials: use a profile or role \
                that may deploy (`--profile NAME` or AWS_PROFILE); `--debug` shows the action"
                .to_owned(),
            Cause::Unreachable => match endpoint {
                Some(url) => format!(
                    "cannot reach AWS at {url} (AWS_ENDPOINT_URL): is the emulator running?"
                ),
                None => "cannot reach AWS: check the network and AWS_REGION (or set \
                    AWS_ENDPOINT_URL for an emulator)"
                    .to_owned(),
            },
        }
    }
}

/// The cause `report` (the SDK's full report) shows, if it is one the user fixes.
fn cause(report: &str) -> Option<Cause> {
    let report = report.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|needle| report.contains(needle));
    if has(&[
        "credentialsnotloaded",
        "no credentials",
        "credential provider was not enabled",
    ]) {
        Some(Cause::NoCredentials)
    } else if has(&[
        "unrecognizedclientexception",
        "invalidclienttokenid",
        "security token included in the request is invalid",
        "expiredtoken",
        "signaturedoesnotmatch",
        "invalidsignatureexception",
    ]) {
        Some(Cause::BadCredentials)
    } else if has(&["accessdenied", "not authorized to perform"]) {
        Some(Cause::AccessDenied)
    } else if has(&[
        "connection refused",
        "tcp connect error",
        "dns error",
        "failed to lookup address",
        "timed out",
        "timeout",
    ]) {
        Some(Cause::Unreachable)
    } else {
        None
    }
}

/// `error` and its sources, each as it displays itself, without their debug dumps.
fn chain(error: &dyn StdError) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        let text = next.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = next.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::get_function::GetFunctionError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn service(code: &str, message: &str) -> SdkError<GetFunctionError, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let raw = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::empty());
        SdkError::service_error(GetFunctionError::generic(meta), raw)
    }

    #[test]
    fn an_unreachable_endpoint_is_one_line_naming_it() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let error: SdkError<GetFunctionError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        let full = DisplayErrorContext(&error).to_string();
        assert_eq!(cause(&full), Some(Cause::Unreachable));
        let explained = explain("reading the function", error);
        assert!(!explained.message().contains('\n'));
        assert!(
            explained
                .message()
                .starts_with("reading the function: cannot reach AWS")
        );
        assert_eq!(explained.detail(), Some(full.as_str()));
        assert_eq!(
            Cause::Unreachable.remedy(Some("http://127.0.0.1:1")),
            "cannot reach AWS at http://127.0.0.1:1 (AWS_ENDPOINT_URL): is the emulator running?"
        );
    }

    #[test]
    fn credentials_and_permissions_are_told_apart() {
        for (code, expected) in [
            ("UnrecognizedClientException", Cause::BadCredentials),
            ("ExpiredTokenException", Cause::BadCredentials),
            ("AccessDeniedException", Cause::AccessDenied),
        ] {
            let full = DisplayErrorContext(&service(code, "no")).to_string();
            assert_eq!(cause(&full), Some(expected), "{code}: {full}");
        }
        // The report the SDK gives when no provider of the default chain has credentials.
        let missing = "dispatch failure: other: the credential provider was not enabled: \
            Environment: the credential provider was not enabled: environment variable not set \
            (DispatchFailure(DispatchFailure { source: ConnectorError { kind: Other(None), \
            source: CredentialsNotLoaded(CredentialsNotLoaded { source: None }) } }))";
        assert_eq!(cause(missing), Some(Cause::NoCredentials));
    }

    #[test]
    fn other_failures_keep_their_causes_without_the_debug_dump() {
        let error = service("ConflictException", "the function is being updated");
        let explained = explain("updating the function", error);
        assert!(
            explained
                .message()
                .starts_with("updating the function: service error")
                && !explained.message().contains("ErrorMetadata"),
            "{}",
            explained.message()
        );
        assert!(explained.detail().unwrap().contains("ConflictException"));
    }
}
