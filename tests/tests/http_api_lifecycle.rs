//! The HTTP API example deployed by the real `chalice-rs` binary to moto: every part of the API
//! (its authorizers, routes, integration, stage, tags) and the invoke permissions read back
//! through the SDK, a redeploy without change making no mutating AWS call, `url`, and a
//! `delete` that leaves no API, function or role behind.
//!
//! The app is examples/http-api's code and config in a directory of its own, with the `dev`
//! stage renamed, so its deployed records and its AWS resources are this test's alone.

// The call-counting proxy chalice-cli's deploy tests put in front of moto; this test counts
// calls with it and injects no faults.
#[allow(dead_code)]
#[path = "../../chalice-cli/tests/support/proxy.rs"]
mod proxy;

use std::collections::BTreeMap;
use std::path::Path;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_apigatewayv2::types::{AuthorizationType, AuthorizerType, IntegrationType};
use aws_sdk_lambda::config::Credentials;
use chalice_rs_tests::cli::{REGION, chalice_rs_on, succeed};
use chalice_rs_tests::copy::{ExampleCopy, record};
use chalice_testkit::moto::Moto;
use proxy::{Call, Proxy};
use serde_json::Value;

const STAGE: &str = "hlifecycle";
const APP: &str = "httpapi1";
/// moto's account.
const ACCOUNT: &str = "123456789012";

/// Clients that read moto directly, not through the proxy.
struct Clients {
    lambda: aws_sdk_lambda::Client,
    v2: aws_sdk_apigatewayv2::Client,
    iam: aws_sdk_iam::Client,
}

