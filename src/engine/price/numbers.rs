//! Numbers: numerals in digits (`1,200.50`) and in words (`fifteen hundred`, `two thousand five
//! hundred and fifty`, `one and a half`, `a hundred`).

use super::lexicon::{Lexicon, WordClass};
use super::tokens::{Kind, Token, Tokens};

/// Every number word and what it is in the number grammar: the one list of them. `a`/`an` and
/// `half` only count next to another number word ("a hundred", "one and a half").
const WORDS: &[(&str, NumberWord)] = &[
    ("zero", NumberWord::Unit(0)),
    ("one", NumberWord::Unit(1)),
    ("two", NumberWord::Unit(2)),
    ("three", NumberWord::Unit(3)),
    ("four", NumberWord::Unit(4)),
    ("five", NumberWord::Unit(5)),
    ("six", NumberWord::Unit(6)),
    ("seven", NumberWord::Unit(7)),
    ("eight", NumberWord::Unit(8)),
    ("nine", NumberWord::Unit(9)),
    ("ten", NumberWord::Teen(10)),
    ("eleven", NumberWord::Teen(11)),
    ("twelve", NumberWord::Teen(12)),
    ("thirteen", NumberWord::Teen(13)),
    ("fourteen", NumberWord::Teen(14)),
    ("fifteen", NumberWord::Teen(15)),
    ("sixteen", NumberWord::Teen(16)),
    ("seventeen", NumberWord::Teen(17)),
    ("eighteen", NumberWord::Teen(18)),
    ("nineteen", NumberWord::Teen(19)),
    ("twenty", NumberWord::Tens(20)),
    ("thirty", NumberWord::Tens(30)),
    ("forty", NumberWord::Tens(40)),
    ("fifty", NumberWord::Tens(50)),
    ("sixty", NumberWord::Tens(60)),
    ("seventy", NumberWord::Tens(70)),
    ("eighty", NumberWord::Tens(80)),
    ("ninety", NumberWord::Tens(90)),
    ("hundred", NumberWord::Hundred),
    ("thousand", NumberWord::Scale(1e3)),
    ("million", NumberWord::Scale(1e6)),
    ("billion", NumberWord::Scale(1e9)),
    ("couple", NumberWord::Loose(2)),
    ("few", NumberWord::Loose(3)),
    ("a", NumberWord::Article),
    ("an", NumberWord::Article),
    ("half", NumberWord::Half),
];

/// Every number word (for the lexicon).
pub(super) fn all_number_words() -> impl Iterator<Item = &'static str> {
    WORDS.iter().map(|(w, _)| *w)
}

/// The number words that state a number on their own: units, teens, tens, scales, `couple`,
/// `few`. A message with none of these, no digit, no currency word or sign and no multiplier
/// cannot state a price, so the entity extractor may skip the parser.
pub fn gate_number_words() -> impl Iterator<Item = &'static str> {
    WORDS
        .iter()
        .filter(|(_, w)| !matches!(w, NumberWord::Article | NumberWord::Half))
        .map(|(w, _)| *w)
}

/// Digits before the decimal point beyond which a numeral is an identifier, not an amount.
pub(super) const MAX_INT_DIGITS: u32 = 15;

/// What a word is in the number grammar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NumberWord {
    /// 0..=9
    Unit(u32),
    /// 10..=19
    Teen(u32),
    /// 20, 30, ... 90
    Tens(u32),
    Hundred,
    /// thousand (1e3), million (1e6), billion (1e9)
    Scale(f64),
    /// "a" / "an": "a hundred", "a grand", "a dollar"
    Article,
    /// "half", in "one and a half"
    Half,
    /// "couple" (2), "few" (3), in "a couple hundred", "a few grand": loosely.
    Loose(u32),
}

impl NumberWord {
    /// The number-grammar meaning of a lowercase word.
    pub fn of(word: &str) -> Option<NumberWord> {
        WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, meaning)| *meaning)
    }
}

/// A scanned numeral: `1,200`, `3.14`, `55123`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Numeral {
    pub value: f64,
    pub integer: bool,
    /// Digits before the decimal point (commas excluded).
    pub int_digits: u32,
    pub grouped: bool,
}

impl Numeral {
    /// A 4-digit integer written without grouping that reads as a year (1900..=2100).
    pub fn year_like(&self) -> bool {
        self.integer
            && !self.grouped
            && self.int_digits == 4
            && (1900.0..=2100.0).contains(&self.value)
    }
}

