//! `chalice-rs local` end to end: the real CLI builds an example, serves it, and a real HTTP
//! client talks to it; config mistakes are one clear message and a non-zero exit.

use std::path::PathBuf;

use chalice_rs_tests::cli::{cargo_in, chalice_rs, example, fails_with, succeed, workspace};
use chalice_rs_tests::local::Served;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn serves_the_demo_app_as_api_gateway_would() {
    let served = Served::start(&example("demoauth"), &[]);
    served.assert_answers_as_the_demo_app().await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(served.url("/missing"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log:#?}");
    assert!(
        log.iter()
            .any(|line| line.starts_with("GET / 200 allowed principal=user")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|line| line.starts_with("GET / 403 denied")),
        "{log:#?}"
    );
    // The request log is written out before the server says it has shut down.
    let last_request = log.iter().rposition(|line| line.starts_with("GET /"));
    let shut_down = log.iter().position(|line| line == "chalice-rs: shut down");
    assert!(
        matches!((last_request, shut_down), (Some(request), Some(shut)) if request < shut),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn release_serves_an_optimized_build() {
    // The release build is shared with the package tests', so this costs little more than a start.
    let served = Served::start(&example("demoauth"), &["--release"]);
    assert!(
        served
            .startup
            .iter()
            .any(|line| line.contains("`release` profile")),
        "{:#?}",
        served.startup
    );
    let allowed = reqwest::Client::new()
        .get(served.url("/"))
        .header("Authorization", "allow")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_every_authorizer_kind_of_authz_variants() {
    let served = Served::start(&example("authz-variants"), &["--deny-unemulated"]);
    let http = reqwest::Client::new();
    let admin = http
        .get(served.url("/admin"))
        .header("Authorization", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin.json::<Value>().await.unwrap()["authorizer"],
        json!({"role": "admin", "level": "3", "principalId": "admin"})
    );
    let broken = http
        .get(served.url("/broken"))
        .header("Authorization", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 500);
    let tenant = http
        .get(served.url("/tenants/acme?key=secret"))
        .header("X-Tenant", "acme")
        .send()
        .await
        .unwrap();
    assert_eq!(tenant.status(), 200);
    assert_eq!(
        http.get(served.url("/iam-auth"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        http.get(served.url("/external"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let preflight = http
        .request(reqwest::Method::OPTIONS, served.url("/cors"))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    // The app's full CORS configuration, on the preflight and on API Gateway's own answers,
    // whichever route was asked for (the deployed API's DEFAULT_4XX/DEFAULT_5XX).
    let refused = http.get(served.url("/admin")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    for response in [&preflight, &broken, &refused] {
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example"
        );
        assert_eq!(headers["access-control-expose-headers"], "X-Request-Id");
        assert_eq!(headers["access-control-max-age"], "600");
        assert_eq!(headers["access-control-allow-credentials"], "true");
    }
    let (code, _) = served.stop();
    assert_eq!(code, Some(0));
}

fn temp_project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chalice-rs-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn config_mistakes_are_one_clear_error() {
    let dir = temp_project("config");
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    fails_with(
        chalice_rs(&dir).arg("local"),
        ".chalice/config.json: not found",
    );
    std::fs::create_dir_all(dir.join(".chalice")).unwrap();
    std::fs::write(dir.join(".chalice/config.json"), "{\"app_name\": \"x\",").unwrap();
    fails_with(
        chalice_rs(&dir).arg("local"),
        "config.json: EOF while parsing",
    );
    std::fs::write(
        dir.join(".chalice/config.json"),
        r#"{"app_name": "x", "stages": {"dev": {"lambda_timeout": "60"}}}"#,
    )
    .unwrap();
    fails_with(
        chalice_rs(&dir).arg("local"),
        "key `stages.dev.lambda_timeout`",
    );
    std::fs::write(
        dir.join(".chalice/config.json"),
        r#"{"app_name": "x", "stages": {"prod": {}}}"#,
    )
    .unwrap();
    // An undeclared stage uses the top-level settings and says so (then this project, which has
    // no source, fails to build); a stage no config could declare is refused.
    fails_with(
        chalice_rs(&dir).arg("local"),
        "Stage `dev` is not declared under `stages` in",
    );
    fails_with(
        chalice_rs(&dir).args(["local", "--stage", "q a"]),
        "stage `q a` cannot be used: a stage name is letters, digits",
    );
    fails_with(
        chalice_rs(&dir.join("nope")).arg("local"),
        "Cargo.toml: not found",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_new_project_builds_and_serves_and_a_broken_one_says_why() {
    let parent = temp_project("new");
    succeed(chalice_rs(&parent).args(["new-project", "hello"]));
    let project = parent.join("hello");
    // Build against the workspace's resolved versions, so the shared target directory is reused.
    std::fs::copy(workspace().join("Cargo.lock"), project.join("Cargo.lock")).unwrap();

    let served = Served::start(&project, &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let public = http.get(served.url("/")).send().await.unwrap();
        assert_eq!(
            public.json::<Value>().await.unwrap(),
            json!({"hello": "world"})
        );
        let private = http
            .get(served.url("/private"))
            .header("Authorization", "allow")
            .send()
            .await
            .unwrap();
        assert_eq!(
            private.json::<Value>().await.unwrap(),
            json!({"principal": "user"})
        );
        assert_eq!(
            http.get(served.url("/private"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    });
    let (code, _) = served.stop();
    assert_eq!(code, Some(0));

    // The generated unit test and integration test pass.
    let tests = succeed(cargo_in(&project).arg("test"));
    let summary = String::from_utf8_lossy(&tests.stdout);
    assert!(
        summary.contains("test tests::the_authorizer_allows_only_its_token ... ok")
            && summary.contains("test the_private_route_needs_the_token ... ok"),
        "{summary}"
    );

    // The stage's `api_keys` and `stage_variables` reach the local server.
    let lib_rs = project.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib_rs).unwrap();
    std::fs::write(
        &lib_rs,
        format!(
            "{source}\n#[app::route(\"/keyed\", api_key_required = true)]\n\
             fn keyed(req: &Request) -> Value {{\n    json!({{\"env\": req.stage_vars.get(\"env\")}})\n}}\n"
        ),
    )
    .unwrap();
    let config_path = project.join(".chalice/config.json");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let mut keyed: Value = serde_json::from_str(&config).unwrap();
    keyed["stages"]["dev"]["api_keys"] = json!(["secret-key"]);
    keyed["stages"]["dev"]["stage_variables"] = json!({"env": "blue"});
    std::fs::write(&config_path, keyed.to_string()).unwrap();
    let served = Served::start(&project, &[]);
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let keyed = |key: Option<&str>| {
            let request = http.get(served.url("/keyed"));
            match key {
                Some(key) => request.header("x-api-key", key),
                None => request,
            }
            .send()
        };
        assert_eq!(keyed(None).await.unwrap().status(), 403);
        assert_eq!(keyed(Some("wrong")).await.unwrap().status(), 403);
        let accepted = keyed(Some("secret-key")).await.unwrap();
        assert_eq!(accepted.status(), 200);
        assert_eq!(
            accepted.json::<Value>().await.unwrap(),
            json!({"env": "blue"})
        );
    });
    let (code, _) = served.stop();
    assert_eq!(code, Some(0));
    std::fs::write(&config_path, config).unwrap();
    std::fs::write(&lib_rs, &source).unwrap();

    // A route declared again in another module, which rustc cannot see, is refused by name
    // before anything is served.
    std::fs::write(
        &lib_rs,
        format!(
            "{source}\nmod admin {{\n    use chalice_runtime::app;\n\n    \
             #[app::route(\"/private\", methods = [\"GET\"])]\n    \
             fn admin_private() -> &'static str {{\n        \"admin\"\n    }}\n}}\n"
        ),
    )
    .unwrap();
    let private_line = source
        .lines()
        .position(|line| line.starts_with("#[app::route(\"/private\""))
        .unwrap()
        + 1;
    let admin_line = source.lines().count() + 5;
    fails_with(
        chalice_rs(&project).arg("local"),
        &format!(
            "--chalice-manifest failed: app `hello`: duplicate route GET /private: declared by \
             `private` at src/lib.rs:{private_line} and by `admin_private` at src/lib.rs:{admin_line}"
        ),
    );

    // The app and the config must agree on the name.
    std::fs::write(
        &lib_rs,
        source.replace("App::new(\"hello\")", "App::new(\"other\")"),
    )
    .unwrap();
    fails_with(
        chalice_rs(&project).arg("local"),
        "the app is named \"other\" (App::new in the code) but",
    );
    // A compile error is reported as such.
    std::fs::write(&lib_rs, "pub fn app() { let x: u32 = \"no\"; }\n").unwrap();
    fails_with(
        chalice_rs(&project).arg("local"),
        "failed to build (the compiler's errors are above)",
    );
    std::fs::remove_dir_all(&parent).unwrap();
}
