//! `chalice-rs package` and `generate-openapi` end to end on both examples: the real CLI
//! builds each app for Lambda, the outputs are checked by real validators (`cfn-lint` on the
//! SAM templates, `openapi-spec-validator` on every Swagger/OpenAPI document) and pinned byte
//! for byte by the snapshots in `snapshots/` (reviewed by hand against the Chalice JSON
//! quoted in shared/reference; `UPDATE_SNAPSHOTS=1` rewrites them).
//!
//! The validators are those of the `bin` directory `CHALICE_RS_TOOLS_BIN` names, else of the
//! virtualenv `scripts/install-tools` makes (run when missing).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chalice_rs_tests::cli::{self, example, succeed};
use serde_json::Value;

const EXAMPLES: [&str; 2] = ["demoauth", "authz-variants"];

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("package-e2e")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `chalice-rs` on `project` with `args`.
fn chalice_rs(project: &Path, args: &[&str]) -> Command {
    let mut command = cli::chalice_rs(project);
    command.args(args);
    command
}

/// What `chalice-rs` on `project` with `args` printed, whatever its outcome.
fn output(project: &Path, args: &[&str]) -> Output {
    chalice_rs(project, args).output().unwrap()
}

/// `chalice-rs package` of an example (dev stage, SAM), run once per example for this test
/// binary: the release build is the slow part.
fn packaged(name: &str) -> &'static Path {
    static DIRS: [OnceLock<PathBuf>; 2] = [OnceLock::new(), OnceLock::new()];
    let index = EXAMPLES.iter().position(|e| *e == name).unwrap();
    DIRS[index].get_or_init(|| {
        let out = scratch(&format!("{name}-sam"));
        succeed(&mut chalice_rs(
            &example(name),
            &["package", out.to_str().unwrap()],
        ));
        out
    })
}