/// End of a numeral at `start`: digits, `,ddd` groups after 1-3 leading digits, `.d+`.
pub(super) fn scan_number(bytes: &[u8], start: usize) -> usize {
    let digits_from = |i: usize| {
        let mut j = i;
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let mut i = digits_from(start);
    if i - start <= 3 {
        loop {
            let group_end = i + 4;
            let is_group = bytes.get(i) == Some(&b',')
                && bytes
                    .get(i + 1..group_end)
                    .is_some_and(|g| g.iter().all(u8::is_ascii_digit))
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
pub(super) fn numeral(bytes: &[u8]) -> Numeral {
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
                    .and_then(|m| m.checked_add(u64::from(d.wrapping_sub(b'0'))))
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

/// A numeral in digits and nothing else (`7`, `6.5`, `1,200.50`, no sign, exponent, `inf` or
/// `nan`): its value, or `None`. What the API's amounts and the ring sizes parse with, so the
/// Worker links no `f64::from_str` (and its 10 KB power-of-five table).
pub fn parse_decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_digit) || scan_number(bytes, 0) != bytes.len() {
        return None;
    }
    Some(numeral(bytes).value).filter(|v| v.is_finite())
}

/// A number in words, read by [`number_words`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WordNumber {
    pub value: f64,
    /// Its last word.
    pub last: Token,
    /// Stated loosely ("a couple hundred" is about 200).
    pub loose: bool,
    /// The one scale word it ends with when it is a number of hundreds, thousands, …: 100 for
    /// "three hundred" or "twenty-five hundred", 1000 for "two thousand"; 1 otherwise ("two
    /// thousand five hundred", "fifty", "a hundred" and "a couple hundred" state no multiplicand
    /// of their own). A range's bare left side takes it: "two to three hundred" is 200 to 300.
    pub factor: f64,
}

/// Number words from `first`: "five hundred", "twenty-five", "two thousand five hundred",
/// "a hundred", "two hundred and fifty", "one and a half", "a couple hundred".
pub(super) fn number_words(lex: &Lexicon, toks: &Tokens, first: Token) -> Option<WordNumber> {
    #[derive(PartialEq, Clone, Copy)]
    enum Last {
        Start,
        Article,
        Unit,
        Teen,
        Tens,
        Hundred,
        Scale,
        Half,
    }
    let mut state = Last::Start;
    let mut total = 0.0_f64;
    let mut group = 0.0_f64;
    let mut group_has_hundred = false;
    let mut smallest_scale = f64::INFINITY;
    let mut tok = first;
    let mut last_tok: Option<Token> = None;
    let mut loose = false;
    let mut scale_words = 0;
    let mut stated_multiplicand = false;
    loop {
        let word = lex.number_word(tok);
        if matches!(
            word,
            Some(NumberWord::Unit(_) | NumberWord::Teen(_) | NumberWord::Tens(_))
        ) {
            stated_multiplicand = true;
        }
        if matches!(word, Some(NumberWord::Hundred | NumberWord::Scale(_))) {
            scale_words += 1;
        }
        let after_scale = matches!(state, Last::Start | Last::Hundred | Last::Scale);
        let accepted = match word {
            Some(NumberWord::Article) if state == Last::Start => {
                state = Last::Article;
                group = 1.0;
                true
            }
            Some(NumberWord::Loose(v)) if matches!(state, Last::Start | Last::Article) => {
                group = f64::from(v);
                loose = true;
                state = Last::Unit;
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
            // "hundred bucks", "thousand dollars": one of them.
            Some(NumberWord::Hundred) if state == Last::Start => {
                group = 100.0;
                group_has_hundred = true;
                state = Last::Hundred;
                true
            }
            Some(NumberWord::Scale(s)) if state == Last::Start => {
                total = s;
                smallest_scale = s;
                state = Last::Scale;
                true
            }
            Some(NumberWord::Hundred)
                if matches!(
                    state,
                    Last::Article | Last::Unit | Last::Teen | Last::Tens | Last::Half
                ) && !group_has_hundred
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
            if lex.is(Some(tok), WordClass::AND) {
                // "one and a half": a fraction of the units before a scale or multiplier.
                if matches!(state, Last::Unit | Last::Teen | Last::Tens) && !group_has_hundred {
                    if let Some(half_last) = and_a_half(lex, toks, tok) {
                        group += 0.5;
                        last_tok = Some(half_last);
                        state = Last::Half;
                        if let Some(next) = toks.after(half_last) {
                            tok = next;
                            continue;
                        }
                        break;
                    }
                }
                // "two hundred and fifty": `and` then a number below 100 not followed by a
                // scale word, so "between two hundred and three hundred" stays a range.
                if matches!(state, Last::Hundred | Last::Scale) {
                    if let Some((v, small_last)) = toks
                        .after(tok)
                        .and_then(|first| small_number_words(lex, toks, first))
                    {
                        let scale_after = toks.after(small_last).is_some_and(|t| {
                            matches!(
                                lex.number_word(t),
                                Some(NumberWord::Hundred | NumberWord::Scale(_))
                            )
                        });
                        if !scale_after {
                            group += v;
                            last_tok = Some(small_last);
                        }
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
        if state == Last::Tens && next.is_sym('-') && next.touches(tok) {
            match toks.after(next) {
                Some(t) if t.touches(next) => next = t,
                _ => break,
            }
        }
        tok = next;
    }
    if state == Last::Article && last_tok == Some(first) {
        return None;
    }
    // "one and a half" alone is 1.5; it reads as money only before a scale or multiplier,
    // which the caller checks.
    let last = last_tok?;
    // Its one scale word, when the number ends on it ("two hundred and fifty" does not).
    let factor = match lex.number_word(last) {
        _ if scale_words != 1 || !stated_multiplicand || loose => 1.0,
        Some(NumberWord::Hundred) => 100.0,
        Some(NumberWord::Scale(s)) => s,
        _ => 1.0,
    };
    Some(WordNumber {
        value: total + group,
        last,
        loose,
        factor,
    })
}

/// `and a half` after `tok` (or at `tok` when it is `and`): the last token (`half`).
pub(super) fn and_a_half(lex: &Lexicon, toks: &Tokens, tok: Token) -> Option<Token> {
    let and = if lex.is(Some(tok), WordClass::AND) {
        tok
    } else {
        toks.after(tok)
            .filter(|t| lex.is(Some(*t), WordClass::AND))?
    };
    let a = toks.after(and)?;
    let half = toks.after(a)?;
    (lex.number_word(a) == Some(NumberWord::Article)
        && lex.number_word(half) == Some(NumberWord::Half))
    .then_some(half)
}

/// A number below 100 in words starting at `tok`: "fifty", "twenty five", "seven".
pub(super) fn small_number_words(lex: &Lexicon, toks: &Tokens, tok: Token) -> Option<(f64, Token)> {
    match lex.number_word(tok)? {
        NumberWord::Unit(v) | NumberWord::Teen(v) => Some((f64::from(v), tok)),
        NumberWord::Tens(v) => {
            let mut next = toks.after(tok);
            if let Some(n) = next {
                if n.is_sym('-') && n.touches(tok) {
                    next = toks.after(n);
                }
            }
            match next.and_then(|n| lex.number_word(n).map(|w| (n, w))) {
                Some((n, NumberWord::Unit(u))) if u > 0 => Some((f64::from(v + u), n)),
                _ => Some((f64::from(v), tok)),
            }
        }
        _ => None,
    }
}

/// A small whole number at `tok` for a cents tail: one or two digits, or words below 100.
pub(super) fn cents_number(lex: &Lexicon, toks: &Tokens, tok: Token) -> Option<(f64, Token)> {
    match tok.kind {
        Kind::Num(n) if n.integer && !n.grouped && n.int_digits <= 2 => Some((n.value, tok)),
        Kind::Num(_) => None,
        _ => small_number_words(lex, toks, tok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_digits_only() {
        assert_eq!(parse_decimal("7"), Some(7.0));
        assert_eq!(parse_decimal("6.5"), Some(6.5));
        assert_eq!(parse_decimal("499.99"), Some(499.99));
        assert_eq!(parse_decimal("1,200.50"), Some(1200.5));
        for bad in [
            "",
            "-7",
            "+7",
            ".5",
            "5.",
            "1e3",
            "inf",
            "NaN",
            "6,5",
            "7 ",
            "seven",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numerals_round_once() {
        assert_eq!(numeral(b"2.71").value, 2.71);
        assert_eq!(numeral(b"1,200").value, 1200.0);
        assert_eq!(numeral(b"20.43").value, 20.43);
        assert!(numeral(b"1,200").grouped);
        assert!(numeral(b"2024").year_like());
        assert!(!numeral(b"2,024").year_like());
    }

    #[test]
    fn comma_groups_need_three_digits() {
        assert_eq!(scan_number(b"1,200 x", 0), 5);
        assert_eq!(scan_number(b"1,20", 0), 1);
        assert_eq!(scan_number(b"1234,567", 0), 4);
        assert_eq!(scan_number(b"6.5.", 0), 3);
    }

    #[test]
    fn number_words_are_listed_once_and_gate_words_exclude_article_and_half() {
        let mut seen = std::collections::HashSet::new();
        for w in all_number_words() {
            assert!(seen.insert(w), "{w} listed twice");
        }
        assert_eq!(NumberWord::of("fifteen"), Some(NumberWord::Teen(15)));
        assert_eq!(NumberWord::of("an"), Some(NumberWord::Article));
        assert_eq!(NumberWord::of("dozen"), None);
        let gate: Vec<&str> = gate_number_words().collect();
        assert_eq!(gate.len(), 34);
        assert!(!gate.contains(&"a") && !gate.contains(&"half") && gate.contains(&"few"));
    }
}
