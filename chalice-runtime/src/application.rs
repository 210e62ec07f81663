//! [`App`]: the app's name and the entry point that picks how the binary runs.

use std::io::Write as _;

use crate::manifest::Manifest;
use crate::registry::{Registry, RegistryError};

/// The argument the CLI runs an app binary with to read its manifest.
pub const MANIFEST_ARG: &str = "--chalice-manifest";

/// A chalice-rs app. Its routes and authorizers are the ones the attribute macros registered
/// in this binary, so there is nothing to add to it by hand.
#[derive(Debug, Clone)]
pub struct App {
    name: String,
}

impl App {
    /// The app named `name`, which must be the config's `app_name`.
    pub fn new(name: impl Into<String>) -> Self {
        App { name: name.into() }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The routes and authorizers, or the conflict that makes them unusable.
    pub fn registry(&self) -> Result<&'static Registry, &'static RegistryError> {
        Registry::global()
    }

    /// The manifest the CLI deploys from.
    pub fn manifest(&self) -> Result<Manifest, &'static RegistryError> {
        Ok(Manifest::new(&self.name, self.registry()?))
    }

    /// Runs the app as the environment asks: with `--chalice-manifest`, print the manifest and
    /// exit. Otherwise say how to run it. Exits the process with the outcome's status.
    pub fn run(self) {
        let code = self.run_to_exit_code();
        std::process::exit(code);
    }

    fn run_to_exit_code(self) -> i32 {
        let registry = match self.registry() {
            Ok(registry) => registry,
            Err(error) => {
                eprintln!("chalice-rs: app `{}`: {error}", self.name);
                return 1;
            }
        };
        if std::env::args().skip(1).any(|arg| arg == MANIFEST_ARG) {
            let manifest = Manifest::new(&self.name, registry);
            let mut stdout = std::io::stdout().lock();
            let written = serde_json::to_writer_pretty(&mut stdout, &manifest)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(stdout));
            return match written {
                Ok(()) => 0,
                Err(error) => {
                    eprintln!("chalice-rs: cannot write the manifest: {error}");
                    1
                }
            };
        }
        eprintln!(
            "`{}` is a chalice-rs app: serve it with `chalice-rs local`, deploy it with \
             `chalice-rs deploy`, or print its manifest with `{MANIFEST_ARG}`.",
            self.name
        );
        2
    }
}
