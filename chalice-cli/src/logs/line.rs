//! One log event as `chalice logs` prints it: the UTC time, a short id of the log stream (the
//! execution environment), and the message without its surrounding whitespace.

use time::OffsetDateTime;

/// A log event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When it was logged, in milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// The log stream: `YYYY/MM/DD/[$LATEST]<hex id of the execution environment>`.
    pub stream: String,
    /// What was logged.
    pub message: String,
    /// CloudWatch's id of the event, unique in the group.
    pub id: String,
}

impl LogEvent {
    /// The line printed for it.
    pub fn line(&self) -> String {
        format!(
            "{} {} {}",
            utc_time(self.timestamp_ms),
            short_stream_id(&self.stream),
            self.message.trim()
        )
    }

    /// Whether Lambda itself wrote it (the `START`, `END` and `REPORT` lines around each
    /// invocation), which is left out unless asked for.
    pub fn is_from_lambda(&self) -> bool {
        let message = self.message.trim_start();
        ["START RequestId", "END RequestId", "REPORT RequestId"]
            .iter()
            .any(|prefix| message.starts_with(prefix))
    }
}

/// The first six characters after the stream name's `]`, which tell one execution environment
/// from another; the whole name when it has no `]`.
fn short_stream_id(stream: &str) -> &str {
    match stream.split_once(']') {
        Some((_, id)) => id.char_indices().nth(6).map_or(id, |(end, _)| &id[..end]),
        None => stream,
    }
}

/// `YYYY-MM-DD HH:MM:SS`, with `.ffffff` when the time has a fraction of a second, in UTC.
fn utc_time(timestamp_ms: i64) -> String {
    let nanos = i128::from(timestamp_ms) * 1_000_000;
    let Ok(time) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return format!("@{timestamp_ms}ms");
    };
    let seconds = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    match time.microsecond() {
        0 => seconds,
        micros => format!("{seconds}.{micros:06}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp_ms: i64, stream: &str, message: &str) -> LogEvent {
        LogEvent {
            timestamp_ms,
            stream: stream.to_owned(),
            message: message.to_owned(),
            id: "1".to_owned(),
        }
    }

    #[test]
    fn a_line_is_the_utc_time_the_short_stream_id_and_the_trimmed_message() {
        // 2026-12-05T06:50:34.123Z
        let line = event(
            1_796_453_434_123,
            "2026/12/05/[$LATEST]0123456789abcdef",
            "  hello world\n",
        )
        .line();
        assert_eq!(line, "2026-12-05 06:50:34.123000 012345 hello world");
        let whole_second = event(1_796_453_434_000, "2026/12/05/[$LATEST]ab", "x").line();
        assert_eq!(whole_second, "2026-12-05 06:50:34 ab x");
        assert_eq!(
            event(0, "plain-stream", "x").line(),
            "1970-01-01 00:00:00 plain-stream x"
        );
        assert_eq!(event(-1, "s", "x").line(), "1969-12-31 23:59:59.999000 s x");
    }

    #[test]
    fn lambdas_own_lines_are_told_apart() {
        for message in [
            "START RequestId: 8f5 Version: $LATEST",
            "END RequestId: 8f5",
            "REPORT RequestId: 8f5\tDuration: 1.2 ms",
        ] {
            assert!(event(0, "s", message).is_from_lambda(), "{message}");
        }
        assert!(!event(0, "s", "user said START RequestId").is_from_lambda());
        assert!(!event(0, "s", "STARTED").is_from_lambda());
    }
}
