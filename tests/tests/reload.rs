//! `chalice-rs local`'s autoreload end to end: a copy of the demo app is served, a real HTTP
//! client keeps asking it while its view is edited, and every request is answered, first by
//! the old build, then by the new one; a compile error leaves the last good build serving.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chalice_rs_tests::cli::{target_dir, workspace};
use chalice_rs_tests::local::Served;
use serde_json::Value;

/// A rebuild of the app crate, its dependencies already built, on a busy machine.
const REBUILD_TIMEOUT: Duration = Duration::from_secs(300);

const VIEW: &str = r#"json!({ "context": req.context })"#;

/// What the poller saw: each answer's `version` (0 before the edit), and each failure.
#[derive(Default)]
struct Seen {
    versions: Vec<u64>,
    failures: Vec<String>,
}

#[test]
fn an_edit_is_served_without_a_failed_request_and_a_compile_error_keeps_the_old_build() {
    let project = copy_of_the_demo_app();
    let served = Served::start(&project, &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let polling = Arc::new(AtomicBool::new(true));
    let poller = runtime.spawn(poll(
        served.url("/"),
        Arc::clone(&seen),
        Arc::clone(&polling),
    ));
    let answered = |version: u64| {
        let seen = Arc::clone(&seen);
        runtime.block_on(async move {
            tokio::time::timeout(REBUILD_TIMEOUT, async {
                while seen.lock().unwrap().versions.last() != Some(&version) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await
            .is_ok()
        })
    };
    assert!(answered(0), "the first build never answered");

    // A one-line change to the view is served once rebuilt, without a failed request.
    let main_rs = project.join("src/main.rs");
    edit(
        &main_rs,
        VIEW,
        r#"json!({ "context": req.context, "version": 2 })"#,
    );
    let rebuilt = served.wait_for_line(REBUILD_TIMEOUT, |line| line.starts_with("Rebuilt in "));
    assert!(
        rebuilt
            .iter()
            .any(|line| line == "src/main.rs changed; rebuilding"),
        "{rebuilt:#?}"
    );
    assert!(answered(2), "the edit was never served: {rebuilt:#?}");

    // A compile error is printed, and the last good build keeps answering.
    edit(&main_rs, r#""version": 2"#, r#""version": no_such_value"#);
    let failed = served.wait_for_line(REBUILD_TIMEOUT, |line| {
        line == "Still serving the previous build."
    });
    assert!(
        failed.iter().any(|line| line.contains("error[E0425]")),
        "the compiler's error was not printed: {failed:#?}"
    );
    let before = seen.lock().unwrap().versions.len();
    std::thread::sleep(Duration::from_millis(500));
    polling.store(false, Ordering::SeqCst);
    runtime.block_on(poller).unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.failures.is_empty(),
        "failed requests: {:#?}",
        seen.failures
    );
    assert!(
        seen.versions.len() > before,
        "no answer after the compile error"
    );
    assert_eq!(seen.versions.last(), Some(&2));
    // Old answers then new ones, never back.
    let switched = seen.versions.iter().position(|v| *v == 2).unwrap();
    assert!(seen.versions[..switched].iter().all(|v| *v == 0));
    assert!(seen.versions[switched..].iter().all(|v| *v == 2));

    let (code, _) = served.stop();
    assert_eq!(code, Some(0));
    std::fs::remove_dir_all(&project).unwrap();
}

#[test]
fn the_view_sees_the_client_address_not_a_spoofed_one() {
    let project = copy_of_the_demo_app();
    let served = Served::start(&project, &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: Value = runtime.block_on(async {
        reqwest::Client::new()
            .get(served.url("/"))
            .header("Authorization", "allow")
            .header("x-chalice-rs-source-ip", "203.0.113.9")
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(
        body["context"]["identity"]["sourceIp"], "127.0.0.1",
        "{body:#}"
    );
    let (code, _) = served.stop();
    assert_eq!(code, Some(0));
    std::fs::remove_dir_all(&project).unwrap();
}

#[test]
fn with_no_autoreload_an_edit_is_not_picked_up() {
    let project = copy_of_the_demo_app();
    let served = Served::start(&project, &["--no-autoreload"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let version = || {
        runtime.block_on(async {
            let body: Value = reqwest::Client::new()
                .get(served.url("/"))
                .header("Authorization", "allow")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["version"].as_u64().unwrap_or(0)
        })
    };
    assert_eq!(version(), 0);
    edit(
        &project.join("src/main.rs"),
        VIEW,
        r#"json!({ "context": req.context, "version": 2 })"#,
    );
    // Longer than a rebuild of this app takes with autoreload (about a second).
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(version(), 0);
    let (code, log) = served.stop();
    assert_eq!(code, Some(0));
    assert!(
        !log.iter().any(|line| line.contains("rebuilding")),
        "{log:#?}"
    );
    std::fs::remove_dir_all(&project).unwrap();
}

/// Asks for `/` as the allowed user until `polling` is cleared, over one keep-alive client and
/// a fresh connection each time, recording each answer.
async fn poll(url: String, seen: Arc<Mutex<Seen>>, polling: Arc<AtomicBool>) {
    let keep_alive = reqwest::Client::new();
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut turn = 0_u64;
    while polling.load(Ordering::SeqCst) {
        turn += 1;
        let client = if turn.is_multiple_of(2) {
            &keep_alive
        } else {
            &fresh
        };
        let answer = async {
            let response = client
                .get(&url)
                .header("Authorization", "allow")
                .send()
                .await
                .map_err(|error| format!("{error:?}"))?;
            let status = response.status();
            let body: Value = response
                .json()
                .await
                .map_err(|error| format!("{error:?}"))?;
            if status != 200 {
                return Err(format!("{status}: {body}"));
            }
            Ok(body["version"].as_u64().unwrap_or(0))
        };
        let answer = answer.await;
        {
            let mut seen = seen.lock().unwrap();
            match answer {
                Ok(version) => seen.versions.push(version),
                Err(failure) => seen.failures.push(failure),
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Replaces `old` by `new` in the file at `path`, which must hold it.
fn edit(path: &Path, old: &str, new: &str) {
    let source = std::fs::read_to_string(path).unwrap();
    assert!(source.contains(old), "{old} is not in {}", path.display());
    std::fs::write(path, source.replace(old, new)).unwrap();
}

/// The demo app (examples/demoauth) as a project of its own in a temporary directory, depending
/// on this checkout's runtime at the workspace's locked versions and building into the shared
/// target directory, so only the app crate is compiled.
fn copy_of_the_demo_app() -> PathBuf {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    // Each copy is a package of its own name: they build into one target directory, where
    // copies of one name would share (and overwrite) one binary.
    let name = format!(
        "demoauth-reload-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::SeqCst)
    );
    let dir = std::env::temp_dir().join(format!("chalice-rs-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let example = workspace().join("examples/demoauth");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".chalice")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    let main_rs = std::fs::read_to_string(example.join("src/main.rs")).unwrap();
    let main_rs = main_rs.replace("#[cfg(test)]\nmod tests;\n", "");
    assert!(
        main_rs.contains(VIEW),
        "the demo app's view changed: {main_rs}"
    );
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    std::fs::copy(
        example.join(".chalice/config.json"),
        dir.join(".chalice/config.json"),
    )
    .unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let runtime = workspace().join("chalice-runtime");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             publish = false\n\n[dependencies]\nchalice-runtime = {{ path = {runtime:?} }}\n\
             serde_json = {{ version = \"1\", features = [\"preserve_order\", \"raw_value\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt\", \"rt-multi-thread\", \"macros\", \
             \"time\", \"net\", \"signal\", \"io-util\", \"process\"] }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = {:?}\n", target_dir()),
    )
    .unwrap();
    dir
}
