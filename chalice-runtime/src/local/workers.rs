//! The runtimes that serve connections: one per core, each a single-threaded runtime on a
//! thread of its own, with every connection handed to one of them in turn and kept there.
//!
//! A connection's requests then never wake another thread. With one runtime whose workers steal
//! each other's tasks, the workers wake each other as requests come in, and at concurrency 32 on
//! two cores those wake-ups and the switches they bring cost about a tenth of the throughput
//! (bench/gaps.md). The Lambda handler runs on a single-threaded runtime too, so a view meets
//! the same runtime locally as on Lambda. A view that blocks holds up the other connections on
//! its thread; one that waits on I/O should be an `async fn`.

use std::io;
use std::num::NonZeroUsize;
use std::thread;

use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The runtimes. Dropping this stops them, and with them the connections still open, as the
/// server does at shutdown.
pub(super) struct Workers {
    runtimes: Vec<Worker>,
    next: usize,
}

struct Worker {
    handle: Handle,
    /// Dropped to stop the runtime's thread.
    _stop: oneshot::Sender<()>,
}

impl Workers {
    /// Starts one runtime per core the process may use.
    pub(super) fn start() -> io::Result<Self> {
        let count = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let mut runtimes = Vec::with_capacity(count);
        for index in 0..count {
            // Built here, so a failure is the caller's error rather than a thread's message.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            thread::Builder::new()
                .name(format!("chalice-local-{index}"))
                .spawn(move || {
                    // Runs the connections spawned onto it until told to stop; dropping the
                    // runtime then drops them.
                    let _ = runtime.block_on(stopped);
                })?;
            runtimes.push(Worker {
                handle,
                _stop: stop,
            });
        }
        Ok(Workers { runtimes, next: 0 })
    }

    /// Hands a connection to the next runtime in turn, to be served by `serve`.
    pub(super) fn hand_off<F>(
        &mut self,
        stream: TcpStream,
        serve: impl FnOnce(TcpStream) -> F,
    ) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let worker = &self.runtimes[self.next];
        self.next = (self.next + 1) % self.runtimes.len();
        // Each runtime polls its own sockets: the connection moves over as a plain socket.
        let stream = stream.into_std()?;
        let _entered = worker.handle.enter();
        let stream = TcpStream::from_std(stream)?;
        worker.handle.spawn(serve(stream));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn connections_are_served_in_turn_on_the_workers_own_threads() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut workers = Workers::start().unwrap();
        let served_on = Arc::new(Mutex::new(Vec::new()));
        let (done, mut finished) = tokio::sync::mpsc::unbounded_channel();
        let count = 2 * workers.runtimes.len();
        for _ in 0..count {
            let _client = TcpStream::connect(addr).await.unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let (served_on, done) = (Arc::clone(&served_on), done.clone());
            workers
                .hand_off(stream, move |stream| async move {
                    let name = thread::current().name().map(str::to_owned);
                    served_on.lock().unwrap().push(name);
                    drop(stream);
                    let _ = done.send(());
                })
                .unwrap();
        }
        for _ in 0..count {
            finished.recv().await.unwrap();
        }
        let mut names = served_on.lock().unwrap().clone();
        names.sort();
        let expected: Vec<_> = (0..workers.runtimes.len())
            .flat_map(|index| {
                let name = Some(format!("chalice-local-{index}"));
                [name.clone(), name]
            })
            .collect();
        assert_eq!(names, expected);
    }
}
