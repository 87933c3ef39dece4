//! Terminal output: writing to stdout without panicking on a closed pipe, and escaping the
//! strings that come from tokens or servers before they reach a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use super::Failure;

/// Writes `text` and a newline to stdout and flushes. A closed stdout (`clerk-m2m … | head -1`)
/// becomes [`Failure::broken_pipe`], which ends the command quietly; `println!` would panic.
pub(crate) fn line(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// Writes bytes (whole lines) to stdout and flushes; a closed stdout as in [`line`].
pub(crate) fn bytes(b: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(b)
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// Maps a failed write to stdout: a broken pipe ends the command quietly (exit 0, as ripgrep
/// does), anything else is reported.
pub(crate) fn stdout_error(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::broken_pipe()
    } else {
        Failure::usage(format!("cannot write to stdout: {e}"))
    }
}

/// Writes a line to stderr; a closed stderr is ignored (`eprintln!` would panic).
pub(crate) fn error_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// `s` with every control character (C0, DEL, C1) and every bidirectional formatting character
/// written as `\u{…}` (`\n`, `\r`, `\t` and `\\` as such), so that a token's `kid` or a server's
/// message cannot move the cursor, recolour the terminal or reorder what is shown. Strings
/// without any come back borrowed: the common case costs one scan.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A backslash is escaped only in a string that is escaped anyway, so that `\u{1b}` in the
/// output always means an escaped ESC; clean strings are printed unchanged.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_strings_are_borrowed_unchanged() {
        for s in ["", "mch_123", "Machine token not found", "héllo \\ wörld"] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s));
        }
    }

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny\r\t\\"), "x\\ny\\r\\t\\\\");
        assert_eq!(escape("\u{7f}\u{9b}\u{202e}"), "\\u{7f}\\u{9b}\\u{202e}");
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_control_characters(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.chars().any(needs_escape), "{e:?}");
            if !s.chars().any(needs_escape) {
                prop_assert_eq!(e.as_ref(), s.as_str());
            }
        }
    }
}
