//! TOML syntax errors as a rule author sees them: only the first per file (the parser's later
//! errors are mostly echoes of it), and a missing `]` or `}` reported at the end of the line that
//! lacks it, not at the next key where the parser noticed.

use super::diagnostic::Diagnostic;
use std::ops::Range;

/// Brackets still open at a byte offset of a TOML text, outermost first: (`[` or `{`, offset).
fn open_brackets(text: &str, until: usize) -> Vec<(u8, usize)> {
    let bytes = text.as_bytes();
    let until = until.min(bytes.len());
    let mut stack = Vec::new();
    let mut i = 0;
    while i < until {
        let rest = &bytes[i..];
        if rest.starts_with(b"\"\"\"") || rest.starts_with(b"'''") {
            let quote = &rest[..3];
            let escapes = quote[0] == b'"';
            i += 3;
            while i < until && !bytes[i..].starts_with(quote) {
                i += if escapes && bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 3;
            continue;
        }
        match bytes[i] {
            b'#' => {
                while i < until && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < until && bytes[i] != q && bytes[i] != b'\n' {
                    i += if q == b'"' && bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b @ (b'[' | b'{') => stack.push((b, i)),
            b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack
}

/// Whether a line starts a new key (`key = ...`, `a.b = ...`) or a table header (`[x]` at the
/// start of the line): a line an open array or inline table cannot have meant to continue into.
fn starts_new_entry(line: &str) -> bool {
    if line.starts_with('[') {
        return true;
    }
    let trimmed = line.trim_start();
    let key_len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
        .unwrap_or(trimmed.len());
    key_len > 0
        && trimmed[key_len..].starts_with('=')
        && !trimmed[..key_len].trim().is_empty()
        && !trimmed[..key_len].trim().contains(' ')
}

/// Byte ranges of the lines of `text` (without the newline).
fn lines(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        out.push(start..start + body.len());
        start += line.len();
    }
    out
}

/// The diagnostic for a file that does not parse, from the parser's errors (in any order).
pub fn first_syntax_error(file: usize, text: &str, errors: &[toml::de::Error]) -> Diagnostic {
    let first = errors
        .iter()
        .min_by_key(|e| e.span().map_or(0, |s| s.start));
    let (span, message) = match first {
        Some(e) => (e.span(), e.message().trim().to_string()),
        None => (None, "the file does not parse".to_string()),
    };
    let at = span.as_ref().map_or(0, |s| s.start);
    if let Some(d) = unclosed_bracket(file, text, at) {
        return d;
    }
    Diagnostic::new(file, span, format!("invalid TOML: {message}")).help(
        "fix the TOML syntax (https://toml.io); the rest of the file is checked once it parses",
    )
}

/// A bracket opened on an earlier line than `at` and never closed before a new key or table
/// starts: the missing `]` or `}` belongs at the end of the last value before that line.
fn unclosed_bracket(file: usize, text: &str, at: usize) -> Option<Diagnostic> {
    let lines = lines(text);
    let line_of = |offset: usize| lines.iter().position(|l| offset <= l.end).unwrap_or(0);
    let error_line = line_of(at);
    let &(bracket, open) = open_brackets(text, at)
        .iter()
        .find(|(_, offset)| line_of(*offset) < error_line)?;
    let open_line = line_of(open);
    let break_line =
        (open_line + 1..=error_line).find(|&i| starts_new_entry(&text[lines[i].clone()]))?;
    let last = (open_line..break_line).rev().find(|&i| {
        let l = text[lines[i].clone()].trim();
        !l.is_empty() && !l.starts_with('#')
    })?;
    let end = lines[last].start + text[lines[last].clone()].trim_end().len();
    let (close, what) = if bracket == b'[' {
        ("]", "array")
    } else {
        ("}", "inline table")
    };
    let key = text[lines[open_line].start..open]
        .trim()
        .trim_end_matches('=')
        .trim();
    let named = if key.is_empty() || key.starts_with('[') {
        format!("the {what}")
    } else {
        format!("the {what} of `{key}`")
    };
    let mut d = Diagnostic::new(
        file,
        Some(end..end),
        format!("missing `{close}`: {named} is not closed"),
    )
    .help(format!("add `{close}` after the last value of {named}"));
    if open_line != last {
        d = d.note(file, Some(open..open + 1), format!("the {what} opens here"));
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnose(text: &str) -> Diagnostic {
        let (_, errors) = toml::de::DeTable::parse_recoverable(text);
        assert!(!errors.is_empty(), "{text:?} parses");
        first_syntax_error(0, text, &errors)
    }

    #[test]
    fn missing_bracket_is_reported_at_the_end_of_its_line() {
        let text = "a = [\"x\", \"y\"\nb = 1\n";
        let d = diagnose(text);
        assert_eq!(d.span, Some(13..13), "{d:?}");
        assert_eq!(d.message, "missing `]`: the array of `a` is not closed");
        assert!(d.notes.is_empty());
    }

    #[test]
    fn missing_bracket_of_a_multi_line_array_notes_where_it_opens() {
        let text = "[t]\nsyn = [\n  \"a\",\n  \"b\",\n\n# comment\n[u]\nk = 1\n";
        let d = diagnose(text);
        let end = text.find("\"b\",").expect("b") + 4;
        assert_eq!(d.span, Some(end..end), "{d:?}");
        assert_eq!(d.notes.len(), 1);
        assert_eq!(d.notes[0].span, Some(10..11));
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let text = "a = \"[\" # [\nb = '[[' \nc = \"\"\"\n[\n\"\"\"\n";
        assert!(open_brackets(text, text.len()).is_empty());
    }

    #[test]
    fn other_errors_keep_the_parser_message() {
        let d = diagnose("a = \"x\"\nb = = 1\n");
        assert!(d.message.starts_with("invalid TOML: "), "{d:?}");
        assert_eq!(d.span.map(|s| s.start), Some(12));
    }
}