#[track_caller]
fn run_tool(tool: &str, args: &[&Path]) {
    let output = Command::new(chalice_testkit::venv::package_tools().join(tool))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compares `actual` with `snapshots/<name>`, or writes it with `UPDATE_SNAPSHOTS=1`.
#[track_caller]
fn assert_snapshot(name: &str, actual: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from its snapshot; if the change is intended, run with UPDATE_SNAPSHOTS=1 and review the diff\n--- actual ---\n{}",
        String::from_utf8_lossy(actual)
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn write_json(path: &Path, doc: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
}

fn sam_passes_cfn_lint_and_matches_its_snapshot(name: &str) {
    let out = packaged(name);
    let sam = out.join("sam.json");
    run_tool("cfn-lint", &[&sam]);
    assert_snapshot(&format!("{name}.sam.json"), &std::fs::read(&sam).unwrap());
    // The API definition as API Gateway will import it (Fn::Sub URIs and all).
    let body = out.join("definition-body.json");
    write_json(
        &body,
        &read_json(&sam)["Resources"]["RestAPI"]["Properties"]["DefinitionBody"],
    );
    run_tool("openapi-spec-validator", &[&body]);
    let zip = std::fs::read(out.join("deployment.zip")).unwrap();
    assert_eq!(&zip[..2], b"PK");
}

#[test]
fn demoauth_sam_template() {
    sam_passes_cfn_lint_and_matches_its_snapshot("demoauth");
}

#[test]
fn authz_variants_sam_template() {
    sam_passes_cfn_lint_and_matches_its_snapshot("authz-variants");
}

#[test]
fn terraform_configurations() {
    for name in EXAMPLES {
        packaged(name); // the release build, shared
        let out = scratch(&format!("{name}-tf"));
        succeed(&mut chalice_rs(
            &example(name),
            &[
                "package",
                out.to_str().unwrap(),
                "--pkg-format",
                "terraform",
            ],
        ));
        let tf = out.join("chalice.tf.json");
        assert_snapshot(
            &format!("{name}.chalice.tf.json"),
            &std::fs::read(&tf).unwrap(),
        );
        assert!(out.join("deployment.zip").is_file());
        let swagger: Value = serde_json::from_str(
            read_json(&tf)["locals"]["chalice_api_swagger"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let body = out.join("swagger.json");
        write_json(&body, &swagger);
        run_tool("openapi-spec-validator", &[&body]);
    }
}

#[test]
fn generated_swagger_and_openapi3_validate() {
    for name in EXAMPLES {
        let out = scratch(&format!("{name}-openapi"));
        for (format, file) in [("swagger", "swagger.json"), ("openapi3", "openapi3.json")] {
            let path = out.join(file);
            succeed(&mut chalice_rs(
                &example(name),
                &[
                    "generate-openapi",
                    "--format",
                    format,
                    "--output",
                    path.to_str().unwrap(),
                ],
            ));
            run_tool("openapi-spec-validator", &[&path]);
            assert_snapshot(&format!("{name}.{file}"), &std::fs::read(&path).unwrap());
        }
        // Standard output carries the same document.
        let printed = succeed(&mut chalice_rs(&example(name), &["generate-openapi"]));
        assert_eq!(
            serde_json::from_slice::<Value>(&printed.stdout).unwrap(),
            read_json(&out.join("swagger.json"))
        );
    }
}

#[test]
fn packaging_twice_gives_the_same_bytes() {
    let first = packaged("demoauth");
    let again = scratch("demoauth-again");
    succeed(&mut chalice_rs(
        &example("demoauth"),
        &["package", again.to_str().unwrap()],
    ));
    for file in ["sam.json", "deployment.zip"] {
        assert!(
            std::fs::read(first.join(file)).unwrap() == std::fs::read(again.join(file)).unwrap(),
            "{file} differs between two runs"
        );
    }
}

#[test]
fn another_stage_uses_its_config() {
    packaged("authz-variants");
    let out = scratch("authz-variants-prod");
    succeed(&mut chalice_rs(
        &example("authz-variants"),
        &["package", out.to_str().unwrap(), "--stage", "prod"],
    ));
    let sam = read_json(&out.join("sam.json"));
    assert_eq!(sam["Resources"]["RestAPI"]["Properties"]["StageName"], "v1");
    assert_eq!(
        sam["Outputs"]["EndpointURL"]["Value"]["Fn::Sub"],
        "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1/"
    );
    assert_eq!(
        sam["Resources"]["RichAuth"]["Properties"]["Environment"]["Variables"]["STAGE_VAR"],
        "prod"
    );
    assert_eq!(
        sam["Resources"]["RichAuth"]["Properties"]["Tags"]["chalice-rs:stage"],
        "prod"
    );
    run_tool("cfn-lint", &[&out.join("sam.json")]);
}

#[test]
fn mistakes_are_one_clear_message() {
    let out = scratch("mistakes");
    // An undeclared stage uses the top-level settings; one whose name cannot name AWS
    // resources is refused, naming the config file.
    let bad_stage = output(
        &example("demoauth"),
        &["package", out.join("x").to_str().unwrap(), "--stage", "q a"],
    );
    assert!(!bad_stage.status.success());
    let stderr = String::from_utf8_lossy(&bad_stage.stderr);
    assert!(
        stderr.contains("stage `q a` cannot be used") && stderr.contains("config.json"),
        "{stderr}"
    );
    assert!(!out.join("x").exists(), "nothing is written on error");

    let file = out.join("a-file");
    std::fs::write(&file, "").unwrap();
    let not_a_dir = output(&example("demoauth"), &["package", file.to_str().unwrap()]);
    assert!(!not_a_dir.status.success());
    let stderr = String::from_utf8_lossy(&not_a_dir.stderr);
    assert!(
        stderr.contains("a-file") && stderr.contains("not a directory"),
        "{stderr}"
    );

    let bad_format = output(
        &example("demoauth"),
        &["package", out.to_str().unwrap(), "--pkg-format", "pulumi"],
    );
    assert!(!bad_format.status.success());
    assert!(String::from_utf8_lossy(&bad_format.stderr).contains("cloudformation"));
}

/// The HTTP API example: its SAM template (cfn-lint clean), its Terraform configuration and
/// its OpenAPI 3.0 document (validated; the default for an HTTP API, which refuses Swagger)
/// from the real CLI on the real app, each pinned by a snapshot.
#[test]
fn http_api_example_packages_and_describes_itself() {
    let project = example("http-api");
    let out = scratch("http-api-sam");
    succeed(&mut chalice_rs(
        &project,
        &["package", out.to_str().unwrap()],
    ));
    let sam = out.join("sam.json");
    run_tool("cfn-lint", &[&sam]);
    assert_snapshot("http-api.sam.json", &std::fs::read(&sam).unwrap());
    assert_eq!(
        &std::fs::read(out.join("deployment.zip")).unwrap()[..2],
        b"PK"
    );

    let tf_out = scratch("http-api-tf");
    succeed(&mut chalice_rs(
        &project,
        &[
            "package",
            tf_out.to_str().unwrap(),
            "--pkg-format",
            "terraform",
        ],
    ));
    assert_snapshot(
        "http-api.chalice.tf.json",
        &std::fs::read(tf_out.join("chalice.tf.json")).unwrap(),
    );

    let doc = scratch("http-api-openapi").join("openapi3.json");
    succeed(&mut chalice_rs(
        &project,
        &["generate-openapi", "--output", doc.to_str().unwrap()],
    ));
    run_tool("openapi-spec-validator", &[&doc]);
    assert_snapshot("http-api.openapi3.json", &std::fs::read(&doc).unwrap());
    let swagger = output(&project, &["generate-openapi", "--format", "swagger"]);
    let stderr = String::from_utf8_lossy(&swagger.stderr);
    assert!(!swagger.status.success(), "{stderr}");
    assert!(stderr.contains("--format openapi3"), "{stderr}");
}
