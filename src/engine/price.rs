//! Price expressions in US dollars, in the expression space of Duckling's AmountOfMoney.
//!
//! The grammar is hand-written over a lazy tokenizer (numbers, words, single symbols, with byte
//! spans into the original text), so `extract` allocates nothing and runs in well under a
//! microsecond on a chat message. The words of the grammar (bounds, approximations, joiners,
//! currency and cents words, multipliers) come from [`PriceVocabulary`] and are compiled once in
//! [`PriceParser::new`]; digits, number words, `$`, `¢` and the context words below are built in.
//! Vocabulary words match ASCII-case-insensitively.
//!
//! What counts as a price:
//! - an amount with a currency mark: `$500`, `500 dollars`, `USD 3.14`, `3.14US$`, `$20 and 43c`,
//!   `20 dollars 43 cents`, `five hundred dollars`, `50 cents`;
//! - an amount with a multiplier: `2k`, `$1.5k`, `2 grand`, `a grand`, except karat: a `k`-number
//!   followed by `gold`, `white`, `yellow`, `rose`, `karat`, ... (`14k gold`) is never a price, and a
//!   lone karat value (`14k`, `18k`, ...) without a currency mark or a bound word is not one either;
//! - a bare amount (`500`, `five hundred`) only right after a bound, approximation or range word
//!   (`under 500`, `around 300`, `between 200 and 400`, `from 200 to 400`) or before a postfix
//!   bound (`500 or less`, `2k and up`). A bare amount is still rejected when it is below 10
//!   (quantities and ring sizes: `under 7`, `at least 2`), when a count or unit noun or `%`/`of`
//!   follows it (`within 3 days`, `over 50 styles`, `up to 50% off`), when `size`, `order`, `#`,
//!   ... precede the expression, and when `from` precedes a year (`from 2024`).
//! - a range `X-Y`, `X to Y`, `$10-$20`, `2k-3k`, `$300 - 500` needs a currency mark or multiplier
//!   on one side; a multiplier on the right carries over to a smaller bare left side (`2-3k`).
//!   `and` joins a range only after `between`, so `$20 and 43c` stays one amount.

use super::model::{PriceKind, PriceRange, PriceVocabulary};

/// A price found in a message, with its byte span in the original text.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceMatch {
    pub range: PriceRange,
    /// Byte offset of the first character of the expression (bound words included).
    pub start: usize,
    /// Byte offset just past the expression.
    pub end: usize,
}

/// Karat values that read as gold purity rather than thousands of dollars when written `14k`.
const KARAT_VALUES: &[u32] = &[8, 9, 10, 12, 14, 15, 18, 20, 21, 22, 24];
/// Words after a `k`-number that make it a karat (`14k gold`, `18k white gold`).
const KARAT_WORDS: &[&str] = &[
    "gold",
    "white",
    "yellow",
    "rose",
    "rosegold",
    "whitegold",
    "karat",
    "karats",
    "carat",
    "carats",
    "kt",
    "solid",
    "yg",
    "wg",
    "rg",
];
/// Count and unit nouns: a bare number followed by one of these is a quantity, not a price.
const UNIT_WORDS: &[&str] = &[
    "day", "days", "week", "weeks", "month", "months", "year", "years", "yr", "yrs", "hour",
    "hours", "hr", "hrs", "minute", "minutes", "mins", "second", "seconds", "ring", "rings",
    "item", "items", "piece", "pieces", "pcs", "pair", "pairs", "star", "stars", "carat", "carats",
    "ct", "ctw", "karat", "karats", "kt", "mm", "cm", "inch", "inches", "g", "gram", "grams",
    "percent", "people", "person", "reviews", "styles", "options", "colors", "colours", "choices",
    "results", "products", "orders", "times", "size", "sizes", "of", "x",
];
/// Words that make the number after them an identifier or a size (`size 7`, `order 55123`).
const CONTEXT_WORDS: &[&str] = &[
    "size", "sizes", "order", "orders", "number", "no", "item", "sku", "ref", "style", "model",
    "ticket", "case", "tracking", "zip", "code", "room", "suite", "apt",
];
/// Number words: units, teens and tens.
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];
/// Postfix bounds after an amount: `$500 or less`, `2k and up`, `$300+`.
const POSTFIX_UNDER: &[&str] = &[
    "or less",
    "or under",
    "and under",
    "or below",
    "and below",
    "or lower",
    "max",
    "maximum",
    "tops",
    "at most",
];
const POSTFIX_OVER: &[&str] = &[
    "or more",
    "and up",
    "and above",
    "or above",
    "and over",
    "or over",
    "or higher",
    "min",
    "minimum",
    "at least",
    "+",
];

/// Bare amounts below this are quantities or sizes (`under 7`, `at least 2`), not prices.
const MIN_BARE_PRICE: f64 = 10.0;

/// Longest word the lexicon can hold; longer words never match.
const MAX_WORD: usize = 24;

/// What a word is in the number grammar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NumberWord {
    /// 0..=9
    Unit(u32),
    /// 10..=19
    Teen(u32),
    /// 20, 30, ... 90
    Tens(u32),
    Hundred,
    /// thousand (1e3) or million (1e6)
    Scale(f64),
    /// "a" / "an": "a hundred", "a grand"
    Article,
}

const FLAG_KARAT: u8 = 1;
const FLAG_UNIT: u8 = 2;
const FLAG_CONTEXT: u8 = 4;
const FLAG_AND: u8 = 8;
const FLAG_NOT: u8 = 16;

const STARTS_CUE: u8 = 1;
const STARTS_CURRENCY: u8 = 2;
const STARTS_NUMBER: u8 = 4;
const STARTS_JOINER: u8 = 8;
const STARTS_CENTS: u8 = 16;
const STARTS_MULTIPLIER: u8 = 32;
const STARTS_POSTFIX: u8 = 64;
/// Roles that open an expression, as opposed to continuing one.
const STARTS_EXPRESSION: u8 = STARTS_CUE | STARTS_CURRENCY | STARTS_NUMBER;

