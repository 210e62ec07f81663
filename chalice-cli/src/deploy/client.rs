//! The deployer's AWS clients, and how their calls fail and are retried: errors name what was
//! being done, a missing resource is an answer rather than an error where the caller says so,
//! and what AWS makes eventually consistent (a new role Lambda cannot assume yet, an API
//! Gateway change in progress) is retried a bounded number of times. A create AWS does not
//! name uniquely is never repeated blindly: when its outcome is unknown, what it would have
//! made is looked for first (`create_or_adopt`); likewise a delete (`delete_or_confirm`).

use std::future::Future;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::desired::Account;
use crate::error::{Error, Result};

/// The clients of the services the deployer uses.
#[derive(Debug, Clone)]
pub struct Aws {
    pub(super) iam: aws_sdk_iam::Client,
    pub(super) lambda: aws_sdk_lambda::Client,
    pub(super) apigateway: aws_sdk_apigateway::Client,
    /// API Gateway and Lambda without the SDK's automatic retries, for the creates and deletes
    /// [`create_or_adopt`] and [`delete_or_confirm`] retry themselves: a blind retry of a
    /// create whose answer was lost would make a twin.
    pub(super) apigateway_once: aws_sdk_apigateway::Client,
    pub(super) lambda_once: aws_sdk_lambda::Client,
    /// API Gateway v2 (HTTP APIs), and the same without automatic retries for its creates
    /// and deletes.
    pub(super) apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub(super) apigatewayv2_once: aws_sdk_apigatewayv2::Client,
    /// CloudWatch Logs: the functions' log groups and their retention.
    pub(super) logs: aws_sdk_cloudwatchlogs::Client,
    sts: aws_sdk_sts::Client,
    region: String,
}

impl Aws {
    /// Clients for the configuration (credentials, region and endpoint from the standard chain).
    pub fn new(config: &SdkConfig) -> Result<Aws> {
        Aws::with_interceptor(config, None)
    }

    /// Clients that also run `interceptor` on every call (tests count the calls with it).
    pub fn with_interceptor(
        config: &SdkConfig,
        interceptor: Option<SharedInterceptor>,
    ) -> Result<Aws> {
        let region = config
            .region()
            .map(|region| region.to_string())
            .ok_or_else(|| {
                Error::new("no AWS region: set AWS_REGION or a region in your AWS profile")
            })?;
        macro_rules! client {
            ($service:ident $(, $retry:expr)?) => {{
                let mut builder = $service::config::Builder::from(config);
                if let Some(interceptor) = &interceptor {
                    builder.push_interceptor(interceptor.clone());
                }
                $(builder.set_retry_config(Some($retry));)?
                $service::Client::from_conf(builder.build())
            }};
        }
        Ok(Aws {
            iam: client!(aws_sdk_iam),
            lambda: client!(aws_sdk_lambda),
            apigateway: client!(aws_sdk_apigateway),
            apigateway_once: client!(aws_sdk_apigateway, RetryConfig::disabled()),
            lambda_once: client!(aws_sdk_lambda, RetryConfig::disabled()),
            apigatewayv2: client!(aws_sdk_apigatewayv2),
            apigatewayv2_once: client!(aws_sdk_apigatewayv2, RetryConfig::disabled()),
            logs: client!(aws_sdk_cloudwatchlogs),
            sts: client!(aws_sdk_sts),
            region,
        })
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account the credentials belong to, and its partition.
    pub async fn account(&self) -> Result<Account> {
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| failed("reading the AWS account (sts:GetCallerIdentity)", e))?;
        let id = identity
            .account()
            .ok_or_else(|| Error::new("sts:GetCallerIdentity returned no account"))?;
        Ok(Account::of_caller(id, identity.arn(), &self.region))
    }
}

/// An AWS error as the deployer reports it: what was being done, then the cause in one line
/// (the SDK's whole story behind `--debug`).
pub(super) fn failed(what: impl std::fmt::Display, error: impl std::error::Error) -> Error {
    super::aws_failure::explain(what, error)
}

