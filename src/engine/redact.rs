//! Personal data out of a shopper's message before it is kept: the questions the rules did not
//! understand are stored for merchandisers, and nobody's email, order number, phone number or
//! name may be among them.
//!
//! Order numbers and emails come from the rules' own entity patterns (every match, not only the
//! first the classifier keeps); phone numbers (any run of seven or more digits, separators
//! allowed), bare digit runs of an order number's length and names introduced by "my name is",
//! "I'm", "this is" or "call me" are found here. Each span becomes a placeholder such as
//! `{email}`. Pure: no I/O, the same natively and in wasm.

use super::Engine;
use std::ops::Range;

/// A kind of personal data, and its placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Email,
    OrderNumber,
    Phone,
    Name,
}

impl Personal {
    /// What replaces it in the kept text.
    pub fn placeholder(self) -> &'static str {
        match self {
            Personal::Email => "{email}",
            Personal::OrderNumber => "{order_number}",
            Personal::Phone => "{phone}",
            Personal::Name => "{name}",
        }
    }
}

/// A message with its personal data replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The message with placeholders, as the shopper wrote it otherwise.
    pub text: String,
    /// What was replaced, in order of position.
    pub replaced: Vec<Personal>,
}

/// Fewest digits in a run that is taken for a phone number (`(555) 123-4567` has ten).
const PHONE_MIN_DIGITS: usize = 7;

/// Words that introduce a name outright: the next word is a name whatever its case.
const STRONG_INTRODUCERS: &[&[&str]] = &[
    &["my", "name", "is"],
    &["my", "name's"],
    &["my", "names"],
    &["name's"],
    &["call", "me"],
];

/// Words that may introduce a name: only a capitalised next word is taken as one.
const WEAK_INTRODUCERS: &[&[&str]] = &[&["i", "am"], &["i'm"], &["im"], &["this", "is"], &["it's"]];

/// Capitalised words after "I'm" or "this is" that are not names.
const NOT_NAMES: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "not",
    "just",
    "so",
    "very",
    "really",
    "here",
    "there",
    "from",
    "in",
    "on",
    "at",
    "with",
    "and",
    "but",
    "or",
    "looking",
    "interested",
    "trying",
    "sorry",
    "hoping",
    "wondering",
    "after",
    "about",
    "going",
    "back",
    "new",
    "ready",
    "still",
    "getting",
    "having",
    "planning",
    "buying",
    "shopping",
    "searching",
    "thinking",
    "curious",
    "confused",
    "happy",
    "unhappy",
    "sure",
    "unsure",
    "also",
    "glad",
    "writing",
    "calling",
    "contacting",
    "asking",
    "afraid",
    "waiting",
    "annoyed",
    "upset",
    "frustrated",
    "disappointed",
    "it",
    "my",
    "your",
    "for",
    "to",
    "is",
    "what",
    "how",
    "why",
    "when",
    "where",
    "who",
    "which",
    "that",
    "this",
    "ok",
    "okay",
    "fine",
    "good",
    "great",
    "wearing",
    "size",
    "allergic",
    "pregnant",
    "engaged",
    "married",
    "gold",
    "silver",
    "platinum",
    "aurora",
];

impl Engine {
    /// `text` with every email, order number, phone number and introduced name replaced by its
    /// placeholder.
    pub fn redact(&self, text: &str) -> Redacted {
        let mut spans = self.matcher().entities.personal_spans(text);
        let (_, order_digits) = self.matcher().entities.order_number_format();
        spans.extend(digit_runs(text, &spans, order_digits));
        spans.extend(name_spans(text));
        crate::engine::sort::sort_by_key(&mut spans, |(_, r)| (r.start, std::cmp::Reverse(r.end)));
        let mut out = String::with_capacity(text.len());
        let mut replaced = Vec::new();
        let mut at = 0;
        for (kind, span) in spans {
            if span.start < at {
                // Inside (or overlapping) a span already replaced: extend it.
                at = at.max(span.end);
                continue;
            }
            out.push_str(&text[at..span.start]);
            out.push_str(kind.placeholder());
            replaced.push(kind);
            at = span.end;
        }
        out.push_str(&text[at.min(text.len())..]);
        Redacted {
            text: out,
            replaced,
        }
    }
}

/// The grouping key of a (redacted) question: lower case, runs of white space as one space,
/// no surrounding white space or final punctuation. "Do you sell anklets?" and "do you  sell
/// anklets" are one question.
pub fn question_key(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    words
        .join(" ")
        .trim_end_matches(['?', '!', '.', ',', ';', ':', ' '])
        .to_string()
}

fn overlaps(span: &Range<usize>, taken: &[(Personal, Range<usize>)]) -> bool {
    taken
        .iter()
        .any(|(_, t)| span.start < t.end && t.start < span.end)
}

