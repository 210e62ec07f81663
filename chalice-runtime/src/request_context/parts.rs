//! What `requestContext` is made of, kept by [`RequestContext`](super::RequestContext) until a
//! view reads it: the stage's names, the request's own parts, and API Gateway's formats for
//! its times and ids.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use http::{HeaderValue, Method};
use serde_json::Value;

use super::request_id::{RequestId, push_hex};
use crate::api_kind::ApiKind;

/// The path with its stage, as `requestContext.path` holds it.
pub(crate) fn staged_path(stage: &str, path: &str) -> String {
    ["/", stage, path].concat()
}

/// What every request's `requestContext` repeats from the stage, built once per gateway.
#[derive(Debug)]
pub(crate) struct StageContext {
    /// On an HTTP API the authorizer's output is `{"jwt": ..}`, `{"lambda": ..}` or
    /// `{"iam": ..}`, kept in `requestContext.authorizer`'s typed fields as payload 2.0 has it.
    pub(crate) api_kind: ApiKind,
    pub(crate) account_id: String,
    pub(crate) stage: String,
    pub(crate) api_id: String,
    pub(crate) domain_name: String,
}

/// What `requestContext` is made of. The view's [`RequestContext`](super::RequestContext) keeps these and builds the
/// context the first time the view reads it: most views never do, and building it costs a
/// dozen allocations per request.
#[derive(Debug, Clone)]
pub(crate) struct ContextParts {
    pub(crate) stage: Arc<StageContext>,
    pub(crate) resource: &'static str,
    /// The request's normalized path, without its stage.
    pub(crate) path: String,
    pub(crate) method: Method,
    pub(crate) source_ip: String,
    pub(crate) user_agent: Option<HeaderValue>,
    pub(crate) received: SystemTime,
    pub(crate) request_id: RequestId,
    /// The authorizer's output, as `requestContext.authorizer` holds it.
    pub(crate) authorizer: Option<Arc<HashMap<String, Value>>>,
}

impl ContextParts {
    /// `requestContext` as the API handler receives it, with the authorizer's output in it.
    pub(crate) fn build(&self) -> ApiGatewayProxyRequestContext {
        let stage = &*self.stage;
        let mut context = ApiGatewayProxyRequestContext::default();
        context.account_id = Some(stage.account_id.clone());
        context.resource_id = Some(resource_id(self.resource));
        context.stage = Some(stage.stage.clone());
        context.domain_name = Some(stage.domain_name.clone());
        context.domain_prefix = Some(stage.api_id.clone());
        context.request_id = Some(self.request_id.text());
        context.protocol = Some("HTTP/1.1".into());
        context.identity.source_ip = Some(self.source_ip.clone());
        context.identity.user_agent = self
            .user_agent
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        context.resource_path = Some(self.resource.to_owned());
        context.path = Some(staged_path(&stage.stage, &self.path));
        context.http_method = self.method.clone();
        let now = epoch_millis(self.received);
        context.request_time_epoch = now;
        context.request_time = Some(request_time(now));
        context.apiid = Some(stage.api_id.clone());
        if let Some(fields) = &self.authorizer {
            match stage.api_kind {
                ApiKind::Rest => context.authorizer.fields = HashMap::clone(fields),
                ApiKind::Http => context.authorizer = http_api_authorizer(fields),
            }
        }
        context
    }

    /// `requestContext` of payload format 2.0, as an HTTP API's handler receives it.
    pub(crate) fn build_http_api(&self) -> ApiGatewayV2httpRequestContext {
        let stage = &*self.stage;
        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.method = self.method.clone();
        http.path = Some(self.path.clone());
        http.protocol = Some("HTTP/1.1".into());
        http.source_ip = Some(self.source_ip.clone());
        http.user_agent = self
            .user_agent
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.route_key = Some(format!("{} {}", self.method, self.resource));
        context.account_id = Some(stage.account_id.clone());
        context.stage = Some(stage.stage.clone());
        context.request_id = Some(self.request_id.text());
        context.apiid = Some(stage.api_id.clone());
        context.domain_name = Some(stage.domain_name.clone());
        context.domain_prefix = Some(stage.api_id.clone());
        let now = epoch_millis(self.received);
        context.time_epoch = now;
        context.time = Some(request_time(now));
        context.http = http;
        context.authorizer = self.authorizer.as_deref().map(http_api_authorizer);
        context
    }
}

/// `requestContext.authorizer` of payload format 2.0 from the gateway's `{"jwt": ..}`,
/// `{"lambda": ..}` or `{"iam": ..}`: it serializes back as exactly that object.
fn http_api_authorizer(fields: &HashMap<String, Value>) -> ApiGatewayRequestAuthorizer {
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    if let Some(jwt) = fields.get("jwt") {
        authorizer.jwt = serde_json::from_value(jwt.clone()).ok();
    }
    if let Some(Value::Object(lambda)) = fields.get("lambda") {
        authorizer.fields = lambda.clone().into_iter().collect();
    }
    if let Some(iam) = fields.get("iam") {
        authorizer.iam = serde_json::from_value(iam.clone()).ok();
    }
    authorizer
}

fn epoch_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// API Gateway's `requestTime`: `25/Nov/2026:19:40:38 +0000`. It changes once a second, so
/// each thread keeps the last one it formatted.
fn request_time(epoch_millis: i64) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const {
            std::cell::RefCell::new((i64::MIN, String::new()))
        };
    }
    let seconds = epoch_millis.div_euclid(1000);
    LAST.with_borrow_mut(|(last_second, text)| {
        if *last_second != seconds {
            *text = format_request_time(seconds);
            *last_second = seconds;
        }
        text.clone()
    })
}

fn format_request_time(seconds: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// A stable id per resource, as API Gateway gives each resource one.
pub(crate) fn resource_id(resource: &str) -> String {
    let hash = resource.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut id = String::with_capacity(6);
    push_hex(&mut id, hash & 0xff_ffff, 6);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_time_is_formatted_as_api_gateway_does() {
        assert_eq!(request_time(0), "01/Jan/1970:00:00:00 +0000");
        // Within the same second, the thread's last answer.
        assert_eq!(request_time(999), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(request_time(1_000), "01/Jan/1970:00:00:01 +0000");
        assert_eq!(
            request_time(1_795_635_638_000),
            "25/Nov/2026:19:40:38 +0000"
        );
        assert_eq!(request_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
    }

    #[test]
    fn resource_ids_are_stable_and_six_hex_digits() {
        assert_eq!(resource_id("/items/{id}"), resource_id("/items/{id}"));
        assert_ne!(resource_id("/items/{id}"), resource_id("/"));
        assert_eq!(resource_id("/").len(), 6);
        assert!(resource_id("/").bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
