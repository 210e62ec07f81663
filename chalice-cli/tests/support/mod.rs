//! What the deploy tests share: the SDK pointed at moto, a call log, the examples built for
//! Lambda once per test binary, and per-test project directories. No test can reach real AWS:
//! every client is given the emulator's endpoint explicitly.
#![allow(dead_code)] // each test binary uses a part of it

pub mod http_app;
pub mod inventory;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use chalice_cli::bundle::{self, Bundle};
use chalice_cli::config::Architecture;
use chalice_cli::deploy::{self, Aws, record::Record};
use chalice_cli::project::Project;
use serde_json::Value;

pub const REGION: &str = "us-west-2";
pub const ACCOUNT: &str = "123456789012";

/// The AWS emulator every test of this binary uses: the moto `CHALICE_RS_TEST_AWS_ENDPOINT`
/// names (`scripts/test` starts one for the whole run), else one started for this test process.
pub fn endpoint() -> String {
    chalice_testkit::moto::Moto::shared().to_owned()
}

pub async fn sdk_config() -> SdkConfig {
    sdk_config_at(&endpoint()).await
}

/// The SDK pointed at `endpoint`, with one retry after a short backoff, so that a failing call
/// is retried as in production but costs milliseconds.
pub async fn sdk_config_at(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(std::time::Duration::from_millis(10)),
        )
        .load()
        .await
}

/// Records the name of every AWS operation called.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<String>>>);

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    // Client interceptors run before the operation's config (which names it) is applied, so
    // read it at the first hook after that.
    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.0.lock().unwrap().push(metadata.name().to_owned());
        }
        Ok(())
    }
}

impl CallLog {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// The calls that change something (everything but reads).
    pub fn mutating(calls: &[String]) -> Vec<String> {
        calls
            .iter()
            .filter(|c| {
                !["Get", "List", "Describe"]
                    .iter()
                    .any(|read| c.starts_with(read))
            })
            .cloned()
            .collect()
    }
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Each example is built for Lambda once per test binary.
pub fn bundle_of(example: &str) -> Bundle {
    static BUNDLES: OnceLock<Mutex<Vec<(String, Bundle)>>> = OnceLock::new();
    let bundles = BUNDLES.get_or_init(|| Mutex::new(Vec::new()));
    let mut bundles = bundles.lock().unwrap();
    if let Some((_, bundle)) = bundles.iter().find(|(name, _)| name == example) {
        return bundle.clone();
    }
    let project = Project::open(&workspace().join("examples").join(example)).unwrap();
    let bundle = bundle::build(&project, Architecture::X86_64).unwrap();
    bundles.push((example.to_owned(), bundle.clone()));
    bundle
}

/// A project directory for one test: the example's config with its `dev` stage renamed to
/// `stage` (so tests running at once never share resources), and its own deployed records.
pub struct TestProject {
    pub dir: PathBuf,
}

impl TestProject {
    pub fn new(example: &str, stages: &[&str]) -> TestProject {
        let config_path = workspace()
            .join("examples")
            .join(example)
            .join(".chalice/config.json");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(config_path).unwrap()).unwrap();
        let dev = config["stages"]["dev"].clone();
        let mut renamed = serde_json::Map::new();
        for stage in stages {
            renamed.insert((*stage).to_owned(), dev.clone());
        }
        config["stages"] = Value::Object(renamed);
        TestProject::with_config(&stages.join("-"), &config.to_string())
    }

    /// A project directory named after `name` whose config file holds `config`, as written.
    pub fn with_config(name: &str, config: &str) -> TestProject {
        let dir =
            std::env::temp_dir().join(format!("chalice-rs-deploy-{}-{name}", std::process::id(),));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".chalice")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"fixture\"\n").unwrap();
        std::fs::write(dir.join(".chalice/config.json"), config).unwrap();
        TestProject { dir }
    }

    pub fn project(&self) -> Project {
        Project::open(&self.dir).unwrap()
    }

    /// Removes what an earlier, interrupted run against the same emulator left of these stages.
    pub async fn clean(&self, clients: &Clients, stages: &[&str]) {
        for stage in stages {
            deploy::delete(&self.project(), stage, &clients.aws, &mut |_| {})
                .await
                .unwrap();
        }
        clients.calls.take();
    }

    /// Sets keys of `stage` in the project's config (a `null` removes the key).
    pub fn configure(&self, stage: &str, settings: &Value) {
        let path = self.dir.join(".chalice/config.json");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let scope = config["stages"][stage].as_object_mut().unwrap();
        for (key, value) in settings.as_object().unwrap() {
            if value.is_null() {
                scope.remove(key);
            } else {
                scope.insert(key.clone(), value.clone());
            }
        }
        std::fs::write(&path, config.to_string()).unwrap();
    }

    pub fn record(&self, stage: &str) -> Record {
        Record::load(&deploy::record::path(&self.dir, stage)).unwrap()
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Clients {
    /// The deployer's clients (through a fault proxy in the fault tests).
    pub aws: Aws,
    /// The operations the deployer called.
    pub calls: CallLog,
    /// Clients that inspect moto directly.
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub apigateway: aws_sdk_apigateway::Client,
    pub apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

pub async fn clients() -> Clients {
    clients_via(&endpoint()).await
}

/// The deployer's clients talk to `deployer_endpoint`; the inspecting ones to moto itself.
pub async fn clients_via(deployer_endpoint: &str) -> Clients {
    let config = sdk_config_at(deployer_endpoint).await;
    let direct = sdk_config().await;
    let calls = CallLog::default();
    let aws = Aws::with_interceptor(&config, Some(SharedInterceptor::new(calls.clone()))).unwrap();
    Clients {
        aws,
        calls,
        lambda: aws_sdk_lambda::Client::new(&direct),
        iam: aws_sdk_iam::Client::new(&direct),
        apigateway: aws_sdk_apigateway::Client::new(&direct),
        apigatewayv2: aws_sdk_apigatewayv2::Client::new(&direct),
        logs: aws_sdk_cloudwatchlogs::Client::new(&direct),
    }
}

/// Deploys `bundle` to `stage`; the error as its message.
pub async fn deploy_via(
    project: &TestProject,
    stage: &str,
    clients: &Clients,
    bundle: &Bundle,
) -> Result<deploy::DeployReport, String> {
    deploy::deploy_bundle(
        &project.project(),
        stage,
        &clients.aws,
        bundle,
        false,
        &mut |_| {},
    )
    .await
    .map_err(|e| e.to_string())
}

/// Deploys `bundle` to `stage`, which must succeed.
pub async fn deploy(
    project: &TestProject,
    stage: &str,
    clients: &Clients,
    bundle: &Bundle,
) -> deploy::DeployReport {
    deploy_via(project, stage, clients, bundle).await.unwrap()
}

/// Deletes `stage`; the error as its message.
pub async fn delete_via(
    project: &TestProject,
    stage: &str,
    clients: &Clients,
) -> Result<(), String> {
    deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}
