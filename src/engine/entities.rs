//! Entity extraction: categories and metals from vocabularies (through the shared lexicon, so
//! plurals and typos fold the same way as intents), order numbers, emails and ring sizes from
//! patterns, and prices from the price parser run on the text with every non-price number
//! masked out, so `size 7`, `order 55123` and `14k gold` never become prices.

use super::hash::FxHashSet;
use super::lexicon::{Lexicon, PhraseHit, PhraseTrie, Resolved};
use super::model::Entities;
use super::normalise::{phrase_words, Normalised, Normaliser};
use super::price::PriceParser;
use super::spec::EntitySpec;
use regex::Regex;
use std::ops::Range;

/// Which vocabulary a phrase belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vocabulary {
    Category,
    Metal,
}

#[derive(Debug, Clone)]
struct VocabularyPhrase {
    vocabulary: Vocabulary,
    value: usize,
    /// Declared default (`gold` → `yellow_gold`): used only when nothing more specific matched.
    fallback: bool,
}

/// Entity vocabularies and patterns compiled for extraction.
#[derive(Debug, Clone)]
pub struct EntityExtractor {
    trie: PhraseTrie,
    phrases: Vec<VocabularyPhrase>,
    categories: Vec<String>,
    metals: Vec<String>,
    order_patterns: Vec<Regex>,
    order_prefix: String,
    email: Option<Regex>,
    ring_patterns: Vec<Regex>,
    ring_range: (f64, f64),
    /// Every `not_price` pattern as one alternation: one scan finds all masked spans.
    not_price: Option<Regex>,
    price: PriceParser,
    /// Normalised words without which no price can be stated (number words, multipliers,
    /// currency words): a message with none of them and no digit skips the price parser.
    price_words: FxHashSet<String>,
}

/// Number words of the price grammar; with the vocabulary's words they gate the price parser.
const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
];

/// Where each extracted entity was found (byte spans in the original text), for `explain`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct EntitySpans {
    pub price: Option<Range<usize>>,
    pub category: Option<Range<usize>>,
    pub metal: Option<Range<usize>>,
    pub order_number: Option<Range<usize>>,
    pub email: Option<Range<usize>>,
    pub ring_size: Option<Range<usize>>,
    /// Spans hidden from the price parser.
    pub masked: Vec<Range<usize>>,
}

/// A problem found while compiling entities.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EntityCompileError {
    #[error("entity pattern `{field}` {index} is not a valid regex: {message}")]
    InvalidPattern {
        field: &'static str,
        index: usize,
        message: String,
    },
    #[error("metal default `{phrase}` names unknown metal `{metal}`")]
    UnknownDefaultMetal { phrase: String, metal: String },
}

impl Default for EntityExtractor {
    fn default() -> Self {
        EntityExtractor {
            trie: PhraseTrie::default(),
            phrases: Vec::new(),
            categories: Vec::new(),
            metals: Vec::new(),
            order_patterns: Vec::new(),
            order_prefix: String::new(),
            email: None,
            ring_patterns: Vec::new(),
            ring_range: (0.0, 0.0),
            not_price: None,
            price: PriceParser::new(&Default::default()),
            price_words: FxHashSet::default(),
        }
    }
}

fn compile_all(
    field: &'static str,
    sources: &[String],
    errors: &mut Vec<EntityCompileError>,
) -> Vec<Regex> {
    sources
        .iter()
        .enumerate()
        .filter_map(|(index, source)| match Regex::new(source) {
            Ok(r) => Some(r),
            Err(err) => {
                errors.push(EntityCompileError::InvalidPattern {
                    field,
                    index,
                    message: err.to_string(),
                });
                None
            }
        })
        .collect()
}

