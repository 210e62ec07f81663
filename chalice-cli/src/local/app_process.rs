//! One running app binary, serving on a loopback port behind the reload proxy.
//!
//! The app prints its banner (`Serving <app> on http://ADDR ...`) once it listens; that line says
//! which port it got. Everything the app prints goes on to the CLI's standard error, with the
//! app's private address in the banner replaced by the public one the user connects to.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, ChildStderr};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// How long a freshly built app may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A started app process.
#[derive(Debug)]
pub struct AppProcess {
    child: Child,
    addr: SocketAddr,
    /// Copies the app's standard error to the CLI's until the app exits.
    log: JoinHandle<()>,
}

impl AppProcess {
    /// Starts `command` (the app with `--chalice-local 127.0.0.1:0 ...`) and waits until it
    /// accepts connections. Its banner names `public` as where it is served.
    pub async fn start(command: Command, public: SocketAddr) -> Result<AppProcess> {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = tokio::process::Command::from(command)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| Error::new(format!("cannot start {program}: {error}")))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (listening, addr) = oneshot::channel();
        let log = tokio::spawn(copy_log(stderr, public, listening));
        let addr = tokio::select! {
            addr = tokio::time::timeout(START_TIMEOUT, addr) => match addr {
                Ok(Ok(addr)) => addr,
                Ok(Err(_)) | Err(_) => {
                    let _ = child.start_kill();
                    return Err(Error::new(format!("{program} did not start serving")));
                }
            },
            status = child.wait() => {
                let status = status.map_or_else(|error| error.to_string(), |status| status.to_string());
                return Err(Error::new(format!("{program} exited before serving ({status})")));
            }
        };
        Ok(AppProcess { child, addr, log })
    }

    /// The loopback address it serves on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it as Ctrl-C would, so it writes out its request log; its exit code.
    pub async fn stop(mut self) -> i32 {
        interrupt(&mut self.child);
        let status = match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                let _ = self.child.kill().await;
                None
            }
        };
        // The log ends when the app closes its standard error: every line is out before this
        // returns.
        let _ = self.log.await;
        status.and_then(|status| status.code()).unwrap_or(1)
    }
}

/// Asks the app to shut down cleanly: SIGINT where there are signals, else ends it.
fn interrupt(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
        // The app may have had the terminal's Ctrl-C already; a second one is harmless.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        );
        return;
    }
    let _ = child.start_kill();
}

/// Copies the app's standard error to the CLI's, sending the address of its banner to
/// `listening` and printing the banner with `public` in its place.
async fn copy_log(stderr: ChildStderr, public: SocketAddr, listening: oneshot::Sender<SocketAddr>) {
    let mut listening = Some(listening);
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        match listening.as_ref().and(serving_addr(&line)) {
            Some(addr) => {
                eprintln!(
                    "{}",
                    line.replace(&format!("http://{addr}"), &format!("http://{public}"))
                );
                if let Some(listening) = listening.take() {
                    let _ = listening.send(addr);
                }
            }
            None => eprintln!("{line}"),
        }
    }
}

/// The address in the app's banner line `Serving <app> on http://ADDR (...)`.
fn serving_addr(line: &str) -> Option<SocketAddr> {
    line.strip_prefix("Serving ")?
        .split_whitespace()
        .nth(2)?
        .strip_prefix("http://")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_says_where_the_app_listens() {
        assert_eq!(
            serving_addr("Serving demoauth1 on http://127.0.0.1:40123 (API Gateway stage `api`)"),
            Some("127.0.0.1:40123".parse().unwrap())
        );
        assert_eq!(
            serving_addr("Serving x on http://[::1]:8000 (API Gateway stage `api`)"),
            Some("[::1]:8000".parse().unwrap())
        );
        assert_eq!(serving_addr("GET / 200 allowed 0.1 ms"), None);
        assert_eq!(serving_addr("Serving nothing"), None);
    }
}
