//! `--since`: where the logs start, as a time ago (`30s`, `10m`, `2h`, `1d`, `1w`) or an RFC
//! 3339 date-time (`2026-12-05T06:00:00Z`, `2026-12-05T08:00:00+02:00`).

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::error::{Error, Result};

/// The start, in milliseconds since the epoch, that `text` names when it is now `now_ms`.
pub fn parse(text: &str, now_ms: i64) -> Result<i64> {
    let text = text.trim();
    if let Some(ago) = relative_ms(text) {
        return ago.map(|ago| now_ms.saturating_sub(ago));
    }
    DateTime::from_str(text, Format::DateTimeWithOffset)
        .map_err(|_| invalid(text))
        .and_then(|time| time.to_millis().map_err(|_| invalid(text)))
}

/// How long ago a relative time says, in milliseconds; `None` when `text` is not one.
fn relative_ms(text: &str) -> Option<Result<i64>> {
    let unit_ms: i64 = match text.chars().last()? {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    let count = &text[..text.len() - 1];
    if count.is_empty() || !count.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(
        count
            .parse::<i64>()
            .ok()
            .and_then(|count| count.checked_mul(unit_ms))
            .ok_or_else(|| invalid(text)),
    )
}

fn invalid(text: &str) -> Error {
    Error::new(format!(
        "--since `{text}`: expected a time ago (a number and s, m, h, d or w: `10m`, `2h`) or \
         an RFC 3339 date-time (`2026-12-05T06:00:00Z`)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_453_434_123;

    #[test]
    fn a_time_ago_counts_back_from_now() {
        assert_eq!(parse("10m", NOW).unwrap(), NOW - 600_000);
        assert_eq!(parse("2h", NOW).unwrap(), NOW - 7_200_000);
        assert_eq!(parse("30s", NOW).unwrap(), NOW - 30_000);
        assert_eq!(parse("1d", NOW).unwrap(), NOW - 86_400_000);
        assert_eq!(parse("1w", NOW).unwrap(), NOW - 604_800_000);
        assert_eq!(parse("0m", NOW).unwrap(), NOW);
    }

    #[test]
    fn a_date_time_is_rfc_3339_with_or_without_an_offset() {
        assert_eq!(
            parse("2026-12-05T06:50:34Z", NOW).unwrap(),
            1_796_453_434_000
        );
        assert_eq!(
            parse("2026-12-05T08:50:34.5+02:00", NOW).unwrap(),
            1_796_453_434_500
        );
    }

    #[test]
    fn anything_else_is_refused_saying_what_is_accepted() {
        for text in [
            "",
            "m",
            "10",
            "10x",
            "-5m",
            "1.5h",
            "yesterday",
            "2026-12-05",
            "2026-12-05 06:50:34",
            "99999999999999999999m",
        ] {
            let error = parse(text, NOW).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("--since `{text}`: expected a time ago")),
                "{text}: {error}"
            );
        }
    }
}
