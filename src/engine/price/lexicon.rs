//! The parser's words: the vocabulary's phrases and the built-in context words, interned once
//! into a lexicon with an open-addressing table, so a message word costs one hash probe.

use super::numbers::{all_number_words, NumberWord};
use super::tokens::{normalise_sym, raw_tokens, Kind, RawKind, Token, Tokens};

/// Longest word the lexicon can hold; longer words never match.
pub(super) const MAX_WORD: usize = 24;

/// A set of small flags over `u16`, typed so that two families cannot be mixed up.
macro_rules! flag_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $flag:ident = $bit:expr,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub(super) struct $name(u16);

        #[allow(dead_code)]
        impl $name {
            pub const NONE: $name = $name(0);
            $($(#[$fdoc])* pub const $flag: $name = $name(1 << $bit);)*

            /// Whether any flag of `other` is set.
            #[inline]
            pub const fn any(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }

            #[inline]
            pub const fn union(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                self.union(other)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, other: $name) {
                *self = self.union(other);
            }
        }
    };
}

flag_set! {
    /// What a word is to the grammar's context checks (built in, not from the vocabulary).
    WordClass {
        /// After a `k`-number, makes it a karat: `14k gold`.
        KARAT = 0,
        /// A count or unit noun: the number before it is a quantity (`3 days`, `50 styles`).
        UNIT = 1,
        /// Makes the number after it an identifier or a size: `size 7`, `order 55123`.
        CONTEXT = 2,
        /// `and`.
        AND = 3,
        /// May stand between a negation and its bound: "nothing *priced* over", "not *to* exceed".
        NEG_FILLER = 4,
        /// Like `NEG_FILLER`, after a verb negation only: "don't *want* to spend over".
        VERB_NEG_FILLER = 5,
        /// May stand between a budget word and its amount: "budget *is* 1500", "budget *of* $1500".
        BUDGET_FILLER = 6,
        /// Joins two bounds into one expression: "over 200 *and* under 500", "min 200, max 400".
        CONNECTOR = 7,
        /// Before a budget word after an amount: "$500 *is my* budget".
        POSSESSIVE = 8,
        /// After a bound noun, before its amount: "my max *is* 500".
        COPULA = 9,
    }
}

flag_set! {
    /// Which phrases a token can open, so most tokens skip most of the grammar.
    Roles {
        CUE = 0,
        CURRENCY = 1,
        NUMBER = 2,
        JOINER = 3,
        CENTS = 4,
        MULTIPLIER = 5,
        POSTFIX = 6,
        NEGATION = 7,
        BUDGET = 8,
    }
}