/// One known word, found by binary search on its lowercase bytes.
#[derive(Debug, Clone)]
struct Lexeme {
    word: Box<[u8]>,
    number: Option<NumberWord>,
    flags: u8,
    /// Which phrases this word can open (`STARTS_*`), so most words skip most of the grammar.
    starts: u8,
}

/// A token pattern in a compiled vocabulary phrase.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pat {
    Word(u16),
    Sym(char),
}

/// A vocabulary phrase compiled to token patterns.
#[derive(Debug, Clone)]
struct Phrase {
    pats: Vec<Pat>,
    /// `adjacent[i]`: pattern `i` must touch the previous token (no space), as in `us$`. For the
    /// first pattern: it must touch the amount before it (single-letter `k`, `c`, and `+`).
    adjacent: Vec<bool>,
    /// Multiplier factor, for multipliers.
    factor: f64,
    /// The multiplier is `k`, which can also mean karat.
    karat_k: bool,
    /// The bound is `from`, which before a year is not a price.
    is_from: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cue {
    Under,
    Over,
    Approx,
    Between,
}

/// A scanned numeral: `1,200`, `3.14`, `55123`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Numeral {
    value: f64,
    integer: bool,
    /// Digits before the decimal point (commas excluded).
    int_digits: u32,
    grouped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Num(Numeral),
    /// A word; `Some(index)` into the lexicon when known.
    Word(Option<u16>),
    Sym(char),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
    /// Position in the message's token list.
    idx: usize,
    /// `STARTS_*` roles of the token, from the lexicon.
    roles: u8,
}

impl Token {
    const NONE: Token = Token {
        kind: Kind::Word(None),
        start: 0,
        end: 0,
        idx: 0,
        roles: 0,
    };
}

/// Tokens a chat message normally fits in without touching the heap.
const STACK_TOKENS: usize = 48;

/// A message's tokens, tokenized once so lookahead costs an index, not a re-scan. They live on
/// the stack up to [`STACK_TOKENS`]; a longer message moves them all to `heap`.
struct Tokens {
    stack: [Token; STACK_TOKENS],
    len: usize,
    heap: Vec<Token>,
}

impl Tokens {
    fn new() -> Self {
        Tokens {
            stack: [Token::NONE; STACK_TOKENS],
            len: 0,
            heap: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn get(&self, i: usize) -> Option<Token> {
        if i >= self.len {
            None
        } else if self.heap.is_empty() {
            self.stack.get(i).copied()
        } else {
            self.heap.get(i).copied()
        }
    }

    /// The token after `tok`.
    #[inline]
    fn after(&self, tok: Token) -> Option<Token> {
        self.get(tok.idx + 1)
    }

    fn push(&mut self, tok: Token) {
        if self.len < STACK_TOKENS {
            self.stack[self.len] = tok;
        } else {
            if self.heap.is_empty() {
                self.heap.reserve(STACK_TOKENS * 4);
                self.heap.extend_from_slice(&self.stack);
            }
            self.heap.push(tok);
        }
        self.len += 1;
    }
}

/// An amount in dollars with what marked it as money.
#[derive(Debug, Clone, Copy)]
struct Amount {
    value: f64,
    start: usize,
    end: usize,
    currency: bool,
    multiplier: bool,
    /// A lone `14k`-style karat value: bare unless a bound word or currency mark vouches for it.
    karat_like: bool,
    /// The token that ended the amount, for looking past it.
    last: Token,
    /// A 4-digit integer written without grouping that reads as a year.
    year_like: bool,
    /// The multiplier applied (1 when none), to carry it to a range's bare left side.
    factor: f64,
}

impl Amount {
    /// Marked as money on its own (currency or multiplier that is not a karat value).
    fn cued(&self) -> bool {
        self.currency || (self.multiplier && !self.karat_like)
    }
}

/// Why parsing stopped: nothing here, or something here that must not be read as a price at all.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reject {
    /// `14k gold`: a karat, kill the whole expression.
    Karat,
}

/// A range shape that must not be read as a price, nor any part of it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NotAPrice;

/// The price grammar compiled from a vocabulary, built once and reused.
#[derive(Debug, Clone)]
pub struct PriceParser {
    vocabulary: PriceVocabulary,
    lexicon: Vec<Lexeme>,
    /// (phrase, cue) sorted longest first, so "no more than" wins over "more than".
    cues: Vec<(Phrase, Cue)>,
    joiners: Vec<Phrase>,
    /// Whether each joiner is `and` (usable only after `between`).
    joiner_is_and: Vec<bool>,
    currency: Vec<Phrase>,
    cents: Vec<Phrase>,
    multipliers: Vec<Phrase>,
    postfix: Vec<(Phrase, PriceKind)>,
    /// Symbols that open phrases (`~`, `-`, `$`, `+`) with their `STARTS_*` roles.
    sym_roles: Vec<(char, u8)>,
    /// Length of the longest lexicon word; longer words skip the lookup.
    max_word: usize,
    /// Open-addressing table from a word's packed key to its lexicon index (`u16::MAX` = empty).
    word_table: Vec<u16>,
    /// Packed lowercase key of each lexicon word, parallel to `lexicon`.
    word_keys: Vec<WordKey>,
}

/// A lowercase ASCII word of up to [`MAX_WORD`] bytes, zero-padded into three words, so a
/// lookup compares three integers instead of calling `memcmp`.
type WordKey = [u64; 3];

/// The packed lowercase key of `word`, or `None` when it cannot be in the lexicon.
#[inline]
fn word_key(word: &[u8]) -> Option<WordKey> {
    if word.is_empty() || word.len() > MAX_WORD || !word.is_ascii() {
        return None;
    }
    let mut buf = [0u8; MAX_WORD];
    buf[..word.len()].copy_from_slice(word);
    let mut key = [0u64; 3];
    for (k, chunk) in key.iter_mut().zip(buf.chunks_exact(8)) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        // ASCII lowercase of eight bytes at once: set bit 5 of every byte in 'A'..='Z'.
        let w = u64::from_le_bytes(eight);
        let heptets = w & 0x7f7f_7f7f_7f7f_7f7f;
        let ge_a = heptets.wrapping_add(0x3f3f_3f3f_3f3f_3f3f); // high bit where byte >= 'A'
        let gt_z = heptets.wrapping_add(0x2525_2525_2525_2525); // high bit where byte > 'Z'
        let upper = ge_a & !gt_z & 0x8080_8080_8080_8080;
        *k = w | (upper >> 2);
    }
    Some(key)
}

