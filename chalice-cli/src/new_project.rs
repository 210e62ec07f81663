//! `chalice-rs new-project NAME`: a Cargo project with `.chalice/config.json` and an app with a
//! built-in authorizer, ready for `chalice-rs local`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Creates the project `name` in `parent`; returns its directory.
pub fn create(parent: &Path, name: &str) -> Result<PathBuf> {
    check_name(name)?;
    let dir = parent.join(name);
    if dir.exists() {
        return Err(Error::new(format!(
            "{} already exists; choose another name or directory",
            dir.display()
        )));
    }
    let crate_name = name.replace('-', "_");
    let mut files = vec![
        ("Cargo.toml", cargo_toml(name)),
        ("src/lib.rs", LIB_RS.replace("{{app_name}}", name)),
        ("src/main.rs", MAIN_RS.replace("{{crate}}", &crate_name)),
        (
            "tests/api.rs",
            API_TEST_RS.replace("{{crate}}", &crate_name),
        ),
        (".chalice/config.json", config_json(name)),
        (".gitignore", GITIGNORE.to_owned()),
    ];
    if let Some(config) = runtime_override() {
        files.push((".cargo/config.toml", config));
    }
    for (path, contents) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| {
                Error::new(format!("cannot create {}: {error}", parent.display()))
            })?;
        }
        std::fs::write(&path, contents)
            .map_err(|error| Error::new(format!("cannot write {}: {error}", path.display())))?;
    }
    Ok(dir)
}

/// A project name is an app name (part of Lambda function names) and a Cargo package name.
fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::new(format!(
            "`{name}` cannot name a project: start with a letter, then letters, digits, `-` or `_`, at most 40 characters"
        )))
    }
}

/// While chalice-runtime is unpublished, a project built by a chalice-rs that runs from its
/// checkout gets that checkout's runtime through Cargo's `[patch]` in `.cargo/config.toml`, a
/// machine-local file (ignored by git): `Cargo.toml` keeps a dependency anyone can commit.
fn runtime_override() -> Option<String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../chalice-runtime");
    let path = std::fs::canonicalize(&source).ok()?;
    if !path.join("Cargo.toml").is_file() {
        return None;
    }
    Some(format!(
        "# chalice-runtime is not published yet: this machine-local file (ignored by git) points\n\
         # Cargo.toml's `chalice-runtime` at the checkout chalice-rs was built from. Delete it once\n\
         # the crate is on crates.io, or point it at your own checkout.\n\
         [patch.crates-io]\n\
         chalice-runtime = {{ path = {:?} }}\n",
        path.display().to_string()
    ))
}

fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
chalice-runtime = "{version}"
serde_json = {{ version = "1", features = ["preserve_order"] }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[profile.release]
strip = true
lto = "thin"
codegen-units = 1
"#,
        version = env!("CARGO_PKG_VERSION")
    )
}

fn config_json(name: &str) -> String {
    let config = serde_json::json!({
        "version": "2.0",
        "app_name": name,
        "stages": {"dev": {"api_gateway_stage": "api"}},
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&config).unwrap_or_default()
    )
}

const GITIGNORE: &str = "/target\n/.cargo/config.toml\n";

const LIB_RS: &str = r#"//! A chalice-rs app: `chalice-rs local` serves it, `chalice-rs deploy` ships it.
//!
//! The app is a library so that tests under `tests/` see its routes: `src/main.rs` only runs
//! it, and `tests/api.rs` sends requests through `chalice_runtime::test::Client`.

use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};

/// The app; `main` runs it and tests send requests to it.
pub fn app() -> App {
    App::new("{{app_name}}")
}

/// Allows the token `allow` on every route; anything else is denied (403).
#[app::authorizer]
fn token_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["*"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::route("/")]
fn index() -> Value {
    json!({"hello": "world"})
}

#[app::route("/private", authorizer = token_auth)]
fn private(req: &Request) -> Value {
    json!({"principal": req.context.authorizer.fields.get("principalId")})
}

#[cfg(test)]
mod tests {
    use chalice_runtime::test::Client;

    #[tokio::test]
    async fn the_authorizer_allows_only_its_token() {
        let client = Client::new(super::app());
        let policy = client.authorizer("token_auth").token("allow").invoke().await.unwrap();
        assert_eq!(policy["principalId"], "user");
        assert_eq!(policy["policyDocument"]["Statement"][0]["Effect"], "Allow");
        // Any other token gets a policy that allows nothing: API Gateway answers 403.
        let denied = client.get("/private").header("Authorization", "deny").send().await;
        assert_eq!(denied.status, 403);
    }
}
"#;

const MAIN_RS: &str = r#"//! Runs the app: as a Lambda function on AWS, or as `chalice-rs local` asks.

/// mimalloc: a request makes a few hundred small allocations, which glibc's malloc serves
/// slower. Any other allocator works.
#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() {
    {{crate}}::app().run()
}
"#;

const API_TEST_RS: &str = r#"//! The API as a client sees it, through chalice-rs's model of API Gateway: authorizers run,
//! and answers are API Gateway's.

use chalice_runtime::test::Client;
use serde_json::json;

#[tokio::test]
async fn the_public_route_answers_anyone() {
    let client = Client::new({{crate}}::app());
    let response = client.get("/").send().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"hello": "world"}));
}

#[tokio::test]
async fn the_private_route_needs_the_token() {
    let client = Client::new({{crate}}::app());
    let allowed = client.get("/private").header("Authorization", "allow").send().await;
    assert_eq!(allowed.json(), json!({"principal": "user"}));
    let missing = client.get("/private").send().await;
    assert_eq!(missing.status, 401);
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_project_whose_config_names_the_app() {
        let parent = std::env::temp_dir().join(format!("chalice-rs-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        std::fs::create_dir_all(&parent).unwrap();
        let dir = create(&parent, "hello-app").unwrap();
        let config = crate::config::Config::load(&dir).unwrap();
        assert_eq!(config.app_name(), "hello-app");
        assert!(
            std::fs::read_to_string(dir.join("src/lib.rs"))
                .unwrap()
                .contains("App::new(\"hello-app\")")
        );
        let read = |path: &str| std::fs::read_to_string(dir.join(path)).unwrap();
        assert!(read("src/main.rs").contains("hello_app::app().run()"));
        assert!(read("tests/api.rs").contains("Client::new(hello_app::app())"));
        let manifest = read("Cargo.toml");
        assert!(manifest.contains(&format!(
            "chalice-runtime = \"{}\"",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(manifest.contains("tokio"));
        // Running from this checkout, the runtime comes from it through a local patch.
        let patch = read(".cargo/config.toml");
        assert!(patch.contains("[patch.crates-io]") && patch.contains("chalice-runtime"));
        assert!(read(".gitignore").contains("/.cargo/config.toml"));
        let again = create(&parent, "hello-app").unwrap_err();
        assert!(again.to_string().contains("already exists"));
        std::fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn rejects_names_lambda_or_cargo_would() {
        for name in ["", "1app", "my app", "a.b", &"x".repeat(41)] {
            assert!(check_name(name).is_err(), "{name}");
        }
    }
}