impl Roles {
    /// Roles that open an expression, as opposed to continuing one.
    pub const EXPRESSION: Roles = Roles::CUE
        .union(Roles::CURRENCY)
        .union(Roles::NUMBER)
        .union(Roles::NEGATION)
        .union(Roles::BUDGET);
}

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
    "hours", "hr", "hrs", "minute", "minutes", "mins", "second", "seconds", "business", "ring",
    "rings", "item", "items", "piece", "pieces", "pcs", "pc", "pair", "pairs", "set", "sets",
    "pack", "packs", "star", "stars", "carat", "carats", "ct", "ctw", "tcw", "karat", "karats",
    "kt", "mm", "cm", "inch", "inches", "ft", "feet", "g", "gram", "grams", "oz", "ounce",
    "ounces", "dwt", "percent", "pct", "people", "person", "guests", "reviews", "styles",
    "options", "colors", "colours", "choices", "results", "products", "orders", "times", "size",
    "sizes", "of", "x", "th", "st", "nd", "rd", "am", "pm", "sterling", "silver", "gifts", "kids",
    "stones", "diamonds", "links", "beads", "pearls", "charms",
];
/// Words that make the number after them an identifier or a size (`size 7`, `order 55123`).
const CONTEXT_WORDS: &[&str] = &[
    "size", "sizes", "order", "orders", "number", "no", "item", "sku", "ref", "style", "model",
    "ticket", "case", "tracking", "zip", "code", "room", "suite", "apt", "pack", "set", "qty",
    "quantity", "phone", "call", "ext", "page", "step", "version", "top", "pt", "aur", "lot",
];
/// Words that may stand between any negation and its bound: "not *to* exceed", "nothing *priced*
/// over", "never *go* over".
const NEG_FILLERS: &[&str] = &[
    "to",
    "go",
    "going",
    "be",
    "spend",
    "spending",
    "pay",
    "paying",
    "anything",
    "something",
    "one",
    "any",
    "much",
    "too",
    "way",
    "really",
    "priced",
    "costing",
    "that",
    "which",
    "costs",
    "cost",
    "is",
    "are",
    "a",
    "single",
    "penny",
    "cent",
    "dime",
    "dollar",
];
/// Words that may also stand after a verb negation ("don't", "can't", "won't"): "don't *want*
/// to spend more than", "won't *be* over".
const VERB_NEG_FILLERS: &[&str] = &[
    "want", "wanna", "looking", "willing", "able", "trying", "planning", "hoping", "like", "it",
    "me", "show", "see", "need", "would", "rather", "prefer", "intend", "plan", "let", "us", "him",
    "her", "them", "ever",
];
/// Words that may stand between a budget word and its amount: "budget *is* 1500".
const BUDGET_FILLERS: &[&str] = &[
    "is",
    "of",
    "was",
    "be",
    "will",
    "would",
    "at",
    "like",
    "right",
    "now",
    "currently",
    "only",
    "just",
    "s",
    "for",
    "it",
    "this",
    "total",
    "overall",
    "set",
    "probably",
    "maybe",
    "really",
    "a",
    "an",
    "my",
    "our",
    "the",
    "per",
    "each",
    "piece",
    "gift",
    "ring",
    "rings",
    "necklace",
    "necklaces",
    "earrings",
    "bracelet",
    "bracelets",
    "pendant",
    "studs",
    "hoops",
    "chain",
    "band",
    "bands",
    "one",
    "engagement",
    "wedding",
    "anniversary",
    "her",
    "him",
    "them",
    "these",
    "that",
    "present",
];
/// Words that join two bounds into one expression: "over 200 *and* under 500".
const CONNECTORS: &[&str] = &[
    "and",
    "but",
    "yet",
    "though",
    "although",
    "also",
    "while",
    "still",
    "preferably",
    "ideally",
    "or",
];
/// Words between a bound word and its amount: "my max *is* 500", "around *the* $700 mark".
const COPULAS: &[&str] = &["is", "was", "be", "would", "will", "s", "the", "like"];
/// Words between an amount and a budget word after it: "$500 *is my* budget".
const POSSESSIVES: &[&str] = &["is", "as", "my", "our", "the", "your", "total"];
/// Postfix phrases that read as addition when a word follows: "$500 plus tax".
pub(super) const POSTFIX_NEEDS_END: &[&str] = &["plus"];
/// Negations that take only the short filler list: "no" ("no, I want something over 500" is
/// not a cap, while "not looking to spend more than 600" is).
pub(super) const WEAK_NEGATIONS: &[&str] = &["no"];

/// One known word.
#[derive(Debug, Clone)]
struct Lexeme {
    number: Option<NumberWord>,
    class: WordClass,
    /// Which phrases this word can open.
    roles: Roles,
}

/// A lowercase ASCII word of up to [`MAX_WORD`] bytes, zero-padded into three words, so a
/// lookup compares three integers instead of calling `memcmp`.
type WordKey = [u64; 3];

