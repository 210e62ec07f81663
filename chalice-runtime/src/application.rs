//! [`App`]: the app's name and the entry point that picks how the binary runs.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::net::SocketAddr;

use crate::api_kind::ApiKind;
use crate::gateway::{ApiKeys, GatewayConfig, JwkSet, Jwks, Unemulated};
use crate::local::{ForwardedSourceIp, Limits, LocalConfig, LocalServer};
use crate::manifest::Manifest;
use crate::registry::{Registry, RegistryError};

/// The argument the CLI runs an app binary with to read its manifest.
pub const MANIFEST_ARG: &str = "--chalice-manifest";
/// The argument the CLI runs an app binary with to serve it locally: `--chalice-local ADDR`.
pub const LOCAL_ARG: &str = "--chalice-local";

/// A chalice-rs app. Its routes and authorizers are the ones the attribute macros registered
/// in this binary, so there is nothing to add to it by hand.
#[derive(Debug, Clone)]
pub struct App {
    name: String,
    kind: ApiKind,
}

/// How the binary was asked to run.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "made once per process, from its arguments: boxing would save nothing"
)]
enum Mode {
    Manifest,
    Local {
        addr: SocketAddr,
        stage: String,
        unemulated: Unemulated,
        cognito_jwks: Option<std::path::PathBuf>,
        /// `--jwks ISSUER=PATH`, repeated: the JWKS file of each JWT issuer.
        jwks: BTreeMap<String, std::path::PathBuf>,
        /// `--api-key KEY`, repeated; none means any key is accepted.
        api_keys: Vec<String>,
        /// `--stage-variable NAME=VALUE`, repeated.
        stage_variables: HashMap<String, String>,
        /// `--source-ip-header NAME`: served behind `chalice-rs local`'s reload proxy, which
        /// names the client's address in this header.
        source_ip_header: Option<ForwardedSourceIp>,
    },
    /// Under Lambda: serve the function `_HANDLER` names.
    Lambda,
    Usage,
}

impl Mode {
    /// The mode the arguments ask for; with none, Lambda's when its Runtime API is there.
    fn choose(args: &[String], under_lambda: bool) -> Result<Mode, String> {
        match Mode::from_args(args)? {
            Mode::Usage if under_lambda => Ok(Mode::Lambda),
            mode => Ok(mode),
        }
    }

    fn from_args(args: &[String]) -> Result<Mode, String> {
        if args.iter().any(|arg| arg == MANIFEST_ARG) {
            return Ok(Mode::Manifest);
        }
        let Some(position) = args.iter().position(|arg| arg == LOCAL_ARG) else {
            return Ok(Mode::Usage);
        };
        let addr = args.get(position + 1).ok_or_else(|| {
            format!("{LOCAL_ARG} needs an address, e.g. {LOCAL_ARG} 127.0.0.1:8000")
        })?;
        let addr = addr
            .parse()
            .map_err(|_| format!("{LOCAL_ARG}: `{addr}` is not an address like 127.0.0.1:8000"))?;
        let mut stage = GatewayConfig::default().stage;
        let mut unemulated = Unemulated::Allow;
        let mut cognito_jwks: Option<std::path::PathBuf> = None;
        let mut jwks = BTreeMap::new();
        let mut api_keys = Vec::new();
        let mut stage_variables = HashMap::new();
        let mut source_ip_header = None;
        let mut rest = args[position + 2..].iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--stage" => {
                    stage = rest
                        .next()
                        .ok_or("--stage needs the API Gateway stage name")?
                        .clone()
                }
                "--deny-unemulated" => unemulated = Unemulated::Deny,
                "--cognito-jwks" => {
                    cognito_jwks = Some(
                        rest.next()
                            .ok_or("--cognito-jwks needs the path of a JWKS file")?
                            .into(),
                    );
                }
                "--jwks" => {
                    let pair = rest.next().ok_or("--jwks needs ISSUER=PATH")?;
                    let (issuer, path) = pair
                        .split_once('=')
                        .filter(|(issuer, path)| !issuer.is_empty() && !path.is_empty())
                        .ok_or_else(|| format!("--jwks: `{pair}` is not ISSUER=PATH"))?;
                    if jwks.insert(issuer.to_owned(), path.into()).is_some() {
                        return Err(format!("--jwks: issuer `{issuer}` is given twice"));
                    }
                }
                "--api-key" => api_keys.push(
                    rest.next()
                        .filter(|key| !key.is_empty())
                        .ok_or("--api-key needs a key")?
                        .clone(),
                ),
                "--stage-variable" => {
                    let pair = rest.next().ok_or("--stage-variable needs NAME=VALUE")?;
                    let (name, value) = pair
                        .split_once('=')
                        .filter(|(name, _)| !name.is_empty())
                        .ok_or_else(|| {
                        format!("--stage-variable: `{pair}` is not NAME=VALUE")
                    })?;
                    stage_variables.insert(name.to_owned(), value.to_owned());
                }
                "--source-ip-header" => {
                    let name = rest
                        .next()
                        .ok_or("--source-ip-header needs a header name")?;
                    source_ip_header = Some(
                        ForwardedSourceIp::new(name)
                            .map_err(|message| format!("--source-ip-header: {message}"))?,
                    );
                }
                other => return Err(format!("unknown argument `{other}` after {LOCAL_ARG}")),
            }
        }
        Ok(Mode::Local {
            addr,
            stage,
            unemulated,
            cognito_jwks,
            jwks,
            api_keys,
            stage_variables,
            source_ip_header,
        })
    }
}

