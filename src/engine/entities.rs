//! Entity extraction, the first step after normalisation: categories, styles, metals and
//! things the shop does not sell from vocabularies (through the shared lexicon, so plurals and
//! typos fold the same way as intents), order numbers, emails and ring sizes from patterns, and
//! prices from the price parser run on the text with every non-price number masked out, so
//! `size 7`, `order 55123` and `14k gold` never become prices.
//!
//! Every entity is reported with its byte span. The intent matcher then hides the words of
//! prices, order numbers, emails and ring sizes from intent phrases (the "no" of "no more than
//! $300" is not a refusal) and adds each entity kind's declared evidence to the intents.

use super::intents::Regex;
use super::lexicon::{Lexicon, PhraseHit, PhraseTrie, Resolved};
use super::model::{Entities, EntityKind, Excluded, ExcludedKind, Unsupported};
use super::normalise::{phrase_words, Normalised, Normaliser};
use super::price::PriceParser;
use super::spec::EntitySpec;
use serde::Serialize;
use std::ops::Range;

/// Which vocabulary a phrase belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vocabulary {
    /// Names a category outright (`necklace`).
    Category,
    /// Names a style or stone, which may imply a category (`solitaire`).
    Style,
    Metal,
    /// Names something the shop does not sell.
    Unsupported,
}

#[derive(Debug, Clone)]
struct VocabularyPhrase {
    vocabulary: Vocabulary,
    /// Index into the vocabulary's values.
    value: usize,
    /// Declared default (`gold` → `yellow_gold`): dropped when a specific metal is also named.
    fallback: bool,
}

/// A compiled style: its id and the category it implies (index into the categories).
#[derive(Debug, Clone)]
struct Style {
    id: String,
    implies: Option<usize>,
}

/// One entity found in a message: what, where (bytes of the original text) and which value.
/// Cheap to collect (no strings), so every message gets them for masking and evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: EntityKind,
    pub span: Range<usize>,
    /// Index of the value in its vocabulary (0 for patterns and prices).
    pub value: usize,
    /// Said as not wanted ("no diamonds"): `span` includes the negation, which intent phrases
    /// do not see.
    pub negated: bool,
}

/// Entity vocabularies and patterns compiled for extraction.
#[derive(Debug, Clone)]
pub struct EntityExtractor {
    trie: PhraseTrie,
    phrases: Vec<VocabularyPhrase>,
    categories: Vec<String>,
    styles: Vec<Style>,
    metals: Vec<String>,
    unsupported: Vec<Unsupported>,
    /// What the concierge says about each unsupported value.
    unsupported_notes: Vec<String>,
    order_patterns: Vec<LazyRegex>,
    order_prefix: String,
    order_digits: usize,
    email: Option<LazyRegex>,
    ring_patterns: Vec<LazyRegex>,
    ring_range: (f64, f64),
    /// Every `not_price` pattern as one alternation: one scan finds all masked spans.
    not_price: Option<LazyRegex>,
    price: PriceParser,
    /// Normalised words without which no price can be stated (number words, multipliers,
    /// currency words): a message with none of them, no digit and no money sign skips the
    /// price parser.
    /// Indexed by lexicon word id: whether the word is one of them (ids are interned at compile
    /// time, so the check is one index per already-resolved token, no string hashing).
    price_words: Vec<bool>,
    /// Non-ASCII signs that mark money on their own (`¢`, `€`, `£`).
    price_symbols: Vec<char>,
    /// ASCII signs that mark money on their own (`$`).
    price_ascii_signs: Vec<u8>,
}

/// One entity as `explain` shows it: kind, canonical value, where and the words that named it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityMention {
    pub kind: EntityKind,
    pub value: String,
    /// Byte span in the original message.
    pub span: Range<usize>,
    pub text: String,
    /// For a category implied by a style: the style (`solitaire`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implied_by: Option<String>,
}

