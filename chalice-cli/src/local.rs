//! `chalice-rs local`: build the app and serve it over HTTP through the API Gateway model.
//!
//! The server runs in the app's own binary (`--chalice-local`), so the requests go through the
//! very gateway code the app links; the CLI only builds, configures and supervises it. With
//! autoreload (the default) the CLI also owns the public port and proxies to the current build,
//! which it replaces when the project changes (the `reload` module).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chalice_runtime::LOCAL_ARG;
use chalice_runtime::lambda::API_HANDLER;
use http::HeaderName;

use crate::error::{Error, Result};
use crate::project::{BuiltApp, Profile, Project};

mod app_process;
mod proxy;
mod reload;
mod watch;

/// `local`'s options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// The address to listen on.
    pub host: String,
    /// The port (0 picks a free one; the banner says which).
    pub port: u16,
    /// The Chalice stage whose config applies.
    pub stage: String,
    /// Refuse routes whose authorizer cannot run locally instead of allowing them.
    pub deny_unemulated: bool,
    /// Build with `--release`: slower to build, several times faster to serve (for load tests).
    pub release: bool,
    /// Rebuild and restart the app when the project changes, serving it through a proxy that
    /// keeps the port open meanwhile.
    pub autoreload: bool,
}

/// The command line the app binary is started with: `options`, and the stage's API Gateway
/// stage, JWKS files, API keys and stage variables.
pub fn app_args(
    options: &LocalOptions,
    api_gateway_stage: &str,
    cognito_jwks: Option<&std::path::Path>,
    jwks: &BTreeMap<String, PathBuf>,
    api_keys: &[String],
    stage_variables: &BTreeMap<String, String>,
) -> Vec<String> {
    let host = if options.host.contains(':') {
        format!("[{}]", options.host)
    } else {
        options.host.clone()
    };
    let mut args = vec![
        LOCAL_ARG.to_owned(),
        format!("{host}:{}", options.port),
        "--stage".into(),
        api_gateway_stage.to_owned(),
    ];
    if options.deny_unemulated {
        args.push("--deny-unemulated".into());
    }
    if let Some(path) = cognito_jwks {
        args.push("--cognito-jwks".into());
        args.push(path.display().to_string());
    }
    for (issuer, path) in jwks {
        args.push("--jwks".into());
        args.push(format!("{issuer}={}", path.display()));
    }
    for key in api_keys {
        args.push("--api-key".into());
        args.push(key.clone());
    }
    for (name, value) in stage_variables {
        args.push("--stage-variable".into());
        args.push(format!("{name}={value}"));
    }
    args
}

/// The JWKS file of each JWT issuer the stage names under `jwks`, in the project; an error
/// names the config file, the stage, the key and the issuer of a file that is not there.
fn jwt_issuer_keys(
    project: &Project,
    stage: &crate::config::Stage<'_>,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut files = BTreeMap::new();
    for (issuer, file) in stage.jwks() {
        let path = project.dir().join(&file);
        if !path.is_file() {
            return Err(Error::new(format!(
                "{}: stage `{}`, key `jwks`, issuer `{issuer}`: {} does not exist",
                project.config().path().display(),
                stage.name(),
                path.display()
            )));
        }
        files.insert(issuer, path);
    }
    Ok(files)
}

/// Builds and serves the app until it stops (Ctrl-C or SIGTERM); returns its exit code.
pub fn run(project: &Project, options: &LocalOptions) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Error::new(format!("cannot start the async runtime: {error}")))?;
    if options.autoreload {
        return runtime.block_on(reload::serve(project.clone(), options));
    }
    let built = project.build(profile(options))?;
    let command = app_command(project, options, &built.binary, None)?;
    runtime.block_on(supervise(command, &built.binary))
}

fn profile(options: &LocalOptions) -> Profile {
    if options.release {
        Profile::Release
    } else {
        Profile::Debug
    }
}

/// Builds the app (cargo's output goes to standard error) without holding up the async runtime.
async fn build(project: &Project, options: &LocalOptions) -> Result<BuiltApp> {
    let (project, profile) = (project.clone(), profile(options));
    tokio::task::spawn_blocking(move || project.build(profile))
        .await
        .map_err(|error| Error::new(format!("the build was interrupted: {error}")))?
}

/// The app binary's command line for the stage `options` name: listening where `options` say,
/// or, behind the reload proxy, on a free loopback port, trusting the proxy's `source_ip_header`.
fn app_command(
    project: &Project,
    options: &LocalOptions,
    binary: &Path,
    source_ip_header: Option<&HeaderName>,
) -> Result<Command> {
    let stage = project.config().stage(&options.stage)?;
    let function = stage.function(API_HANDLER);
    let jwt_jwks = jwt_issuer_keys(project, &stage)?;
    let jwks = stage.cognito_jwks().map(|file| project.dir().join(file));
    if let Some(path) = &jwks
        && !path.is_file()
    {
        return Err(Error::new(format!(
            "{}: stage `{}`, key `cognito_jwks`: {} does not exist",
            project.config().path().display(),
            stage.name(),
            path.display()
        )));
    }
    let listen = match source_ip_header {
        Some(_) => LocalOptions {
            host: "127.0.0.1".into(),
            port: 0,
            ..options.clone()
        },
        None => options.clone(),
    };
    let mut command = Command::new(binary);
    command
        .args(app_args(
            &listen,
            &stage.api_gateway_stage(),
            jwks.as_deref(),
            &jwt_jwks,
            &stage.api_keys(),
            &stage.stage_variables(),
        ))
        .envs(&function.environment_variables)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .current_dir(project.dir())
        .stdin(Stdio::null());
    if let Some(header) = source_ip_header {
        command.arg("--source-ip-header").arg(header.as_str());
    }
    Ok(command)
}

