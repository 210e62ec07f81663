//! A running `chalice-rs local`, to talk to over real HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::cli::chalice_rs;

/// How long the app may take to build and start: a cold build of an example on a busy machine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(600);

/// `chalice-rs local --port 0` on a project, killed when dropped; [`Served::stop`] stops it
/// as Ctrl-C would.
pub struct Served {
    child: Child,
    base: String,
    log: mpsc::Receiver<String>,
    /// What was printed before the banner: cargo's output.
    pub startup: Vec<String>,
}

impl Served {
    /// Starts it with `extra` arguments and waits for its banner.
    ///
    /// # Panics
    /// If it does not start (the panic shows what it printed).
    pub fn start(project: &Path, extra: &[&str]) -> Served {
        Served::start_command(chalice_rs(project), extra)
    }

    /// [`Served::start`] with `command` (a `chalice-rs --project-dir ..`) as the CLI.
    ///
    /// # Panics
    /// If it does not start (the panic shows what it printed).
    pub fn start_command(mut command: Command, extra: &[&str]) -> Served {
        let mut child = command
            .args(["local", "--port", "0"])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chalice-rs local");
        let (sender, log) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut startup = Vec::new();
        loop {
            let Ok(line) = log.recv_timeout(STARTUP_TIMEOUT) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chalice-rs local did not start: {startup:#?}");
            };
            // "Serving <app> on <url> ..."
            if let Some(url) = line
                .strip_prefix("Serving ")
                .and_then(|rest| rest.split_whitespace().nth(2))
            {
                return Served {
                    base: url.to_owned(),
                    child,
                    log,
                    startup,
                };
            }
            startup.push(line);
        }
    }

    /// The URL of `path` on the server.
    /// Checks that it answers `/` as the demo app behind API Gateway does: the token `allow`
    /// reaches the view (200, principal `user`, stage `api`), `deny` is the policy's 403 and no
    /// token API Gateway's 401.
    ///
    /// # Panics
    /// On any other answer.
    pub async fn assert_answers_as_the_demo_app(&self) {
        let http = reqwest::Client::new();
        let get = |token: Option<&str>| {
            let request = http.get(self.url("/"));
            match token {
                Some(token) => request.header("Authorization", token),
                None => request,
            }
            .send()
        };
        let allowed = get(Some("allow")).await.unwrap();
        assert_eq!(allowed.status(), 200);
        let body: serde_json::Value = allowed.json().await.unwrap();
        assert_eq!(body["context"]["authorizer"]["principalId"], "user");
        assert_eq!(body["context"]["stage"], "api");
        let denied = get(Some("deny")).await.unwrap();
        assert_eq!(denied.status(), 403);
        assert_eq!(
            denied.text().await.unwrap(),
            r#"{"Message":"User is not authorized to access this resource"}"#
        );
        let missing = get(None).await.unwrap();
        assert_eq!(missing.status(), 401);
        assert_eq!(
            missing.text().await.unwrap(),
            r#"{"message":"Unauthorized"}"#
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits up to `timeout` for a line it logs after the banner that `wanted` accepts; the
    /// lines read meanwhile, that one last.
    ///
    /// # Panics
    /// If none comes in time (the panic shows the lines that did).
    pub fn wait_for_line(&self, timeout: Duration, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = self.log.recv_timeout(left) else {
                panic!("no wanted line within {timeout:?}; got: {seen:#?}");
            };
            let found = wanted(&line);
            seen.push(line);
            if found {
                return seen;
            }
        }
    }

    /// Stops it with SIGTERM; its exit code and the lines it logged after the banner.
    pub fn stop(mut self) -> (Option<i32>, Vec<String>) {
        let pid = nix::unistd::Pid::from_raw(
            i32::try_from(self.child.id()).expect("a process id fits an i32"),
        );
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal the server");
        let status = self.child.wait().expect("wait for the server");
        // Everything it wrote before exiting: the reader thread ends at the pipe's end, which
        // on a busy machine can come well after the exit.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut log = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) => log.push(line),
                Err(_) => break,
            }
        }
        (status.code(), log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
