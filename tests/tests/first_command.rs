//! The README's first command: `cargo run -p chalice-cli --no-default-features -- --project-dir
//! examples/demoauth local`. That CLI is built without the AWS SDK (most of a first build), serves
//! the demo app as the full one does, and says what to install when asked to deploy.

use std::process::Command;

use chalice_rs_tests::cli::{
    binary_without_aws, chalice_rs_binary, example, fails_with, succeed, workspace,
};
use chalice_rs_tests::local::Served;

#[test]
fn the_cli_without_default_features_links_no_aws_crate() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let tree = succeed(
        Command::new(cargo)
            .current_dir(workspace())
            .args(["tree", "-p", "chalice-cli", "--no-default-features"])
            .args([
                "--edges",
                "normal,build",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ]),
    );
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.contains("chalice-runtime"), "{tree}");
    let aws: Vec<&str> = tree
        .lines()
        .filter(|line| line.starts_with("aws-"))
        .collect();
    assert!(aws.is_empty(), "the local-only CLI links {aws:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_first_command_serves_the_demo_and_deploy_says_what_to_install() {
    let demo = example("demoauth");
    let served = Served::start_command(chalice_rs_binary(binary_without_aws(), &demo), &[]);
    served.assert_answers_as_the_demo_app().await;
    drop(served);
    for command in ["deploy", "delete", "url", "logs", "invoke"] {
        fails_with(
            chalice_rs_binary(binary_without_aws(), &demo).arg(command),
            "built without AWS support (--no-default-features), which `deploy`, `delete`, `url`, `logs` and `invoke` need: install the full CLI with `cargo install --path chalice-cli`",
        );
    }
}