impl Clients {
    async fn of(endpoint: &str) -> Clients {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await;
        Clients {
            lambda: aws_sdk_lambda::Client::new(&config),
            v2: aws_sdk_apigatewayv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_api_example_deploys_reads_back_redeploys_unchanged_and_deletes() {
    let project = ExampleCopy::new(
        "http-api",
        "httpapi-lifecycle",
        &["src/lib.rs", "src/main.rs", ".chalice/jwks.json"],
        STAGE,
    );
    let dir = project.dir();
    let endpoint = Moto::shared();
    let proxy = Proxy::start(endpoint);
    let clients = Clients::of(endpoint).await;

    let api_id = deploys(dir, &proxy);
    reads_back(&clients, dir, &api_id).await;
    redeploys_without_a_mutating_call(dir, &proxy);
    deletes_everything(dir, &proxy, &clients, &api_id).await;
}

/// `chalice-rs deploy`, then `chalice-rs url`: the HTTP API's id, which the URL, deploy's
/// report and the deployed record agree on.
fn deploys(dir: &Path, proxy: &Proxy) -> String {
    let deployed = succeed(chalice_rs_on(dir, &proxy.url).args(["deploy", "--stage", STAGE]));
    let stdout = String::from_utf8_lossy(&deployed.stdout);
    for function in [handler(), gate()] {
        assert!(
            stdout.contains(&format!(
                "Lambda ARN: arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
            )),
            "{stdout}"
        );
    }
    let url = succeed(chalice_rs_on(dir, &proxy.url).args(["url", "--stage", STAGE]));
    let url = String::from_utf8_lossy(&url.stdout).trim().to_owned();
    let api_id = url
        .strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix(&format!(".execute-api.{REGION}.amazonaws.com/api/")))
        .unwrap_or_else(|| panic!("unexpected URL {url:?}"))
        .to_owned();
    assert!(
        stdout.contains(&format!("HTTP API URL: {url}")),
        "deploy printed another URL: {stdout}"
    );
    assert_eq!(http_api_record(dir)["http_api_id"], api_id.as_str());
    api_id
}

/// Everything the deploy made, read from moto.
async fn reads_back(clients: &Clients, dir: &Path, api_id: &str) {
    for function in [handler(), gate()] {
        let got = clients
            .lambda
            .get_function()
            .function_name(&function)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{function} was not deployed: {e:?}"));
        assert!(got.configuration().unwrap().code_size() > 0, "{got:?}");
    }
    let api = clients.v2.get_api().api_id(api_id).send().await.unwrap();
    assert_eq!(api.name(), Some(APP));
    assert_eq!(api.protocol_type().map(|p| p.as_str()), Some("HTTP"));
    assert_eq!(
        api.tags().cloned().unwrap_or_default(),
        std::collections::HashMap::from([
            ("chalice-rs:app".to_owned(), APP.to_owned()),
            ("chalice-rs:stage".to_owned(), STAGE.to_owned()),
        ])
    );

    let authorizer_ids = &http_api_record(dir)["authorizers"];
    let id_of = |name: &str| {
        authorizer_ids[name]
            .as_str()
            .unwrap_or_else(|| panic!("no id of authorizer {name} in {authorizer_ids}"))
            .to_owned()
    };
    let (jwt_id, gate_id) = (id_of("jwt"), id_of("gate"));
    reads_back_the_authorizers(clients, api_id, &jwt_id, &gate_id).await;

    let integrations = clients
        .v2
        .get_integrations()
        .api_id(api_id)
        .send()
        .await
        .unwrap();
    let [integration] = integrations.items() else {
        panic!("expected one integration: {integrations:?}");
    };
    assert_eq!(
        integration.integration_type(),
        Some(&IntegrationType::AwsProxy)
    );
    assert_eq!(integration.payload_format_version(), Some("2.0"));
    assert_eq!(
        integration.integration_uri(),
        Some(invocation_uri(&handler()).as_str())
    );
    let target = format!("integrations/{}", integration.integration_id().unwrap());

    let routes = clients.v2.get_routes().api_id(api_id).send().await.unwrap();
    let found: BTreeMap<&str, (&str, Option<&str>, Vec<&str>)> = routes
        .items()
        .iter()
        .map(|route| {
            assert_eq!(route.target(), Some(target.as_str()), "{route:?}");
            (
                route.route_key().unwrap_or_default(),
                (
                    route
                        .authorization_type()
                        .map_or("", AuthorizationType::as_str),
                    route.authorizer_id(),
                    route
                        .authorization_scopes()
                        .iter()
                        .map(String::as_str)
                        .collect(),
                ),
            )
        })
        .collect();
    let expected = BTreeMap::from([
        ("GET /admin", ("AWS_IAM", None, vec![])),
        ("GET /health", ("NONE", None, vec![])),
        (
            "GET /orders/{id}",
            ("JWT", Some(jwt_id.as_str()), vec!["orders/read"]),
        ),
        (
            "POST /orders",
            ("JWT", Some(jwt_id.as_str()), vec!["orders/write"]),
        ),
        ("GET /profile", ("CUSTOM", Some(gate_id.as_str()), vec![])),
    ]);
    assert_eq!(found, expected);

    let stages = clients.v2.get_stages().api_id(api_id).send().await.unwrap();
    let [stage] = stages.items() else {
        panic!("expected one stage: {stages:?}");
    };
    assert_eq!(stage.stage_name(), Some("api"));
    assert_eq!(stage.auto_deploy(), Some(true));

    // The handler may be invoked by the API's routes (`<stage>/<METHOD>/<path>`) only, the
    // gate function by the gate authorizer only.
    let execute = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}");
    assert_eq!(
        granted(clients, &handler()).await,
        [format!("{execute}/*/*/*")]
    );
    assert_eq!(
        granted(clients, &gate()).await,
        [format!("{execute}/authorizers/{gate_id}")]
    );
}

/// `jwt`, a JWT authorizer of the example's issuer and audience; `gate`, a payload 2.0 Lambda
/// authorizer with simple responses calling the gate function.
async fn reads_back_the_authorizers(clients: &Clients, api_id: &str, jwt_id: &str, gate_id: &str) {
    let authorizer = |id: &str| {
        clients
            .v2
            .get_authorizer()
            .api_id(api_id)
            .authorizer_id(id)
            .send()
    };
    let jwt = authorizer(jwt_id).await.unwrap();
    assert_eq!(jwt.name(), Some("jwt"));
    assert_eq!(jwt.authorizer_type(), Some(&AuthorizerType::Jwt));
    assert_eq!(jwt.identity_source(), ["$request.header.Authorization"]);
    let configuration = jwt.jwt_configuration().expect("a JWT configuration");
    assert_eq!(configuration.issuer(), Some("https://issuer.example.com"));
    assert_eq!(configuration.audience(), ["orders-api"]);

    let gate = authorizer(gate_id).await.unwrap();
    assert_eq!(gate.name(), Some("gate"));
    assert_eq!(gate.authorizer_type(), Some(&AuthorizerType::Request));
    assert_eq!(gate.identity_source(), ["$request.header.X-Token"]);
    assert_eq!(gate.authorizer_payload_format_version(), Some("2.0"));
    assert_eq!(gate.enable_simple_responses(), Some(true));
    assert_eq!(
        gate.authorizer_uri(),
        Some(invocation_uri(&self::gate()).as_str())
    );
}

/// A second `chalice-rs deploy` of the unchanged app reads AWS and changes nothing.
fn redeploys_without_a_mutating_call(dir: &Path, proxy: &Proxy) {
    proxy.reset();
    succeed(chalice_rs_on(dir, &proxy.url).args(["deploy", "--stage", STAGE]));
    let calls = proxy.calls();
    assert!(!calls.is_empty(), "the redeploy read nothing");
    let mutating: Vec<String> = calls
        .iter()
        .filter(|call| call.is_mutating())
        .map(Call::to_string)
        .collect();
    assert_eq!(mutating, Vec::<String>::new(), "{calls:#?}");
}

/// `chalice-rs delete`: no function, API or role of the stage is left in moto, nor anything in
/// the project's record.
async fn deletes_everything(dir: &Path, proxy: &Proxy, clients: &Clients, api_id: &str) {
    let roles_before = roles(clients).await;
    assert!(roles_before.contains(&handler()), "{roles_before:?}");
    succeed(chalice_rs_on(dir, &proxy.url).args(["delete", "--stage", STAGE]));
    for function in [handler(), gate()] {
        let error = clients
            .lambda
            .get_function()
            .function_name(&function)
            .send()
            .await
            .expect_err("deleted");
        assert!(
            error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()),
            "{function}: {error:?}"
        );
    }
    let apis = clients
        .v2
        .get_apis()
        .max_results("500")
        .send()
        .await
        .unwrap();
    let left: Vec<_> = apis
        .items()
        .iter()
        .filter(|api| {
            api.api_id() == Some(api_id)
                || api
                    .tags()
                    .and_then(|tags| tags.get("chalice-rs:stage"))
                    .is_some_and(|stage| stage == STAGE)
        })
        .collect();
    assert!(left.is_empty(), "HTTP APIs left: {left:?}");
    assert_eq!(roles(clients).await, Vec::<String>::new(), "roles left");
    let recorded = record(dir, STAGE);
    assert_eq!(recorded["resources"], serde_json::json!([]), "{recorded:#}");
}

