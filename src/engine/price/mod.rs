//! Price expressions: what a shopper means by the prices they write, in the expression space of
//! Duckling's AmountOfMoney plus the shapes shoppers type into a jewelry chat.
//!
//! The grammar is hand-written over a tokenizer (numbers, words, single symbols, with byte spans
//! into the original text; see `tokens`), so [`PriceParser::extract`] allocates nothing for a
//! chat-sized message and runs in well under a microsecond. Its words (bounds, negations, budget
//! words, postfixes, joiners, currency and cents words, multipliers) come from
//! [`PriceVocabulary`] and are compiled once in [`PriceParser::new`]; digits, number words, `$`,
//! `¢` and the context words below are built in. Words match ASCII-case-insensitively.
//!
//! # Grammar
//! ```text
//! price      := expression [gap expression]    two opposite bounds within 8 tokens: between
//! expression := lead-in (range | amount postfix?)     after a bound or budget word
//!             | range postfix?                         a marked or round range
//!             | amount (postfix | budget-word)?        a marked amount, or a vouched bare one
//! lead-in    := [negation filler{0,4}] [budget filler{0,5}] [bound copula{0,2} [budget]]
//!               (holding a bound or a budget word; "is", "the", "like", ":" are copulas)
//! range      := amount joiner amount [range-noun]     ("and" joins only after "between")
//! amount     := [currency] number [multiplier ["and a half"]] [currency] [cents]
//! number     := digits | number words | "a" multiplier | "a" currency-word
//! gap        := connectors (one span) | any other tokens (a second span)
//! ```
//!
//! # Meaning
//! - **Amounts** need a mark: a currency word or sign before or after, with or without a space
//!   (`$500`, `$ 900`, `900$`, `900 $`, `USD1200`, `1200 USD`, `US$1200`, `$1200 USD`,
//!   `500 bucks`, `a buck`, `fifteen hundred dollars`, `hundred bucks`), or a multiplier (`2k`,
//!   `$1.5k`, `two grand`, `a grand`, `one and a half grand`, `5 lakh`; a one-letter multiplier
//!   other than `k` only with a currency or a bound: `$1m`). `a couple hundred`, `a few grand`
//!   are loose: `approx`. Cents: `50 cents`, `99¢`, `ten pennies`, `$20 and 43c`,
//!   `20 dollars 43 cents`, and bare cents at the end of a clause (`$20 43`, `a buck fifty`,
//!   `US$3 and fourteen`).
//!   Other currencies (`€`, `£`, `EUR`, `GBP`, `yen`, `rupees`, ...) count as marks too and
//!   keep the amount as stated: the shop prices in US dollars and converting is not the
//!   parser's job, while dropping the amount would lose the shopper's intent.
//! - **Bounds** before an amount (`under`, `<`, `less than`, `max`, `sub`, `tops`; `over`, `>`,
//!   `at least`, `from`, `upwards of`; `around`, `about`, `~`; `exactly`; a bound noun may take
//!   a copula: `my max is 500`, `around the $700 mark`) or after it (`or less`, `max`,
//!   `tops`, `or cheaper`; `or more`, `and up`, `+`, `plus` at the end of a clause; `or so`, `ish`,
//!   `give or take`, `range`). A bound vouches for a bare amount (`under 500`, `300 max`).
//! - **Negations** turn the next bound around: `nothing over $600`, `no greater than 900$`,
//!   `not above`, `never over`, `can't go over 300`, `don't want to spend more than 400` are
//!   upper bounds; `not less than 200`, `no lower than 200` lower ones. A few filler words may
//!   stand between (`to`, `go`, `spend`, `priced`, `a penny`; after any negation but `no` also
//!   `want`, `looking`, `it`, ...), so "no I want something over 500" stays a lower bound.
//!   Approximations and ranges ignore a negation.
//! - **Budgets** are ceilings: `budget 1500`, `budget of $1500`, `my budget is 1500`,
//!   `$500 budget`, `on a 300 budget`, `$400 to spend`, `want to spend 400`, `500 is my max`,
//!   `our budget for the ring is 4000` are `under`; a bound after the budget word wins (`my budget is around 2k` is `approx`,
//!   `budget between 1 and 2k` is `between` 1000-2000, `spend at least 300` is `over`).
//! - **Ranges** are `between`: `between 200 and 400`, `from 200 to 400`, `$200-$400`, `2-3k`,
//!   `200 to 400 dollars`, `200–400`, `200~400`, `in the 200-400 range`. Two bare sides need a
//!   lead-in, a range noun after them, or must be round and rising (`rings 200-400`: multiples
//!   of 5, top at least 50, not years, not glued to more digits as in `555-1234`).
//!   A multiplier or scale word on the right carries over to a bare left side stating less of it,
//!   in digits or words (`2-3k`, `2 to 3 thousand dollars`, `between two and three hundred`, `3 to
//!   4 hundred`), not to one stating as much or more (`150 to 2 thousand`, `1 to a hundred`).
//! - **Two-part ranges**: an upper and a lower bound near each other (`at least 200 but no more
//!   than 500`, `over 200 and under 500`, `min 200 max 400`, `more than $200 less than $500`)
//!   form one `between`. [`PriceMatch`] spans the whole expression when only connectors (`and`,
//!   `but`, `,`, ...) stand between the parts, and reports the second part separately otherwise
//!   (`over $200 in rose gold, and under $500`). Contradictory bounds (`under 200 or over 500`)
//!   keep the first.
//!
//! # Not prices
//! A bare number with no mark and no bound is never a price (`gold necklace 300`, `925`,
//! `2024`). A bare amount is also rejected below 10 (`under 7`, `at least 2`), when a count or
//! unit noun, `%` or `of` follows (`within 3 days`, `up to 50% off`, `pack of 3`), when a word is
//! glued to it (`20in`, `4mm`, `30th`), when `size`, `order`, `#`, `sku`, ... precede it, and
//! when `from` precedes a year (`from 2024`). A `k`-number before a karat word (`14k gold`) is
//! never a price, nor a lone karat value (`14k`, `18k`) without a currency mark or a bound. The
//! entity extractor also masks order numbers, ring sizes, emails, carats and millimetres
//! before the parser runs.