#[inline]
fn key_slot(key: &WordKey, mask: usize) -> usize {
    let h = (key[0] ^ key[1].rotate_left(21) ^ key[2].rotate_left(42))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize & mask
}

impl PriceParser {
    /// Compiles `vocabulary`. Phrases that cannot match are ignored: empty ones, ones made of
    /// digits, and ones with a non-ASCII word (vocabulary words are ASCII in practice; the rule
    /// loader is the place to reject anything else with a diagnostic).
    pub fn new(vocabulary: &PriceVocabulary) -> Self {
        let mut words: Vec<String> = Vec::new();
        let v = vocabulary;
        let vocab_lists = [
            &v.under,
            &v.over,
            &v.approx,
            &v.between,
            &v.range_joiners,
            &v.currency_words,
            &v.cents_words,
        ];
        let builtin: Vec<&str> = KARAT_WORDS
            .iter()
            .chain(UNIT_WORDS)
            .chain(CONTEXT_WORDS)
            .chain(POSTFIX_UNDER)
            .chain(POSTFIX_OVER)
            .copied()
            .chain(NUMBER_WORDS.iter().map(|(w, _)| *w))
            .chain(["hundred", "thousand", "million", "a", "an", "and", "not"])
            .collect();
        for text in vocab_lists
            .iter()
            .flat_map(|list| list.iter().map(String::as_str))
            .chain(v.multipliers.keys().map(String::as_str))
            .chain(builtin)
        {
            for (kind, start, end) in raw_tokens(text) {
                if kind == RawKind::Word {
                    words.push(text[start..end].to_ascii_lowercase());
                }
            }
        }
        words.sort();
        words.dedup();
        words.retain(|w| w.len() <= MAX_WORD && w.is_ascii());
        words.truncate(u16::MAX as usize);
        let max_word = words.iter().map(String::len).max().unwrap_or(0);
        let lexicon: Vec<Lexeme> = words
            .iter()
            .map(|w| {
                let has = |list: &[&str]| list.contains(&w.as_str());
                let mut flags = 0;
                if has(KARAT_WORDS) {
                    flags |= FLAG_KARAT;
                }
                if has(UNIT_WORDS) {
                    flags |= FLAG_UNIT;
                }
                if has(CONTEXT_WORDS) {
                    flags |= FLAG_CONTEXT;
                }
                if w == "and" {
                    flags |= FLAG_AND;
                }
                if w == "not" {
                    flags |= FLAG_NOT;
                }
                let number = NUMBER_WORDS
                    .iter()
                    .find(|(n, _)| n == w)
                    .map(|&(_, value)| match value {
                        0..=9 => NumberWord::Unit(value),
                        10..=19 => NumberWord::Teen(value),
                        _ => NumberWord::Tens(value),
                    })
                    .or(match w.as_str() {
                        "hundred" => Some(NumberWord::Hundred),
                        "thousand" => Some(NumberWord::Scale(1e3)),
                        "million" => Some(NumberWord::Scale(1e6)),
                        "a" | "an" => Some(NumberWord::Article),
                        _ => None,
                    });
                Lexeme {
                    word: w.as_bytes().into(),
                    starts: if number.is_some() { STARTS_NUMBER } else { 0 },
                    number,
                    flags,
                }
            })
            .collect();
        let mut parser = PriceParser {
            vocabulary: vocabulary.clone(),
            lexicon,
            cues: Vec::new(),
            joiners: Vec::new(),
            joiner_is_and: Vec::new(),
            currency: Vec::new(),
            cents: Vec::new(),
            multipliers: Vec::new(),
            postfix: Vec::new(),
            sym_roles: Vec::new(),
            max_word,
            word_table: Vec::new(),
            word_keys: Vec::new(),
        };
        let slots = (parser.lexicon.len() * 4).next_power_of_two().max(16);
        parser.word_table = vec![u16::MAX; slots];
        for (i, lexeme) in parser.lexicon.iter().enumerate() {
            let key = word_key(&lexeme.word).unwrap_or_default();
            let mut slot = key_slot(&key, slots - 1);
            while parser.word_table[slot] != u16::MAX {
                slot = (slot + 1) & (slots - 1);
            }
            parser.word_table[slot] = i as u16;
            parser.word_keys.push(key);
        }
        let mut cues = Vec::new();
        for (list, cue) in [
            (&v.under, Cue::Under),
            (&v.over, Cue::Over),
            (&v.approx, Cue::Approx),
            (&v.between, Cue::Between),
        ] {
            for text in list {
                if let Some(p) = parser.compile(text, false) {
                    cues.push((p, cue));
                }
            }
        }
        cues.sort_by_key(|(p, _)| std::cmp::Reverse(p.pats.len()));
        let mut joiners: Vec<(Phrase, bool)> = v
            .range_joiners
            .iter()
            .filter_map(|t| {
                parser
                    .compile(t, false)
                    .map(|p| (p, t.trim().eq_ignore_ascii_case("and")))
            })
            .collect();
        joiners.sort_by_key(|(p, _)| std::cmp::Reverse(p.pats.len()));
        let mut currency: Vec<Phrase> = v
            .currency_words
            .iter()
            .filter_map(|t| parser.compile(t, false))
            .collect();
        currency.sort_by_key(|p| std::cmp::Reverse(p.pats.len()));
        let mut cents: Vec<Phrase> = v
            .cents_words
            .iter()
            .filter_map(|t| parser.compile(t, true))
            .collect();
        cents.sort_by_key(|p| std::cmp::Reverse(p.pats.len()));
        let mut multipliers: Vec<Phrase> = v
            .multipliers
            .iter()
            .filter(|(_, f)| f.is_finite() && **f > 0.0)
            .filter_map(|(t, f)| {
                parser.compile(t, true).map(|mut p| {
                    p.factor = *f;
                    p.karat_k = t.trim().eq_ignore_ascii_case("k");
                    p
                })
            })
            .collect();
        multipliers.sort_by_key(|p| std::cmp::Reverse(p.pats.len()));
        let mut postfix: Vec<(Phrase, PriceKind)> = POSTFIX_UNDER
            .iter()
            .map(|t| (t, PriceKind::Under))
            .chain(POSTFIX_OVER.iter().map(|t| (t, PriceKind::Over)))
            .filter_map(|(t, kind)| parser.compile(t, true).map(|p| (p, kind)))
            .collect();
        postfix.sort_by_key(|(p, _)| std::cmp::Reverse(p.pats.len()));
        let mut sym_roles: Vec<(char, u8)> = vec![('$', STARTS_CURRENCY), ('¢', STARTS_CENTS)];
        let mut mark = |pat: Pat, role: u8| match pat {
            Pat::Sym(c) => match sym_roles.iter_mut().find(|(s, _)| *s == c) {
                Some((_, roles)) => *roles |= role,
                None => sym_roles.push((c, role)),
            },
            Pat::Word(i) => {
                if let Some(l) = parser.lexicon.get_mut(usize::from(i)) {
                    l.starts |= role;
                }
            }
        };
        for (p, _) in &cues {
            mark(p.pats[0], STARTS_CUE);
        }
        for p in &currency {
            mark(p.pats[0], STARTS_CURRENCY);
        }
        for (p, _) in &joiners {
            mark(p.pats[0], STARTS_JOINER);
        }
        for p in &cents {
            mark(p.pats[0], STARTS_CENTS);
        }
        for p in &multipliers {
            mark(p.pats[0], STARTS_MULTIPLIER);
        }
        for (p, _) in &postfix {
            mark(p.pats[0], STARTS_POSTFIX);
        }
        parser.sym_roles = sym_roles;
        parser.cues = cues;
        parser.joiner_is_and = joiners.iter().map(|(_, and)| *and).collect();
        parser.joiners = joiners.into_iter().map(|(p, _)| p).collect();
        parser.currency = currency;
        parser.cents = cents;
        parser.multipliers = multipliers;
        parser.postfix = postfix;
        parser
    }

