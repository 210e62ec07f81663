//! One line per request on stderr: method, path (no query: it may hold secrets), status, the
//! authorizer's decision, latency.
//!
//! Each worker thread appends its lines to a buffer of its own, and one writer thread collects
//! them every few milliseconds: a write, a lock shared between workers or a thread wake-up per
//! request would cost the server more than the request does. Lines from different workers can
//! therefore come out of order within one collection.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use http::{Method, Uri};

use crate::log_text::printable;

/// How often the writer collects the lines.
const COLLECT_EVERY: Duration = Duration::from_millis(20);

/// The lines one worker thread has logged since the writer last collected them.
type Pending = Arc<Mutex<String>>;

thread_local! {
    static PENDING: Pending = register();
}

/// The request a line is being written for; kept from the start of the request, so the latency
/// covers it all, and written when its answer is known.
pub(super) struct LogLine {
    method: Method,
    uri: Uri,
    started: Instant,
}

impl LogLine {
    /// Starts the line of the request with this head (the clones share its bytes).
    pub(super) fn start(method: &Method, uri: &Uri, started: Instant) -> Self {
        LogLine {
            method: method.clone(),
            uri: uri.clone(),
            started,
        }
    }

    /// Logs the line: the status, what `describe` says (the authorizer's decision) and the
    /// latency in milliseconds. Returns the time the request was answered.
    pub(super) fn finish(self, status: u16, describe: impl FnOnce(&mut String)) -> Instant {
        let now = Instant::now();
        let micros = now.saturating_duration_since(self.started).as_micros();
        let micros = u64::try_from(micros).unwrap_or(u64::MAX);
        PENDING.with(|pending| self.write(&mut lock(pending), status, describe, micros));
        now
    }

    fn write(
        &self,
        text: &mut String,
        status: u16,
        describe: impl FnOnce(&mut String),
        micros: u64,
    ) {
        text.push_str(self.method.as_str());
        text.push(' ');
        text.push_str(self.uri.path());
        text.push(' ');
        push_decimal(text, u64::from(status), 1);
        text.push(' ');
        let described = text.len();
        describe(text);
        escape_from(text, described);
        text.push(' ');
        push_decimal(text, micros / 1000, 1);
        text.push('.');
        push_decimal(text, micros % 1000 / 10, 2);
        text.push_str("ms\n");
    }
}

/// Escapes the control characters of `text[start..]` (see [`printable`]): a principal or an
/// authorizer's error with a newline in it must not forge a line.
fn escape_from(text: &mut String, start: usize) {
    if let Cow::Owned(escaped) = printable(&text[start..]) {
        text.truncate(start);
        text.push_str(&escaped);
    }
}

/// Writes the lines logged so far (at shutdown).
pub fn flush_request_log() {
    let mut batch = String::new();
    let mut threads = lock(writer());
    for pending in threads.iter() {
        let mut text = lock(pending);
        batch.push_str(&text);
        // Cleared, not taken: the thread keeps its buffer's capacity.
        text.clear();
    }
    // A thread that has ended leaves its buffer to the writer alone.
    threads.retain(|pending| Arc::strong_count(pending) > 1);
    drop(threads);
    if !batch.is_empty() {
        use std::io::Write as _;
        let _ = std::io::stderr().lock().write_all(batch.as_bytes());
    }
}

/// Every worker thread's buffer, and the writer thread, started with the first.
fn writer() -> &'static Mutex<Vec<Pending>> {
    static THREADS: OnceLock<Mutex<Vec<Pending>>> = OnceLock::new();
    THREADS.get_or_init(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(COLLECT_EVERY);
                flush_request_log();
            }
        });
        Mutex::new(Vec::new())
    })
}

fn register() -> Pending {
    let pending = Pending::default();
    lock(writer()).push(Arc::clone(&pending));
    pending
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Appends `value` in decimal, zero-padded to `digits`.
fn push_decimal(out: &mut String, value: u64, digits: usize) {
    let mut buffer = [b'0'; 20];
    let mut at = buffer.len();
    let mut rest = value;
    while rest > 0 || buffer.len() - at < digits {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    for &digit in &buffer[at..] {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_padded_to_the_digits_asked_for() {
        let mut out = String::new();
        for (value, digits) in [(0, 1), (7, 2), (42, 2), (200, 1), (u64::MAX, 1)] {
            push_decimal(&mut out, value, digits);
            out.push(' ');
        }
        assert_eq!(out, format!("0 07 42 200 {} ", u64::MAX));
    }

    #[test]
    fn a_line_has_the_path_without_its_query_and_the_latency_in_milliseconds() {
        let uri: Uri = "/users/42?token=secret".parse().unwrap();
        let mut text = String::new();
        LogLine::start(&Method::GET, &uri, Instant::now()).write(
            &mut text,
            200,
            |text| text.push_str("allowed"),
            12_345,
        );
        assert_eq!(text, "GET /users/42 200 allowed 12.34ms\n");
    }

    #[test]
    fn a_principal_with_a_newline_cannot_forge_a_line() {
        let uri: Uri = "/".parse().unwrap();
        let mut text = String::new();
        LogLine::start(&Method::GET, &uri, Instant::now()).write(
            &mut text,
            200,
            |text| text.push_str("allowed principal=u\nGET /admin 200 allowed"),
            1_000,
        );
        assert_eq!(
            text,
            "GET / 200 allowed principal=u\\nGET /admin 200 allowed 1.00ms\n"
        );
        assert_eq!(text.lines().count(), 1);
    }
}