/// Runs of digits with phone separators (`+`, space, `-`, `.`, parentheses) outside `taken`: seven
/// or more digits are a phone number; one unbroken run of exactly `order_digits` digits is an
/// order number written without its prefix.
fn digit_runs(
    text: &str,
    taken: &[(Personal, Range<usize>)],
    order_digits: usize,
) -> Vec<(Personal, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            || (matches!(bytes[i], b'+' | b'(')
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        let glued = i > 0 && bytes[i - 1].is_ascii_alphanumeric();
        if !starts || glued {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut separators_in_a_row = 0;
        let mut broken = false;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_digit() {
                digits += 1;
                separators_in_a_row = 0;
                end = i + 1;
            } else if matches!(b, b'+' | b' ' | b'-' | b'.' | b'(' | b')') {
                separators_in_a_row += 1;
                broken = true;
                if separators_in_a_row > 2 {
                    break;
                }
            } else {
                break;
            }
            i += 1;
        }
        // A run glued to letters after it (`14k`, `100123abc`) is not a number of its own.
        let glued_after = bytes.get(end).is_some_and(u8::is_ascii_alphabetic);
        let unbroken = !broken || !text[start..end].bytes().any(|b| !b.is_ascii_digit());
        let span = start..end;
        if !glued_after && !overlaps(&span, taken) {
            if digits >= PHONE_MIN_DIGITS {
                out.push((Personal::Phone, span));
            } else if digits == order_digits && unbroken {
                out.push((Personal::OrderNumber, span));
            }
        }
        i = end.max(start + 1);
    }
    out
}

/// One word of a message: its letters (apostrophes folded to `'`) and its byte span.
struct Word {
    lower: String,
    span: Range<usize>,
    capitalised: bool,
    alphabetic: bool,
    /// Punctuation right after it ends a name (`Ada, and ...`).
    ends_clause: bool,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut offset = 0;
    for piece in text.split_inclusive(char::is_whitespace) {
        let raw = piece.trim_end();
        let lead = raw.len() - raw.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
        let core = raw
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .trim_end_matches(|c: char| !c.is_alphanumeric());
        if !core.is_empty() {
            let start = offset + lead;
            let trailing = &raw[lead + core.len()..];
            out.push(Word {
                lower: core.to_lowercase().replace('\u{2019}', "'"),
                span: start..start + core.len(),
                capitalised: core.chars().next().is_some_and(char::is_uppercase),
                alphabetic: core
                    .chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '\'' | '\u{2019}' | '-')),
                ends_clause: trailing.contains([',', '.', '!', '?', ';', ':']),
            });
        }
        offset += piece.len();
    }
    out
}

/// Names after "my name is", "call me" (any case) and "I'm", "I am", "this is", "it's"
/// (capitalised only): the first word and up to two more capitalised ones.
fn name_spans(text: &str) -> Vec<(Personal, Range<usize>)> {
    let words = words(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let intro = STRONG_INTRODUCERS
            .iter()
            .map(|w| (w, true))
            .chain(WEAK_INTRODUCERS.iter().map(|w| (w, false)))
            .find(|(intro, _)| {
                intro.len() + i <= words.len()
                    && intro
                        .iter()
                        .zip(&words[i..])
                        .all(|(a, b)| *a == b.lower.as_str())
                    && !words[i + intro.len() - 1].ends_clause
            });
        let Some((intro, strong)) = intro else {
            i += 1;
            continue;
        };
        let first = i + intro.len();
        let is_name = |w: &Word, strong: bool| {
            w.alphabetic && (strong || w.capitalised) && !NOT_NAMES.contains(&w.lower.as_str())
        };
        match words.get(first) {
            Some(w) if is_name(w, strong) => {
                let mut last = first;
                while last + 1 < words.len()
                    && last < first + 2
                    && !words[last].ends_clause
                    && is_name(&words[last + 1], strong)
                {
                    last += 1;
                }
                out.push((
                    Personal::Name,
                    words[first].span.start..words[last].span.end,
                ));
                i = last + 1;
            }
            _ => i = first,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> String {
        crate::embedded::engine().redact(text).text
    }

    #[test]
    fn emails_order_numbers_and_phones_become_placeholders() {
        assert_eq!(
            redact("my email is Jane.Doe@example.com and order AUR-100123 never came"),
            "my email is {email} and order {order_number} never came"
        );
        assert_eq!(
            redact("order number is #100123, also a@b.io or c@d.org"),
            "order number is {order_number}, also {email} or {email}"
        );
        assert_eq!(
            redact("where is aur100123 and 100124?"),
            "where is {order_number} and {order_number}?"
        );
        assert_eq!(
            redact("call me on +1 (555) 123-4567 tomorrow"),
            "call me on {phone} tomorrow"
        );
        assert_eq!(redact("text 07700900123"), "text {phone}");
    }

    #[test]
    fn names_after_an_introduction_become_placeholders() {
        assert_eq!(
            redact("Hi, my name is ada lovelace and I need help"),
            "Hi, my name is {name} and I need help"
        );
        assert_eq!(
            redact("I'm Grace Hopper, where is my ring"),
            "I'm {name}, where is my ring"
        );
        assert_eq!(redact("this is Ada."), "this is {name}.");
        assert_eq!(redact("I\u{2019}m Bo"), "I\u{2019}m {name}");
    }

    #[test]
    fn ordinary_words_prices_and_sizes_are_kept() {
        for text in [
            "I'm looking for rose gold rings under $500",
            "this is a gift for my mother",
            "I am Interested in 14k gold hoops",
            "resize to size 7",
            "do you sell anklets?",
            "earrings between 200 and 400",
            "I'm not sure",
        ] {
            assert_eq!(redact(text), text, "{text}");
        }
    }

    #[test]
    fn keys_group_wordings_that_differ_only_in_case_spacing_and_final_punctuation() {
        assert_eq!(
            question_key("  Do you sell  Anklets?! "),
            "do you sell anklets"
        );
        assert_eq!(
            question_key("do you sell anklets"),
            question_key("Do you sell anklets?")
        );
    }
}