    /// The vocabulary this parser was compiled from.
    pub fn vocabulary(&self) -> &PriceVocabulary {
        &self.vocabulary
    }

    /// The first price expression in `text`, if any.
    pub fn extract(&self, text: &str) -> Option<PriceMatch> {
        let mut toks = Tokens::new();
        self.tokenize(text, &mut toks);
        let mut prev: Option<Token> = None;
        for i in 0..toks.len() {
            let tok = toks.get(i)?;
            if self.may_start(tok) {
                if let Some(found) = self.expression(&toks, tok, prev) {
                    return Some(found);
                }
            }
            prev = Some(tok);
        }
        None
    }

    /// All tokens of `text`: on the stack for chat-sized messages, on the heap beyond that.
    fn tokenize(&self, text: &str, toks: &mut Tokens) {
        let mut pos = 0;
        while let Some(mut tok) = self.token(text, pos) {
            pos = tok.end;
            tok.idx = toks.len();
            toks.push(tok);
        }
    }

    /// Compiles one vocabulary phrase. `touch_first`: a single-character phrase must touch the
    /// amount before it (`2k`, `43c`, `$300+`), so "2 k" or "43 c" stay words.
    fn compile(&self, text: &str, touch_first: bool) -> Option<Phrase> {
        let mut pats = Vec::new();
        let mut adjacent = Vec::new();
        let mut prev_end = None;
        for (kind, start, end) in raw_tokens(text) {
            let pat = match kind {
                RawKind::Word => Pat::Word(self.lookup(&text.as_bytes()[start..end])?),
                RawKind::Sym | RawKind::Num => {
                    // A phrase made of digits cannot be told from an amount; skip it.
                    if kind == RawKind::Num {
                        return None;
                    }
                    Pat::Sym(normalise_sym(text[start..].chars().next()?))
                }
            };
            adjacent.push(prev_end == Some(start));
            pats.push(pat);
            prev_end = Some(end);
        }
        if pats.is_empty() {
            return None;
        }
        let trimmed = text.trim();
        if touch_first && trimmed.chars().count() == 1 {
            adjacent[0] = true;
        }
        Some(Phrase {
            pats,
            adjacent,
            factor: 1.0,
            karat_k: false,
            is_from: trimmed.eq_ignore_ascii_case("from"),
        })
    }

    /// The lexicon index of a word, ASCII-case-insensitively.
    fn lookup(&self, word: &[u8]) -> Option<u16> {
        if word.len() > self.max_word {
            return None;
        }
        let key = word_key(word)?;
        let mask = self.word_table.len() - 1;
        let mut slot = key_slot(&key, mask);
        loop {
            let index = *self.word_table.get(slot)?;
            if index == u16::MAX {
                return None;
            }
            if self.word_keys.get(usize::from(index)) == Some(&key) {
                return Some(index);
            }
            slot = (slot + 1) & mask;
        }
    }

    fn lexeme(&self, tok: Token) -> Option<&Lexeme> {
        match tok.kind {
            Kind::Word(Some(i)) => self.lexicon.get(usize::from(i)),
            _ => None,
        }
    }

    fn has_flag(&self, tok: Option<Token>, flag: u8) -> bool {
        tok.and_then(|t| self.lexeme(t))
            .is_some_and(|l| l.flags & flag != 0)
    }

    fn number_word(&self, tok: Token) -> Option<NumberWord> {
        self.lexeme(tok).and_then(|l| l.number)
    }

    /// The token starting at or after byte `pos`, skipping whitespace.
    fn token(&self, text: &str, pos: usize) -> Option<Token> {
        let (kind, start, end) = next_raw(text, pos)?;
        let kind = match kind {
            RawKind::Num => Kind::Num(numeral(&text.as_bytes()[start..end])),
            RawKind::Word => Kind::Word(self.lookup(&text.as_bytes()[start..end])),
            RawKind::Sym => Kind::Sym(normalise_sym(text[start..].chars().next()?)),
        };
        let roles = match kind {
            Kind::Num(_) => STARTS_NUMBER,
            Kind::Word(Some(i)) => self.lexicon.get(usize::from(i)).map_or(0, |l| l.starts),
            Kind::Word(None) => 0,
            Kind::Sym(c) => self
                .sym_roles
                .iter()
                .find(|(s, _)| *s == c)
                .map_or(0, |(_, r)| *r),
        };
        Some(Token {
            kind,
            start,
            end,
            idx: 0,
            roles,
        })
    }