/// The packed lowercase key of `word`, or `None` when it cannot be in the lexicon.
#[inline]
pub(super) fn word_key(word: &[u8]) -> Option<WordKey> {
    if word.is_empty() || word.len() > MAX_WORD || !word.is_ascii() {
        return None;
    }
    let mut buf = [0u8; MAX_WORD];
    buf.get_mut(..word.len())?.copy_from_slice(word);
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

/// The bit of `word`'s shape (length, first and last letter, case-folded) in `Lexicon::shapes`.
#[inline]
fn shape_bit(word: &[u8]) -> Option<usize> {
    let (&first, &last) = (word.first()?, word.last()?);
    (word.len() <= MAX_WORD)
        .then(|| (word.len() * 32 + usize::from(first & 31)) * 32 + usize::from(last & 31))
}

#[inline]
fn key_slot(key: &WordKey, mask: usize) -> usize {
    let h = (key[0] ^ key[1].rotate_left(21) ^ key[2].rotate_left(42))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize & mask
}

/// Every word the parser knows, with its number value, class and roles.
#[derive(Debug, Clone)]
pub(super) struct Lexicon {
    lexemes: Vec<Lexeme>,
    /// Open-addressing table from a word's packed key to its lexeme index (`u16::MAX` = empty).
    table: Vec<u16>,
    /// Packed lowercase key of each lexeme, parallel to `lexemes`.
    keys: Vec<WordKey>,
    /// Length of the longest word; longer words skip the lookup.
    max_word: usize,
    /// One bit per (length, first letter, last letter) of a known word: most message words
    /// fail this test and skip hashing.
    shapes: Vec<u64>,
    /// Symbols that open phrases (`~`, `-`, `$`, `+`, `€`) with their roles.
    sym_roles: Vec<(char, Roles)>,
}

impl Lexicon {
    /// Interns every word of `phrases` and of the built-in lists.
    pub fn new<'a>(phrases: impl Iterator<Item = &'a str>) -> Lexicon {
        let builtin = KARAT_WORDS
            .iter()
            .chain(UNIT_WORDS)
            .chain(CONTEXT_WORDS)
            .chain(NEG_FILLERS)
            .chain(VERB_NEG_FILLERS)
            .chain(BUDGET_FILLERS)
            .chain(CONNECTORS)
            .chain(POSSESSIVES)
            .chain(COPULAS)
            .chain(&["and"])
            .copied()
            .chain(all_number_words());
        let mut words: Vec<String> = Vec::new();
        for text in phrases.chain(builtin.map(|w| -> &'a str { w })) {
            for (kind, start, end) in raw_tokens(text) {
                if kind == RawKind::Word {
                    if let Some(w) = text.get(start..end) {
                        words.push(w.to_ascii_lowercase());
                    }
                }
            }
        }
        crate::engine::sort::sort(&mut words);
        words.dedup();
        words.retain(|w| w.len() <= MAX_WORD && w.is_ascii());
        words.truncate(usize::from(u16::MAX - 1));
        let max_word = words.iter().map(String::len).max().unwrap_or(0);
        // Each built-in list marks its words (found in the sorted `words`), rather than each
        // word scanning every list: a fresh Worker isolate builds this table.
        let mut classes = vec![WordClass::NONE; words.len()];
        let mut numbers: Vec<Option<NumberWord>> = vec![None; words.len()];
        let index = |w: &str| words.binary_search_by(|x| x.as_str().cmp(w)).ok();
        for (list, flag) in [
            (KARAT_WORDS, WordClass::KARAT),
            (UNIT_WORDS, WordClass::UNIT),
            (CONTEXT_WORDS, WordClass::CONTEXT),
            (NEG_FILLERS, WordClass::NEG_FILLER),
            (VERB_NEG_FILLERS, WordClass::VERB_NEG_FILLER),
            (BUDGET_FILLERS, WordClass::BUDGET_FILLER),
            (CONNECTORS, WordClass::CONNECTOR),
            (POSSESSIVES, WordClass::POSSESSIVE),
            (COPULAS, WordClass::COPULA),
            (&["and"], WordClass::AND),
        ] {
            for w in list {
                if let Some(i) = index(w) {
                    classes[i] |= flag;
                }
            }
        }
        for w in all_number_words() {
            if let Some(i) = index(w) {
                // The first meaning listed wins, as `NumberWord::of` has it.
                if numbers[i].is_none() {
                    numbers[i] = NumberWord::of(w);
                }
            }
        }
        let lexemes: Vec<Lexeme> = classes
            .into_iter()
            .zip(numbers)
            .map(|(class, number)| Lexeme {
                // A number word opens an amount; `half` only continues one.
                roles: match number {
                    Some(NumberWord::Half) | None => Roles::NONE,
                    Some(_) => Roles::NUMBER,
                },
                number,
                class,
            })
            .collect();
        let slots = (lexemes.len() * 4).next_power_of_two().max(16);
        let mut table = vec![u16::MAX; slots];
        let mut keys = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            let key = word_key(w.as_bytes()).unwrap_or_default();
            let mut slot = key_slot(&key, slots - 1);
            while table[slot] != u16::MAX {
                slot = (slot + 1) & (slots - 1);
            }
            table[slot] = i as u16;
            keys.push(key);
        }
        let mut shapes = vec![0u64; (MAX_WORD + 1) * 32 * 32 / 64];
        for w in &words {
            if let Some(bit) = shape_bit(w.as_bytes()) {
                if let Some(slot) = shapes.get_mut(bit / 64) {
                    *slot |= 1 << (bit % 64);
                }
            }
        }
        Lexicon {
            lexemes,
            table,
            keys,
            max_word,
            shapes,
            sym_roles: vec![('$', Roles::CURRENCY), ('¢', Roles::CENTS)],
        }
    }

    /// The lexicon index of a word, ASCII-case-insensitively.
    pub fn lookup(&self, word: &[u8]) -> Option<u16> {
        if word.len() > self.max_word {
            return None;
        }
        let bit = shape_bit(word)?;
        if self
            .shapes
            .get(bit / 64)
            .is_none_or(|s| s & (1 << (bit % 64)) == 0)
        {
            return None;
        }
        let key = word_key(word)?;
        let mask = self.table.len() - 1;
        let mut slot = key_slot(&key, mask);
        loop {
            let index = *self.table.get(slot)?;
            if index == u16::MAX {
                return None;
            }
            if self.keys.get(usize::from(index)) == Some(&key) {
                return Some(index);
            }
            slot = (slot + 1) & mask;
        }
    }

    fn lexeme(&self, tok: Token) -> Option<&Lexeme> {
        match tok.kind {
            Kind::Word(Some(i)) => self.lexemes.get(usize::from(i)),
            _ => None,
        }
    }

    /// Whether `tok` is a known word of class `class`.
    #[inline]
    pub fn is(&self, tok: Option<Token>, class: WordClass) -> bool {
        tok.and_then(|t| self.lexeme(t))
            .is_some_and(|l| l.class.any(class))
    }

    pub fn number_word(&self, tok: Token) -> Option<NumberWord> {
        self.lexeme(tok).and_then(|l| l.number)
    }

    /// The roles of a token of kind `kind`.
    #[inline]
    pub fn roles(&self, kind: Kind) -> Roles {
        match kind {
            Kind::Num(_) => Roles::NUMBER,
            Kind::Word(Some(i)) => self
                .lexemes
                .get(usize::from(i))
                .map_or(Roles::NONE, |l| l.roles),
            Kind::Word(None) => Roles::NONE,
            Kind::Sym(c) => self
                .sym_roles
                .iter()
                .find(|(s, _)| *s == c)
                .map_or(Roles::NONE, |(_, r)| *r),
        }
    }

    /// Marks the first pattern of `phrase` as opening a phrase with `role`.
    pub fn mark(&mut self, phrase: &Phrase, role: Roles) {
        match phrase.pats.first() {
            Some(&Pat::Sym(c)) => match self.sym_roles.iter_mut().find(|(s, _)| *s == c) {
                Some((_, roles)) => *roles |= role,
                None => self.sym_roles.push((c, role)),
            },
            Some(&Pat::Word(i)) => {
                if let Some(l) = self.lexemes.get_mut(usize::from(i)) {
                    l.roles |= role;
                }
            }
            None => {}
        }
    }

    /// Compiles one vocabulary phrase. `touch_first`: a single-character phrase must touch the
    /// amount before it (`2k`, `43c`, `$300+`), so "2 k" or "43 c" stay words. Phrases that
    /// cannot match are `None`: empty ones, ones with digits, ones with a word too long or not
    /// ASCII.
    pub fn compile(&self, text: &str, touch_first: bool) -> Option<Phrase> {
        let mut pats = Vec::new();
        let mut adjacent = Vec::new();
        let mut prev_end = None;
        for (kind, start, end) in raw_tokens(text) {
            let pat = match kind {
                RawKind::Word => Pat::Word(self.lookup(text.as_bytes().get(start..end)?)?),
                // A phrase made of digits cannot be told from an amount.
                RawKind::Num => return None,
                RawKind::Sym => Pat::Sym(normalise_sym(text.get(start..)?.chars().next()?)),
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
        let is = |list: &[&str]| list.iter().any(|w| trimmed.eq_ignore_ascii_case(w));
        Some(Phrase {
            pats,
            adjacent,
            is_from: trimmed.eq_ignore_ascii_case("from"),
            needs_end: is(POSTFIX_NEEDS_END),
        })
    }

    /// Matches `phrase` with its first pattern at `first` (which must touch byte `before` when
    /// the phrase demands it); returns the last matched token.
    pub fn match_at(
        &self,
        toks: &Tokens,
        phrase: &Phrase,
        first: Token,
        before: Option<u32>,
    ) -> Option<Token> {
        if phrase.adjacent.first() == Some(&true) && before.is_some_and(|end| end != first.start) {
            return None;
        }
        let mut tok = first;
        for (i, (&pat, &adjacent)) in phrase.pats.iter().zip(&phrase.adjacent).enumerate() {
            if i > 0 {
                let next = toks.after(tok)?;
                if adjacent && !next.touches(tok) {
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
}

/// A token pattern in a compiled vocabulary phrase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Pat {
    Word(u16),
    Sym(char),
}

/// A vocabulary phrase compiled to token patterns.
#[derive(Debug, Clone)]
pub(super) struct Phrase {
    pub pats: Vec<Pat>,
    /// `adjacent[i]`: pattern `i` must touch the previous token (no space), as in `us$`. For the
    /// first pattern: it must touch the amount before it (single-letter `k`, `c`, and `+`).
    pub adjacent: Vec<bool>,
    /// The bound is `from`, which before a year is not a price.
    pub is_from: bool,
    /// A postfix that must end the expression (`plus`: "$500 plus tax" is not a bound).
    pub needs_end: bool,
}

/// Phrases indexed by their first token, each with a payload (a cue, a kind, ...). A lookup
/// only tries the phrases that start with the token at hand, longest first, so "no more than"
/// wins over "no" and a long vocabulary costs no more than a short one.
#[derive(Debug, Clone)]
pub(super) struct PhraseSet<T> {
    phrases: Vec<(Phrase, T)>,
    /// For each lexeme: the range of `phrases` that start with it.
    by_word: Vec<(u16, u16)>,
    /// For each symbol that starts a phrase: the range of `phrases` that start with it.
    by_sym: Vec<(char, u16, u16)>,
}

impl<T: Copy> PhraseSet<T> {
    /// Groups `phrases` by first token, longest first within a group.
    pub fn new(lex: &Lexicon, mut phrases: Vec<(Phrase, T)>) -> Self {
        let first_key = |p: &Phrase| match p.pats.first() {
            Some(Pat::Word(w)) => (0u32, u32::from(*w)),
            Some(Pat::Sym(c)) => (1, u32::from(*c)),
            None => (2, 0),
        };
        crate::engine::sort::sort_by_key(&mut phrases, |(p, _)| {
            (first_key(p), std::cmp::Reverse(p.pats.len()))
        });
        phrases.truncate(usize::from(u16::MAX));
        let mut by_word = vec![(0u16, 0u16); lex.lexemes.len()];
        let mut by_sym: Vec<(char, u16, u16)> = Vec::new();
        let mut i = 0;
        while i < phrases.len() {
            let key = first_key(&phrases[i].0);
            let mut j = i;
            while j < phrases.len() && first_key(&phrases[j].0) == key {
                j += 1;
            }
            let range = (i as u16, j as u16);
            match phrases[i].0.pats.first() {
                Some(Pat::Word(w)) => {
                    if let Some(slot) = by_word.get_mut(usize::from(*w)) {
                        *slot = range;
                    }
                }
                Some(Pat::Sym(c)) => by_sym.push((*c, range.0, range.1)),
                None => {}
            }
            i = j;
        }
        PhraseSet {
            phrases,
            by_word,
            by_sym,
        }
    }

    /// Every phrase with its payload, for marking roles.
    pub fn iter(&self) -> impl Iterator<Item = &(Phrase, T)> {
        self.phrases.iter()
    }

    /// The phrases that start with `tok`, longest first.
    #[inline]
    fn starting_at(&self, tok: Token) -> &[(Phrase, T)] {
        let (from, to) = match tok.kind {
            Kind::Word(Some(w)) => self
                .by_word
                .get(usize::from(w))
                .copied()
                .unwrap_or_default(),
            Kind::Sym(c) => self
                .by_sym
                .iter()
                .find(|(s, _, _)| *s == c)
                .map_or((0, 0), |&(_, a, b)| (a, b)),
            _ => (0, 0),
        };
        self.phrases
            .get(usize::from(from)..usize::from(to))
            .unwrap_or_default()
    }

    /// The longest phrase matching at `first` (touching byte `before` when it demands), with
    /// its last token, the phrase and its payload; `accept` can veto a candidate.
    #[inline]
    pub fn match_at(
        &self,
        lex: &Lexicon,
        toks: &Tokens,
        first: Token,
        before: Option<u32>,
        accept: impl Fn(&Phrase, T, Token) -> bool,
    ) -> Option<(Token, &Phrase, T)> {
        self.starting_at(first).iter().find_map(|(p, t)| {
            lex.match_at(toks, p, first, before)
                .filter(|&last| accept(p, *t, last))
                .map(|last| (last, p, *t))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_keys_fold_ascii_case_only() {
        assert_eq!(word_key(b"UnDeR@[`z"), word_key(b"under@[`z"));
        assert_ne!(word_key(b"under@"), word_key(b"under`"));
        assert_ne!(word_key(b"under"), word_key(b"unde"));
        assert_eq!(word_key("café".as_bytes()), None);
        assert_eq!(word_key(&[b'a'; MAX_WORD + 1]), None);
    }

    #[test]
    fn flag_sets_do_not_mix() {
        let class = WordClass::UNIT | WordClass::AND;
        assert!(class.any(WordClass::AND) && !class.any(WordClass::KARAT));
        assert!(Roles::EXPRESSION.any(Roles::NEGATION) && !Roles::EXPRESSION.any(Roles::JOINER));
    }
}
