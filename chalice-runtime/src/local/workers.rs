//! The runtimes that serve connections: one per core, each with a single worker thread, with
//! every connection handed to one of them in turn and kept there.
//!
//! A connection's requests then never wake another thread. With one runtime whose workers steal
//! each other's tasks, the workers wake each other as requests come in, and at concurrency 32 on
//! two cores those wake-ups and the switches they bring cost about a tenth of the throughput
//! (bench/gaps.md). Each runtime is still tokio's multi-threaded kind, so a view may call
//! `tokio::task::block_in_place` as it may on Lambda; a view that blocks without it holds up the
//! other connections on its runtime.

use std::io;
use std::num::NonZeroUsize;
use std::thread;

use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// The runtimes. Dropping this shuts them down, and with them the connections still open, as the
/// server does at shutdown.
pub(super) struct Workers {
    runtimes: Vec<Runtime>,
    next: usize,
}

impl Workers {
    /// Starts one runtime per core the process may use.
    pub(super) fn start() -> io::Result<Self> {
        let count = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let runtimes = (0..count)
            .map(|index| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name(format!("chalice-local-{index}"))
                    .enable_all()
                    .build()
            })
            .collect::<io::Result<_>>()?;
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
        let runtime = &self.runtimes[self.next];
        self.next = (self.next + 1) % self.runtimes.len();
        // Each runtime polls its own sockets: the connection moves over as a plain socket.
        let stream = stream.into_std()?;
        let _entered = runtime.enter();
        let stream = TcpStream::from_std(stream)?;
        runtime.spawn(serve(stream));
        Ok(())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // Without waiting: the server may be shutting down from inside another runtime, where
        // waiting is not allowed, and a view that never ends must not hold up the exit.
        for runtime in self.runtimes.drain(..) {
            runtime.shutdown_background();
        }
    }
}