/// The API handler's function name.
fn handler() -> String {
    format!("{APP}-{STAGE}")
}

/// The gate authorizer's function name.
fn gate() -> String {
    format!("{APP}-{STAGE}-gate")
}

/// The URI API Gateway invokes `function` by.
fn invocation_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}/invocations"
    )
}

/// The source ARNs from which API Gateway may invoke `function`, sorted.
async fn granted(clients: &Clients, function: &str) -> Vec<String> {
    let policy = clients
        .lambda
        .get_policy()
        .function_name(function)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{function} has no policy: {e:?}"));
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let mut sources: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Principal"]["Service"] == "apigateway.amazonaws.com")
        .map(|s| {
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .unwrap_or_else(|| panic!("a grant without a source ARN: {s}"))
                .to_owned()
        })
        .collect();
    sources.sort();
    sources
}

/// The IAM roles of the stage (named `<app>-<stage>...`), sorted.
async fn roles(clients: &Clients) -> Vec<String> {
    let prefix = handler();
    let page = clients
        .iam
        .list_roles()
        .max_items(1000)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = page
        .roles()
        .iter()
        .map(|role| role.role_name().to_owned())
        .filter(|name| *name == prefix || name.starts_with(&format!("{prefix}-")))
        .collect();
    names.sort();
    names
}

/// The HTTP API's entry in the stage's deployed record.
fn http_api_record(dir: &Path) -> Value {
    let recorded = record(dir, STAGE);
    recorded["resources"]
        .as_array()
        .and_then(|resources| {
            resources
                .iter()
                .find(|resource| resource["name"] == "http_api")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no HTTP API in the record: {recorded:#}"))
}
