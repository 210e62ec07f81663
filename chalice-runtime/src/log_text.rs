//! Values written into a log line: anything a request can influence (a principal, an
//! authorizer's error, a panic message) may hold a newline or a terminal escape, and written
//! raw it would forge log lines. Control characters are escaped, so one event stays one line.

use std::borrow::Cow;

/// `text` with every control character (and the Unicode line and paragraph separators)
/// escaped as Rust writes it (`\n`, `\u{1b}`); borrowed when there is none, as usual.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_printable(&mut out, text);
    Cow::Owned(out)
}

/// Appends `text` to `out`, escaped as [`printable`] escapes it.
pub(crate) fn push_printable(out: &mut String, text: &str) {
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(printable("user 42 ✓"), Cow::Borrowed("user 42 ✓")));
        assert_eq!(
            printable("u\nGET /admin 200 allowed\r\u{1b}[31m\u{85}\u{2028}"),
            "u\\nGET /admin 200 allowed\\r\\u{1b}[31m\\u{85}\\u{2028}"
        );
        let mut out = String::from("x=");
        push_printable(&mut out, "a\tb");
        assert_eq!(out, "x=a\\tb");
    }
}