    /// Cheap filter: only these tokens can open a price expression.
    fn may_start(&self, tok: Token) -> bool {
        tok.roles & STARTS_EXPRESSION != 0
    }

    /// Matches `phrase` with its first pattern at `first` (which must touch byte `before` when the
    /// phrase demands it); returns the last matched token.
    fn match_at(
        &self,
        toks: &Tokens,
        phrase: &Phrase,
        first: Token,
        before: Option<usize>,
    ) -> Option<Token> {
        if phrase.adjacent[0] && before.is_some_and(|end| end != first.start) {
            return None;
        }
        let mut tok = first;
        for (i, (&pat, &adjacent)) in phrase.pats.iter().zip(&phrase.adjacent).enumerate() {
            if i > 0 {
                let next = toks.after(tok)?;
                if adjacent && next.start != tok.end {
                    return None;
                }
                tok = next;
            }
            let ok = match (pat, tok.kind) {
                (Pat::Word(w), Kind::Word(Some(t))) => w == t,
                (Pat::Sym(a), Kind::Sym(b)) => a == b,
                _ => false,
            };
            if !ok {
                return None;
            }
        }
        Some(tok)
    }

    /// A price expression opening with `first`; `prev` is the token before it.
    fn expression(&self, toks: &Tokens, first: Token, prev: Option<Token>) -> Option<PriceMatch> {
        let blocked_context = self.has_flag(prev, FLAG_CONTEXT) || prev_is_hash(prev);
        let may_cue = first.roles & STARTS_CUE != 0;
        for (phrase, cue) in self.cues.iter().filter(|_| may_cue) {
            let Some(last) = self.match_at(toks, phrase, first, None) else {
                continue;
            };
            let after = toks.after(last)?;
            // "not more than 500" is an upper bound, "not under 500" a lower one.
            let (cue, start) = match (cue, prev) {
                (Cue::Over, Some(p)) if self.has_flag(Some(p), FLAG_NOT) => (Cue::Under, p.start),
                (Cue::Under, Some(p)) if self.has_flag(Some(p), FLAG_NOT) => (Cue::Over, p.start),
                _ => (*cue, first.start),
            };
            return self
                .after_cue(toks, start, after, cue, phrase.is_from, blocked_context)
                .ok()
                .flatten();
        }
        let left = self.amount(toks, first).ok()??;
        if let Some(found) = self.range(toks, first.start, left, false, blocked_context) {
            return found.ok();
        }
        let (kind, last) = match self.postfix_bound(toks, left.last) {
            Some((kind, last)) => (kind, last),
            None => (PriceKind::Exact, left.last),
        };
        let end = last.end;
        let bare_ok = kind != PriceKind::Exact
            && !blocked_context
            && self.bare_ok(&left, toks.after(last), false);
        if !left.cued() && !bare_ok {
            return None;
        }
        Some(PriceMatch {
            range: single(kind, left.value),
            start: first.start,
            end,
        })
    }

    /// The amount (or range) after a bound, approximation or `between` word.
    fn after_cue(
        &self,
        toks: &Tokens,
        start: usize,
        after: Token,
        cue: Cue,
        is_from: bool,
        blocked_context: bool,
    ) -> Result<Option<PriceMatch>, Reject> {
        let Some(left) = self.amount(toks, after)? else {
            return Ok(None);
        };
        if cue != Cue::Under {
            if let Some(found) = self.range(
                toks,
                start,
                left,
                cue == Cue::Between,
                blocked_context || (is_from && left.year_like),
            ) {
                return Ok(found.ok());
            }
        }
        if cue == Cue::Between {
            return Ok(None);
        }
        let next = toks.after(left.last);
        if !left.currency && (blocked_context || !self.bare_ok(&left, next, is_from)) {
            return Ok(None);
        }
        let kind = match cue {
            Cue::Under => PriceKind::Under,
            Cue::Over => PriceKind::Over,
            _ => PriceKind::Approx,
        };
        Ok(Some(PriceMatch {
            range: single(kind, left.value),
            start,
            end: left.end,
        }))
    }

    /// `left` joiner `right`. `None`: no range here (try a single amount). `Some(Err(NotAPrice))`:
    /// a range shape that is not a price (`from 2 to 3 weeks`), so nothing here is a price.
    fn range(
        &self,
        toks: &Tokens,
        start: usize,
        left: Amount,
        after_between: bool,
        blocked_context: bool,
    ) -> Option<Result<PriceMatch, NotAPrice>> {
        let first = toks.after(left.last)?;
        if first.roles & STARTS_JOINER == 0 {
            return None;
        }
        let (last, _) = self
            .joiners
            .iter()
            .zip(&self.joiner_is_and)
            .filter(|(_, is_and)| after_between || !**is_and)
            .find_map(|(j, _)| self.match_at(toks, j, first, None).map(|t| (t, j)))?;
        let right_first = toks.after(last)?;
        let right = match self.amount(toks, right_first) {
            Ok(Some(right)) => right,
            Ok(None) => return None,
            Err(Reject::Karat) => return Some(Err(NotAPrice)),
        };
        let after_right = toks.after(right.last);
        let mut left = left;
        let either_marked = left.currency || right.currency || left.multiplier || right.multiplier;
        if either_marked {
            // "size 7 - $20": a size or an id on the left is not the low end of a price range.
            if blocked_context && !left.currency && !left.multiplier {
                return None;
            }
            // A multiplier or currency on the right covers a bare left side: "2-3k", "10-20 dollars".
            if !left.multiplier
                && right.multiplier
                && !left.currency
                && left.value * right.factor <= right.value
            {
                left.value *= right.factor;
            }
            if !right.currency && self.is_unit_like(after_right) {
                return Some(Err(NotAPrice));
            }
            // Two karat-like sides ("10k-20k") still read as money together.
            let marked = left.cued() || right.cued() || (left.multiplier && right.multiplier);
            if !after_between && !marked {
                return None;
            }
        } else {
            // Both bare: only after a range word, and both must read as prices.
            if !after_between && start == left.start {
                return None;
            }
            if blocked_context
                || left.value < MIN_BARE_PRICE
                || !self.bare_ok(&right, after_right, false)
            {
                return Some(Err(NotAPrice));
            }
        }
        let (lo, hi) = if left.value <= right.value {
            (left.value, right.value)
        } else {
            (right.value, left.value)
        };
        Some(Ok(PriceMatch {
            range: PriceRange {
                min: Some(lo),
                max: Some(hi),
                kind: PriceKind::Between,
            },
            start,
            end: right.end,
        }))
    }