/// Where each entity was found, for `explain`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EntitySpans {
    /// Every entity found, in order of position.
    pub mentions: Vec<EntityMention>,
    /// Spans hidden from the price parser (order numbers, ring sizes, emails, `14k gold`, ...).
    pub masked: Vec<Range<usize>>,
    /// Spans hidden from intent phrases and patterns (prices, order numbers, emails, ring sizes).
    pub hidden_from_intents: Vec<Range<usize>>,
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
    #[error("style `{style}` implies unknown category `{category}`")]
    UnknownImpliedCategory { style: String, category: String },
}

impl Default for EntityExtractor {
    fn default() -> Self {
        EntityExtractor {
            trie: PhraseTrie::default(),
            phrases: Vec::new(),
            categories: Vec::new(),
            styles: Vec::new(),
            metals: Vec::new(),
            unsupported: Vec::new(),
            unsupported_notes: Vec::new(),
            order_patterns: Vec::new(),
            order_prefix: String::new(),
            order_digits: 6,
            email: None,
            ring_patterns: Vec::new(),
            ring_range: (0.0, 0.0),
            not_price: None,
            price: PriceParser::new(&Default::default()),
            price_words: Vec::new(),
            price_symbols: Vec::new(),
            price_ascii_signs: Vec::new(),
        }
    }
}

fn compile_all(
    field: &'static str,
    sources: &[String],
    errors: &mut Vec<EntityCompileError>,
) -> Vec<LazyRegex> {
    sources
        .iter()
        .enumerate()
        .filter_map(|(index, source)| match LazyRegex::checked(source) {
            Ok(r) => Some(r),
            Err(message) => {
                errors.push(EntityCompileError::InvalidPattern {
                    field,
                    index,
                    message,
                });
                None
            }
        })
        .collect()
}

/// A regex checked when the rules are compiled and built the first time a message needs it: a
/// fresh isolate pays for no regex it does not use (most messages have no digit and no `@`).
#[derive(Debug, Clone)]
pub struct LazyRegex {
    source: String,
    regex: super::intents::DualRegex,
}

impl LazyRegex {
    /// Checks the syntax now (the parse only: the rules loader checked the rest) and defers the
    /// build to first use. In the Worker there is no check: `build.rs` compiled these very rules.
    pub fn checked(source: &str) -> Result<LazyRegex, String> {
        #[cfg(not(target_arch = "wasm32"))]
        regex_syntax::ast::parse::Parser::new()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex {
            source: source.to_string(),
            regex: super::intents::DualRegex::default(),
        })
    }

    /// The regex to run on `haystack` (see [`super::intents::DualRegex`]), or `None` if it failed
    /// to build (it never matches then: fail closed).
    pub fn get(&self, haystack: &str) -> Option<&Regex> {
        self.regex.for_haystack(&self.source, haystack)
    }
}

/// A vocabulary mention chosen among overlapping phrase hits.
#[derive(Debug, Clone, Copy)]
struct Pick {
    tokens: (usize, usize),
    phrase: usize,
}

impl EntityExtractor {
    /// Every entity regex, in a fixed order.
    fn lazy_regexes(&self) -> impl Iterator<Item = &LazyRegex> {
        self.order_patterns
            .iter()
            .chain(&self.email)
            .chain(&self.ring_patterns)
            .chain(&self.not_price)
    }

    /// The number of entity regexes.
    pub fn regex_count(&self) -> usize {
        self.lazy_regexes().count()
    }

    /// Compiles entity regex `i` for ASCII messages now, rather than when a message first
    /// needs it.
    pub fn warm_regex(&self, i: usize) {
        if let Some(regex) = self.lazy_regexes().nth(i) {
            let _ = regex.get("");
        }
    }

