//! `chalice-rs logs`: a deployed function's CloudWatch log events (its group
//! `/aws/lambda/<function name>`), printed as `chalice logs` prints them, oldest first; with
//! `--follow`, polled for new ones until interrupted.

pub mod line;
pub mod since;

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsError;

use self::line::LogEvent;
use crate::deploy::aws_failure;
use crate::error::{Error, Result};

/// How often `--follow` asks for new events.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsOptions {
    /// The earliest event, in milliseconds since the epoch (all when `None`).
    pub since_ms: Option<i64>,
    /// Whether to keep polling for new events.
    pub follow: bool,
    /// The pause between two polls when following.
    pub poll_interval: Duration,
    /// Whether Lambda's own `START`/`END`/`REPORT` lines are shown.
    pub include_lambda_messages: bool,
    /// Stop after this many events.
    pub max_entries: Option<usize>,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            since_ms: None,
            follow: false,
            poll_interval: POLL_INTERVAL,
            include_lambda_messages: false,
            max_entries: None,
        }
    }
}

/// Where the lines go: `print` gets each event's line (its error ends the command; a closed
/// pipe ends it quietly), `note` what the user should know (on standard error).
pub struct Output<'a> {
    pub print: &'a mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
    pub note: &'a mut (dyn FnMut(&str) + Send),
}

/// Shows the events of log group `group` as `options` say.
pub async fn show(
    client: &Client,
    group: &str,
    options: &LogsOptions,
    output: Output<'_>,
) -> Result<()> {
    let mut cursor = Cursor::starting_at(options.since_ms);
    let mut shown = 0usize;
    let mut told_missing = false;
    loop {
        let Some(events) = fetch(client, group, cursor.start_ms).await? else {
            if !told_missing {
                (output.note)(&format!(
                    "No logs yet: the log group {group} does not exist (the function has not run)."
                ));
                told_missing = true;
            }
            if !options.follow {
                return Ok(());
            }
            tokio::time::sleep(options.poll_interval).await;
            continue;
        };
        for event in cursor.unseen(events) {
            if !options.include_lambda_messages && event.is_from_lambda() {
                continue;
            }
            match (output.print)(&event.line()) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                Err(error) => return Err(Error::new(format!("cannot print the logs: {error}"))),
            }
            shown += 1;
            if options.max_entries.is_some_and(|max| shown >= max) {
                return Ok(());
            }
        }
        if !options.follow {
            return Ok(());
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

/// Where the next poll starts, and the events already shown at that instant (a poll starts
/// at the newest event shown, inclusive, so that events logged in the same millisecond but
/// ingested later are not lost).
#[derive(Debug, Default)]
struct Cursor {
    start_ms: Option<i64>,
    shown_at_start: HashSet<String>,
}

impl Cursor {
    fn starting_at(start_ms: Option<i64>) -> Cursor {
        Cursor {
            start_ms,
            shown_at_start: HashSet::new(),
        }
    }

    /// The events of a poll not shown before, oldest first; moves the cursor past them.
    fn unseen(&mut self, mut events: Vec<LogEvent>) -> Vec<LogEvent> {
        events.sort_by_key(|event| event.timestamp_ms);
        events.retain(|event| {
            !(Some(event.timestamp_ms) == self.start_ms && self.shown_at_start.contains(&event.id))
        });
        if let Some(newest) = events.last().map(|event| event.timestamp_ms) {
            if self.start_ms != Some(newest) {
                self.start_ms = Some(newest);
                self.shown_at_start.clear();
            }
            let at_newest = events.iter().filter(|event| event.timestamp_ms == newest);
            self.shown_at_start
                .extend(at_newest.map(|event| event.id.clone()));
        }
        events
    }
}

/// Every event of `group` from `start_ms` on, page by page; `None` when the group does not
/// exist (a function that never ran has none).
async fn fetch(
    client: &Client,
    group: &str,
    start_ms: Option<i64>,
) -> Result<Option<Vec<LogEvent>>> {
    let mut events = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let answer = client
            .filter_log_events()
            .log_group_name(group)
            .set_start_time(start_ms)
            .set_next_token(next_token.take())
            .send()
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(FilterLogEventsError::is_resource_not_found_exception) =>
            {
                return Ok(None);
            }
            Err(error) => {
                return Err(aws_failure::explain(
                    format!("Reading the log events of {group} (logs:FilterLogEvents)"),
                    error,
                ));
            }
        };
        events.extend(page.events().iter().map(|event| LogEvent {
            timestamp_ms: event.timestamp().unwrap_or_default(),
            stream: event.log_stream_name().unwrap_or_default().to_owned(),
            message: event.message().unwrap_or_default().to_owned(),
            id: event.event_id().unwrap_or_default().to_owned(),
        }));
        match page.next_token() {
            Some(token) if !token.is_empty() && !page.events().is_empty() => {
                next_token = Some(token.to_owned());
            }
            _ => return Ok(Some(events)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp_ms: i64, id: &str) -> LogEvent {
        LogEvent {
            timestamp_ms,
            stream: "s".to_owned(),
            message: id.to_owned(),
            id: id.to_owned(),
        }
    }

    fn ids(events: &[LogEvent]) -> Vec<&str> {
        events.iter().map(|event| event.id.as_str()).collect()
    }

    #[test]
    fn a_poll_shows_what_is_new_oldest_first_and_never_twice() {
        let mut cursor = Cursor::starting_at(None);
        let first = cursor.unseen(vec![event(20, "b"), event(10, "a"), event(20, "c")]);
        assert_eq!(ids(&first), ["a", "b", "c"]);
        assert_eq!(cursor.start_ms, Some(20));
        // The next poll starts at 20 inclusive: b and c come again, with one new at 20.
        let second = cursor.unseen(vec![event(20, "b"), event(20, "c"), event(20, "d")]);
        assert_eq!(ids(&second), ["d"]);
        let third = cursor.unseen(vec![event(20, "b"), event(20, "c"), event(20, "d")]);
        assert!(third.is_empty());
        assert_eq!(cursor.start_ms, Some(20));
        let fourth = cursor.unseen(vec![event(20, "d"), event(31, "e")]);
        assert_eq!(ids(&fourth), ["e"]);
        assert_eq!(cursor.start_ms, Some(31));
        assert_eq!(cursor.shown_at_start, HashSet::from(["e".to_owned()]));
    }
}
