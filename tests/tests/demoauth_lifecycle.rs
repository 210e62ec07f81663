//! The demo app through the whole path: built with the macros, served by `chalice-rs local`
//! and answered over real HTTP as API Gateway would, packaged, deployed to moto, read back
//! from moto, and deleted.
//!
//! The app is examples/demoauth's code and config in a directory of its own, with the `dev`
//! stage renamed, so its deployed records and its AWS resources are this test's alone.

use std::path::Path;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_lambda::config::Credentials;
use chalice_rs_tests::cli::{REGION, chalice_rs, chalice_rs_on, succeed};
use chalice_rs_tests::copy::{ExampleCopy, record};
use chalice_rs_tests::local::Served;
use chalice_testkit::moto::Moto;
use serde_json::Value;

const STAGE: &str = "lifecycle";
const APP: &str = "demoauth1";

/// Clients that read moto directly.
async fn moto_clients(endpoint: &str) -> (aws_sdk_lambda::Client, aws_sdk_apigateway::Client) {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await;
    (
        aws_sdk_lambda::Client::new(&config),
        aws_sdk_apigateway::Client::new(&config),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_app_is_served_packaged_deployed_read_back_and_deleted() {
    let project = ExampleCopy::new(
        "demoauth",
        "demoauth-lifecycle",
        &["src/main.rs", "src/tests.rs"],
        STAGE,
    );
    let dir = project.dir();
    answers_as_api_gateway_would(dir).await;
    packages_the_authorizer_in_front_of_the_view(dir);
    let endpoint = Moto::shared();
    let api_id = deploys(dir, endpoint);
    let (lambda, apigateway) = moto_clients(endpoint).await;
    reads_back(&lambda, &apigateway, &api_id).await;
    deletes_everything(dir, endpoint, &lambda, &apigateway, &api_id).await;
}

/// `chalice-rs local`: API Gateway's answers for a token allowed, denied, and missing.
async fn answers_as_api_gateway_would(dir: &Path) {
    let served = Served::start(dir, &["--stage", STAGE]);
    served.assert_answers_as_the_demo_app().await;
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log:#?}");
}

/// `chalice-rs package`: a SAM template whose API puts the authorizer in front of the view.
fn packages_the_authorizer_in_front_of_the_view(dir: &Path) {
    let out = dir.join("packaged");
    succeed(
        chalice_rs(dir)
            .args(["package", "--stage", STAGE])
            .arg(&out),
    );
    let sam: Value = serde_json::from_slice(&std::fs::read(out.join("sam.json")).unwrap()).unwrap();
    let resources = &sam["Resources"];
    assert_eq!(resources["APIHandler"]["Type"], "AWS::Serverless::Function");
    assert_eq!(resources["DemoAuth"]["Type"], "AWS::Serverless::Function");
    let definition = &resources["RestAPI"]["Properties"]["DefinitionBody"];
    assert_eq!(
        definition["paths"]["/"]["get"]["security"],
        serde_json::json!([{ "demo_auth": [] }])
    );
    assert!(
        definition["securityDefinitions"]["demo_auth"].is_object(),
        "{definition:#}"
    );
    let zip = std::fs::read(out.join("deployment.zip")).unwrap();
    assert_eq!(&zip[..2], b"PK");
}

/// `chalice-rs deploy` to moto, then `chalice-rs url`; the Rest API's id, which the URL and the
/// deployed record agree on.
fn deploys(dir: &Path, endpoint: &str) -> String {
    let (handler, _) = functions();
    let deployed = succeed(chalice_rs_on(dir, endpoint).args(["deploy", "--stage", STAGE]));
    let stdout = String::from_utf8_lossy(&deployed.stdout);
    assert!(
        stdout.contains(&format!(
            "Lambda ARN: arn:aws:lambda:{REGION}:123456789012:function:{handler}"
        )),
        "{stdout}"
    );

    let url = succeed(chalice_rs_on(dir, endpoint).args(["url", "--stage", STAGE]));
    let url = String::from_utf8_lossy(&url.stdout).trim().to_owned();
    let api_id = url
        .strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix(&format!(".execute-api.{REGION}.amazonaws.com/api/")))
        .unwrap_or_else(|| panic!("unexpected URL {url:?}"))
        .to_owned();
    assert!(
        stdout.contains(&url),
        "deploy printed another URL: {stdout}"
    );
    let recorded = record(dir, STAGE);
    let recorded_api = recorded["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|resource| resource["name"] == "rest_api")
        .unwrap_or_else(|| panic!("no Rest API in the record: {recorded:#}"));
    assert_eq!(recorded_api["rest_api_id"], api_id.as_str());
    api_id
}

/// The functions, and a Rest API whose `/` runs the authorizer function before the view.
async fn reads_back(
    lambda: &aws_sdk_lambda::Client,
    apigateway: &aws_sdk_apigateway::Client,
    api_id: &str,
) {
    let (handler, authorizer) = functions();
    for function in [&handler, &authorizer] {
        let got = lambda
            .get_function()
            .function_name(function)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{function} was not deployed: {e:?}"));
        let configuration = got.configuration().unwrap();
        assert_eq!(configuration.function_name(), Some(function.as_str()));
        assert!(configuration.code_size() > 0, "{configuration:?}");
    }
    let authorizers = apigateway
        .get_authorizers()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    let [demo_auth] = authorizers.items() else {
        panic!("expected one authorizer: {authorizers:?}");
    };
    assert_eq!(demo_auth.name(), Some("demo_auth"));
    assert_eq!(
        demo_auth.r#type().map(|t| t.as_str()),
        Some("TOKEN"),
        "{demo_auth:?}"
    );
    assert!(
        demo_auth
            .authorizer_uri()
            .is_some_and(|uri| uri.contains(&format!(":function:{authorizer}/invocations"))),
        "{demo_auth:?}"
    );
    let resources = apigateway
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let root = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .expect("the Rest API has `/`");
    let get = root
        .resource_methods()
        .and_then(|methods| methods.get("GET"))
        .expect("`/` has GET");
    assert_eq!(get.authorization_type(), Some("CUSTOM"));
    assert_eq!(get.authorizer_id(), demo_auth.id());
}

/// `chalice-rs delete`: nothing of the stage is left, in moto or in the project's record.
async fn deletes_everything(
    dir: &Path,
    endpoint: &str,
    lambda: &aws_sdk_lambda::Client,
    apigateway: &aws_sdk_apigateway::Client,
    api_id: &str,
) {
    let (handler, authorizer) = functions();
    let deleted = succeed(chalice_rs_on(dir, endpoint).args(["delete", "--stage", STAGE]));
    let stderr = String::from_utf8_lossy(&deleted.stderr);
    assert!(
        stderr.contains(&format!("Deleting IAM role: {handler}")),
        "{stderr}"
    );
    for function in [&handler, &authorizer] {
        let error = lambda
            .get_function()
            .function_name(function)
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
    let apis = apigateway.get_rest_apis().limit(500).send().await.unwrap();
    assert!(
        apis.items().iter().all(|api| api.id() != Some(api_id)),
        "Rest API {api_id} is left"
    );
    let recorded = record(dir, STAGE);
    assert_eq!(recorded["resources"], serde_json::json!([]), "{recorded:#}");
}

/// The names of the view's and the authorizer's functions.
fn functions() -> (String, String) {
    (format!("{APP}-{STAGE}"), format!("{APP}-{STAGE}-demo_auth"))
}