    /// A postfix bound right after an amount ending with `last`.
    fn postfix_bound(&self, toks: &Tokens, last: Token) -> Option<(PriceKind, Token)> {
        let first = toks.after(last)?;
        if first.roles & STARTS_POSTFIX == 0 {
            return None;
        }
        self.postfix.iter().find_map(|(p, kind)| {
            self.match_at(toks, p, first, Some(last.end))
                .map(|t| (*kind, t))
        })
    }

    /// Whether an amount vouched for only by a bound word (or a postfix bound) reads as a price:
    /// `next` is the token after the expression.
    fn bare_ok(&self, amount: &Amount, next: Option<Token>, is_from: bool) -> bool {
        if amount.currency {
            return true;
        }
        if self.is_unit_like(next) {
            return false;
        }
        amount.multiplier || (amount.value >= MIN_BARE_PRICE && !(is_from && amount.year_like))
    }

    /// A count noun, unit, `%` or `of` follows: the number is a quantity.
    fn is_unit_like(&self, next: Option<Token>) -> bool {
        match next {
            Some(Token {
                kind: Kind::Sym('%'),
                ..
            }) => true,
            other => self.has_flag(other, FLAG_UNIT),
        }
    }

    /// An amount opening with `first`: `[currency] number [multiplier] [currency] [cents]`.
    fn amount(&self, toks: &Tokens, first: Token) -> Result<Option<Amount>, Reject> {
        let mut currency = false;
        let mut tok = first;
        // Prefix currency: "$", "USD", "US$".
        let may_currency = first.roles & STARTS_CURRENCY != 0;
        if let Some(last) = self
            .currency
            .iter()
            .filter(|_| may_currency)
            .find_map(|p| self.match_at(toks, p, first, None))
            .or_else(|| matches!(first.kind, Kind::Sym('$')).then_some(first))
        {
            let Some(next) = toks.after(last) else {
                return Ok(None);
            };
            currency = true;
            tok = next;
        }
        // The number itself.
        let (mut value, mut last, numeral) = match tok.kind {
            Kind::Num(n) => {
                if n.int_digits > 15 {
                    return Ok(None);
                }
                (n.value, tok, Some(n))
            }
            Kind::Word(Some(_)) => {
                if self.number_word(tok) == Some(NumberWord::Article) {
                    // "a grand"
                    if let Some(next) = toks.after(tok) {
                        if let Some((factor, m_last, _)) = self.multiplier(toks, tok, next) {
                            return Ok(Some(Amount {
                                value: factor,
                                start: first.start,
                                end: m_last.end,
                                currency,
                                multiplier: true,
                                karat_like: false,
                                last: m_last,
                                year_like: false,
                                factor,
                            }));
                        }
                    }
                }
                match self.number_words(toks, tok) {
                    Some((v, last)) => (v, last, None),
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        let mut multiplier = false;
        let mut karat_like = false;
        let mut factor_applied = 1.0;
        let mut integer = numeral.is_none_or(|n| n.integer);
        // Cents on their own: "50 cents", "99¢".
        if !currency && integer {
            if let Some(next) = toks.after(last) {
                if let Some(c_last) = self.cents_word(toks, last, next) {
                    return Ok(Some(Amount {
                        value: value / 100.0,
                        start: first.start,
                        end: c_last.end,
                        currency: true,
                        multiplier: false,
                        karat_like: false,
                        last: c_last,
                        year_like: false,
                        factor: 1.0,
                    }));
                }
            }
        }
        // Multiplier: "2k", "1.5k", "2 grand", or a scale word after digits: "5 hundred".
        if let Some(next) = toks.after(last) {
            if let Some((factor, m_last, karat_k)) = self.multiplier(toks, last, next) {
                if karat_k {
                    if self.karat_follows(toks, m_last) {
                        return Err(Reject::Karat);
                    }
                    karat_like = !currency
                        && integer
                        && value.fract() == 0.0
                        && KARAT_VALUES.contains(&(value as u32));
                }
                value *= factor;
                factor_applied = factor;
                multiplier = true;
                integer = value.fract() == 0.0;
                last = m_last;
            } else if numeral.is_some() {
                match self.number_word(next) {
                    Some(NumberWord::Hundred) => {
                        value *= 100.0;
                        last = next;
                    }
                    Some(NumberWord::Scale(s)) => {
                        value *= s;
                        last = next;
                    }
                    _ => {}
                }
            }
        }
        // Suffix currency: "500 dollars", "3.14US$", "500$".
        if let Some(next) = toks.after(last) {
            if let Some(c_last) = self
                .currency
                .iter()
                .filter(|_| next.roles & STARTS_CURRENCY != 0)
                .find_map(|p| self.match_at(toks, p, next, None))
            {
                currency = true;
                last = c_last;
            } else if next.kind == Kind::Sym('$') && next.start == last.end {
                currency = true;
                last = next;
            }
        }
        // Cents after dollars: "$20 and 43c", "20 dollars 43 cents".
        if currency && integer {
            if let Some((cents, c_last)) = self.cents_tail(toks, last) {
                value = (value * 100.0 + cents) / 100.0;
                last = c_last;
            }
        }
        let year_like = numeral.is_some_and(|n| {
            n.integer && !n.grouped && n.int_digits == 4 && (1900.0..=2100.0).contains(&n.value)
        }) && !multiplier;
        Ok(Some(Amount {
            value,
            start: first.start,
            end: last.end,
            currency,
            multiplier,
            karat_like,
            last,
            year_like,
            factor: factor_applied,
        }))
    }

    /// A multiplier phrase at `next` after a number ending with `last`: (factor, last token, is `k`).
    fn multiplier(&self, toks: &Tokens, last: Token, next: Token) -> Option<(f64, Token, bool)> {
        if next.roles & STARTS_MULTIPLIER == 0 {
            return None;
        }
        self.multipliers.iter().find_map(|p| {
            self.match_at(toks, p, next, Some(last.end))
                .map(|t| (p.factor, t, p.karat_k))
        })
    }

    /// A karat word after a `k`-number: `14k gold`, `18k-white`.
    fn karat_follows(&self, toks: &Tokens, k: Token) -> bool {
        let Some(mut next) = toks.after(k) else {
            return false;
        };
        if next.kind == Kind::Sym('-') && next.start == k.end {
            match toks.after(next) {
                Some(t) => next = t,
                None => return false,
            }
        }
        self.has_flag(Some(next), FLAG_KARAT)
    }

    /// A cents word at `next` after a number ending with `last`.
    fn cents_word(&self, toks: &Tokens, last: Token, next: Token) -> Option<Token> {
        if next.kind == Kind::Sym('¢') && next.start == last.end {
            return Some(next);
        }
        if next.roles & STARTS_CENTS == 0 {
            return None;
        }
        self.cents
            .iter()
            .find_map(|p| self.match_at(toks, p, next, Some(last.end)))
    }

    /// `[and] NN cents` or `[and] fifty cents` after a dollar amount ending with `last`.
    fn cents_tail(&self, toks: &Tokens, last: Token) -> Option<(f64, Token)> {
        let mut tok = toks.after(last)?;
        if self.has_flag(Some(tok), FLAG_AND) {
            tok = toks.after(tok)?;
        }
        let (cents, cents_last) = match tok.kind {
            Kind::Num(n) if n.integer && !n.grouped && n.int_digits <= 2 => (n.value, tok),
            Kind::Num(_) => return None,
            _ => self.small_number_words(toks, tok)?,
        };
        let next = toks.after(cents_last)?;
        let c_last = self.cents_word(toks, cents_last, next)?;
        Some((cents, c_last))
    }

    /// Number words from `first`: "five hundred", "twenty-five", "two thousand five hundred",
    /// "a hundred", "two hundred and fifty". Returns the value and the last word.
    fn number_words(&self, toks: &Tokens, first: Token) -> Option<(f64, Token)> {
        #[derive(PartialEq, Clone, Copy)]
        enum Last {
            Start,
            Article,
            Unit,
            Teen,
            Tens,
            Hundred,
            Scale,
        }
        let mut state = Last::Start;
        let mut total = 0.0_f64;
        let mut group = 0.0_f64;
        let mut group_has_hundred = false;
        let mut smallest_scale = f64::INFINITY;
        let mut tok = first;
        let mut last_tok: Option<Token> = None;
        loop {
            let word = self.number_word(tok);
            let after_scale = matches!(state, Last::Start | Last::Hundred | Last::Scale);
            let accepted = match word {
                Some(NumberWord::Article) if state == Last::Start => {
                    state = Last::Article;
                    group = 1.0;
                    true
                }
                Some(NumberWord::Unit(v))
                    if after_scale || (state == Last::Tens && group % 10.0 == 0.0) =>
                {
                    group += f64::from(v);
                    state = Last::Unit;
                    true
                }
                Some(NumberWord::Teen(v)) if after_scale => {
                    group += f64::from(v);
                    state = Last::Teen;
                    true
                }
                Some(NumberWord::Tens(v)) if after_scale => {
                    group += f64::from(v);
                    state = Last::Tens;
                    true
                }
                Some(NumberWord::Hundred)
                    if matches!(state, Last::Article | Last::Unit | Last::Teen | Last::Tens)
                        && !group_has_hundred
                        && group < 100.0 =>
                {
                    group *= 100.0;
                    group_has_hundred = true;
                    state = Last::Hundred;
                    true
                }
                Some(NumberWord::Scale(s))
                    if !matches!(state, Last::Start | Last::Scale) && s < smallest_scale =>
                {
                    total += group * s;
                    group = 0.0;
                    group_has_hundred = false;
                    smallest_scale = s;
                    state = Last::Scale;
                    true
                }
                _ => false,
            };
            if !accepted {
                // "two hundred and fifty": `and` then a number below 100 not followed by a scale
                // word, so "between two hundred and three hundred" stays a range.
                if matches!(state, Last::Hundred | Last::Scale)
                    && self.has_flag(Some(tok), FLAG_AND)
                {
                    if let Some((v, small_last)) = toks
                        .after(tok)
                        .and_then(|first| self.small_number_words(toks, first))
                    {
                        let after = toks.after(small_last);
                        let scale_after = after.is_some_and(|t| {
                            matches!(
                                self.number_word(t),
                                Some(NumberWord::Hundred | NumberWord::Scale(_))
                            )
                        });
                        if !scale_after {
                            group += v;
                            last_tok = Some(small_last);
                        }
                    }
                }
                break;
            }
            last_tok = Some(tok);
            // "twenty-five": skip a hyphen touching both words.
            let Some(mut next) = toks.after(tok) else {
                break;
            };
            if state == Last::Tens && next.kind == Kind::Sym('-') && next.start == tok.end {
                match toks.after(next) {
                    Some(t) if t.start == next.end => next = t,
                    _ => break,
                }
            }
            tok = next;
        }
        if state == Last::Article && last_tok == Some(first) {
            return None;
        }
        Some((total + group, last_tok?))
    }

    /// A number below 100 in words starting at `tok`: "fifty", "twenty five", "seven".
    fn small_number_words(&self, toks: &Tokens, tok: Token) -> Option<(f64, Token)> {
        match self.number_word(tok)? {
            NumberWord::Unit(v) | NumberWord::Teen(v) => Some((f64::from(v), tok)),
            NumberWord::Tens(v) => {
                let mut next = toks.after(tok);
                if let Some(n) = next {
                    if n.kind == Kind::Sym('-') && n.start == tok.end {
                        next = toks.after(n);
                    }
                }
                match next.and_then(|n| self.number_word(n).map(|w| (n, w))) {
                    Some((n, NumberWord::Unit(u))) if u > 0 => Some((f64::from(v + u), n)),
                    _ => Some((f64::from(v), tok)),
                }
            }
            _ => None,
        }
    }
}

fn single(kind: PriceKind, value: f64) -> PriceRange {
    match kind {
        PriceKind::Under => PriceRange {
            min: None,
            max: Some(value),
            kind,
        },
        PriceKind::Over => PriceRange {
            min: Some(value),
            max: None,
            kind,
        },
        _ => PriceRange {
            min: Some(value),
            max: Some(value),
            kind,
        },
    }
}

fn prev_is_hash(prev: Option<Token>) -> bool {
    matches!(
        prev,
        Some(Token {
            kind: Kind::Sym('#'),
            ..
        })
    )
}

/// Dashes and tildes people type interchangeably.
fn normalise_sym(c: char) -> char {
    match c {
        '–' | '—' | '‒' | '−' => '-',
        '∼' | '〜' => '~',
        '＄' => '$',
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RawKind {
    Num,
    Word,
    Sym,
}

/// All raw tokens of `text` (for compiling vocabulary phrases; not on the hot path).
fn raw_tokens(text: &str) -> Vec<(RawKind, usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(t) = next_raw(text, pos) {
        pos = t.2;
        out.push(t);
    }
    out
}

/// The next raw token at or after `pos`: a number (`1,200.50`), a word (letters and digits,
/// starting with a letter) or one other character. Whitespace separates tokens.
fn next_raw(text: &str, pos: usize) -> Option<(RawKind, usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = pos;
    // Skip whitespace.
    loop {
        let b = *bytes.get(i)?;
        if b < 0x80 {
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            break;
        }
        let c = text.get(i..)?.chars().next()?;
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        break;
    }
    let start = i;
    let b = bytes[i];
    if b.is_ascii_digit() {
        return Some((RawKind::Num, start, scan_number(bytes, start)));
    }
    if b.is_ascii_alphabetic() || (b >= 0x80 && is_word_char_at(text, i)) {
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    i += 1;
                    continue;
                }
                break;
            }
            match text.get(i..).and_then(|s| s.chars().next()) {
                Some(c) if c.is_alphanumeric() => i += c.len_utf8(),
                _ => break,
            }
        }
        return Some((RawKind::Word, start, i));
    }
    let len = if b < 0x80 {
        1
    } else {
        text.get(i..)?.chars().next()?.len_utf8()
    };
    Some((RawKind::Sym, start, start + len))
}

fn is_word_char_at(text: &str, i: usize) -> bool {
    text.get(i..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_alphanumeric)
}

/// End of a numeral at `start`: digits, `,ddd` groups after 1-3 leading digits, `.d+`.
fn scan_number(bytes: &[u8], start: usize) -> usize {
    let digits_from = |i: usize| {
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut i = digits_from(start);
    if i - start <= 3 {
        loop {
            let group_end = i + 4;
            let is_group = bytes.get(i) == Some(&b',')
                && group_end <= bytes.len()
                && bytes[i + 1..group_end].iter().all(u8::is_ascii_digit)
                && !bytes.get(group_end).is_some_and(u8::is_ascii_digit);
            if !is_group {
                break;
            }
            i = group_end;
        }
    }
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits_from(i + 1);
    }
    i
}

/// The value of a numeral scanned by [`scan_number`], rounded once (`314 / 100`).
fn numeral(bytes: &[u8]) -> Numeral {
    let mut mantissa: u64 = 0;
    let mut int_digits = 0u32;
    let mut frac_digits = 0u32;
    let mut in_fraction = false;
    let mut grouped = false;
    let mut exact = true;
    for &b in bytes {
        match b {
            b',' => grouped = true,
            b'.' => in_fraction = true,
            d => {
                if in_fraction {
                    // Cents precision is plenty; ignore digits past 1e-6.
                    if frac_digits >= 6 {
                        continue;
                    }
                    frac_digits += 1;
                } else {
                    int_digits += 1;
                }
                match mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(u64::from(d - b'0')))
                {
                    Some(m) => mantissa = m,
                    None => exact = false,
                }
            }
        }
    }
    let value = if exact {
        mantissa as f64 / 10f64.powi(frac_digits as i32)
    } else {
        f64::INFINITY
    };
    Numeral {
        value,
        integer: frac_digits == 0,
        int_digits,
        grouped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> PriceParser {
        PriceParser::new(&PriceVocabulary::default())
    }

    #[test]
    fn numerals_round_once() {
        assert_eq!(numeral(b"2.71").value, 2.71);
        assert_eq!(numeral(b"1,200").value, 1200.0);
        assert_eq!(numeral(b"20.43").value, 20.43);
        assert!(numeral(b"1,200").grouped);
    }

    #[test]
    fn comma_groups_need_three_digits() {
        assert_eq!(scan_number(b"1,200 x", 0), 5);
        assert_eq!(scan_number(b"1,20", 0), 1);
        assert_eq!(scan_number(b"1234,567", 0), 4);
        assert_eq!(scan_number(b"6.5.", 0), 3);
    }

    #[test]
    fn word_keys_fold_ascii_case_only() {
        assert_eq!(word_key(b"UnDeR@[`z"), word_key(b"under@[`z"));
        assert_ne!(word_key(b"under@"), word_key(b"under`"));
        assert_ne!(word_key(b"under"), word_key(b"unde"));
        assert_eq!(word_key("café".as_bytes()), None);
        assert_eq!(word_key(&[b'a'; MAX_WORD + 1]), None);
    }

    #[test]
    fn span_covers_bound_word_and_amount() {
        let text = "show me rings Under $500 please";
        let m = parser().extract(text).unwrap();
        assert_eq!(&text[m.start..m.end], "Under $500");
    }
}