/// A call's answer, or `None` when AWS says the thing is not there (`is_missing` picks that
/// error out of the service's); any other failure says what was being done.
pub(super) fn unless_missing<T, E, R>(
    result: std::result::Result<T, SdkError<E, R>>,
    is_missing: impl FnOnce(&E) -> bool,
    what: impl FnOnce() -> String,
) -> Result<Option<T>>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(error) if error.as_service_error().is_some_and(is_missing) => Ok(None),
        Err(error) => Err(failed(what(), error)),
    }
}

/// How to retry a call AWS answers with "not yet": how many attempts, and the first pause
/// (doubled after each attempt, capped at [`MAX_PAUSE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Patience {
    attempts: u32,
    first_pause: Duration,
}

/// The longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// A role just made is assumable by Lambda within seconds: about 43 s of pauses in all.
pub(super) const PROPAGATION: Patience = Patience {
    attempts: 13,
    first_pause: Duration::from_millis(250),
};

/// API Gateway refusing a change as busy or throttled: about 6 s of pauses in all.
const BUSY: Patience = Patience {
    attempts: 7,
    first_pause: Duration::from_millis(100),
};

impl Patience {
    /// The pauses between attempts, in order (one fewer than the attempts).
    fn pauses(self) -> impl Iterator<Item = Duration> {
        std::iter::successors(Some(self.first_pause), |pause| {
            Some((*pause * 2).min(MAX_PAUSE))
        })
        .take(self.attempts.saturating_sub(1) as usize)
    }
}

/// Calls `call` while `retryable` says its error is AWS catching up, as `patience` allows.
pub(super) async fn with_retries<T, E, F, Fut>(
    patience: Patience,
    mut call: F,
    retryable: impl Fn(&E) -> bool,
) -> std::result::Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
{
    for pause in patience.pauses() {
        match call().await {
            Err(error) if retryable(&error) => tokio::time::sleep(pause).await,
            other => return other,
        }
    }
    call().await
}

/// API Gateway's "try again later": another change to the API is in progress
/// (`ConflictException`) or the account is throttled (`TooManyRequestsException`).
fn apigateway_busy<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| matches!(code, "ConflictException" | "TooManyRequestsException"))
}

/// An API Gateway change, retried (bounded) while API Gateway is busy.
pub(super) async fn busy_retried<T, E, R, F, Fut>(call: F) -> std::result::Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, R>>>,
{
    with_retries(BUSY, call, apigateway_busy).await
}

/// Whether a call may have taken effect though no answer says so: the request may have reached
/// AWS before the connection dropped, the time ran out or the answer was unreadable, or AWS
/// failed inside (a 5xx) after acting.
pub(super) fn outcome_unknown<E>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(failure) => failure.raw().status().is_server_error(),
        _ => false,
    }
}

/// What a failed create or delete is followed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterFailure {
    /// Look whether it took effect, then send it again if not.
    LookThenRetry,
    /// Send it again: AWS said it did nothing yet (busy, throttled).
    Retry,
    /// Give up: AWS refused it.
    Fail,
}

fn after_failure<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> AfterFailure {
    if outcome_unknown(error) {
        AfterFailure::LookThenRetry
    } else if apigateway_busy(error) {
        AfterFailure::Retry
    } else {
        AfterFailure::Fail
    }
}

/// Makes something AWS does not name uniquely (a REST API, a resource, an authorizer, a
/// deployment, and, on moto, a function's grant) and returns its id. `create` is sent through
/// a client without automatic retries; when its outcome is unknown, `find` looks for what it
/// would have made (by name and tags) and that is adopted, so a lost answer never leaves a
/// twin; only if nothing is found is it sent again. Busy and throttled answers are retried as
/// for any API Gateway change.
pub(super) async fn create_or_adopt<E, F, Fut, G, Found>(
    what: &str,
    create: F,
    find: G,
) -> Result<String>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<String, SdkError<E, HttpResponse>>>,
    G: FnMut() -> Found,
    Found: Future<Output = Result<Option<String>>>,
{
    until_known(BUSY, what, create, find).await
}

