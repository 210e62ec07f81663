//! The real `chalice-rs` binary under faults: killed with SIGKILL at several AWS calls of a
//! deploy, racing a second deploy or delete of the same stage, given bad input, and failing
//! with credentials in its environment. AWS is moto behind a counting proxy; the binary is
//! pointed at the proxy through the standard `AWS_ENDPOINT_URL`. No test-only hook exists in
//! the binary: the proxy holds the call at which the test kills it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use support::inventory::{inventory, is_empty, normalized_record};
use support::proxy::{Fault, Proxy, failing_everything};
use support::*;

const APP: &str = "demoauth1";
const STAGE: &str = "dev";

/// The binary tests share examples/demoauth's `dev` stage: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn example_dir() -> PathBuf {
    workspace().join("examples/demoauth")
}

/// `chalice-rs` with the standard AWS settings pointing at `endpoint`.
fn cli(project_dir: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chalice-rs"));
    command
        .arg("--project-dir")
        .arg(project_dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "2")
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn succeeded(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

fn spawn(command: &mut Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The stage as moto holds it.
fn stage_inventory(runtime: &tokio::runtime::Runtime) -> Value {
    runtime.block_on(async { inventory(&clients().await, APP, STAGE).await })
}

fn record() -> Value {
    let path = chalice_cli::deploy::record::path(&example_dir(), STAGE);
    match std::fs::read_to_string(&path) {
        Ok(text) => normalized_record(&serde_json::from_str(&text).unwrap(), STAGE),
        Err(_) => json!(null),
    }
}

/// A clean deploy of the stage through `proxy`: its inventory, record and calls. The stage is
/// deleted again before returning.
fn reference(proxy: &Proxy, runtime: &tokio::runtime::Runtime) -> (Value, Value, usize) {
    succeeded(&run(&mut cli(&example_dir(), &proxy.url, &["delete"])));
    proxy.reset();
    succeeded(&run(&mut cli(&example_dir(), &proxy.url, &["deploy"])));
    let calls = proxy.calls().len();
    let clean = stage_inventory(runtime);
    assert_eq!(clean["functions"].as_object().unwrap().len(), 2, "{clean}");
    let clean_record = record();
    succeeded(&run(&mut cli(&example_dir(), &proxy.url, &["delete"])));
    assert!(is_empty(&stage_inventory(runtime)));
    proxy.reset();
    (clean, clean_record, calls)
}

#[test]
fn a_deploy_killed_at_any_call_is_finished_by_the_next_and_undone_by_delete() {
    let _serial = serial();
    let runtime = runtime();
    let proxy = Proxy::start(&endpoint());
    let (clean, clean_record, calls) = reference(&proxy, &runtime);
    let lock = chalice_cli::deploy::lock::path(&example_dir(), STAGE);
    // Six points spread over the deploy, the first and last call included.
    let points: Vec<usize> = (0..6).map(|i| 1 + i * (calls - 1) / 5).collect();
    for (i, &n) in points.iter().enumerate() {
        let held = proxy.hold_call(n);
        let mut child = spawn(&mut cli(&example_dir(), &proxy.url, &["deploy"]));
        let call = held.arrived(Duration::from_secs(600));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success());
        assert!(lock.exists(), "a killed deploy leaves its lock file");
        // The held request reaches moto after the CLI died, or never does.
        held.release(i % 2 == 0);
        proxy.reset();
        let what = format!("killed at {call} (of {calls})");
        if i % 3 != 2 {
            let next = run(&mut cli(&example_dir(), &proxy.url, &["deploy"]));
            assert!(next.status.success(), "{what}: {}", stderr(&next));
            assert_eq!(stage_inventory(&runtime), clean, "{what}");
            assert_eq!(record(), clean_record, "{what}");
        }
        let deleted = run(&mut cli(&example_dir(), &proxy.url, &["delete"]));
        assert!(deleted.status.success(), "{what}: {}", stderr(&deleted));
        let left = stage_inventory(&runtime);
        assert!(is_empty(&left), "{what}: delete left {left}");
        proxy.reset();
    }
}

#[test]
fn a_second_deploy_or_delete_of_a_running_stage_is_refused_and_harms_nothing() {
    let _serial = serial();
    let runtime = runtime();
    let proxy = Proxy::start(&endpoint());
    let (clean, clean_record, calls) = reference(&proxy, &runtime);
    let lock = chalice_cli::deploy::lock::path(&example_dir(), STAGE);
    let refused = |output: &Output, holder: u32| {
        assert!(!output.status.success());
        let expected = format!(
            "error: another deploy or delete of stage `dev` is running (process {holder}, lock {}); wait for it to finish",
            lock.display()
        );
        assert!(stderr(output).contains(&expected), "{}", stderr(output));
    };

    // A deploy holds the stage: a second deploy and a delete are refused, calling no AWS.
    let held = proxy.hold_call(calls / 2);
    let first = spawn(&mut cli(&example_dir(), &proxy.url, &["deploy"]));
    held.arrived(Duration::from_secs(600));
    let before = proxy.requests();
    refused(
        &run(&mut cli(&example_dir(), &proxy.url, &["deploy"])),
        first.id(),
    );
    refused(
        &run(&mut cli(&example_dir(), &proxy.url, &["delete"])),
        first.id(),
    );
    assert_eq!(proxy.requests(), before, "the refused commands called AWS");
    held.release(true);
    let first = first.wait_with_output().unwrap();
    succeeded(&first);
    assert_eq!(stage_inventory(&runtime), clean);
    assert_eq!(record(), clean_record);

    // A delete holds the stage: a deploy is refused.
    proxy.reset();
    let held = proxy.hold_call(3);
    let deleting = spawn(&mut cli(&example_dir(), &proxy.url, &["delete"]));
    held.arrived(Duration::from_secs(600));
    refused(
        &run(&mut cli(&example_dir(), &proxy.url, &["deploy"])),
        deleting.id(),
    );
    held.release(true);
    succeeded(&deleting.wait_with_output().unwrap());
    assert!(is_empty(&stage_inventory(&runtime)));

    // Two deploys started together: one deploys, the other is refused or finds nothing to
    // do; either way the stage is as a clean deploy leaves it.
    proxy.reset();
    let racers = [
        spawn(&mut cli(&example_dir(), &proxy.url, &["deploy"])),
        spawn(&mut cli(&example_dir(), &proxy.url, &["deploy"])),
    ];
    for racer in racers {
        let output = racer.wait_with_output().unwrap();
        let text = stderr(&output);
        assert!(
            output.status.success()
                || text.contains("another deploy or delete of stage `dev` is running"),
            "{text}"
        );
    }
    assert_eq!(stage_inventory(&runtime), clean);
    assert_eq!(record(), clean_record);

    // A lock file left by a process that is gone does not stop the next command.
    let mut gone = Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(&lock, gone_pid.to_string()).unwrap();
    succeeded(&run(&mut cli(&example_dir(), &proxy.url, &["delete"])));
    assert!(!lock.exists());
    assert!(is_empty(&stage_inventory(&runtime)));
}

/// A project directory whose config is `config`, never built (config errors come first).
fn bad_project(name: &str, config: &str) -> TestProject {
    TestProject::with_config(&format!("bad-{name}"), config)
}

#[test]
fn bad_config_is_refused_naming_file_and_key_before_any_aws_call() {
    let proxy = Proxy::start(&endpoint());
    let long_app = "a".repeat(40);
    let cases: Vec<(&str, String, &[&str], &str)> = vec![
        ("truncated", r#"{"app_name": "app", "stages": {"dev": {"#.into(), &["deploy"], "EOF while parsing"),
        ("not-json", "app_name = 'app'".into(), &["deploy"], "expected value at line 1 column 1"),
        (
            "timeout-type",
            json!({"app_name": "app", "stages": {"dev": {"lambda_timeout": "30"}}}).to_string(),
            &["deploy"],
            "key `stages.dev.lambda_timeout`: invalid type: string \"30\", expected u32",
        ),
        (
            "timeout-range",
            json!({"app_name": "app", "stages": {"dev": {"lambda_timeout": 901}}}).to_string(),
            &["deploy"],
            "key `stages.dev.lambda_timeout`: 901 seconds is out of range; Lambda allows 1 to 900",
        ),
        (
            "memory-range",
            json!({"app_name": "app", "stages": {"dev": {"lambda_functions": {"my_auth": {"lambda_memory_size": 64}}}}}).to_string(),
            &["deploy"],
            "key `stages.dev.lambda_functions.my_auth.lambda_memory_size`: 64 MB is out of range",
        ),
        (
            "negative-memory",
            json!({"app_name": "app", "lambda_memory_size": -1, "stages": {"dev": {}}}).to_string(),
            &["deploy"],
            "key `lambda_memory_size`: invalid value: integer `-1`",
        ),
        (
            "undeclared-stage-name",
            json!({"app_name": "app", "stages": {"dev": {}}}).to_string(),
            &["deploy", "--stage", "pr/od"],
            "stage `pr/od` cannot be used: a stage name is letters, digits, `-` and `_`",
        ),
        (
            "role-arn",
            json!({"app_name": "app", "stages": {"dev": {"iam_role_arn": "arn:aws:iam::1234:role/x"}}}).to_string(),
            &["deploy"],
            "function `api_handler`: `iam_role_arn` \"arn:aws:iam::1234:role/x\" is not an IAM role ARN",
        ),
        (
            "app-characters",
            json!({"app_name": "my app!", "stages": {"dev": {}}}).to_string(),
            &["deploy"],
            "key `app_name`: \"my app!\" has ' '",
        ),
        (
            "app-length",
            json!({"app_name": "a".repeat(41), "stages": {"dev": {}}}).to_string(),
            &["deploy"],
            "key `app_name`: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is 41 characters",
        ),
        (
            "derived-name-length",
            json!({"app_name": long_app, "stages": {"production-europe-west-1": {}}}).to_string(),
            &["deploy", "--stage", "production-europe-west-1"],
            "key `stages.production-europe-west-1`: stage `production-europe-west-1` of app `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` gives the Lambda function name `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-production-europe-west-1`, 65 characters; Lambda allows 64",
        ),
        (
            "derived-function-name",
            json!({"app_name": "app", "stages": {"dev": {"lambda_functions": {"auth.v2": {}}}}}).to_string(),
            &["delete"],
            "key `stages.dev.lambda_functions.auth.v2`: a function name is letters, digits, `-` and `_`",
        ),
        (
            "reserved-environment",
            json!({"app_name": "app", "stages": {"dev": {"environment_variables": {"AWS_REGION": "x"}}}}).to_string(),
            &["delete"],
            "key `stages.dev.environment_variables`: `AWS_REGION` is reserved by Lambda",
        ),
        (
            "api-stage",
            json!({"app_name": "app", "stages": {"dev": {"api_gateway_stage": "v 1"}}}).to_string(),
            &["url"],
            "key `stages.dev.api_gateway_stage`: \"v 1\" is not an API Gateway stage name",
        ),
        (
            "log-retention",
            json!({"app_name": "app", "stages": {"dev": {"log_retention_in_days": 2}}}).to_string(),
            &["deploy"],
            "key `stages.dev.log_retention_in_days`: 2 is not a retention CloudWatch Logs accepts",
        ),
        (
            "layer",
            json!({"app_name": "app", "layers": ["my-layer"], "stages": {"dev": {}}}).to_string(),
            &["deploy"],
            "key `layers`: \"my-layer\" is not a layer version ARN",
        ),
        (
            "tag-prefix",
            json!({"app_name": "app", "stages": {"dev": {"tags": {"aws:owner": "me"}}}}).to_string(),
            &["deploy"],
            "key `stages.dev.tags`: tag `aws:owner`: the `aws:` prefix is reserved by AWS",
        ),
    ];
    for (name, config, args, expected) in cases {
        let project = bad_project(name, &config);
        let output = run(&mut cli(&project.dir, &proxy.url, args));
        let text = stderr(&output);
        assert!(!output.status.success(), "{name}: {text}");
        let file = project
            .dir
            .canonicalize()
            .unwrap()
            .join(".chalice/config.json");
        assert!(text.starts_with("error: "), "{name}: {text}");
        assert!(
            text.contains(&file.display().to_string()) || text.contains(".chalice/config.json"),
            "{name}: the file is not named: {text}"
        );
        assert!(
            text.contains(expected),
            "{name}: expected {expected:?} in {text}"
        );
        assert!(!text.contains("panicked"), "{name}: {text}");
        assert_eq!(proxy.requests(), 0, "{name}: AWS was called");
    }
}

#[test]
fn errors_never_print_credentials() {
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY";
    let token = "FwoGZXIvYXdzEJr-SESSIONTOKEN-0123456789";
    let key_id = "AKIAFAKEKEYID0000001";
    let project = TestProject::new("demoauth", &["creds"]);
    for fault in [Fault::ServerError, Fault::Throttled, Fault::Reset] {
        let proxy = failing_everything(&endpoint(), fault);
        let output = run(
            cli(&project.dir, &proxy.url, &["delete", "--stage", "creds"])
                .env("AWS_ACCESS_KEY_ID", key_id)
                .env("AWS_SECRET_ACCESS_KEY", secret)
                .env("AWS_SESSION_TOKEN", token),
        );
        let text = stderr(&output) + &String::from_utf8_lossy(&output.stdout);
        assert!(!output.status.success(), "{fault:?}: {text}");
        assert!(
            text.contains("error: listing Rest APIs"),
            "{fault:?}: {text}"
        );
        for leaked in [secret, token, key_id, "Signature=", "Credential="] {
            assert!(
                !text.contains(leaked),
                "{fault:?}: {leaked} printed: {text}"
            );
        }
        assert!(proxy.requests() > 0);
    }
}

/// An unreachable endpoint and missing credentials are one line saying the cause and the
/// remedy; `--debug` adds the SDK's whole report.
#[test]
fn aws_setup_failures_are_one_line_with_their_remedy() {
    let project = TestProject::new("demoauth", &["setup"]);
    let home = project.dir.join("empty-home");
    std::fs::create_dir_all(&home).unwrap();
    let unreachable = "http://127.0.0.1:1";
    let output = run(&mut cli(
        &project.dir,
        unreachable,
        &["delete", "--stage", "setup"],
    ));
    let text = stderr(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("cannot reach AWS at http://127.0.0.1:1 (AWS_ENDPOINT_URL)")
            && text.contains("(--debug prints the whole error)")
            && !text.contains("DispatchFailure"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");
    let debug = stderr(&run(&mut cli(
        &project.dir,
        unreachable,
        &["--debug", "delete", "--stage", "setup"],
    )));
    assert!(
        debug.contains("the whole error: ") && debug.contains("DispatchFailure"),
        "{debug}"
    );

    let output = run(
        cli(&project.dir, &endpoint(), &["delete", "--stage", "setup"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env("HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials")),
    );
    let text = stderr(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains(
            "no AWS credentials were found: use a profile (`--profile NAME` or AWS_PROFILE)"
        ),
        "{text}"
    );

    // No region anywhere in the chain: one line naming AWS_REGION, before any AWS call.
    let output = run(
        cli(&project.dir, &endpoint(), &["delete", "--stage", "setup"])
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env("HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials")),
    );
    let text = stderr(&output);
    assert!(!output.status.success(), "{text}");
    assert_eq!(
        text.trim_end(),
        "error: no AWS region: set AWS_REGION or a region in your AWS profile",
        "{text}"
    );
}