mod grammar;
mod lexicon;
mod numbers;
mod tokens;

pub use numbers::{gate_number_words, parse_decimal};

use super::model::{PriceKind, PriceRange, PriceVocabulary};
use grammar::{Cue, Found, MultiplierKind};
use lexicon::{Lexicon, PhraseSet, Roles, WordClass, WEAK_NEGATIONS};
use std::ops::Range;
use tokens::{next_raw, normalise_sym, number_kind, Kind, RawKind, Token, Tokens};

/// Tokens after the end of a bound in which the other bound of a two-part range may start.
const SECOND_PART_WINDOW: usize = 8;

/// A price found in a message, with the byte spans of every word that states it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceMatch {
    /// What the shopper means: kind and bounds in the stated currency's units.
    pub range: PriceRange,
    /// Byte offset of the first character of the expression (negation, budget and bound words
    /// included), or of its first part when the parts are apart.
    pub start: usize,
    /// Byte offset just past the expression (or its first part).
    pub end: usize,
    /// The second part of a two-part range when other words stand between the parts ("over
    /// $200, in rose gold, and under $500"); `None` when `start..end` covers everything.
    pub second: Option<Range<usize>>,
}

impl PriceMatch {
    /// Every byte span that states the price, for masking it out of the text.
    pub fn spans(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        std::iter::once(self.start..self.end).chain(self.second.clone())
    }
}

