//! `Request.context`: API Gateway's `requestContext`, built the first time a view reads it.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
use serde::{Serialize, Serializer};

use crate::gateway::ContextParts;

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
#[derive(Clone, Default)]
pub struct RequestContext {
    built: OnceLock<Box<ApiGatewayProxyRequestContext>>,
    parts: Option<ContextParts>,
}

impl RequestContext {
    /// A context to be built from `parts` when first read.
    pub(crate) fn deferred(parts: ContextParts) -> Self {
        RequestContext {
            built: OnceLock::new(),
            parts: Some(parts),
        }
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

impl Serialize for RequestContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}
