//! Autoreload: serve the app through the proxy, and on each change under the project rebuild
//! it in the background and hand the port to the new build once it answers.
//!
//! The old build serves until the new one is ready, and finishes the requests it has in flight
//! before it is stopped; a build that fails leaves it serving.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use http::HeaderName;
use tokio::net::TcpListener;

use super::app_process::AppProcess;
use super::proxy::{self, Backend, Current};
use super::watch::ProjectWatcher;
use super::{LocalOptions, app_command, build};
use crate::error::{Error, Result};
use crate::project::Project;

/// How long an old build may take to finish its requests in flight before it is stopped anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the project with autoreload until Ctrl-C or SIGTERM; the last app's exit code.
pub async fn serve(project: Project, options: &LocalOptions) -> Result<i32> {
    let built = build(&project, options).await?;
    let listener = bind(options).await?;
    let public = listener
        .local_addr()
        .map_err(|error| Error::new(format!("cannot read the listening address: {error}")))?;
    let header = source_ip_header();
    let mut watcher = ProjectWatcher::start(project.dir())?;
    let mut app = AppProcess::start(
        app_command(&project, options, &built.binary, Some(&header))?,
        public,
    )
    .await?;
    let current = Current::new(Backend::new(app.addr()));
    let proxy = tokio::spawn(proxy::serve(listener, current.clone(), header.clone()));
    eprintln!(
        "Autoreload is on: the app is rebuilt when its sources, Cargo.toml or .chalice/config.json change (--no-autoreload turns it off)"
    );
    let stop = stop_requested();
    tokio::pin!(stop);
    let code = loop {
        let changed = tokio::select! {
            () = &mut stop => break app.stop().await,
            changed = watcher.next_change() => changed,
        };
        eprintln!("{} changed; rebuilding", describe(&project, &changed));
        let rebuilt = tokio::select! {
            () = &mut stop => break app.stop().await,
            rebuilt = rebuild(&project, options, &header, public) => rebuilt,
        };
        match rebuilt {
            Ok((new_app, took)) => {
                let old = current.switch(Backend::new(new_app.addr()));
                let old_app = std::mem::replace(&mut app, new_app);
                eprintln!("Rebuilt in {:.1} s", took.as_secs_f64());
                tokio::spawn(async move {
                    proxy::drained(&old, DRAIN_TIMEOUT).await;
                    old_app.stop().await;
                });
            }
            Err(error) => eprintln!("error: {error}\nStill serving the previous build."),
        }
    };
    proxy.abort();
    Ok(code)
}

/// Rebuilds the project as it now is (its config re-read) and starts the new app; it and how
/// long it took from the start of the build until it answered.
async fn rebuild(
    project: &Project,
    options: &LocalOptions,
    header: &HeaderName,
    public: SocketAddr,
) -> Result<(AppProcess, Duration)> {
    let started = Instant::now();
    let project = Project::open(project.dir())?;
    let built = build(&project, options).await?;
    let app = AppProcess::start(
        app_command(&project, options, &built.binary, Some(header))?,
        public,
    )
    .await?;
    Ok((app, started.elapsed()))
}

/// Listens on the public address, or says why not and what to do.
async fn bind(options: &LocalOptions) -> Result<TcpListener> {
    let host = options.host.trim_start_matches('[').trim_end_matches(']');
    TcpListener::bind((host, options.port)).await.map_err(|error| {
        let remedy = match error.kind() {
            std::io::ErrorKind::AddrInUse => {
                "; is another server running on that port? Stop it, or choose another port with `chalice-rs local --port N`"
            }
            std::io::ErrorKind::PermissionDenied => {
                "; choose a port above 1023 with `chalice-rs local --port N`"
            }
            _ => "",
        };
        Error::new(format!(
            "cannot listen on {host} port {}: {error}{remedy}",
            options.port
        ))
    })
}

/// The header the proxy names the client's address in. Its name is random per run, so no
/// client can guess it to reach the app directly with an address of its choosing.
fn source_ip_header() -> HeaderName {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos()),
    );
    HeaderName::try_from(format!("x-chalice-rs-source-ip-{:016x}", hasher.finish()))
        .expect("letters, digits and dashes make a header name")
}

/// The changed files, relative to the project, for the rebuild message.
fn describe(project: &Project, changed: &[PathBuf]) -> String {
    let names: Vec<String> = changed
        .iter()
        .map(|path| {
            path.strip_prefix(project.dir())
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    match &names[..] {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => "the project".to_owned(),
    }
}

/// Completes on Ctrl-C, or on SIGTERM where there are signals.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_ip_header_differs_from_run_to_run() {
        let (one, two) = (source_ip_header(), source_ip_header());
        assert!(one.as_str().starts_with("x-chalice-rs-source-ip-"), "{one}");
        assert_ne!(one, two);
    }
}
