//! Regex syntax checks that point inside the pattern: regex-syntax reports the span of the
//! mistake in the pattern, and [`decoded_offsets`] maps it back through the TOML string's quotes
//! and escapes to a byte of the rule file.

use std::ops::Range;

/// Why a pattern does not parse, and where in the (decoded) pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

/// Checks a regex's syntax (compiling for the CLI happens once, in the engine), and that the
/// Worker's regex engine, regex-lite, compiles it too (see [`crate::engine::intents::Regex`]).
pub fn check(pattern: &str) -> Result<(), RegexError> {
    let err = match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => {
            return crate::engine::intents::compile_lite(pattern)
                .map(|_| ())
                .map_err(|e| RegexError {
                    message: format!(
                        "the Worker's regex engine (regex-lite) cannot compile it: {e}; it has \
                         no Unicode classes (`\\p{{L}}`), and its `\\w`, `\\d`, `\\s` and `\\b` \
                         are ASCII"
                    ),
                    span: None,
                });
        }
        Err(err) => err,
    };
    let (message, span) = match &err {
        regex_syntax::Error::Parse(e) => (e.kind().to_string(), Some(*e.span())),
        regex_syntax::Error::Translate(e) => (e.kind().to_string(), Some(*e.span())),
        other => (other.to_string(), None),
    };
    Err(RegexError {
        message,
        span: span.map(|s| s.start.offset..s.end.offset),
    })
}

/// For a TOML string token as written in the file (quotes included), the byte offset in the
/// token of each byte of its decoded value, plus one past the end; `None` if the token is not a
/// string this function understands.
pub fn decoded_offsets(raw: &str) -> Option<Vec<usize>> {
    let (quote, escapes) = if raw.starts_with("'''") {
        ("'''", false)
    } else if raw.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if raw.starts_with('\'') {
        ("'", false)
    } else if raw.starts_with('"') {
        ("\"", true)
    } else {
        return None;
    };
    if raw.len() < 2 * quote.len() || !raw.ends_with(quote) {
        return None;
    }
    let body_end = raw.len() - quote.len();
    let bytes = raw.as_bytes();
    let mut i = quote.len();
    // A newline right after an opening `'''` or `"""` is not part of the value.
    if quote.len() == 3 {
        if raw[i..].starts_with("\r\n") {
            i += 2;
        } else if raw[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(body_end);
    while i < body_end {
        if escapes && bytes[i] == b'\\' {
            let next = *bytes.get(i + 1)?;
            let (len, decoded) = match next {
                b'u' => (6, char_len(raw.get(i + 2..i + 6)?)?),
                b'U' => (10, char_len(raw.get(i + 2..i + 10)?)?),
                b'x' => (4, char_len(raw.get(i + 2..i + 4)?)?),
                b' ' | b'\t' | b'\r' | b'\n' if quote.len() == 3 => {
                    // A line-ending backslash swallows the whitespace up to the next value.
                    let mut j = i + 1;
                    while j < body_end && bytes[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    (j - i, 0)
                }
                _ => (2, 1),
            };
            out.extend(std::iter::repeat_n(i, decoded));
            i += len;
        } else {
            out.push(i);
            i += 1;
        }
    }
    out.push(body_end.min(i));
    Some(out)
}

fn char_len(hex: &str) -> Option<usize> {
    let code = u32::from_str_radix(hex, 16).ok()?;
    Some(char::from_u32(code)?.len_utf8())
}

/// The file span of `pattern_span` for a pattern whose string token spans `token` of `text`,
/// when the token decodes to exactly `pattern`.
pub fn file_span(
    text: &str,
    token: &Range<usize>,
    pattern: &str,
    pattern_span: &Range<usize>,
) -> Option<Range<usize>> {
    let raw = text.get(token.clone())?;
    let offsets = decoded_offsets(raw)?;
    if offsets.len() != pattern.len() + 1 {
        return None;
    }
    let start = *offsets.get(pattern_span.start)?;
    let end = *offsets.get(pattern_span.end)?;
    Some(token.start + start..token.start + end.max(start + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_the_unclosed_group() {
        let err = check(r"\b(rings|necklaces\b").expect_err("invalid");
        assert_eq!(err.message, "unclosed group");
        assert_eq!(err.span, Some(2..3));
    }

    #[test]
    fn maps_through_literal_and_escaped_strings() {
        let text = r#"p = ['a(b', "\\d\u00e9(x"]"#;
        let literal = 5..10;
        assert_eq!(&text[literal.clone()], "'a(b'");
        assert_eq!(file_span(text, &literal, "a(b", &(1..2)), Some(7..8));
        let basic = 12..25;
        assert_eq!(&text[basic.clone()], r#""\\d\u00e9(x""#);
        // decoded: `\` `d` `é` (2 bytes) `(` `x`; the `(` is byte 4.
        let at = file_span(text, &basic, "\\dé(x", &(4..5)).expect("maps");
        assert_eq!(&text[at], "(");
    }

    #[test]
    fn refuses_a_token_that_does_not_decode_to_the_pattern() {
        assert_eq!(file_span("p = 'abc'", &(4..9), "abcd", &(0..1)), None);
    }
}
