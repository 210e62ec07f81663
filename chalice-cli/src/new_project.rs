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
    let files = [
        ("Cargo.toml", cargo_toml(name)),
        (
            "src/main.rs",
            MAIN_RS.to_owned().replace("{{app_name}}", name),
        ),
        (".chalice/config.json", config_json(name)),
        (".gitignore", "/target\n".to_owned()),
    ];
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

/// The runtime dependency: this checkout's runtime when chalice-rs runs from source, so a new
/// project builds against the same code; the published crate otherwise.
fn runtime_dependency() -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../chalice-runtime");
    match std::fs::canonicalize(&source) {
        Ok(path) if path.join("Cargo.toml").is_file() => {
            format!(
                "chalice-runtime = {{ path = {:?} }}",
                path.display().to_string()
            )
        }
        _ => format!("chalice-runtime = \"{}\"", env!("CARGO_PKG_VERSION")),
    }
}

fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
{runtime}
serde_json = {{ version = "1", features = ["preserve_order"] }}

[profile.release]
strip = true
lto = "thin"
codegen-units = 1
"#,
        runtime = runtime_dependency()
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

const MAIN_RS: &str = r#"//! A chalice-rs app: `chalice-rs local` serves it, `chalice-rs deploy` ships it.

use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};

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

/// mimalloc: a request makes a few hundred small allocations, which glibc's malloc serves
/// slower. Any other allocator works.
#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() {
    App::new("{{app_name}}").run()
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
            std::fs::read_to_string(dir.join("src/main.rs"))
                .unwrap()
                .contains("App::new(\"hello-app\")")
        );
        assert!(
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .unwrap()
                .contains("chalice-runtime")
        );
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