/// Reads each issuer's JWKS file; an error names the issuer and the file.
fn load_jwks(
    files: BTreeMap<String, std::path::PathBuf>,
) -> Result<BTreeMap<String, std::sync::Arc<JwkSet>>, String> {
    files
        .into_iter()
        .map(|(issuer, path)| match JwkSet::load(&path) {
            Ok(keys) => Ok((issuer, std::sync::Arc::new(keys))),
            Err(message) => Err(format!("issuer `{issuer}`: {message}")),
        })
        .collect()
}

impl App {
    /// The app named `name`, which must be the config's `app_name`.
    pub fn new(name: impl Into<String>) -> Self {
        App {
            name: name.into(),
            kind: ApiKind::Rest,
        }
    }

    /// Makes the app an HTTP API (API Gateway v2): payload format 2.0, JWT and Lambda (2.0)
    /// authorizers. The manifest, the test client, the local server and the Lambda dispatch
    /// all read the kind from here.
    pub fn http_api(mut self) -> Self {
        self.kind = ApiKind::Http;
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The API Gateway product that serves the app.
    pub fn api_kind(&self) -> ApiKind {
        self.kind
    }

    /// The routes and authorizers, or the conflict that makes them unusable (including an
    /// authorizer or setting the app's API kind does not have).
    pub fn registry(&self) -> Result<&'static Registry, &'static RegistryError> {
        crate::kind_rules::registry_for(self.kind)
    }

    /// The manifest the CLI deploys from.
    pub fn manifest(&self) -> Result<Manifest, &'static RegistryError> {
        Ok(Manifest::for_kind(&self.name, self.kind, self.registry()?))
    }

