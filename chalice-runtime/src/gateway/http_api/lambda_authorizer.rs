//! Lambda authorizers of an HTTP API (payload format 2.0): identity sources (a missing one is
//! 401 without running the authorizer), simple answers or IAM policies evaluated against the
//! route ARN, answers cached by the identity sources' values for the TTL, and a failure 500.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::cache::Answer;
use super::super::{AuthDecision, Authorized, DEFAULT_TTL_SECONDS, Gateway, Refusal};
use super::events::HttpMatched;
use super::unauthorized;
use crate::auth_answer::AuthAnswer;
use crate::authorizer::{AuthFailure, BuiltinAuthorizer};
use crate::contract::AuthorizerOutput;
use crate::contract::arn::MethodArn;
use crate::contract::identity::identity_value;
use crate::contract::policy::Decision;
use crate::contract::responses::http_api;
use crate::dispatch::{self, AuthorizerEvent};
use crate::registry::Route;

impl Gateway {
    /// Runs (or finds cached) the built-in authorizer's answer and applies it to the route.
    pub(super) async fn authorize_lambda_v2(
        &self,
        builtin: &'static BuiltinAuthorizer,
        _route: &Route,
        request: &HttpMatched<'_>,
        route_arn: MethodArn<'_>,
    ) -> Authorized {
        let sources: Cow<'_, [String]> = match self
            .http_identity_sources
            .iter()
            .find(|(known, _)| std::ptr::eq(*known, builtin))
        {
            Some((_, sources)) => Cow::Borrowed(sources),
            None => Cow::Owned(builtin.http_identity_sources()),
        };
        let identity: Vec<Cow<'_, str>> = sources
            .iter()
            .map(|source| identity_value(&request.request, source).ok_or_else(unauthorized))
            .collect::<Result<_, _>>()?;
        let now = self.now();
        let cached = self.cache.get(builtin.name(), &identity, now);
        let from_cache = cached.is_some();
        let answer = match cached {
            Some(answer) => answer,
            None => {
                Box::pin(self.ask_lambda_v2(builtin, request, route_arn, &identity, now)).await?
            }
        };
        match answer.evaluate(route_arn) {
            Ok(Decision::Allow) => {
                let principal = Some(Arc::clone(answer.principal_id()))
                    .filter(|principal| !principal.is_empty());
                Ok((
                    Some(Arc::clone(answer.context_fields())),
                    AuthDecision::Allowed {
                        principal_id: principal,
                        cached: from_cache,
                    },
                ))
            }
            Ok(Decision::ExplicitDeny | Decision::ImplicitDeny) => {
                Err((http_api::forbidden(None), AuthDecision::Denied))
            }
            Err(error) => {
                Err(self.authorizer_failed(builtin.name(), format!("invalid policy: {error}")))
            }
        }
    }

    /// Sends the authorizer its 2.0 event, reads its answer as API Gateway does and caches it.
    async fn ask_lambda_v2(
        &self,
        builtin: &'static BuiltinAuthorizer,
        request: &HttpMatched<'_>,
        route_arn: MethodArn<'_>,
        identity: &[Cow<'_, str>],
        now: Instant,
    ) -> Result<Arc<Answer>, Refusal> {
        let event = request.authorizer_event(&route_arn.text(), identity);
        let answer = dispatch::run_authorizer(builtin, AuthorizerEvent::V2(Box::new(event)))
            .await
            .map_err(|failure| match failure {
                AuthFailure::Unauthorized => unauthorized(),
                AuthFailure::Error(error) => {
                    self.authorizer_failed(builtin.name(), error.to_string())
                }
            })?;
        let answer = read_answer(builtin, answer)
            .map_err(|reason| self.authorizer_failed(builtin.name(), reason))?;
        let ttl = builtin.ttl_seconds().unwrap_or(DEFAULT_TTL_SECONDS);
        self.cache.put(
            builtin.name(),
            identity,
            Arc::clone(&answer),
            Duration::from_secs(ttl.into()),
            now,
        );
        Ok(answer)
    }
}

/// The answer as API Gateway reads it: in the format the authorizer was configured with, its
/// context handed to the view as `requestContext.authorizer.lambda`.
fn read_answer(builtin: &BuiltinAuthorizer, answer: AuthAnswer) -> Result<Arc<Answer>, String> {
    let lambda = |context: serde_json::Map<String, Value>| {
        HashMap::from([("lambda".to_owned(), Value::Object(context))])
    };
    if builtin.simple_responses() {
        let simple = match answer {
            AuthAnswer::Simple(simple) => simple,
            other => serde_json::from_value(other.into_value())
                .map_err(|error| format!("invalid simple response: {error}"))?,
        };
        return Ok(Answer::simple(simple.is_authorized, lambda(simple.context)));
    }
    let output: AuthorizerOutput = answer
        .output()
        .map_err(|reason| format!("invalid answer: {reason}"))?;
    let context = output.context.clone();
    Ok(Answer::with_context(output, lambda(context)))
}