impl EntityExtractor {
    /// Compiles entity rules, interning vocabulary words into `lexicon` (all typo tolerant).
    pub fn compile(
        spec: &EntitySpec,
        normaliser: &Normaliser,
        lexicon: &mut Lexicon,
    ) -> Result<Self, Vec<EntityCompileError>> {
        let mut errors = Vec::new();
        let mut ex = EntityExtractor {
            categories: spec.categories.iter().map(|c| c.id.clone()).collect(),
            metals: spec.metals.iter().map(|m| m.id.clone()).collect(),
            order_prefix: spec.order_number_prefix.clone(),
            ring_range: (spec.ring_size_min, spec.ring_size_max),
            price: PriceParser::new(&spec.prices),
            ..EntityExtractor::default()
        };
        let mut add = |ex: &mut EntityExtractor, text: &str, phrase: VocabularyPhrase| {
            let words = phrase_words(normaliser, text);
            if words.is_empty() {
                return;
            }
            let ids: Vec<u32> = words.iter().map(|w| lexicon.intern(w)).collect();
            for &id in &ids {
                lexicon.allow_typos(id);
            }
            ex.trie.insert(&ids);
            ex.phrases.push(phrase);
        };
        for (vocabulary, entries) in [
            (Vocabulary::Category, &spec.categories),
            (Vocabulary::Metal, &spec.metals),
        ] {
            for (value, entry) in entries.iter().enumerate() {
                for text in std::iter::once(&entry.id.replace('_', " ")).chain(&entry.synonyms) {
                    add(
                        &mut ex,
                        text,
                        VocabularyPhrase {
                            vocabulary,
                            value,
                            fallback: false,
                        },
                    );
                }
            }
        }
        for (phrase, metal) in &spec.metal_defaults {
            match ex.metals.iter().position(|m| m == metal) {
                Some(value) => add(
                    &mut ex,
                    phrase,
                    VocabularyPhrase {
                        vocabulary: Vocabulary::Metal,
                        value,
                        fallback: true,
                    },
                ),
                None => errors.push(EntityCompileError::UnknownDefaultMetal {
                    phrase: phrase.clone(),
                    metal: metal.clone(),
                }),
            }
        }
        let vocab = &spec.prices;
        for word in NUMBER_WORDS
            .iter()
            .map(|w| (*w).to_string())
            .chain(vocab.multipliers.keys().cloned())
            .chain(vocab.currency_words.iter().cloned())
            .chain(vocab.cents_words.iter().cloned())
        {
            ex.price_words.extend(phrase_words(normaliser, &word));
        }
        ex.order_patterns = compile_all("order_number", &spec.order_number_patterns, &mut errors);
        if !spec.email_pattern.is_empty() {
            ex.email = compile_all(
                "email",
                std::slice::from_ref(&spec.email_pattern),
                &mut errors,
            )
            .into_iter()
            .next();
        }
        ex.ring_patterns = compile_all("ring_size", &spec.ring_size_patterns, &mut errors);
        if !spec.not_price_patterns.is_empty() {
            let joined: Vec<String> = spec
                .not_price_patterns
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect();
            match Regex::new(&joined.join("|")) {
                Ok(regex) => ex.not_price = Some(regex),
                // Compile one by one only to say which pattern is broken.
                Err(_) => {
                    compile_all("not_price", &spec.not_price_patterns, &mut errors);
                }
            }
        }
        if errors.is_empty() {
            Ok(ex)
        } else {
            Err(errors)
        }
    }

    /// The price parser built from the `[prices]` vocabulary.
    pub fn price_parser(&self) -> &PriceParser {
        &self.price
    }

