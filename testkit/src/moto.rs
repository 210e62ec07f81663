//! moto, the local AWS emulator the deploy tests run against, started for the test process as
//! a test-container library would: installed when missing (`scripts/install-moto`), on a free
//! loopback port, ready before it is handed out, and stopped when its test process ends.
//!
//! A process static is never dropped, so stopping at exit cannot rest on `Drop`. moto is run
//! under a small watchdog (the virtualenv's own Python) that reads its stdin, a pipe only the
//! test process holds: when the test process exits, however it exits, the pipe closes and the
//! watchdog stops moto. Dropping a [`Moto`] closes the pipe too.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::venv;

/// Names an emulator already running (`http://127.0.0.1:PORT`), which the tests then use
/// instead of starting their own: `scripts/test` starts one for the whole run.
pub const ENDPOINT_VAR: &str = "CHALICE_RS_TEST_AWS_ENDPOINT";

/// How long moto may take to answer after it starts: imports take seconds on a busy machine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);

/// How often a start is tried on a new port when another process took the free one first.
const PORT_ATTEMPTS: usize = 5;

/// Starts moto (the arguments) and kills it when stdin reaches its end (moto keeps nothing
/// worth a graceful stop); exits as soon as moto is gone, with its status, skipping Python's
/// shutdown so that nothing of moto outlives the test process by more than a moment.
const WATCHDOG: &str = r#"
import os, subprocess, sys, threading
moto = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
def stop_at_eof():
    sys.stdin.buffer.read()
    moto.kill()
threading.Thread(target=stop_at_eof, daemon=True).start()
code = moto.wait()
os._exit(code if code >= 0 else 128 - code)
"#;

/// Lambda functions are never invoked by the tests; without Docker moto must not try to.
const CONFIG: &str = r#"{"lambda":{"use_docker":false}}"#;

/// At most this much of moto's output is kept, for the message when it fails.
const OUTPUT_TAIL: usize = 64 * 1024;

/// A moto server of this test process, stopped when dropped or when the process exits.
pub struct Moto {
    endpoint: String,
    watchdog: Child,
    /// Held open while moto should run: the watchdog stops it at end of file.
    lifeline: Option<ChildStdin>,
}

impl Moto {
    /// The endpoint every test of this process shares: the emulator [`ENDPOINT_VAR`] names
    /// when it is set, else one started on first use and stopped when the process exits.
    ///
    /// # Panics
    /// If moto cannot be installed or started.
    pub fn shared() -> &'static str {
        static SHARED: OnceLock<Shared> = OnceLock::new();
        let shared = SHARED.get_or_init(|| match std::env::var(ENDPOINT_VAR) {
            Ok(endpoint) if !endpoint.is_empty() => Shared::Given(endpoint),
            _ => Shared::Started(Moto::start()),
        });
        match shared {
            Shared::Given(endpoint) => endpoint,
            Shared::Started(moto) => moto.endpoint(),
        }
    }

    /// Starts a moto of its own on a free loopback port, configured as the tests need it,
    /// installing moto first when it is missing.
    ///
    /// # Panics
    /// If moto cannot be installed or started.
    pub fn start() -> Moto {
        let venv = venv::moto();
        let mut failures = Vec::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let mut command = Command::new(venv.join("bin/python"));
            command
                .args(["-c", WATCHDOG])
                .arg(venv.join("bin/moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            match Moto::spawn(command, port) {
                Ok(moto) => return moto,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "moto did not start ({} attempts on free ports):\n{}",
            failures.len(),
            failures.join("\n---\n")
        );
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs `command` (the watchdog over `moto_server` on `port`) until moto answers, then
    /// configures it; what moto printed when it fails.
    fn spawn(mut command: Command, port: u16) -> Result<Moto, String> {
        let mut watchdog = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = watchdog.stdout.take() {
            keep_tail(stdout, &output);
        }
        if let Some(stderr) = watchdog.stderr.take() {
            keep_tail(stderr, &output);
        }
        let lifeline = watchdog.stdin.take();
        let mut moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            watchdog,
            lifeline,
        };
        let printed = || {
            String::from_utf8_lossy(&output.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = moto.watchdog.try_wait() {
                // Give the readers a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(100));
                return Err(format!(
                    "moto on port {port} exited ({status}):\n{}",
                    printed()
                ));
            }
            if http(port, "GET", "/moto-api/", "").is_ok_and(|status| status == 200) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "moto on port {port} did not answer within {STARTUP_TIMEOUT:?}:\n{}",
                    printed()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        match http(port, "POST", "/moto-api/config", CONFIG) {
            Ok(200..=299) => Ok(moto),
            answer => Err(format!(
                "moto on port {port} refused its config {CONFIG} ({answer:?}):\n{}",
                printed()
            )),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        let _ = self.watchdog.wait();
    }
}

enum Shared {
    Given(String),
    Started(Moto),
}

/// A loopback port free at the time of asking (another process may take it before moto
/// binds it: [`Moto::start`] then tries another).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind a free loopback port")
}

/// Appends what `pipe` yields to `sink`, on a thread of its own, keeping the last
/// [`OUTPUT_TAIL`] bytes.
fn keep_tail(mut pipe: impl Read + Send + 'static, sink: &Arc<Mutex<Vec<u8>>>) {
    let sink = Arc::clone(sink);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buffer) {
            let mut kept = sink.lock().unwrap_or_else(|p| p.into_inner());
            kept.extend_from_slice(&buffer[..n]);
            let excess = kept.len().saturating_sub(OUTPUT_TAIL);
            kept.drain(..excess);
        }
    });
}