/// Runs the app and passes Ctrl-C and SIGTERM on to it, so it shuts down cleanly however the
/// CLI is stopped, then returns its exit code.
async fn supervise(mut command: Command, binary: &std::path::Path) -> Result<i32> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut child =
        tokio::process::Command::from(std::mem::replace(&mut command, Command::new("")))
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| Error::new(format!("cannot start {}: {error}", binary.display())))?;
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(nix::unistd::Pid::from_raw);
    let signals = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    );
    let (Ok(mut interrupt), Ok(mut terminate)) = signals else {
        return Err(Error::new("cannot listen for Ctrl-C"));
    };
    loop {
        tokio::select! {
            status = child.wait() => {
                let status = status.map_err(|error| Error::new(format!("lost the app process: {error}")))?;
                return Ok(status.code().unwrap_or(0));
            }
            _ = interrupt.recv() => forward(pid, nix::sys::signal::Signal::SIGINT),
            _ = terminate.recv() => forward(pid, nix::sys::signal::Signal::SIGINT),
        }
    }
}

fn forward(pid: Option<nix::unistd::Pid>, signal: nix::sys::signal::Signal) {
    if let Some(pid) = pid {
        // The app may have seen the same Ctrl-C already; a second one is harmless.
        let _ = nix::sys::signal::kill(pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_gets_the_address_and_api_gateway_stage() {
        let options = LocalOptions {
            host: "127.0.0.1".into(),
            port: 8000,
            stage: "dev".into(),
            deny_unemulated: true,
            release: false,
            autoreload: true,
        };
        assert_eq!(
            app_args(
                &options,
                "api",
                None,
                &BTreeMap::new(),
                &[],
                &BTreeMap::new()
            ),
            [
                "--chalice-local",
                "127.0.0.1:8000",
                "--stage",
                "api",
                "--deny-unemulated"
            ]
        );
        let v6 = LocalOptions {
            host: "::1".into(),
            ..options
        };
        assert_eq!(
            app_args(&v6, "v1", None, &BTreeMap::new(), &[], &BTreeMap::new())[1],
            "[::1]:8000"
        );
        let with_keys = app_args(
            &v6,
            "v1",
            Some(std::path::Path::new("/p/jwks.json")),
            &BTreeMap::from([(
                "https://issuer.example.com".to_owned(),
                PathBuf::from("/p/.chalice/jwks.json"),
            )]),
            &[],
            &BTreeMap::new(),
        );
        assert_eq!(
            with_keys[with_keys.len() - 4..],
            [
                "--cognito-jwks",
                "/p/jwks.json",
                "--jwks",
                "https://issuer.example.com=/p/.chalice/jwks.json"
            ]
        );
    }

    #[test]
    fn api_keys_and_stage_variables_are_passed_one_argument_pair_each() {
        let options = LocalOptions {
            host: "127.0.0.1".into(),
            port: 0,
            stage: "dev".into(),
            deny_unemulated: false,
            release: false,
            autoreload: true,
        };
        let variables = BTreeMap::from([
            ("env".to_owned(), "dev".to_owned()),
            ("url".to_owned(), "a=b".to_owned()),
        ]);
        assert_eq!(
            app_args(
                &options,
                "api",
                None,
                &BTreeMap::new(),
                &["k1".to_owned(), "k2".to_owned()],
                &variables
            ),
            [
                "--chalice-local",
                "127.0.0.1:0",
                "--stage",
                "api",
                "--api-key",
                "k1",
                "--api-key",
                "k2",
                "--stage-variable",
                "env=dev",
                "--stage-variable",
                "url=a=b",
            ]
        );
    }

    #[test]
    fn each_jwt_issuer_gets_its_jwks_file_and_a_missing_one_is_named() {
        let dir =
            std::env::temp_dir().join(format!("chalice-rs-local-jwks-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".chalice")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
        std::fs::write(dir.join(".chalice/jwks.json"), "{}").unwrap();
        std::fs::write(
            dir.join(".chalice/config.json"),
            r#"{"app_name": "app", "stages": {
                "dev": {"jwks": {"https://issuer.example.com": ".chalice/jwks.json"}},
                "prod": {"jwks": {"https://issuer.example.com": "missing.json"}}}}"#,
        )
        .unwrap();
        let project = Project::open(&dir).unwrap();
        let dev = project.config().stage("dev").unwrap();
        assert_eq!(
            jwt_issuer_keys(&project, &dev).unwrap(),
            BTreeMap::from([(
                "https://issuer.example.com".to_owned(),
                project.dir().join(".chalice/jwks.json")
            )])
        );
        let prod = project.config().stage("prod").unwrap();
        let error = jwt_issuer_keys(&project, &prod).unwrap_err().to_string();
        assert!(
            error.contains(
                "config.json: stage `prod`, key `jwks`, issuer `https://issuer.example.com`: "
            ) && error.ends_with("missing.json does not exist"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