/// The price grammar compiled from a vocabulary, built once and reused.
#[derive(Debug, Clone)]
pub struct PriceParser {
    vocabulary: PriceVocabulary,
    lex: Lexicon,
    /// Bound, approximation, exact and range phrases.
    cues: PhraseSet<Cue>,
    /// Negations, and whether each takes only the short filler list.
    negations: PhraseSet<bool>,
    budget: PhraseSet<()>,
    /// Range joiners, and whether each is `and` (usable only after `between`).
    joiners: PhraseSet<bool>,
    currency: PhraseSet<()>,
    cents: PhraseSet<()>,
    /// Multipliers with their factor and what else they can mean.
    multipliers: PhraseSet<(f64, MultiplierKind)>,
    postfix: PhraseSet<PriceKind>,
}

impl PriceParser {
    /// Compiles `vocabulary`. Phrases that cannot match are ignored: empty ones, ones made of
    /// digits, and ones with a non-ASCII word (vocabulary words are ASCII in practice; the rule
    /// loader is the place to reject anything else with a diagnostic).
    pub fn new(vocabulary: &PriceVocabulary) -> Self {
        let v = vocabulary;
        let lists = [
            &v.under,
            &v.over,
            &v.approx,
            &v.exact,
            &v.between,
            &v.range_joiners,
            &v.currency_words,
            &v.cents_words,
            &v.negations,
            &v.budget_words,
            &v.postfix_under,
            &v.postfix_over,
            &v.postfix_approx,
        ];
        let mut lex = Lexicon::new(
            lists
                .iter()
                .flat_map(|list| list.iter().map(String::as_str))
                .chain(v.multipliers.keys().map(String::as_str)),
        );
        // Compiles every phrase of `lists`, each list with its payload.
        fn compile<T: Copy>(
            lex: &Lexicon,
            lists: &[(&Vec<String>, T)],
            touch_first: bool,
            payload: impl Fn(&str, T) -> T,
        ) -> PhraseSet<T> {
            let phrases = lists
                .iter()
                .flat_map(|(list, t)| {
                    list.iter().filter_map(|text| {
                        lex.compile(text, touch_first)
                            .map(|p| (p, payload(text, *t)))
                    })
                })
                .collect();
            PhraseSet::new(lex, phrases)
        }
        fn same<T>(_: &str, t: T) -> T {
            t
        }
        let cues = compile(
            &lex,
            &[
                (&v.under, Cue::Under),
                (&v.over, Cue::Over),
                (&v.approx, Cue::Approx),
                (&v.exact, Cue::Exact),
                (&v.between, Cue::Between),
            ],
            false,
            same,
        );
        let negations = compile(&lex, &[(&v.negations, false)], false, |text, _| {
            WEAK_NEGATIONS
                .iter()
                .any(|w| text.trim().eq_ignore_ascii_case(w))
        });
        let budget = compile(&lex, &[(&v.budget_words, ())], false, same);
        let joiners = compile(&lex, &[(&v.range_joiners, false)], false, |text, _| {
            text.trim().eq_ignore_ascii_case("and")
        });
        let currency = compile(&lex, &[(&v.currency_words, ())], false, same);
        let cents = compile(&lex, &[(&v.cents_words, ())], true, same);
        let multiplier_phrases = v
            .multipliers
            .iter()
            .filter(|(_, f)| f.is_finite() && **f > 0.0)
            .filter_map(|(text, f)| {
                let word = text.trim();
                let kind = if word.eq_ignore_ascii_case("k") {
                    MultiplierKind::Karat
                } else if word.chars().count() == 1 {
                    MultiplierKind::Letter
                } else {
                    MultiplierKind::Word
                };
                lex.compile(text, true).map(|p| (p, (*f, kind)))
            })
            .collect();
        let multipliers = PhraseSet::new(&lex, multiplier_phrases);
        let postfix = compile(
            &lex,
            &[
                (&v.postfix_under, PriceKind::Under),
                (&v.postfix_over, PriceKind::Over),
                (&v.postfix_approx, PriceKind::Approx),
            ],
            true,
            same,
        );
        fn mark<T: Copy>(lex: &mut Lexicon, set: &PhraseSet<T>, role: Roles) {
            for (p, _) in set.iter() {
                lex.mark(p, role);
            }
        }
        mark(&mut lex, &cues, Roles::CUE);
        mark(&mut lex, &negations, Roles::NEGATION);
        mark(&mut lex, &budget, Roles::BUDGET);
        mark(&mut lex, &joiners, Roles::JOINER);
        mark(&mut lex, &currency, Roles::CURRENCY);
        mark(&mut lex, &cents, Roles::CENTS);
        mark(&mut lex, &multipliers, Roles::MULTIPLIER);
        mark(&mut lex, &postfix, Roles::POSTFIX);
        PriceParser {
            vocabulary: vocabulary.clone(),
            lex,
            cues,
            negations,
            budget,
            joiners,
            currency,
            cents,
            multipliers,
            postfix,
        }
    }

