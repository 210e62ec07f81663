use std::path::Path;

use chalice_runtime::manifest::ManifestAuthorizer;

use super::*;
use crate::config::Config;
use crate::test_support::{authorized, httpapi1, manifest, route};

fn settings(config: &str) -> Result<HttpSettings> {
    let config = Config::parse(config, Path::new("config.json")).unwrap();
    HttpSettings::for_stage(&config.stage("dev").unwrap(), "httpapi1")
}

fn dev() -> HttpSettings {
    settings(r#"{"app_name": "httpapi1", "stages": {"dev": {}}}"#).unwrap()
}

fn http(routes: Vec<ManifestRoute>, authorizers: Vec<ManifestAuthorizer>) -> Result<HttpApi> {
    let manifest = Manifest {
        api_kind: chalice_runtime::ApiKind::Http,
        ..manifest("app", routes, authorizers)
    };
    HttpApi::new(&manifest, dev())
}

#[test]
fn the_examples_routes_are_route_keys_authorized_as_their_authorizers_say() {
    let api = HttpApi::new(&httpapi1(), dev()).unwrap();
    let seen: Vec<_> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.route_key(),
                r.authorization_type.as_str(),
                r.gateway_authorizer(),
                r.authorization_scopes().to_vec(),
                r.resource_name.as_str(),
            )
        })
        .collect();
    let scope = |s: &str| vec![s.to_owned()];
    assert_eq!(
        seen,
        [
            (
                "GET /admin".to_owned(),
                "AWS_IAM",
                None,
                vec![],
                "get_admin"
            ),
            ("GET /health".to_owned(), "NONE", None, vec![], "get_health"),
            (
                "POST /orders".to_owned(),
                "JWT",
                Some("jwt"),
                scope("orders/write"),
                "post_orders"
            ),
            (
                "GET /orders/{id}".to_owned(),
                "JWT",
                Some("jwt"),
                scope("orders/read"),
                "get_orders_id"
            ),
            (
                "GET /profile".to_owned(),
                "CUSTOM",
                Some("gate"),
                vec![],
                "get_profile"
            ),
        ]
    );
    assert_eq!(api.routes[3].path_params, ["id"]);
    assert_eq!(api.routes[0].authorizer.as_deref(), Some("sigv4"));
    let held: Vec<&str> = api.gateway_authorizers().map(|a| a.name.as_str()).collect();
    assert_eq!(held, ["gate", "jwt"]);
    assert_eq!(api.name, "httpapi1");
    assert_eq!(api.cors, None);
    assert_eq!(api.stage_path(), "/api/");
}

#[test]
fn invoke_permissions_are_scoped_to_any_route_or_to_the_authorizer() {
    let api = HttpApi::new(&httpapi1(), dev()).unwrap();
    assert_eq!(api.invoke_scope(API_HANDLER), Some(InvokeScope::AnyRoute));
    assert_eq!(
        api.invoke_scope("gate"),
        Some(InvokeScope::Authorizer("gate".into()))
    );
    assert_eq!(api.invoke_scope("jwt"), None);
    let arn = execution_arn("aws", "us-west-2", "123456789012", "a1b2");
    assert_eq!(arn, "arn:aws:execute-api:us-west-2:123456789012:a1b2");
    assert_eq!(
        InvokeScope::AnyRoute.source_arn(&arn, |_| unreachable!()),
        "arn:aws:execute-api:us-west-2:123456789012:a1b2/*/*/*"
    );
    assert_eq!(
        InvokeScope::Authorizer("gate".into()).source_arn(&arn, |name| format!("id-{name}")),
        "arn:aws:execute-api:us-west-2:123456789012:a1b2/authorizers/id-gate"
    );
    let targets: Vec<&Target> = api.authorizer_targets().collect();
    assert_eq!(targets, [&Target::Function("gate".into())]);
}

#[test]
fn settings_are_the_stage_name_variables_and_tags() {
    let settings = settings(
        r#"{"app_name": "httpapi1", "tags": {"team": "orders"}, "stages": {"dev": {
            "api_gateway_stage": "v2", "api_gateway_endpoint_type": "REGIONAL",
            "stage_variables": {"tier": "gold"}}}}"#,
    )
    .unwrap();
    assert_eq!(settings.stage_name, "v2");
    assert_eq!(settings.stage_variables["tier"], "gold");
    assert_eq!(
        settings.tags,
        BTreeMap::from([
            ("chalice-rs:app".to_owned(), "httpapi1".to_owned()),
            ("chalice-rs:stage".to_owned(), "dev".to_owned()),
            ("team".to_owned(), "orders".to_owned()),
        ])
    );
    assert_eq!(dev().stage_name, "api");
}

