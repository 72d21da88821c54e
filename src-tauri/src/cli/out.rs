//! Where the command line's output goes: one buffered writer over locked stdout for a
//! whole command, and the one rule for text echoed back to the terminal.
//!
//! A closed pipe (`calendarbot agenda | head -1`) is not an error the user made or can
//! fix: the reader has what it wanted. Every write goes through [`Out`], which turns
//! `BrokenPipe` into [`CliError::Quiet`]: no message, no panic (`print!` would panic),
//! exit 0, as `head`, `rg` and `git log` do, so `set -o pipefail` scripts keep working.

use std::fmt;
use std::io::{self, BufWriter, StdoutLock, Write};

use super::CliError;

/// Buffered, locked stdout. Call [`Out::finish`] at the end so a failed final flush is
/// seen (dropping it would flush silently).
pub struct Out {
    w: BufWriter<StdoutLock<'static>>,
}

impl Out {
    pub fn new() -> Self {
        Out {
            w: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        }
    }

    /// The writer itself, for serialisers; map its errors with [`write_error`].
    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.w
    }

    /// Writes one line (`outln!` is the shorthand).
    pub fn line(&mut self, args: fmt::Arguments<'_>) -> Result<(), CliError> {
        self.w.write_fmt(args).map_err(write_error)?;
        self.w.write_all(b"\n").map_err(write_error)
    }

    /// Writes `value` as pretty-printed JSON and a newline (every `--format json`).
    pub fn json(&mut self, value: &impl serde::Serialize) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value).map_err(CliError::failed)?;
        self.line(format_args!("{text}"))
    }

    pub fn finish(mut self) -> Result<(), CliError> {
        self.w.flush().map_err(write_error)
    }
}

/// A failed write to stdout: quiet for a closed pipe, a failure otherwise (a full disk).
pub fn write_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::Quiet
    } else {
        CliError::Failed(format!("cannot write the output: {e}"))
    }
}

/// `outln!(out, "...", args)`: one line through [`Out::line`], `?`-able.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {
        $out.line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// `text` with control characters (C0, DEL, C1) and bidirectional overrides written as
/// `\x1b` / `\u{202e}` escapes, so a name or value echoed back in a message cannot move
/// the cursor, recolour the terminal or reorder the line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() && (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if c.is_control() || bidi {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_controls_and_bidi_but_not_text() {
        assert_eq!(escape("a\x1b[31mb\u{7f}\u{85}"), "a\\x1b[31mb\\x7f\\x85");
        assert_eq!(escape("x\u{202e}y\ttab"), "x\\u{202e}y\\x09tab");
        assert_eq!(escape("Zürich 東京 'q'"), "Zürich 東京 'q'");
    }
}