    /// Extracts every entity from one message.
    pub fn extract(
        &self,
        raw: &str,
        message: &Normalised,
        resolved: &[Option<Resolved>],
        hits: &mut Vec<PhraseHit>,
        spans: Option<&mut EntitySpans>,
    ) -> Entities {
        let mut entities = Entities::default();
        let mut local_spans = EntitySpans::default();

        hits.clear();
        self.trie.find_all(resolved, hits);
        // Leftmost, then longest; specific phrases before declared defaults.
        let mut best: [Option<(bool, usize, usize, usize)>; 2] = [None, None];
        for hit in hits.iter() {
            let phrase = &self.phrases[hit.phrase as usize];
            let slot = match phrase.vocabulary {
                Vocabulary::Category => 0,
                Vocabulary::Metal => 1,
            };
            let key = (
                phrase.fallback,
                hit.tokens.start,
                usize::MAX - hit.tokens.len(),
                hit.phrase as usize,
            );
            if best[slot].is_none_or(|b| key < b) {
                best[slot] = Some(key);
            }
        }
        for (slot, found) in best.iter().enumerate() {
            let Some((_, start, inv_len, phrase)) = *found else {
                continue;
            };
            let span = message.orig_span(start..start + (usize::MAX - inv_len));
            let value = self.phrases[phrase].value;
            if slot == 0 {
                entities.category = self.categories.get(value).cloned();
                local_spans.category = Some(span);
            } else {
                entities.metal = self.metals.get(value).cloned();
                local_spans.metal = Some(span);
            }
        }

        let (has_digit, digit_run) = digit_stats(raw);
        if has_digit {
            // Order numbers are six digits: skip the patterns when no run is that long.
            for regex in self.order_patterns.iter().filter(|_| digit_run >= 6) {
                for caps in regex.captures_iter(raw) {
                    let (Some(whole), Some(digits)) = (caps.get(0), caps.get(1)) else {
                        continue;
                    };
                    local_spans.masked.push(whole.range());
                    if entities.order_number.is_none() {
                        entities.order_number =
                            Some(format!("{}{}", self.order_prefix, digits.as_str()));
                        local_spans.order_number = Some(whole.range());
                    }
                }
            }
            // Every ring size is written with the word "size".
            let mentions_size = message.text.contains("size");
            for regex in self.ring_patterns.iter().filter(|_| mentions_size) {
                for caps in regex.captures_iter(raw) {
                    let (Some(whole), Some(size)) = (caps.get(0), caps.get(1)) else {
                        continue;
                    };
                    local_spans.masked.push(whole.range());
                    let value = parse_ring_size(size.as_str());
                    if entities.ring_size.is_none() {
                        if let Some(v) =
                            value.filter(|v| *v >= self.ring_range.0 && *v <= self.ring_range.1)
                        {
                            entities.ring_size = Some(v);
                            local_spans.ring_size = Some(whole.range());
                        }
                    }
                }
            }
            if let Some(regex) = &self.not_price {
                local_spans
                    .masked
                    .extend(regex.find_iter(raw).map(|m| m.range()));
            }
        }
        if raw.contains('@') {
            if let Some(m) = self.email.as_ref().and_then(|r| r.find(raw)) {
                entities.email = Some(m.as_str().to_string());
                local_spans.email = Some(m.range());
                local_spans.masked.push(m.range());
            }
        }

        let price_possible = has_digit
            || raw.contains(['$', '¢'])
            || (0..message.tokens.len()).any(|i| self.price_words.contains(message.word(i)));
        let price = if !price_possible {
            None
        } else if local_spans.masked.is_empty() {
            self.price.extract(raw)
        } else {
            let mut masked = raw.as_bytes().to_vec();
            for span in &local_spans.masked {
                for b in &mut masked[span.clone()] {
                    *b = b' ';
                }
            }
            // Masks cover whole regex matches, which start and end on char boundaries.
            match String::from_utf8(masked) {
                Ok(masked) => self.price.extract(&masked),
                Err(_) => None,
            }
        };
        if let Some(found) = price {
            local_spans.price = Some(found.start..found.end);
            entities.price = Some(found.range);
        }
        if let Some(out) = spans {
            *out = local_spans;
        }
        entities
    }
}

/// Whether `text` has an ASCII digit, and its longest run of consecutive digits.
fn digit_stats(text: &str) -> (bool, usize) {
    let (mut longest, mut run) = (0, 0);
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    (longest > 0, longest)
}

/// `7`, `6.5`, `6½`, `6 1/2` → the size as a number.
fn parse_ring_size(text: &str) -> Option<f64> {
    let text = text.trim();
    let (whole, half) = if let Some(stripped) = text.strip_suffix('½') {
        (stripped.trim(), 0.5)
    } else if let Some(stripped) = text.strip_suffix("1/2") {
        (stripped.trim(), 0.5)
    } else {
        (text, 0.0)
    };
    let value: f64 = whole.parse().ok()?;
    value.is_finite().then_some(value + half)
}

#[cfg(test)]
mod tests {
    use super::parse_ring_size;

    #[test]
    fn ring_sizes_parse_halves() {
        assert_eq!(parse_ring_size("7"), Some(7.0));
        assert_eq!(parse_ring_size("6.5"), Some(6.5));
        assert_eq!(parse_ring_size("6 1/2"), Some(6.5));
        assert_eq!(parse_ring_size("6½"), Some(6.5));
        assert_eq!(parse_ring_size("x"), None);
    }
}