    /// Compiles entity rules, interning vocabulary words into `lexicon` (all typo tolerant).
    pub fn compile(
        spec: &EntitySpec,
        normaliser: &Normaliser,
        lexicon: &mut Lexicon,
    ) -> Result<Self, Vec<EntityCompileError>> {
        let mut errors = Vec::new();
        let categories: Vec<String> = spec.categories.iter().map(|c| c.id.clone()).collect();
        // Every field spelt out: `..EntityExtractor::default()` would build a price parser for
        // the default vocabulary only to drop it (a tenth of a fresh isolate's table build).
        let mut ex = EntityExtractor {
            trie: PhraseTrie::default(),
            phrases: Vec::new(),
            categories: categories.clone(),
            styles: Vec::new(),
            metals: spec.metals.iter().map(|m| m.id.clone()).collect(),
            unsupported: Vec::new(),
            unsupported_notes: Vec::new(),
            order_patterns: Vec::new(),
            order_prefix: spec.order_number_prefix.clone(),
            order_digits: spec.order_number_digits.max(1),
            email: None,
            ring_patterns: Vec::new(),
            ring_range: (spec.ring_size_min, spec.ring_size_max),
            not_price: None,
            price: PriceParser::new(&spec.prices),
            price_words: Vec::new(),
            price_symbols: Vec::new(),
            price_ascii_signs: Vec::new(),
        };
        for style in &spec.styles {
            let implies = match &style.implies {
                None => None,
                Some(category) => match categories.iter().position(|c| c == category) {
                    Some(i) => Some(i),
                    None => {
                        errors.push(EntityCompileError::UnknownImpliedCategory {
                            style: style.id.clone(),
                            category: category.clone(),
                        });
                        None
                    }
                },
            };
            ex.styles.push(Style {
                id: style.id.clone(),
                implies,
            });
        }
        ex.unsupported = spec
            .unsupported
            .iter()
            .map(|u| Unsupported {
                id: u.id.clone(),
                kind: u.kind,
                instead: u.instead.clone(),
            })
            .collect();
        ex.unsupported_notes = spec.unsupported.iter().map(|u| u.note.clone()).collect();
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
        let plain = |vocabulary, value| VocabularyPhrase {
            vocabulary,
            value,
            fallback: false,
        };
        for (value, entry) in spec.categories.iter().enumerate() {
            for text in std::iter::once(&entry.id.replace('_', " ")).chain(&entry.synonyms) {
                add(&mut ex, text, plain(Vocabulary::Category, value));
            }
        }
        for (value, entry) in spec.metals.iter().enumerate() {
            for text in std::iter::once(&entry.id.replace('_', " ")).chain(&entry.synonyms) {
                add(&mut ex, text, plain(Vocabulary::Metal, value));
            }
        }
        for (value, entry) in spec.styles.iter().enumerate() {
            for text in std::iter::once(&entry.id.replace('_', " ")).chain(&entry.synonyms) {
                add(&mut ex, text, plain(Vocabulary::Style, value));
            }
        }
        for (value, entry) in spec.unsupported.iter().enumerate() {
            for text in std::iter::once(&entry.id.replace('_', " ")).chain(&entry.synonyms) {
                add(&mut ex, text, plain(Vocabulary::Unsupported, value));
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
        // Words and signs without which no price can be stated: the parser's own list.
        for word in ex.price.gate_words().collect::<Vec<_>>() {
            for w in phrase_words(normaliser, &word) {
                let id = lexicon.intern(&w) as usize;
                if ex.price_words.len() <= id {
                    ex.price_words.resize(id + 1, false);
                }
                ex.price_words[id] = true;
            }
        }
        for c in ex.price.gate_symbols() {
            let mut utf8 = [0u8; 4];
            match c.encode_utf8(&mut utf8).as_bytes() {
                [b] if !ex.price_ascii_signs.contains(b) => ex.price_ascii_signs.push(*b),
                [_] => {}
                _ if !ex.price_symbols.contains(&c) => ex.price_symbols.push(c),
                _ => {}
            }
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
            match LazyRegex::checked(&joined.join("|")) {
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

    /// Whether `text` has a sign that marks money on its own: a byte scan for the ASCII signs
    /// (`$`); only text with non-ASCII characters is searched for `€`, `£` and the like.
    fn has_money_sign(&self, text: &str) -> bool {
        text.bytes().any(|b| self.price_ascii_signs.contains(&b))
            || (!text.is_ascii()
                && text
                    .chars()
                    .any(|c| !c.is_ascii() && self.price_symbols.contains(&c)))
    }

    /// Canonical category ids, in declaration order.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Canonical metal ids, in declaration order.
    pub fn metals(&self) -> &[String] {
        &self.metals
    }

    /// Style ids with the category each implies.
    pub fn styles(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.styles.iter().map(|s| {
            (
                s.id.as_str(),
                s.implies
                    .and_then(|i| self.categories.get(i))
                    .map(String::as_str),
            )
        })
    }

    /// What the shop does not sell, each with the note the concierge says about it.
    pub fn unsupported(&self) -> impl Iterator<Item = (&Unsupported, &str)> {
        self.unsupported
            .iter()
            .zip(self.unsupported_notes.iter().map(String::as_str))
    }

    /// The order-number prefix and digit count (`AUR-`, 6).
    pub fn order_number_format(&self) -> (&str, usize) {
        (&self.order_prefix, self.order_digits)
    }

    /// Every order number (the whole match of each pattern, prefix included) and every email
    /// address in `raw`, with byte spans, for [`super::redact`]. Unlike [`Self::extract`], which
    /// keeps the first of each, this finds them all: redaction must miss none.
    pub fn personal_spans(&self, raw: &str) -> Vec<(super::redact::Personal, Range<usize>)> {
        use super::redact::Personal;
        let mut out = Vec::new();
        if raw.bytes().any(|b| b.is_ascii_digit()) {
            let prefix = self
                .order_prefix
                .trim_end_matches(['-', ' '])
                .to_lowercase();
            for regex in self.order_patterns.iter().filter_map(|r| r.get(raw)) {
                for caps in regex.captures_iter(raw) {
                    let Some(digits) = caps.get(1).or_else(|| caps.get(0)) else {
                        continue;
                    };
                    // The digits, and the prefix (`AUR-`) or `#` written right before them;
                    // "my order number is" stays readable.
                    let before = &raw[..digits.start()];
                    let trimmed = before.trim_end_matches(['-', ' ', '#']);
                    let start = if !prefix.is_empty()
                        && trimmed.len() >= prefix.len()
                        && trimmed.is_char_boundary(trimmed.len() - prefix.len())
                        && trimmed[trimmed.len() - prefix.len()..].eq_ignore_ascii_case(&prefix)
                    {
                        trimmed.len() - prefix.len()
                    } else if before.trim_end().ends_with('#') {
                        before.trim_end().len() - 1
                    } else {
                        digits.start()
                    };
                    out.push((Personal::OrderNumber, start..digits.end()));
                }
            }
        }
        if raw.contains('@') {
            if let Some(regex) = self.email.as_ref().and_then(|r| r.get(raw)) {
                out.extend(regex.find_iter(raw).map(|m| (Personal::Email, m.range())));
            }
        }
        out
    }

    /// Extracts every entity from one message. `found` is cleared and receives every entity
    /// with its span, in order of position.
    pub fn extract(
        &self,
        raw: &str,
        message: &Normalised,
        resolved: &[Option<Resolved>],
        hits: &mut Vec<PhraseHit>,
        found: &mut Vec<Found>,
        masked: &mut Vec<Range<usize>>,
    ) -> Entities {
        let mut entities = Entities::default();
        found.clear();
        masked.clear();
        self.vocabulary(raw, message, resolved, hits, found, &mut entities);

        let (has_digit, digit_run) = digit_stats(raw);
        if has_digit {
            // Order numbers have a fixed digit count: skip the patterns when no run is that long.
            for regex in self
                .order_patterns
                .iter()
                .filter(|_| digit_run >= self.order_digits)
                .filter_map(|r| r.get(raw))
            {
                for caps in regex.captures_iter(raw) {
                    let (Some(whole), Some(digits)) = (caps.get(0), caps.get(1)) else {
                        continue;
                    };
                    masked.push(whole.range());
                    if entities.order_number.is_none() {
                        entities.order_number =
                            Some(format!("{}{}", self.order_prefix, digits.as_str()));
                        found.push(Found {
                            kind: EntityKind::OrderNumber,
                            span: digits.range(),
                            value: 0,
                            negated: false,
                        });
                    }
                }
            }
            // Every ring size is written with the word "size".
            let mentions_size = message.text.contains("size");
            for regex in self
                .ring_patterns
                .iter()
                .filter(|_| mentions_size)
                .filter_map(|r| r.get(raw))
            {
                for caps in regex.captures_iter(raw) {
                    let (Some(whole), Some(size)) = (caps.get(0), caps.get(1)) else {
                        continue;
                    };
                    masked.push(whole.range());
                    if entities.ring_size.is_none() {
                        let value = parse_ring_size(size.as_str())
                            .filter(|v| *v >= self.ring_range.0 && *v <= self.ring_range.1);
                        if let Some(v) = value {
                            entities.ring_size = Some(v);
                            found.push(Found {
                                kind: EntityKind::RingSize,
                                span: size.range(),
                                value: 0,
                                negated: false,
                            });
                        }
                    }
                }
            }
            if let Some(regex) = self.not_price.as_ref().and_then(|r| r.get(raw)) {
                masked.extend(regex.find_iter(raw).map(|m| m.range()));
            }
        }
        if raw.contains('@') {
            if let Some(m) = self
                .email
                .as_ref()
                .and_then(|r| r.get(raw))
                .and_then(|r| r.find(raw))
            {
                entities.email = Some(m.as_str().to_string());
                found.push(Found {
                    kind: EntityKind::Email,
                    span: m.range(),
                    value: 0,
                    negated: false,
                });
                masked.push(m.range());
            }
        }

        let price_possible = has_digit
            || self.has_money_sign(raw)
            || resolved
                .iter()
                .flatten()
                .any(|r| r.edits == 0 && self.price_words.get(r.word as usize) == Some(&true));
        let price = if !price_possible {
            None
        } else if masked.is_empty() {
            self.price.extract(raw)
        } else {
            let mut blanked = raw.as_bytes().to_vec();
            for span in masked.iter() {
                for b in &mut blanked[span.clone()] {
                    *b = b' ';
                }
            }
            // Masks cover whole regex matches, which start and end on char boundaries.
            match String::from_utf8(blanked) {
                Ok(blanked) => self.price.extract(&blanked),
                Err(_) => None,
            }
        };
        if let Some(price) = price {
            // Both parts of "over $200 in rose gold, and under $500" are the price.
            for span in price.spans() {
                found.push(Found {
                    kind: EntityKind::Price,
                    span,
                    value: 0,
                    negated: false,
                });
            }
            entities.price = Some(price.range);
        }
        crate::engine::sort::sort_by_key(found, |f| (f.span.start, f.span.end));
        entities
    }

    /// Categories, styles, metals and unsupported things: leftmost-longest mentions across all
    /// vocabularies (so `ankle bracelet` is an anklet, not a bracelet, and `rose gold` is not
    /// `gold`), then categories named outright beat categories implied by a style.
    fn vocabulary(
        &self,
        raw: &str,
        message: &Normalised,
        resolved: &[Option<Resolved>],
        hits: &mut Vec<PhraseHit>,
        found: &mut Vec<Found>,
        entities: &mut Entities,
    ) {
        hits.clear();
        self.trie.find_all(resolved, hits);
        if hits.is_empty() {
            return;
        }
        // Hits come by start token, then length: keep the longest at each start, then drop any
        // that overlaps a kept one. Specific phrases beat declared defaults of the same span.
        let mut picks: [Option<Pick>; 16] = [None; 16];
        let mut n = 0usize;
        let mut covered_to = 0usize;
        let mut i = 0;
        while i < hits.len() {
            let start = hits[i].tokens.start;
            let mut best = i;
            let mut j = i + 1;
            while j < hits.len() && hits[j].tokens.start == start {
                let longer = hits[j].tokens.end > hits[best].tokens.end;
                let same_more_specific = hits[j].tokens.end == hits[best].tokens.end
                    && self.phrases[hits[best].phrase as usize].fallback
                    && !self.phrases[hits[j].phrase as usize].fallback;
                if longer || same_more_specific {
                    best = j;
                }
                j += 1;
            }
            i = j;
            let hit = &hits[best];
            if start < covered_to || n == picks.len() {
                continue;
            }
            // A longer hit starting later can still cover this one's end; the leftmost wins.
            covered_to = hit.tokens.end;
            picks[n] = Some(Pick {
                tokens: (hit.tokens.start, hit.tokens.end),
                phrase: hit.phrase as usize,
            });
            n += 1;
        }
        let picks = picks[..n].iter().flatten();
        let specific_metal = picks.clone().any(|p| {
            let phrase = &self.phrases[p.phrase];
            phrase.vocabulary == Vocabulary::Metal && !phrase.fallback
        });
        // (implied category, token where the implying style ends)
        let mut implied: [Option<(usize, usize)>; 4] = [None; 4];
        let mut implied_n = 0;
        for pick in picks {
            let phrase = &self.phrases[pick.phrase];
            if let Some(from) = negated_from(message, raw, pick.tokens.0) {
                // "anything but yellow gold", "no diamonds": not wanted, and the negation's words
                // are the entity's (so the "no" of "no diamonds" is not a "no").
                let (kind, excluded) = match phrase.vocabulary {
                    Vocabulary::Category => (
                        EntityKind::Category,
                        Some((ExcludedKind::Category, &self.categories[phrase.value])),
                    ),
                    Vocabulary::Style => (
                        EntityKind::Style,
                        Some((ExcludedKind::Style, &self.styles[phrase.value].id)),
                    ),
                    Vocabulary::Metal => (
                        EntityKind::Metal,
                        Some((ExcludedKind::Metal, &self.metals[phrase.value])),
                    ),
                    Vocabulary::Unsupported => (EntityKind::Unsupported, None),
                };
                if let Some((kind, id)) = excluded {
                    if !entities.excludes(kind, id) {
                        entities.excluded.push(Excluded {
                            kind,
                            id: id.clone(),
                        });
                    }
                }
                found.push(Found {
                    kind,
                    span: message.orig_span(from..pick.tokens.1),
                    value: phrase.value,
                    negated: true,
                });
                continue;
            }
            let span = message.orig_span(pick.tokens.0..pick.tokens.1);
            let kind = match phrase.vocabulary {
                Vocabulary::Category => {
                    push_unique(&mut entities.categories, &self.categories[phrase.value]);
                    EntityKind::Category
                }
                Vocabulary::Style => {
                    push_unique(&mut entities.styles, &self.styles[phrase.value].id);
                    if let Some(category) = self.styles[phrase.value].implies {
                        // English puts the head noun last: in "solitaire pendant" the piece is
                        // a pendant, so a style right before another one implies nothing.
                        if implied_n > 0
                            && implied[implied_n - 1].is_some_and(|(_, end)| end == pick.tokens.0)
                        {
                            implied_n -= 1;
                        }
                        if implied_n < implied.len() {
                            implied[implied_n] = Some((category, pick.tokens.1));
                            implied_n += 1;
                        }
                    }
                    EntityKind::Style
                }
                Vocabulary::Metal => {
                    if phrase.fallback && specific_metal {
                        continue;
                    }
                    push_unique(&mut entities.metals, &self.metals[phrase.value]);
                    EntityKind::Metal
                }
                Vocabulary::Unsupported => {
                    let value = &self.unsupported[phrase.value];
                    if !entities.unsupported.iter().any(|u| u.id == value.id) {
                        entities.unsupported.push(value.clone());
                    }
                    EntityKind::Unsupported
                }
            };
            found.push(Found {
                kind,
                span,
                value: phrase.value,
                negated: false,
            });
        }
        if entities.categories.is_empty() {
            for (category, _) in implied[..implied_n].iter().flatten() {
                push_unique(&mut entities.categories, &self.categories[*category]);
            }
        }
        entities.category = entities.categories.first().cloned();
        entities.metal = entities.metals.first().cloned();
    }

    /// Canonical value and, for implied categories, the implying style of a found entity.
    pub fn describe(&self, found: &Found) -> String {
        match found.kind {
            EntityKind::Category => self.categories.get(found.value).cloned(),
            EntityKind::Style => self.styles.get(found.value).map(|s| s.id.clone()),
            EntityKind::Metal => self.metals.get(found.value).cloned(),
            EntityKind::Unsupported => self.unsupported.get(found.value).map(|u| u.id.clone()),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// The category a found style implies, if any.
    pub fn implied_category(&self, found: &Found) -> Option<&str> {
        if found.kind != EntityKind::Style {
            return None;
        }
        let style = self.styles.get(found.value)?;
        self.categories.get(style.implies?).map(String::as_str)
    }
}

/// The token where a negation of the entity starting at token `at` starts, if one does: `no`,
/// `not`, `without`, `except`, `nothing`, `never`, `non`, `avoid`, `anything but`, `other than`,
/// `rather than`, `instead of`, with at most three filler words between ("not *a fan of* gold",
/// "nothing *in* rose gold", "do not *want* rings") and no punctuation ("no, gold please" is a
/// "no" and then gold).
fn negated_from(message: &Normalised, raw: &str, at: usize) -> Option<usize> {
    const NEGATIONS: &[&str] = &[
        "no",
        "not",
        "without",
        "except",
        "excluding",
        "nothing",
        "never",
        "non",
        "avoid",
    ];
    /// Second words of two-word negations, with the first words they take.
    const SECOND: &[(&str, &[&str])] = &[
        ("but", &["anything", "everything", "all", "any"]),
        ("than", &["other", "rather"]),
        ("of", &["instead"]),
    ];
    const FILLERS: &[&str] = &[
        "in",
        "a",
        "an",
        "any",
        "the",
        "made",
        "of",
        "with",
        "want",
        "like",
        "wear",
        "wearing",
        "really",
        "fan",
        "looking",
        "for",
        "interested",
    ];
    let mut i = at;
    let mut fillers = 0;
    while let Some(j) = i.checked_sub(1) {
        let (before, after) = (message.tokens.get(j)?, message.tokens.get(i)?);
        let between = raw.get(before.orig.end..after.orig.start).unwrap_or("");
        if between.contains([',', '.', ';', ':', '!', '?']) {
            return None;
        }
        let word = message.word(j);
        if NEGATIONS.contains(&word) {
            return Some(j);
        }
        if let Some((_, firsts)) = SECOND.iter().find(|(second, _)| *second == word) {
            let first = j.checked_sub(1).map(|k| message.word(k));
            if first.is_some_and(|f| firsts.contains(&f)) {
                return j.checked_sub(1);
            }
        }
        if !FILLERS.contains(&word) || fillers == 3 {
            return None;
        }
        fillers += 1;
        i = j;
    }
    None
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
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
    Some(super::price::parse_decimal(whole)? + half)
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
