//! Normalisation: the one pass every message goes through before matching.
//!
//! Lowercases, folds curly quotes and punctuation, splits on anything that is not a letter or
//! digit, expands contractions (`don't` → `do not`, plus the author's aliases such as `dont`,
//! `plz`), and folds simple plurals (`earrings` → `earring`, `boxes` → `box`). Rule phrases go
//! through the same function, so both sides always agree. Each token remembers the byte span of
//! the original text it came from, for `explain` and entity spans.

use super::hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;

/// One normalised word and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in [`Normalised::text`].
    pub norm: Range<usize>,
    /// Byte range in the original message.
    pub orig: Range<usize>,
}

/// A message after normalisation: tokens joined by single spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalised {
    pub text: String,
    pub tokens: Vec<Token>,
}

impl Normalised {
    /// The normalised word of token `i`.
    #[inline]
    pub fn word(&self, i: usize) -> &str {
        &self.text[self.tokens[i].norm.clone()]
    }

    /// The original-text byte span covered by tokens `range`.
    pub fn orig_span(&self, range: Range<usize>) -> Range<usize> {
        match (
            self.tokens.get(range.start),
            range.end.checked_sub(1).and_then(|i| self.tokens.get(i)),
        ) {
            (Some(first), Some(last)) if range.start < range.end => first.orig.start..last.orig.end,
            _ => 0..0,
        }
    }

    /// The tokens covering a byte range of the normalised text.
    pub fn tokens_in(&self, norm: Range<usize>) -> Range<usize> {
        let start = self
            .tokens
            .iter()
            .position(|t| t.norm.end > norm.start)
            .unwrap_or(self.tokens.len());
        let end = self
            .tokens
            .iter()
            .rposition(|t| t.norm.start < norm.end)
            .map_or(start, |i| i + 1);
        start..end.max(start)
    }
}

/// Word-level rewrites applied before plural folding: built-in contractions plus rule aliases.
#[derive(Debug, Clone, Default)]
pub struct Normaliser {
    aliases: FxHashMap<String, Vec<String>>,
}

/// Suffixes after an apostrophe and what they expand to (`n't` is handled separately).
const APOSTROPHE_SUFFIXES: &[(&str, &str)] = &[
    ("m", "am"),
    ("re", "are"),
    ("ve", "have"),
    ("ll", "will"),
    ("d", "would"),
];

/// Stems whose `'s` means "is" rather than a possessive.
const IS_STEMS: &[&str] = &[
    "it", "that", "what", "where", "when", "who", "how", "there", "here", "he", "she", "this",
];

impl Normaliser {
    /// A normaliser with author aliases (`dont` → `do not`); keys and values are normalised words.
    pub fn new(aliases: &[(String, String)]) -> Self {
        let mut map = FxHashMap::default();
        for (from, to) in aliases {
            let words: Vec<String> = to.split_whitespace().map(|w| w.to_lowercase()).collect();
            map.insert(from.to_lowercase(), words);
        }
        Normaliser { aliases: map }
    }

    /// Normalises `text` into tokens.
    pub fn normalise(&self, text: &str) -> Normalised {
        // Contractions can make the text longer than the input; one allocation each usually suffices.
        let mut out = Normalised {
            text: String::with_capacity(text.len() + text.len() / 4 + 16),
            tokens: Vec::with_capacity(text.len() / 4 + 8),
        };
        let mut raw = String::with_capacity(32);
        self.normalise_into(text, &mut out, &mut raw);
        out
    }

    /// Normalises `text` into `out`, reusing its buffers (and `raw` as word scratch).
    /// The result is identical to [`Normaliser::normalise`].
    pub fn normalise_into(&self, text: &str, out: &mut Normalised, raw: &mut String) {
        out.text.clear();
        out.tokens.clear();
        let mut iter = text.char_indices().peekable();
        while let Some((start, c)) = iter.next() {
            if !c.is_alphanumeric() {
                continue;
            }
            raw.clear();
            push_lower(raw, c);
            let mut end = start + c.len_utf8();
            while let Some(&(i, next)) = iter.peek() {
                if next.is_alphanumeric() {
                    push_lower(raw, next);
                    end = i + next.len_utf8();
                    iter.next();
                    continue;
                }
                let after = text[i + next.len_utf8()..].chars().next();
                let joins = match next {
                    '\'' | '’' | '‘' | 'ʼ' | '`' => {
                        after.is_some_and(char::is_alphabetic) && !raw.is_empty()
                    }
                    '.' | ',' => {
                        raw.as_bytes().last().is_some_and(u8::is_ascii_digit)
                            && after.is_some_and(|a| a.is_ascii_digit())
                    }
                    _ => false,
                };
                if !joins {
                    break;
                }
                if next != ',' {
                    raw.push(if next == '.' { '.' } else { '\'' });
                }
                end = i + next.len_utf8();
                iter.next();
            }
            self.emit(out, raw, start..end);
        }
    }

