//! Which of API Gateway's two products serves the app: a REST API (v1, Chalice's) or an HTTP
//! API (v2). The app chooses it in code, so its manifest, the test client, the local server,
//! the Lambda dispatch and the deployer all read the same answer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The API Gateway product an app is served by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKind {
    /// A REST API (API Gateway v1): payload format 1.0, TOKEN/REQUEST, Cognito and IAM
    /// authorizers. Chalice's only kind, and the default.
    #[default]
    Rest,
    /// An HTTP API (API Gateway v2): payload format 2.0, JWT, Lambda (2.0) and IAM
    /// authorizers.
    Http,
}

impl ApiKind {
    /// How API Gateway's documentation names it.
    pub const fn display_name(self) -> &'static str {
        match self {
            ApiKind::Rest => "REST API",
            ApiKind::Http => "HTTP API",
        }
    }
}

impl fmt::Display for ApiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    #[test]
    fn a_manifest_without_a_kind_is_a_rest_apis() {
        let manifest: Manifest = serde_json::from_str(
            r#"{"manifest_version": 1, "app_name": "old", "routes": [], "authorizers": []}"#,
        )
        .unwrap();
        assert_eq!(manifest.api_kind, ApiKind::Rest);
        let http: ApiKind = serde_json::from_str(r#""http""#).unwrap();
        assert_eq!(
            (http, http.to_string()),
            (ApiKind::Http, "HTTP API".to_owned())
        );
    }
}