    /// Runs the app as its arguments ask: `--chalice-manifest` prints the manifest;
    /// `--chalice-local ADDR [--stage S] [--deny-unemulated]` serves it over HTTP through the
    /// API Gateway model until Ctrl-C. Without either, under Lambda (`AWS_LAMBDA_RUNTIME_API`
    /// set), it serves the function its handler string (`_HANDLER`) names: `api_handler` or a
    /// built-in authorizer (see [`crate::lambda`]). Exits the process with the outcome's status.
    pub fn run(self) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let under_lambda = std::env::var_os(crate::lambda::RUNTIME_API_ENV).is_some();
        let code = self.run_with_args(&args, under_lambda);
        std::process::exit(code);
    }

    fn run_with_args(self, args: &[String], under_lambda: bool) -> i32 {
        let mode = match Mode::choose(args, under_lambda) {
            Ok(mode) => mode,
            Err(message) => {
                eprintln!("chalice-rs: {message}");
                return 2;
            }
        };
        let registry = match self.registry() {
            Ok(registry) => registry,
            // Under Lambda even an app conflict is reported to the Runtime API, as init error.
            Err(error) if mode == Mode::Lambda => {
                return crate::lambda::run(&self.name, self.kind, Err(error));
            }
            Err(error) => {
                eprintln!("chalice-rs: app `{}`: {error}", self.name);
                return 1;
            }
        };
        match mode {
            Mode::Manifest => self.print_manifest(registry),
            Mode::Lambda => crate::lambda::run(&self.name, self.kind, Ok(registry)),
            Mode::Local {
                addr,
                stage,
                unemulated,
                cognito_jwks,
                jwks,
                api_keys,
                stage_variables,
                source_ip_header,
            } => {
                let cognito_jwks = match cognito_jwks.map(|path| Jwks::load(&path)).transpose() {
                    Ok(jwks) => jwks.map(std::sync::Arc::new),
                    Err(message) => {
                        eprintln!("chalice-rs: --cognito-jwks: {message}");
                        return 2;
                    }
                };
                let jwks = match load_jwks(jwks) {
                    Ok(jwks) => jwks,
                    Err(message) => {
                        eprintln!("chalice-rs: --jwks: {message}");
                        return 2;
                    }
                };
                let api_keys = if api_keys.is_empty() {
                    ApiKeys::Any
                } else {
                    ApiKeys::Only(api_keys)
                };
                let gateway = GatewayConfig {
                    api_kind: self.kind,
                    unemulated,
                    cognito_jwks,
                    jwks,
                    api_keys,
                    stage_variables,
                    ..GatewayConfig::default().with_stage(stage)
                };
                self.serve_locally(
                    registry,
                    LocalConfig {
                        addr,
                        gateway,
                        limits: Limits::default(),
                    },
                    source_ip_header,
                )
            }
            Mode::Usage => {
                eprintln!(
                    "`{}` is a chalice-rs app: serve it with `chalice-rs local` (or `{LOCAL_ARG} 127.0.0.1:8000`), \
                     deploy it with `chalice-rs deploy`, or print its manifest with `{MANIFEST_ARG}`.",
                    self.name
                );
                2
            }
        }
    }

    fn print_manifest(&self, registry: &Registry) -> i32 {
        let manifest = Manifest::for_kind(&self.name, self.kind, registry);
        let mut stdout = std::io::stdout().lock();
        let written = serde_json::to_writer_pretty(&mut stdout, &manifest)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout));
        match written {
            Ok(()) => 0,
            Err(error) => {
                eprintln!("chalice-rs: cannot write the manifest: {error}");
                1
            }
        }
    }

    fn serve_locally(
        &self,
        registry: &'static Registry,
        config: LocalConfig,
        source_ip_header: Option<ForwardedSourceIp>,
    ) -> i32 {
        // This runtime only accepts connections; the server's own runtimes serve them.
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("chalice-rs: cannot start the async runtime: {error}");
                return 1;
            }
        };
        runtime.block_on(async {
            let gateway_config = config.gateway.clone();
            let wanted = config.addr;
            let server = match LocalServer::bind(registry, config).await {
                Ok(server) => match source_ip_header {
                    Some(forwarded) => server.behind_proxy(forwarded),
                    None => server,
                },
                Err(error) => {
                    eprintln!("chalice-rs: {}", cannot_listen(wanted, &error));
                    return 1;
                }
            };
            let addr = server
                .local_addr()
                .unwrap_or_else(|_| ([127, 0, 0, 1], 0).into());
            eprintln!(
                "{}",
                crate::local::banner(&self.name, registry, addr, &gateway_config)
            );
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            // `serve` writes out the request log before it returns: the last line comes last.
            match server.serve(shutdown).await {
                Ok(()) => {
                    eprintln!("chalice-rs: shut down");
                    0
                }
                Err(error) => {
                    eprintln!("chalice-rs: server failed: {error}");
                    1
                }
            }
        })
    }
}

