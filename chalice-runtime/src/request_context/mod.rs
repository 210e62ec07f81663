//! `Request.context`: API Gateway's `requestContext`, built the first time a view reads it.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use aws_lambda_events::apigw::{ApiGatewayProxyRequestContext, ApiGatewayV2httpRequestContext};
use serde::{Serialize, Serializer};

mod parts;
mod request_id;

pub(crate) use parts::{ContextParts, StageContext, resource_id, staged_path};
pub(crate) use request_id::RequestId;

/// API Gateway's `requestContext`, the authorizer's output included.
///
/// It reads and writes as the [`ApiGatewayProxyRequestContext`] it holds
/// (`req.context.authorizer.fields["principalId"]`), and serializes as API Gateway sends it
/// (`json!({"context": req.context})`).
///
/// On Lambda it arrives whole in the proxy event. The local server and the test client have
/// its parts at hand instead, and most views never read it, so they build it on first use:
/// building it costs a dozen allocations, a large share of what the local server does for a
/// request.
///
/// On an HTTP API the context API Gateway sends is payload format 2.0's (`routeKey`, `http`,
/// `authorizer.jwt`, ..): [`RequestContext::http_api`] reads it, and the context serializes as
/// it, alike in the test client, the local server and the Lambda dispatch.
#[derive(Clone, Default)]
pub struct RequestContext {
    built: OnceLock<Box<ApiGatewayProxyRequestContext>>,
    http_api: OnceLock<Box<ApiGatewayV2httpRequestContext>>,
    parts: Option<ContextParts>,
}

impl RequestContext {
    /// A context to be built from `parts` when first read.
    pub(crate) fn deferred(parts: ContextParts) -> Self {
        RequestContext {
            built: OnceLock::new(),
            http_api: OnceLock::new(),
            parts: Some(parts),
        }
    }

    /// An HTTP API's context as its proxy event carried it, with `rest` the same values in the
    /// REST-shaped fields views read through `Deref` (`req.context.stage`, `.authorizer`).
    pub(crate) fn from_http_api(
        rest: ApiGatewayProxyRequestContext,
        http_api: ApiGatewayV2httpRequestContext,
    ) -> Self {
        RequestContext {
            built: OnceLock::from(Box::new(rest)),
            http_api: OnceLock::from(Box::new(http_api)),
            parts: None,
        }
    }

    /// On an HTTP API, the payload format 2.0 `requestContext` as API Gateway sends it
    /// (`routeKey`, `http.method`, `authorizer.jwt.claims`, ..); `None` on a REST API.
    pub fn http_api(&self) -> Option<&ApiGatewayV2httpRequestContext> {
        if let Some(context) = self.http_api.get() {
            return Some(context);
        }
        let parts = self.parts.as_ref()?;
        if parts.stage.api_kind != crate::api_kind::ApiKind::Http {
            return None;
        }
        Some(
            self.http_api
                .get_or_init(|| Box::new(parts.build_http_api())),
        )
    }

    /// The context itself.
    pub fn into_inner(self) -> ApiGatewayProxyRequestContext {
        match self.built.into_inner() {
            Some(built) => *built,
            None => build(self.parts.as_ref()),
        }
    }
}

fn build(parts: Option<&ContextParts>) -> ApiGatewayProxyRequestContext {
    parts.map(ContextParts::build).unwrap_or_default()
}

impl From<ApiGatewayProxyRequestContext> for RequestContext {
    fn from(context: ApiGatewayProxyRequestContext) -> Self {
        RequestContext {
            built: OnceLock::from(Box::new(context)),
            http_api: OnceLock::new(),
            parts: None,
        }
    }
}

impl Deref for RequestContext {
    type Target = ApiGatewayProxyRequestContext;

    fn deref(&self) -> &ApiGatewayProxyRequestContext {
        self.built
            .get_or_init(|| Box::new(build(self.parts.as_ref())))
    }
}

impl DerefMut for RequestContext {
    fn deref_mut(&mut self) -> &mut ApiGatewayProxyRequestContext {
        if self.built.get().is_none() {
            self.built = OnceLock::from(Box::new(build(self.parts.as_ref())));
        }
        self.built
            .get_mut()
            .expect("the context was built just above")
    }
}

impl PartialEq for RequestContext {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// As API Gateway sends it: payload format 2.0's context on an HTTP API, the REST one else.
impl Serialize for RequestContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.http_api() {
            Some(context) => context.serialize(serializer),
            None => (**self).serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use super::*;

    fn parts() -> ContextParts {
        let received = SystemTime::now();
        ContextParts {
            stage: Arc::new(StageContext {
                api_kind: crate::api_kind::ApiKind::Rest,
                account_id: "123456789012".into(),
                stage: "dev".into(),
                api_id: "localapi01".into(),
                domain_name: "localapi01.execute-api.us-east-1.amazonaws.com".into(),
            }),
            resource: "/items/{id}",
            path: "/items/7".into(),
            method: http::Method::GET,
            source_ip: "10.0.0.1".into(),
            user_agent: Some(http::HeaderValue::from_static("curl/8")),
            received,
            request_id: RequestId::new(received),
            authorizer: None,
        }
    }

    #[test]
    fn is_built_from_its_parts_when_first_read_and_only_then() {
        let parts = parts();
        let expected = parts.build();
        let context = RequestContext::deferred(parts);
        assert!(context.built.get().is_none());
        assert_eq!(context.path.as_deref(), Some("/dev/items/7"));
        assert_eq!(*context, expected);
        assert_eq!(
            serde_json::to_value(&context).unwrap(),
            serde_json::to_value(&expected).unwrap()
        );
        assert_eq!(format!("{context:?}"), format!("{expected:?}"));
    }

    #[test]
    fn a_write_or_a_move_builds_it_first() {
        let mut context = RequestContext::deferred(parts());
        context.stage = Some("prod".into());
        assert_eq!(context.path.as_deref(), Some("/dev/items/7"));
        assert_eq!(context.stage.as_deref(), Some("prod"));
        let moved = RequestContext::deferred(parts()).into_inner();
        assert_eq!(moved.resource_path.as_deref(), Some("/items/{id}"));
    }
}