    fn emit(&self, out: &mut Normalised, raw: &str, orig: Range<usize>) {
        // A byte scan: `'` is ASCII, so its byte index is a char boundary (and this avoids a
        // searcher call per word on the hot path).
        if let Some(pos) = raw.bytes().position(|b| b == b'\'') {
            let (stem, suffix) = (&raw[..pos], &raw[pos + 1..]);
            if suffix == "t" && stem.ends_with('n') {
                let base = &stem[..stem.len() - 1];
                let base = match base {
                    "ca" => "can",
                    "wo" => "will",
                    "sha" => "shall",
                    "" => "",
                    other => other,
                };
                self.emit_word(out, base, orig.clone());
                self.emit_word(out, "not", orig);
                return;
            }
            if suffix == "s" {
                self.emit_word(out, stem, orig.clone());
                if IS_STEMS.contains(&stem) {
                    self.emit_word(out, "is", orig);
                } else if stem == "let" {
                    self.emit_word(out, "us", orig);
                }
                return;
            }
            if let Some((_, expansion)) = APOSTROPHE_SUFFIXES.iter().find(|(s, _)| *s == suffix) {
                self.emit_word(out, stem, orig.clone());
                self.emit_word(out, expansion, orig);
                return;
            }
            self.emit_word(out, stem, orig.clone());
            self.emit_word(out, suffix, orig);
            return;
        }
        self.emit_word(out, raw, orig);
    }

    fn emit_word(&self, out: &mut Normalised, word: &str, orig: Range<usize>) {
        if word.is_empty() {
            return;
        }
        if let Some(expansion) = self.aliases.get(word) {
            for w in expansion {
                push_token(out, &fold_plural(w), orig.clone());
            }
            return;
        }
        push_token(out, &fold_plural(word), orig);
    }
}

#[inline]
fn push_token(out: &mut Normalised, word: &str, orig: Range<usize>) {
    if word.is_empty() {
        return;
    }
    if !out.text.is_empty() {
        out.text.push(' ');
    }
    let start = out.text.len();
    out.text.push_str(word);
    out.tokens.push(Token {
        norm: start..out.text.len(),
        orig,
    });
}

#[inline(always)]
fn push_lower(buf: &mut String, c: char) {
    if c.is_ascii() {
        buf.push(c.to_ascii_lowercase());
    } else {
        buf.extend(c.to_lowercase());
    }
}

/// Folds a simple English plural to its singular: `rings` → `ring`, `boxes` → `box`,
/// `inquiries` → `inquiry`. Short words, words with digits and `-ss`/`-us`/`-is` endings stay.
pub fn fold_plural(word: &str) -> Cow<'_, str> {
    let b = word.as_bytes();
    let n = b.len();
    if n < 4 || b[n - 1] != b's' || !word.is_ascii() || b.iter().any(u8::is_ascii_digit) {
        return Cow::Borrowed(word);
    }
    let prev = b[n - 2];
    if matches!(prev, b's' | b'u' | b'i') {
        return Cow::Borrowed(word);
    }
    if word.ends_with("ies") && n > 4 {
        return Cow::Owned(format!("{}y", &word[..n - 3]));
    }
    if n > 4
        && (word.ends_with("ches")
            || word.ends_with("shes")
            || word.ends_with("xes")
            || word.ends_with("zes"))
    {
        return Cow::Borrowed(&word[..n - 2]);
    }
    Cow::Borrowed(&word[..n - 1])
}

/// Normalises a rule phrase into its words (the same pipeline as messages).
pub fn phrase_words(normaliser: &Normaliser, phrase: &str) -> Vec<String> {
    let n = normaliser.normalise(phrase);
    (0..n.tokens.len()).map(|i| n.word(i).to_string()).collect()
}

/// How rule phrases become words when the tables are built: through the normaliser, or, for a
/// rule set whose intent phrases and stopwords `build.rs` normalised already
/// ([`super::EngineSpec::phrases_normalised`]), by splitting on spaces: a fresh Worker isolate
/// then runs no phrase through the normaliser.
#[derive(Clone, Copy)]
pub enum PhraseReader<'a> {
    Normalise(&'a Normaliser),
    Normalised,
}

impl PhraseReader<'_> {
    /// The words of `phrase`.
    pub fn words(&self, phrase: &str) -> Vec<String> {
        match self {
            PhraseReader::Normalise(normaliser) => phrase_words(normaliser, phrase),
            PhraseReader::Normalised => phrase
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let n = Normaliser::new(&[("dont".into(), "do not".into())]);
        phrase_words(&n, text)
    }

    #[test]
    fn folds_case_quotes_contractions_and_plurals() {
        assert_eq!(words("Where’s my ORDER?!"), ["where", "is", "my", "order"]);
        assert_eq!(
            words("I don't like these Earrings"),
            ["i", "do", "not", "like", "these", "earring"]
        );
        assert_eq!(words("i dont"), ["i", "do", "not"]);
        assert_eq!(words("can't won't"), ["can", "not", "will", "not"]);
        assert_eq!(
            words("rose-gold boxes, status"),
            ["rose", "gold", "box", "status"]
        );
    }

    #[test]
    fn keeps_decimal_numbers_and_spans() {
        let n = Normaliser::default().normalise("size 6.5, $1,200!");
        assert_eq!(n.text, "size 6.5 1200");
        assert_eq!(n.orig_span(1..2), 5..8);
    }

    #[test]
    fn plural_and_singular_fold_to_the_same_word() {
        for (plural, singular) in [
            ("inquiries", "inquiry"),
            ("watches", "watch"),
            ("studs", "stud"),
        ] {
            assert_eq!(fold_plural(plural), fold_plural(singular));
        }
        assert_eq!(fold_plural("status"), "status");
        assert_eq!(fold_plural("address"), "address");
    }
}