/// Why the server could not listen on `addr`, and what to do about it.
fn cannot_listen(addr: SocketAddr, error: &std::io::Error) -> String {
    let remedy = match error.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            ": is another server running on port {}? Stop it, or choose another port with \
             `chalice-rs local --port N`",
            addr.port()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            ": port {} needs privileges; choose a port above 1023 with `chalice-rs local --port N`",
            addr.port()
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            ": {} is not an address of this machine; choose another with \
             `chalice-rs local --host ADDR`",
            addr.ip()
        ),
        _ => String::new(),
    };
    format!("cannot listen on {addr}: {error}{remedy}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_names_the_port_and_the_flag() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let error = std::net::TcpListener::bind(addr).unwrap_err();
        let message = cannot_listen(addr, &error);
        assert!(
            message.starts_with(&format!("cannot listen on {addr}: ")),
            "{message}"
        );
        assert!(
            message.contains(&format!("port {}", addr.port())),
            "{message}"
        );
        assert!(message.contains("--port"), "{message}");
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn lambda_mode_is_chosen_by_the_runtime_api_unless_arguments_ask_otherwise() {
        assert_eq!(Mode::choose(&args(&[]), true), Ok(Mode::Lambda));
        assert_eq!(Mode::choose(&args(&[]), false), Ok(Mode::Usage));
        assert_eq!(
            Mode::choose(&args(&["--chalice-manifest"]), true),
            Ok(Mode::Manifest)
        );
        assert!(matches!(
            Mode::choose(&args(&["--chalice-local", "127.0.0.1:1"]), true),
            Ok(Mode::Local { .. })
        ));
    }

    #[test]
    fn modes_come_from_the_arguments() {
        assert_eq!(Mode::from_args(&args(&[])), Ok(Mode::Usage));
        assert_eq!(
            Mode::from_args(&args(&["--chalice-manifest"])),
            Ok(Mode::Manifest)
        );
        assert_eq!(
            Mode::from_args(&args(&[
                "--chalice-local",
                "127.0.0.1:9000",
                "--stage",
                "dev",
                "--deny-unemulated"
            ])),
            Ok(Mode::Local {
                addr: "127.0.0.1:9000".parse().unwrap(),
                stage: "dev".into(),
                unemulated: Unemulated::Deny,
                cognito_jwks: None,
                jwks: BTreeMap::new(),
                api_keys: Vec::new(),
                stage_variables: HashMap::new(),
                source_ip_header: None,
            })
        );
        assert_eq!(
            Mode::from_args(&args(&[
                "--chalice-local",
                "127.0.0.1:9000",
                "--api-key",
                "k1",
                "--stage-variable",
                "env=blue=green",
                "--api-key",
                "k2",
            ])),
            Ok(Mode::Local {
                addr: "127.0.0.1:9000".parse().unwrap(),
                stage: GatewayConfig::default().stage,
                unemulated: Unemulated::Allow,
                cognito_jwks: None,
                jwks: BTreeMap::new(),
                api_keys: vec!["k1".into(), "k2".into()],
                stage_variables: HashMap::from([("env".into(), "blue=green".into())]),
                source_ip_header: None,
            })
        );
    }

    #[test]
    fn the_reload_proxy_names_the_header_it_forwards_the_client_address_in() {
        let Ok(Mode::Local {
            source_ip_header, ..
        }) = Mode::from_args(&args(&[
            "--chalice-local",
            "127.0.0.1:0",
            "--source-ip-header",
            "x-chalice-rs-source-ip-1f2e",
        ]))
        else {
            panic!("not local mode");
        };
        assert_eq!(
            source_ip_header.map(|forwarded| forwarded.header().to_string()),
            Some("x-chalice-rs-source-ip-1f2e".to_owned())
        );
    }

    #[test]
    fn bad_local_arguments_are_clear_errors() {
        for (list, expected) in [
            (&["--chalice-local"][..], "needs an address"),
            (
                &["--chalice-local", "nowhere"][..],
                "`nowhere` is not an address",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--stage"][..],
                "--stage needs",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--bogus"][..],
                "unknown argument `--bogus`",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--api-key"][..],
                "--api-key needs a key",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--stage-variable", "=x"][..],
                "`=x` is not NAME=VALUE",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--stage-variable", "nope"][..],
                "`nope` is not NAME=VALUE",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--jwks"][..],
                "--jwks needs ISSUER=PATH",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--jwks", "jwks.json"][..],
                "`jwks.json` is not ISSUER=PATH",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--jwks", "https://i="][..],
                "`https://i=` is not ISSUER=PATH",
            ),
            (
                &["--chalice-local", "127.0.0.1:1", "--source-ip-header"][..],
                "--source-ip-header needs a header name",
            ),
            (
                &[
                    "--chalice-local",
                    "127.0.0.1:1",
                    "--jwks",
                    "https://i=a.json",
                    "--jwks",
                    "https://i=b.json",
                ][..],
                "issuer `https://i` is given twice",
            ),
            (
                &[
                    "--chalice-local",
                    "127.0.0.1:1",
                    "--source-ip-header",
                    "a b",
                ][..],
                "--source-ip-header: `a b` is not an HTTP header name",
            ),
        ] {
            let error = Mode::from_args(&args(list)).unwrap_err();
            assert!(error.contains(expected), "{list:?}: {error}");
        }
    }

    #[test]
    fn each_jwt_issuer_gets_its_jwks_file() {
        let mode = Mode::from_args(&args(&[
            "--chalice-local",
            "127.0.0.1:9000",
            "--jwks",
            "https://issuer.example.com=.chalice/jwks.json",
            "--jwks",
            "https://other.example.com/pool=/keys/other.json",
        ]))
        .unwrap();
        let Mode::Local { jwks, .. } = mode else {
            panic!("not local: {mode:?}");
        };
        assert_eq!(
            jwks,
            BTreeMap::from([
                (
                    "https://issuer.example.com".to_owned(),
                    ".chalice/jwks.json".into()
                ),
                (
                    "https://other.example.com/pool".to_owned(),
                    "/keys/other.json".into()
                ),
            ])
        );
    }

    #[test]
    fn an_unreadable_jwks_file_is_named_with_its_issuer() {
        let error = load_jwks(BTreeMap::from([(
            "https://issuer.example.com".to_owned(),
            "/nonexistent/jwks.json".into(),
        )]))
        .unwrap_err();
        assert!(
            error.starts_with("issuer `https://issuer.example.com`: /nonexistent/jwks.json: "),
            "{error}"
        );
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/http-api/.chalice/jwks.json");
        let loaded = load_jwks(BTreeMap::from([(
            "https://issuer.example.com".to_owned(),
            example,
        )]))
        .unwrap();
        assert_eq!(
            loaded["https://issuer.example.com"]
                .key_ids()
                .collect::<Vec<_>>(),
            ["httpapi1-test"]
        );
    }
}