    /// Words without which (and without a digit or one of [`Self::gate_symbols`]) a message
    /// cannot state a price: number words, multipliers, currency and cents words, lowercase.
    /// The entity extractor may skip the parser on messages with none of them.
    pub fn gate_words(&self) -> impl Iterator<Item = String> + '_ {
        let v = &self.vocabulary;
        gate_number_words()
            .map(str::to_string)
            .chain(v.multipliers.keys().cloned())
            .chain(v.currency_words.iter().cloned())
            .chain(v.cents_words.iter().cloned())
            .filter(|w| w.chars().any(char::is_alphabetic))
            .map(|w| w.trim().to_lowercase())
    }

    /// Signs that mark money on their own (`$`, `¢`, and the vocabulary's one-character currency
    /// and cents words such as `€`, `£`): with [`Self::gate_words`], the parser's gate.
    pub fn gate_symbols(&self) -> impl Iterator<Item = char> + '_ {
        let v = &self.vocabulary;
        ['$', '¢', '＄'].into_iter().chain(
            v.currency_words
                .iter()
                .chain(&v.cents_words)
                .flat_map(|w| w.chars())
                // Currency signs only: the `.` of `rs.` or the `-` of a word must not wake
                // the parser for every sentence.
                .filter(|c| {
                    !c.is_alphanumeric()
                        && !c.is_whitespace()
                        && (!c.is_ascii_punctuation() || *c == '$')
                }),
        )
    }

    /// The price stated in `text`, if any: the first expression, joined with the opposite bound
    /// after it when the two form a two-part range.
    pub fn extract(&self, text: &str) -> Option<PriceMatch> {
        let mut toks = Tokens::new();
        self.tokenize(text, &mut toks);
        let first = self.find(&toks, 0, toks.len())?;
        let mut found = PriceMatch {
            range: first.range,
            start: first.start,
            end: first.end,
            second: None,
        };
        if let Some((second, contiguous)) = self.second_part(&toks, &first) {
            let (over, under) = match first.range.kind {
                PriceKind::Over => (first.range, second.range),
                _ => (second.range, first.range),
            };
            if let (Some(lo), Some(hi)) = (over.min, under.max) {
                if lo <= hi {
                    found.range = PriceRange {
                        min: Some(lo),
                        max: Some(hi),
                        kind: PriceKind::Between,
                    };
                    if contiguous {
                        found.end = second.end;
                    } else {
                        found.second = Some(second.start..second.end);
                    }
                }
            }
        }
        Some(found)
    }

    /// The first expression starting at a token in `from..to`.
    fn find(&self, toks: &Tokens, from: usize, to: usize) -> Option<Found> {
        let mut prev = from.checked_sub(1).and_then(|i| toks.get(i));
        for i in from..to {
            let tok = toks.get(i)?;
            if tok.roles.any(Roles::EXPRESSION) {
                if let Some(found) = self.expression(toks, tok, prev) {
                    return Some(found);
                }
            }
            prev = Some(tok);
        }
        None
    }

    /// The opposite bound after a single bound `first`, within a few tokens: the next expression
    /// there, if it is one, and whether only connectors stand between the two.
    fn second_part(&self, toks: &Tokens, first: &Found) -> Option<(Found, bool)> {
        let wanted = match first.range.kind {
            PriceKind::Under => PriceKind::Over,
            PriceKind::Over => PriceKind::Under,
            _ => return None,
        };
        let from = first.last + 1;
        let to = toks.len().min(from + SECOND_PART_WINDOW);
        let second = self.find(toks, from, to)?;
        if second.range.kind != wanted {
            return None;
        }
        let contiguous = (from..second.first).all(|i| {
            toks.get(i).is_some_and(|t| {
                self.lex.is(Some(t), WordClass::CONNECTOR)
                    || matches!(t.kind, Kind::Sym(',' | '&' | ';' | '/' | '-'))
            })
        });
        Some((second, contiguous))
    }

    /// All tokens of `text`: on the stack for chat-sized messages, on the heap beyond that.
    fn tokenize(&self, text: &str, toks: &mut Tokens) {
        let mut pos = 0;
        while let Some((raw, start, end)) = next_raw(text, pos) {
            pos = end;
            let kind = match raw {
                RawKind::Num => number_kind(text, start, end),
                RawKind::Word => Kind::Word(
                    text.as_bytes()
                        .get(start..end)
                        .and_then(|w| self.lex.lookup(w)),
                ),
                RawKind::Sym => match text.get(start..).and_then(|s| s.chars().next()) {
                    Some(c) => Kind::Sym(normalise_sym(c)),
                    None => break,
                },
            };
            let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
                break;
            };
            toks.push(Token {
                kind,
                start,
                end,
                idx: 0,
                roles: self.lex.roles(kind),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> PriceParser {
        PriceParser::new(&PriceVocabulary::default())
    }

    fn spans(text: &str) -> Vec<&str> {
        let found = parser().extract(text).expect("a price");
        found.spans().map(|r| &text[r]).collect()
    }

    #[test]
    fn span_covers_bound_word_and_amount() {
        assert_eq!(spans("show me rings Under $500 please"), ["Under $500"]);
    }

    #[test]
    fn spans_cover_negation_and_budget_words() {
        assert_eq!(
            spans("a necklace, nothing over $600"),
            ["nothing over $600"]
        );
        assert_eq!(spans("budget 1500 for a ring"), ["budget 1500"]);
        assert_eq!(
            spans("I don't want to spend more than 400"),
            ["don't want to spend more than 400"]
        );
    }

    #[test]
    fn two_parts_apart_report_both_spans() {
        let text = "over $200 in rose gold, and under $500";
        let found = parser().extract(text).expect("a price");
        assert_eq!(found.range.kind, PriceKind::Between);
        assert_eq!(
            (found.range.min, found.range.max),
            (Some(200.0), Some(500.0))
        );
        assert_eq!(spans(text), ["over $200", "under $500"]);
        assert_eq!(
            spans("at least 200 but no more than 500"),
            ["at least 200 but no more than 500"]
        );
    }

    #[test]
    fn contradictory_bounds_keep_the_first() {
        let found = parser()
            .extract("under $200 or over $500")
            .expect("a price");
        assert_eq!(found.range.kind, PriceKind::Under);
        assert_eq!(found.second, None);
    }

    #[test]
    fn gate_covers_words_and_signs() {
        let p = parser();
        let words: Vec<String> = p.gate_words().collect();
        for w in ["twenty", "hundred", "grand", "bucks", "euros", "cents"] {
            assert!(words.iter().any(|g| g == w), "{w}");
        }
        let signs: Vec<char> = p.gate_symbols().collect();
        for c in ['$', '€', '£', '¢'] {
            assert!(signs.contains(&c), "{c}");
        }
    }
}