/// One HTTP/1.0 request to `127.0.0.1:port`; the status code.
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let status_line = String::from_utf8_lossy(&answer);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {status_line:.80}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process_exists(pid: u32) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    fn a_started_moto_answers_is_configured_and_stops_when_dropped() {
        let moto = Moto::start();
        let port: u16 = moto.endpoint().rsplit(':').next().unwrap().parse().unwrap();
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        write!(
            stream,
            "GET /moto-api/config HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1."), "{answer}");
        assert!(
            answer.contains(r#""use_docker": false"#) || answer.contains(r#""use_docker":false"#),
            "{answer}"
        );
        let watchdog = moto.watchdog.id();
        drop(moto);
        assert!(!process_exists(watchdog), "the watchdog outlived its Moto");
        assert!(
            http(port, "GET", "/moto-api/", "").is_err(),
            "moto still answers on {port} after its Moto was dropped"
        );
    }

    #[test]
    fn the_shared_endpoint_is_one_per_process() {
        let first = Moto::shared();
        assert!(first.starts_with("http://"), "{first}");
        assert_eq!(http_status(first), 200);
        assert!(std::ptr::eq(first, Moto::shared()));
    }

    /// Run as a child of the test below: starts the shared moto, says where, and exits without
    /// dropping anything, as a test binary does.
    const CHILD_VAR: &str = "CHALICE_TESTKIT_MOTO_CHILD";

    #[test]
    fn a_started_shared_moto_stops_when_its_process_exits() {
        if std::env::var_os(CHILD_VAR).is_some() {
            println!("endpoint={}", Moto::shared());
            return;
        }
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "moto::tests::a_started_shared_moto_stops_when_its_process_exits",
                "--nocapture",
            ])
            .env(CHILD_VAR, "1")
            .env_remove(ENDPOINT_VAR)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let endpoint = stdout
            .lines()
            .find_map(|line| line.strip_prefix("endpoint="))
            .unwrap_or_else(|| panic!("the child printed no endpoint: {stdout}"));
        let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http(port, "GET", "/moto-api/", "").is_ok() {
            assert!(
                Instant::now() < deadline,
                "moto on {port} still answers after its test process exited"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn http_status(endpoint: &str) -> u16 {
        let (host, port) = endpoint
            .trim_start_matches("http://")
            .rsplit_once(':')
            .unwrap();
        assert_eq!(host, "127.0.0.1");
        http(port.parse().unwrap(), "GET", "/moto-api/", "").unwrap()
    }
}
