//! A deployment package whose `bootstrap` would not run on Lambda's provided.al2023 (not an
//! ELF executable, another architecture than the stage's, or needing a newer glibc than 2.34)
//! is refused before any AWS call, with the reason and what to install; one that would run is
//! deployed. The deployer's calls go to moto and are counted.

mod support;

use std::path::PathBuf;

use chalice_cli::bundle::{self, Bundle};
use chalice_cli::deploy;
use chalice_cli::project::BuiltApp;
use chalice_runtime::manifest::{MANIFEST_VERSION, Manifest};
use chalice_testkit::elf::{EM_AARCH64, EM_X86_64, ET_DYN, elf};
use support::*;

const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// A bundle whose bootstrap is `binary`, for an app with one route.
fn bundle_of_binary(app: &str, binary: &[u8]) -> Bundle {
    let zip = bundle::zip_bootstrap(binary).unwrap();
    Bundle {
        app: BuiltApp {
            binary: PathBuf::from("target/lambda/bootstrap"),
            manifest: serde_json::from_value::<Manifest>(serde_json::json!({
                "manifest_version": MANIFEST_VERSION,
                "app_name": app,
                "routes": [{"path": "/", "methods": ["GET"], "view_name": "index",
                            "authorizer": null, "scopes": [], "cors": false,
                            "content_types": ["application/json"], "api_key_required": false,
                            "path_params": []}],
                "authorizers": [],
            }))
            .unwrap(),
        },
        sha256: bundle::code_sha256(&zip),
        zip,
        build_note: "made by the test".to_owned(),
    }
}

async fn deploy_error(
    project: &TestProject,
    stage: &str,
    clients: &Clients,
    binary: &[u8],
) -> String {
    let bundle = bundle_of_binary("bootcheck", binary);
    let error = deploy::deploy_bundle(
        &project.project(),
        stage,
        &clients.aws,
        &bundle,
        false,
        &mut |_| {},
    )
    .await
    .unwrap_err()
    .to_string();
    assert_eq!(
        clients.calls.take(),
        Vec::<String>::new(),
        "AWS was called: {error}"
    );
    error
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bootstrap_that_cannot_run_on_lambda_is_refused_before_any_aws_call() {
    let stage = "bootcheck1";
    let project = TestProject::with_config(
        stage,
        &format!(r#"{{"app_name": "bootcheck", "stages": {{"{stage}": {{}}}}}}"#),
    );
    let clients = clients().await;
    let prefix = "the app's binary (`bootstrap` in the deployment zip) cannot run on Lambda's \
                  provided.al2023 runtime: ";

    let error = deploy_error(&project, stage, &clients, b"#!/bin/sh\nexec ./app \"$@\"\n").await;
    assert!(
        error.starts_with(&format!(
            "{prefix}it is a script, not a Linux ELF executable."
        )),
        "{error}"
    );

    let too_new = elf(
        ET_DYN,
        EM_X86_64,
        Some(LOADER),
        &["GLIBC_2.2.5", "GLIBC_2.39"],
    );
    let error = deploy_error(&project, stage, &clients, &too_new).await;
    assert_eq!(
        error,
        format!(
            "{prefix}it needs glibc 2.39 (symbol versions GLIBC_2.39), but provided.al2023 has \
             glibc 2.34: it was linked against a newer glibc than Lambda's. Install the musl \
             target (`rustup target add x86_64-unknown-linux-musl`): chalice-rs then builds a \
             static bootstrap, which runs on any Lambda x86_64"
        )
    );

    let arm = elf(ET_DYN, EM_AARCH64, None, &[]);
    let error = deploy_error(&project, stage, &clients, &arm).await;
    assert!(
        error.starts_with(&format!(
            "{prefix}it is built for AARCH64, but the stage's lambda_architecture is x86_64."
        )),
        "{error}"
    );

    // Nothing was made, and no record written.
    assert!(!deploy::record::path(&project.dir, stage).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bootstrap_that_runs_on_lambda_is_deployed() {
    let stage = "bootcheck2";
    let project = TestProject::with_config(
        stage,
        &format!(
            r#"{{"app_name": "bootcheck", "stages": {{"{stage}": {{"lambda_architecture": "arm64"}}}}}}"#
        ),
    );
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let arm = elf(
        ET_DYN,
        EM_AARCH64,
        Some("/lib/ld-linux-aarch64.so.1"),
        &["GLIBC_2.17", "GLIBC_2.34"],
    );
    let bundle = bundle_of_binary("bootcheck", &arm);
    let report = deploy::deploy_bundle(
        &project.project(),
        stage,
        &clients.aws,
        &bundle,
        false,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(
        report.record.value("api_handler", "lambda_arn").is_some(),
        "{:?}",
        report.record
    );
    project.clean(&clients, &[stage]).await;
}