#[test]
fn rest_only_settings_are_errors_naming_the_key() {
    for (stage, key) in [
        (
            r#"{"api_gateway_endpoint_type": "EDGE"}"#,
            "api_gateway_endpoint_type",
        ),
        (
            r#"{"api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": "vpce-1"}"#,
            "api_gateway_endpoint_type",
        ),
        (
            r#"{"api_gateway_policy_file": "policy.json"}"#,
            "api_gateway_policy_file",
        ),
        (
            r#"{"minimum_compression_size": 100}"#,
            "minimum_compression_size",
        ),
        (r#"{"api_keys": ["k"]}"#, "api_keys"),
    ] {
        let error = settings(&format!(
            r#"{{"app_name": "httpapi1", "stages": {{"dev": {stage}}}}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("config.json: stage `dev`: ")
                && error.contains(&format!(
                    "`{key}` is a REST API setting, but the app is an HTTP API"
                )),
            "{error}"
        );
    }
}

#[test]
fn api_keys_on_a_route_or_two_views_for_a_route_key_are_errors() {
    let keyed = ManifestRoute {
        api_key_required: true,
        ..route("/x", &["GET"])
    };
    let error = http(vec![keyed], vec![]).unwrap_err().to_string();
    assert!(
        error.starts_with("route GET /x (view `view`) sets `api_key_required`"),
        "{error}"
    );
    let error = http(vec![route("/x", &["GET"]), route("/x", &["get"])], vec![])
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "the manifest has two views for GET /x (the second is `view`)"
    );
    let error = http(vec![authorized("/x", &["GET"], "ghost", &[])], vec![])
        .unwrap_err()
        .to_string();
    assert!(error.contains("names authorizer `ghost`"), "{error}");
}

#[test]
fn a_cognito_authorizer_is_an_error_naming_its_route() {
    let pool = ManifestAuthorizer::CognitoUserPools {
        name: "pool".into(),
        provider_arns: vec![
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_X".into(),
        ],
        header: "Authorization".into(),
        scopes: Vec::new(),
    };
    let error = http(vec![authorized("/me", &["GET"], "pool", &[])], vec![pool])
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "authorizer `pool` (route GET /me, view `view`) is a Cognito user pool authorizer"
        ) && error.contains("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X"),
        "{error}"
    );
}

#[test]
fn route_resource_names_stay_unique_in_both_spellings() {
    let api = http(
        vec![
            route("/", &["GET"]),
            route("/a-b", &["GET"]),
            route("/a_b", &["GET"]),
            route("/A/b", &["GET"]),
            route("/{proxy+}", &["ANY"]),
            route("/a1", &["GET"]),
            route("/a/1", &["GET"]),
        ],
        vec![],
    )
    .unwrap();
    let names: Vec<&str> = api
        .routes
        .iter()
        .map(|r| r.resource_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "get",
            "get_a_b",
            "get_a_b_2",
            "get_a_b_3",
            "any_proxy",
            "get_a1",
            "get_a_1_2"
        ]
    );
    let camel: Vec<String> = names
        .iter()
        .map(|n| naming::cfn_resource_name(n).unwrap())
        .collect();
    let mut unique = camel.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), camel.len(), "{camel:?}");
}

#[test]
fn cors_is_one_configuration_for_the_api() {
    let cors = |path: &str, methods: &[&str]| ManifestRoute {
        cors: Some(chalice_runtime::cors::CorsSettings::default()),
        ..route(path, methods)
    };
    let api = http(
        vec![
            cors("/a", &["PUT"]),
            cors("/b", &["GET", "PUT"]),
            route("/c", &["DELETE"]),
        ],
        vec![],
    )
    .unwrap();
    assert_eq!(
        api.cors,
        Some(Cors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["GET".into(), "PUT".into(), "OPTIONS".into()],
            allow_headers: chalice_runtime::cors::ALLOW_HEADERS
                .split(',')
                .map(str::to_owned)
                .collect(),
            expose_headers: Vec::new(),
            max_age: None,
            allow_credentials: false,
        })
    );
}

#[test]
fn a_full_cors_config_sets_every_field_and_differing_ones_are_an_error() {
    let full = chalice_runtime::CorsConfig::new("https://app.example")
        .allow_headers(&["X-Special"])
        .expose_headers(&["X-Request-Id"])
        .max_age(600)
        .allow_credentials(true)
        .settings();
    let cors = |path: &str, settings: &chalice_runtime::cors::CorsSettings| ManifestRoute {
        cors: Some(settings.clone()),
        ..route(path, &["GET"])
    };
    let api = http(vec![cors("/a", &full), cors("/b", &full)], vec![]).unwrap();
    let configured = api.cors.unwrap();
    assert_eq!(configured.allow_origins, ["https://app.example"]);
    assert!(configured.allow_headers.contains(&"X-Special".to_owned()));
    assert!(
        configured
            .allow_headers
            .contains(&"Authorization".to_owned())
    );
    assert_eq!(configured.expose_headers, ["X-Request-Id"]);
    assert_eq!(configured.max_age, Some(600));
    assert!(configured.allow_credentials);
    let error = http(
        vec![
            cors("/a", &full),
            cors("/b", &chalice_runtime::cors::CorsSettings::default()),
        ],
        vec![],
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("(GET /a) and `view` (GET /b) have different CORS configurations"),
        "{error}"
    );
}

#[test]
fn a_cors_route_of_any_method_allows_every_method() {
    let api = http(
        vec![ManifestRoute {
            cors: Some(chalice_runtime::cors::CorsSettings::default()),
            ..route("/{proxy+}", &["ANY"])
        }],
        vec![],
    )
    .unwrap();
    assert_eq!(api.cors.unwrap().allow_methods, ["*"]);
}
