//! The threads that serve connections: one per core, each running its own single-threaded
//! runtime, with every connection handed to one of them in turn and kept there.
//!
//! A connection's requests then never wake another thread. Work-stealing workers (tokio's
//! multi-threaded runtime) wake each other as requests come in, and at concurrency 32 on two
//! cores those wake-ups and the switches they bring cost about a tenth of the throughput
//! (bench/gaps.md). A view that blocks holds up the other connections on its thread; a view
//! that waits on I/O should be an `async fn`.

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread;

use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// A connection on its way to a worker: a plain socket, as each runtime polls its own.
type Handed = (std::net::TcpStream, SocketAddr, OwnedSemaphorePermit);

/// What a worker does with each connection it is handed, on its own runtime (spawns its task).
pub(super) type ServeConnection =
    Arc<dyn Fn(TcpStream, SocketAddr, OwnedSemaphorePermit) + Send + Sync>;

/// The worker threads. Dropping this lets them finish: each stops taking connections and drops
/// its runtime, and with it the connections still open, as the server does at shutdown.
pub(super) struct Workers {
    queues: Vec<UnboundedSender<Handed>>,
    next: usize,
}

impl Workers {
    /// Starts one worker per core the process may use.
    pub(super) fn start(serve: ServeConnection) -> io::Result<Self> {
        let count = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let mut queues = Vec::with_capacity(count);
        for index in 0..count {
            // Built here, so a failure is the caller's error rather than a thread's message.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (queue, connections) = unbounded_channel();
            let serve = Arc::clone(&serve);
            thread::Builder::new()
                .name(format!("chalice-local-{index}"))
                .spawn(move || runtime.block_on(work(connections, serve)))?;
            queues.push(queue);
        }
        Ok(Workers { queues, next: 0 })
    }

    /// Hands a connection to the next worker in turn.
    pub(super) fn hand_off(
        &mut self,
        stream: TcpStream,
        peer: SocketAddr,
        permit: OwnedSemaphorePermit,
    ) -> io::Result<()> {
        let mut connection = (stream.into_std()?, peer, permit);
        for _ in 0..self.queues.len() {
            let queue = &self.queues[self.next];
            self.next = (self.next + 1) % self.queues.len();
            match queue.send(connection) {
                Ok(()) => return Ok(()),
                // That worker is gone (its runtime failed); try the next.
                Err(returned) => connection = returned.0,
            }
        }
        Err(io::Error::other("every worker thread has stopped"))
    }
}

async fn work(mut connections: UnboundedReceiver<Handed>, serve: ServeConnection) {
    while let Some((stream, peer, permit)) = connections.recv().await {
        match TcpStream::from_std(stream) {
            Ok(stream) => serve(stream, peer, permit),
            Err(error) => eprintln!("chalice-rs: cannot serve a connection from {peer}: {error}"),
        }
    }
}
