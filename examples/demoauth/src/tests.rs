use chalice_runtime::gateway::AuthDecision;
use chalice_runtime::manifest::ManifestAuthorizer;
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthRequest};
use serde_json::json;

use super::demo_auth;

fn client() -> Client {
    Client::new(App::new("demoauth1"))
}

#[tokio::test]
async fn allow_token_reaches_the_view_with_the_authorizer_context() {
    let response = client()
        .get("/")
        .header("Authorization", "allow")
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let context = &response.json()["context"];
    assert_eq!(context["authorizer"]["principalId"], "user");
    assert_eq!(context["resourcePath"], "/");
    assert_eq!(context["httpMethod"], "GET");
    assert_eq!(context["stage"], "api");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
}

#[tokio::test]
async fn any_other_token_is_forbidden() {
    let response = client()
        .get("/")
        .header("Authorization", "deny")
        .send()
        .await;
    assert_eq!(response.status, 403);
    assert_eq!(
        response.text(),
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
    assert_eq!(response.decision, AuthDecision::Denied);
}

#[tokio::test]
async fn no_token_is_unauthorized_without_running_the_authorizer() {
    let response = client().get("/").send().await;
    assert_eq!(response.status, 401);
    assert_eq!(response.text(), r#"{"message":"Unauthorized"}"#);
    assert_eq!(
        response.header("x-amzn-ErrorType"),
        Some("UnauthorizedException")
    );
}

#[tokio::test]
async fn unknown_paths_are_missing_authentication_token() {
    let response = client().get("/nope").send().await;
    assert_eq!(response.status, 403);
    assert_eq!(
        response.text(),
        r#"{"message":"Missing Authentication Token"}"#
    );
}

#[tokio::test]
async fn the_authorizer_can_be_called_directly() {
    let policy = client()
        .authorizer("demo_auth")
        .token("allow")
        .method_arn("arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/GET/")
        .invoke()
        .await
        .unwrap();
    assert_eq!(
        policy,
        json!({"context": {}, "principalId": "user", "policyDocument": {"Version": "2012-10-17",
               "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow",
                              "Resource": ["arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/*/"]}]}})
    );
    let denied = demo_auth
        .call(AuthRequest::new(
            "TOKEN",
            "nope",
            "arn:aws:execute-api:us-west-2:1:id/api/GET/",
        ))
        .await
        .unwrap()
        .into_value();
    assert_eq!(
        denied["policyDocument"]["Statement"][0]["Resource"],
        json!([])
    );
}

#[test]
fn manifest_lists_the_route_and_the_authorizer() {
    let manifest = App::new("demoauth1").manifest().unwrap();
    assert_eq!(manifest.app_name, "demoauth1");
    assert_eq!(manifest.routes.len(), 1);
    let route = &manifest.routes[0];
    assert_eq!(
        (route.path.as_str(), route.methods.as_slice()),
        ("/", &["GET".to_owned()][..])
    );
    assert_eq!(route.authorizer.as_deref(), Some("demo_auth"));
    assert_eq!(
        manifest.authorizers,
        [ManifestAuthorizer::Builtin {
            name: "demo_auth".into(),
            function: "demo_auth".into(),
            auth_type: "TOKEN".into(),
            header: "Authorization".into(),
            ttl_seconds: None,
            execution_role: None,
            identity_sources: vec![],
            simple_responses: false,
        }]
    );
}