/// Deletes something through a client without automatic retries; returns whether it was
/// there. One already gone (`is_missing`) was not; when the outcome is unknown, `exists` tells
/// whether the delete took effect before it is sent again (a blind retry would find it gone,
/// which API Gateway answers as an error).
pub(super) async fn delete_or_confirm<T, E, F, Fut, G, Exists>(
    what: &str,
    mut delete: F,
    is_missing: impl Fn(&E) -> bool,
    mut exists: G,
) -> Result<bool>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    G: FnMut() -> Exists,
    Exists: Future<Output = Result<bool>>,
{
    let is_missing = &is_missing;
    until_known(
        BUSY,
        what,
        || {
            let sent = delete();
            async move {
                match sent.await {
                    Ok(_) => Ok(true),
                    Err(error) if error.as_service_error().is_some_and(is_missing) => Ok(false),
                    Err(error) => Err(error),
                }
            }
        },
        || {
            let there = exists();
            async move { Ok((!there.await?).then_some(true)) }
        },
    )
    .await
}

/// Sends `act` until it is answered or, when its outcome is unknown, `look` finds it took
/// effect; busy answers are sent again, as `patience` allows, and refusals end it.
async fn until_known<T, E, F, Fut, G, Found>(
    patience: Patience,
    what: &str,
    mut act: F,
    mut look: G,
) -> Result<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    G: FnMut() -> Found,
    Found: Future<Output = Result<Option<T>>>,
{
    let mut pauses = patience.pauses();
    loop {
        let error = match act().await {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        let after = after_failure(&error);
        let pause = match (after, pauses.next()) {
            (AfterFailure::Fail, _) | (_, None) => return Err(failed(what, error)),
            (_, Some(pause)) => pause,
        };
        tokio::time::sleep(pause).await;
        if after == AfterFailure::LookThenRetry
            && let Some(done) = look().await?
        {
            return Ok(done);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    const QUICK: Patience = Patience {
        attempts: 4,
        first_pause: Duration::from_millis(1),
    };

    use aws_sdk_apigateway::operation::create_resource::CreateResourceError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    type Failure = SdkError<CreateResourceError, HttpResponse>;

    fn lost() -> Failure {
        SdkError::dispatch_failure(ConnectorError::io("connection reset".into()))
    }

    fn answered(status: u16, code: &str) -> Failure {
        let error = CreateResourceError::generic(ErrorMetadata::builder().code(code).build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(error, raw)
    }

    #[test]
    fn an_outcome_is_unknown_without_an_answer_or_after_a_server_error() {
        assert!(outcome_unknown(&lost()));
        assert!(outcome_unknown(&answered(500, "InternalFailure")));
        assert!(!outcome_unknown(&answered(409, "ConflictException")));
        assert!(!outcome_unknown(&answered(400, "BadRequestException")));
        assert_eq!(after_failure(&lost()), AfterFailure::LookThenRetry);
        assert_eq!(
            after_failure(&answered(429, "TooManyRequestsException")),
            AfterFailure::Retry
        );
        assert_eq!(
            after_failure(&answered(400, "BadRequestException")),
            AfterFailure::Fail
        );
    }

    /// Runs `create_or_adopt`'s loop with creates answering `answers` in turn (then "made"), and a
    /// find answering `found`; returns the id and how many creates and finds were made.
    async fn adopt(answers: Vec<Failure>, found: Option<&str>) -> (Result<String>, usize, usize) {
        let answers = std::sync::Mutex::new(answers.into_iter());
        let (creates, finds) = (Cell::new(0), Cell::new(0));
        let id = until_known(
            QUICK,
            "Creating resource: /x",
            || {
                creates.set(creates.get() + 1);
                let next = answers.lock().unwrap().next();
                async move { next.map_or(Ok("made".to_owned()), Err) }
            },
            || {
                finds.set(finds.get() + 1);
                async move { Ok(found.map(str::to_owned)) }
            },
        )
        .await;
        (id, creates.get(), finds.get())
    }

    #[tokio::test]
    async fn a_create_whose_outcome_is_unknown_is_looked_for_before_it_is_sent_again() {
        // Lost, and there: adopted, not made again.
        let (id, creates, finds) = adopt(vec![lost()], Some("there")).await;
        assert_eq!((id.unwrap(), creates, finds), ("there".into(), 1, 1));
        // Lost before it arrived: made again.
        let (id, creates, finds) = adopt(vec![lost(), answered(500, "x")], None).await;
        assert_eq!((id.unwrap(), creates, finds), ("made".into(), 3, 2));
        // Busy: sent again without looking.
        let (id, creates, finds) = adopt(vec![answered(409, "ConflictException")], None).await;
        assert_eq!((id.unwrap(), creates, finds), ("made".into(), 2, 0));
        // Refused: given up at once, naming what was being done.
        let (id, creates, _) = adopt(vec![answered(400, "BadRequestException")], None).await;
        assert!(
            id.unwrap_err()
                .to_string()
                .starts_with("Creating resource: /x: ")
        );
        assert_eq!(creates, 1);
        // Lost every time: given up after as many attempts as allowed.
        let (id, creates, finds) = adopt((0..10).map(|_| lost()).collect(), None).await;
        assert!(id.is_err());
        assert_eq!((creates, finds), (4, 3));
    }

    #[tokio::test]
    async fn a_delete_whose_outcome_is_unknown_is_confirmed_before_it_is_sent_again() {
        let run = |answers: Vec<Failure>, there: Vec<bool>| async move {
            let answers = std::sync::Mutex::new(answers.into_iter());
            let there = std::sync::Mutex::new(there.into_iter());
            let deletes = Cell::new(0);
            let deleted = delete_or_confirm(
                "Deleting authorizer: auth",
                || {
                    deletes.set(deletes.get() + 1);
                    let next = answers.lock().unwrap().next();
                    async move { next.map_or(Ok(()), Err) }
                },
                |e: &CreateResourceError| e.code() == Some("NotFoundException"),
                || {
                    let still = there.lock().unwrap().next().unwrap_or(true);
                    async move { Ok(still) }
                },
            )
            .await;
            (deleted.unwrap(), deletes.get())
        };
        // Lost, and gone: it was deleted, and is not deleted again.
        assert_eq!(run(vec![lost()], vec![false]).await, (true, 1));
        // Lost before it arrived: sent again.
        assert_eq!(run(vec![lost()], vec![true]).await, (true, 2));
        // Already gone: nothing was deleted.
        assert_eq!(
            run(vec![answered(404, "NotFoundException")], vec![]).await,
            (false, 1)
        );
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_are_one_fewer_than_the_attempts() {
        let pauses: Vec<Duration> = PROPAGATION.pauses().collect();
        assert_eq!(pauses.len(), 12);
        assert_eq!(
            pauses[..6],
            [250, 500, 1000, 2000, 4000, 5000].map(Duration::from_millis)
        );
        assert!(pauses[6..].iter().all(|pause| *pause == MAX_PAUSE));
        let total: Duration = PROPAGATION.pauses().sum();
        assert_eq!(total, Duration::from_millis(42_750));
        let busy: Duration = BUSY.pauses().sum();
        assert_eq!(busy, Duration::from_millis(6_300));
    }

    #[tokio::test]
    async fn retries_only_what_is_retryable_and_only_as_often_as_allowed() {
        // Retryable every time: every attempt is made, and the last error is returned.
        let calls = Cell::new(0);
        let result: std::result::Result<(), &str> = with_retries(
            QUICK,
            || {
                calls.set(calls.get() + 1);
                async { Err("busy") }
            },
            |error| *error == "busy",
        )
        .await;
        assert_eq!((result, calls.get()), (Err("busy"), 4));

        // Another error ends at once.
        calls.set(0);
        let result: std::result::Result<(), &str> = with_retries(
            QUICK,
            || {
                calls.set(calls.get() + 1);
                async { Err("denied") }
            },
            |error| *error == "busy",
        )
        .await;
        assert_eq!((result, calls.get()), (Err("denied"), 1));

        // Busy, then done.
        calls.set(0);
        let result = with_retries(
            QUICK,
            || {
                calls.set(calls.get() + 1);
                let attempt = calls.get();
                async move {
                    if attempt < 3 {
                        Err("busy")
                    } else {
                        Ok(attempt)
                    }
                }
            },
            |error| *error == "busy",
        )
        .await;
        assert_eq!(result, Ok(3));
    }
}
