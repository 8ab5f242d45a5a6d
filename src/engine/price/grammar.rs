//! The grammar over tokens: a lead-in (negation, budget word, bound word), an amount or a range,
//! and a postfix. See the module documentation of `engine::price` for what each part accepts.

use super::lexicon::{Roles, WordClass};
use super::numbers::{and_a_half, cents_number, number_words, NumberWord, MAX_INT_DIGITS};
use super::tokens::{Kind, Token, Tokens};
use super::PriceParser;
use crate::engine::model::{PriceKind, PriceRange};

/// Karat values that read as gold purity rather than thousands of dollars when written `14k`.
const KARAT_VALUES: &[u32] = &[8, 9, 10, 12, 14, 15, 18, 20, 21, 22, 24];
/// Bare amounts below this are quantities or sizes (`under 7`, `at least 2`), not prices.
const MIN_BARE_PRICE: f64 = 10.0;
/// A range of two bare numbers with no bound word (`rings 200-400`) needs a top at least this
/// high, so chain lengths and sizes (`16-18`, `20-30`) stay out.
const MIN_BARE_RANGE_TOP: f64 = 50.0;
/// Words allowed between a negation and its bound: "don't *want to spend* more than".
const MAX_NEG_FILLERS: usize = 4;
/// Words allowed between a budget word and its amount: "budget *for the ring is* 1500".
const MAX_BUDGET_FILLERS: usize = 5;

/// What a multiplier can also mean, which decides whether it marks money on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum MultiplierKind {
    /// `grand`, `lakh`, `mil`: always money.
    Word,
    /// `k`: also karat (`14k gold`, a lone `18k`).
    Karat,
    /// Another single letter (`m`, `b`): money only with a currency or a bound (`$1m`,
    /// `under 5m`), never alone (`5m chain`).
    Letter,
}

/// A bound, approximation or range word before an amount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cue {
    Under,
    Over,
    Approx,
    Between,
    Exact,
}

impl Cue {
    /// The opposite bound, for a negation ("nothing over" is under); others stay.
    fn negated(self) -> Cue {
        match self {
            Cue::Under => Cue::Over,
            Cue::Over => Cue::Under,
            other => other,
        }
    }

    fn kind(self) -> PriceKind {
        match self {
            Cue::Under => PriceKind::Under,
            Cue::Over => PriceKind::Over,
            Cue::Approx => PriceKind::Approx,
            Cue::Between => PriceKind::Between,
            Cue::Exact => PriceKind::Exact,
        }
    }
}

/// A price expression found at one place, with its byte span and token positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Found {
    pub range: PriceRange,
    pub start: usize,
    pub end: usize,
    /// Index of the first and last token of the expression.
    pub first: usize,
    pub last: usize,
}

/// What stands before an amount: "nothing over", "my budget is", "don't want to spend more than".
#[derive(Debug, Clone, Copy)]
struct LeadIn {
    first: Token,
    cue: Option<Cue>,
    /// The bound word is `from` (never before a year).
    is_from: bool,
    negated: bool,
    budget: bool,
    /// The first token after the lead-in.
    next: Token,
}

/// An amount in dollars with what marked it as money.
#[derive(Debug, Clone, Copy)]
struct Amount {
    value: f64,
    first: Token,
    currency: bool,
    multiplier: bool,
    /// A lone `14k`-style karat value or a one-letter multiplier (`5m`): bare unless a bound
    /// word or currency mark vouches for it.
    needs_vouch: bool,
    /// The token that ended the amount, for looking past it.
    last: Token,
    /// A 4-digit integer written without grouping that reads as a year.
    year_like: bool,
    /// The multiplier applied (1 when none), to carry it to a range's bare left side.
    factor: f64,
    /// Stated loosely ("a couple hundred"): an exact reading becomes an approximation.
    loose: bool,
}

impl Amount {
    /// Marked as money on its own (currency or multiplier that is not a karat value).
    fn cued(&self) -> bool {
        self.currency || (self.multiplier && !self.needs_vouch)
    }
}

/// Something here must not be read as a price at all (`14k gold`, `from 2 to 3 weeks`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NotAPrice;

/// How a range was introduced.
#[derive(Debug, Clone, Copy)]
struct RangeCtx {
    /// After `between`: `and` joins.
    after_between: bool,
    /// A lead-in vouches for bare sides (`from 200 to 400`, `budget 200-400`).
    vouched: bool,
    /// A size, an id or a year context: bare sides are not prices.
    blocked: bool,
}

/// Whether an amount stands alone or is one side of a range: in a range, `and` joins the sides
/// and never starts a cents tail ("between 200 and 300" is not $200.300).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Alone,
    OfRange,
}

/// Where an amount opened: its first token, and whether that was a currency prefix (`$`).
#[derive(Debug, Clone, Copy)]
struct Opening {
    first: Token,
    currency: bool,
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

/// Punctuation that ends a clause (or the message, when `tok` is `None`).
fn ends_clause(tok: Option<Token>) -> bool {
    match tok {
        None => true,
        Some(t) => matches!(
            t.kind,
            Kind::Sym('.' | ',' | '!' | '?' | ';' | ')' | ':' | '"' | '\'')
        ),
    }
}

impl PriceParser {
    /// A price expression opening with `first`; `prev` is the token before it.
    pub(super) fn expression(
        &self,
        toks: &Tokens,
        first: Token,
        prev: Option<Token>,
    ) -> Option<Found> {
        let blocked = self.lex.is(prev, WordClass::CONTEXT) || prev.is_some_and(|p| p.is_sym('#'));
        if first
            .roles
            .any(Roles::CUE | Roles::NEGATION | Roles::BUDGET)
        {
            if let Some(lead) = self.lead_in(toks, first) {
                match self.after_lead_in(toks, &lead, blocked) {
                    Ok(Some(found)) => return Some(found),
                    Ok(None) => {}
                    Err(NotAPrice) => return None,
                }
            }
        }
        if !first.roles.any(Roles::NUMBER | Roles::CURRENCY) {
            return None;
        }
        let left = self.amount(toks, first, Side::Alone).ok()??;
        let ctx = RangeCtx {
            after_between: false,
            vouched: false,
            blocked,
        };
        if let Some(found) = self.range(toks, left, ctx) {
            return found.ok();
        }
        let (kind, last) = match self.postfix(toks, left.last) {
            Some((kind, last)) => (kind, last),
            None => match self.budget_after(toks, left.last) {
                Some(last) => (PriceKind::Under, last),
                None if left.loose => (PriceKind::Approx, left.last),
                None => (PriceKind::Exact, left.last),
            },
        };
        let vouched = kind != PriceKind::Exact && !(left.loose && kind == PriceKind::Approx);
        let bare_ok = vouched && !blocked && self.bare_ok(&left, toks.after(last), false);
        if !left.cued() && !bare_ok {
            return None;
        }
        Some(Found {
            range: single(kind, left.value),
            start: first.start as usize,
            end: last.end as usize,
            first: first.index(),
            last: last.index(),
        })
    }

    /// The lead-in opening with `first`: `[negation filler*] [budget filler*] [bound]`, or a bound
    /// then a budget word ("max budget of"). `None` unless it holds a bound or a budget word.
    fn lead_in(&self, toks: &Tokens, first: Token) -> Option<LeadIn> {
        let mut lead = LeadIn {
            first,
            cue: None,
            is_from: false,
            negated: false,
            budget: false,
            next: first,
        };
        let mut weak_negation = false;
        let mut fillers = 0;
        let mut tok = first;
        loop {
            if tok.roles.any(Roles::CUE) {
                if let Some((cue_last, cue, is_from)) = self.cue_at(toks, tok) {
                    lead.cue = Some(cue);
                    lead.is_from = is_from;
                    tok = toks.after(cue_last)?;
                    // "my max is 500", "minimum would be 200".
                    for _ in 0..2 {
                        let copula = self.lex.is(Some(tok), WordClass::COPULA)
                            || matches!(tok.kind, Kind::Sym(':' | '=' | '\'' | '.'));
                        if !copula {
                            break;
                        }
                        tok = toks.after(tok)?;
                    }
                    // "max budget of 500", "under a budget of 500".
                    if !lead.budget {
                        if let Some(after) = self.budget_at(toks, tok) {
                            lead.budget = true;
                            tok = after;
                        }
                    }
                    break;
                }
            }
            if !lead.budget && tok.roles.any(Roles::BUDGET) {
                if let Some(after) = self.budget_at(toks, tok) {
                    lead.budget = true;
                    tok = after;
                    continue;
                }
            }
            if !lead.negated && tok.roles.any(Roles::NEGATION) {
                if let Some((neg_last, weak)) = self.negation_at(toks, tok) {
                    lead.negated = true;
                    weak_negation = weak;
                    tok = toks.after(neg_last)?;
                    continue;
                }
            }
            let filler = if weak_negation {
                WordClass::NEG_FILLER
            } else {
                WordClass::NEG_FILLER | WordClass::VERB_NEG_FILLER
            };
            if lead.negated && fillers < MAX_NEG_FILLERS && self.lex.is(Some(tok), filler) {
                fillers += 1;
                tok = toks.after(tok)?;
                continue;
            }
            break;
        }
        if lead.cue.is_none() && !lead.budget {
            return None;
        }
        lead.next = tok;
        Some(lead)
    }

    /// A bound, approximation or range phrase at `tok`: (last token, cue, is `from`).
    fn cue_at(&self, toks: &Tokens, tok: Token) -> Option<(Token, Cue, bool)> {
        self.cues
            .match_at(&self.lex, toks, tok, None, |_, _, _| true)
            .map(|(last, phrase, cue)| (last, cue, phrase.is_from))
    }

    /// A negation phrase at `tok`: (last token, takes only the short filler list).
    fn negation_at(&self, toks: &Tokens, tok: Token) -> Option<(Token, bool)> {
        self.negations
            .match_at(&self.lex, toks, tok, None, |_, _, _| true)
            .map(|(last, _, weak)| (last, weak))
    }

    /// A budget phrase at `tok` and the fillers after it: the first token past them.
    fn budget_at(&self, toks: &Tokens, tok: Token) -> Option<Token> {
        if !tok.roles.any(Roles::BUDGET) {
            return None;
        }
        let (last, _, ()) = self
            .budget
            .match_at(&self.lex, toks, tok, None, |_, _, _| true)?;
        let mut next = toks.after(last)?;
        for _ in 0..MAX_BUDGET_FILLERS {
            // A bound word is never skipped: "budget about 900" is approximate.
            let filler = !next.roles.any(Roles::CUE)
                && (self.lex.is(Some(next), WordClass::BUDGET_FILLER)
                    || matches!(next.kind, Kind::Sym(':' | '=' | '\'')));
            if !filler {
                break;
            }
            next = toks.after(next)?;
        }
        Some(next)
    }

    /// The amount (or range) after a lead-in.
    fn after_lead_in(
        &self,
        toks: &Tokens,
        lead: &LeadIn,
        blocked: bool,
    ) -> Result<Option<Found>, NotAPrice> {
        let between = lead.cue == Some(Cue::Between);
        let side = if between { Side::OfRange } else { Side::Alone };
        let left = match self.amount(toks, lead.next, side) {
            Ok(Some(left)) => left,
            Ok(None) => return Ok(None),
            Err(Reject::Karat) => return Err(NotAPrice),
        };
        if lead.cue != Some(Cue::Under) {
            let ctx = RangeCtx {
                after_between: between,
                vouched: true,
                blocked: blocked || (lead.is_from && left.year_like),
            };
            if let Some(found) = self.range(toks, left, ctx) {
                return found.map(|mut f| {
                    f.start = lead.first.start as usize;
                    f.first = lead.first.index();
                    Some(f)
                });
            }
        }
        if between {
            return Ok(None);
        }
        let postfix = self.postfix(toks, left.last);
        let kind = match (lead.cue, postfix) {
            (Some(cue), _) => cue.kind(),
            // A budget is a ceiling unless a postfix says otherwise ("budget 500 or so").
            (None, Some((kind, _))) => kind,
            (None, None) => PriceKind::Under,
        };
        let kind = match (lead.negated, lead.cue) {
            (true, Some(cue)) => cue.negated().kind(),
            _ if kind == PriceKind::Exact && left.loose => PriceKind::Approx,
            _ => kind,
        };
        let last = match postfix {
            Some((pk, last)) if pk == kind => last,
            _ => left.last,
        };
        if !left.currency && (blocked || !self.bare_ok(&left, toks.after(last), lead.is_from)) {
            return Ok(None);
        }
        Ok(Some(Found {
            range: single(kind, left.value),
            start: lead.first.start as usize,
            end: last.end as usize,
            first: lead.first.index(),
            last: last.index(),
        }))
    }

    /// `left` joiner `right`. `None`: no range here (try a single amount). `Some(Err(NotAPrice))`:
    /// a range shape that is not a price (`from 2 to 3 weeks`), so nothing here is a price.
    fn range(
        &self,
        toks: &Tokens,
        left: Amount,
        ctx: RangeCtx,
    ) -> Option<Result<Found, NotAPrice>> {
        let first = toks.after(left.last)?;
        if !first.roles.any(Roles::JOINER) {
            return None;
        }
        let (joiner_last, _, is_and) =
            self.joiners
                .match_at(&self.lex, toks, first, None, |_, is_and, _| {
                    ctx.after_between || !is_and
                })?;
        let right_first = toks.after(joiner_last)?;
        let right = match self.amount(toks, right_first, Side::OfRange) {
            Ok(Some(right)) => right,
            Ok(None) => return None,
            Err(Reject::Karat) => return Some(Err(NotAPrice)),
        };
        let after_right = toks.after(right.last);
        let mut left = left;
        let mut last = right.last;
        // A multiplier or scale on the right covers a bare left side stating less of it: "2-3k",
        // "2 to 3 thousand", "two and three hundred dollars" (a currency covers it too: "10-20
        // dollars"), but not "150 to 2 thousand" or "1 to a hundred".
        if !left.multiplier
            && !left.currency
            && left.factor == 1.0
            && right.factor > 1.0
            && left.value * right.factor < right.value
        {
            left.value *= right.factor;
        }
        let either_marked = left.currency || right.currency || left.multiplier || right.multiplier;
        if either_marked {
            // "size 7 - $20": a size or an id on the left is not the low end of a price range.
            if ctx.blocked && !left.currency && !left.multiplier {
                return None;
            }
            // "2-3k steps" counts; "$300-600 rings" prices rings.
            if !right.currency && !left.currency && self.is_unit_like(after_right) {
                return Some(Err(NotAPrice));
            }
            // Two karat-like sides ("10k-20k") still read as money together.
            let marked = left.cued() || right.cued() || (left.multiplier && right.multiplier);
            if !ctx.after_between && !marked {
                return None;
            }
        } else if ctx.after_between || ctx.vouched {
            // Both bare after a range word: both must read as prices.
            if ctx.blocked
                || left.value < MIN_BARE_PRICE
                || !self.bare_ok(&right, after_right, false)
            {
                return Some(Err(NotAPrice));
            }
        } else if let Some(noun_last) = self.range_noun(toks, right.last) {
            // "in the 200-400 range", "200-400 budget".
            if ctx.blocked
                || left.value < MIN_BARE_PRICE
                || !self.bare_ok(&right, toks.after(noun_last), false)
            {
                return None;
            }
            last = noun_last;
        } else if is_and || !self.round_range(toks, &left, &right, ctx.blocked) {
            return None;
        }
        if let Some(noun_last) = self.range_noun(toks, last) {
            last = noun_last;
        }
        let (lo, hi) = if left.value <= right.value {
            (left.value, right.value)
        } else {
            (right.value, left.value)
        };
        Some(Ok(Found {
            range: PriceRange {
                min: Some(lo),
                max: Some(hi),
                kind: PriceKind::Between,
            },
            start: left.first.start as usize,
            end: last.end as usize,
            first: left.first.index(),
            last: last.index(),
        }))
    }

    /// Two bare numbers joined by a dash, tilde or `to` that read as a price range on their own:
    /// round (multiples of 5), rising, not two years, not part of a phone number or a date, and not
    /// followed by a unit (`rings 200-400`, `ring 2000-3000`, but not `555-1234`, `16-18`,
    /// `2020-2024`).
    fn round_range(&self, toks: &Tokens, left: &Amount, right: &Amount, blocked: bool) -> bool {
        let round = |v: f64| v.fract() == 0.0 && v % 5.0 == 0.0;
        let glued = |t: Option<Token>, to: Token| {
            t.is_some_and(|t| {
                (t.touches(to) || to.touches(t))
                    && matches!(t.kind, Kind::Sym('-' | '/' | '.' | ':') | Kind::Num(_))
            })
        };
        !blocked
            && round(left.value)
            && round(right.value)
            && left.value >= MIN_BARE_PRICE
            && right.value >= MIN_BARE_RANGE_TOP
            && right.value > left.value
            && !(left.year_like && right.year_like)
            && !glued(toks.before(left.first), left.first)
            && !glued(toks.after(right.last), right.last)
            && self.bare_ok(right, toks.after(right.last), false)
    }

    /// A range noun or budget word after a range or amount ending with `last`: "range", "price
    /// range", "budget", "or so".
    fn range_noun(&self, toks: &Tokens, last: Token) -> Option<Token> {
        if let Some((PriceKind::Approx, t)) = self.postfix(toks, last) {
            return Some(t);
        }
        self.budget_after(toks, last)
    }

    /// A postfix bound or approximation right after an amount ending with `last`.
    fn postfix(&self, toks: &Tokens, last: Token) -> Option<(PriceKind, Token)> {
        let first = toks.after(last)?;
        if !first.roles.any(Roles::POSTFIX) {
            return None;
        }
        self.postfix
            .match_at(&self.lex, toks, first, Some(last.end), |p, _, t| {
                !p.needs_end || ends_clause(toks.after(t))
            })
            .map(|(t, _, kind)| (kind, t))
    }

    /// A budget word after an amount ending with `last`: "$500 budget", "$500 is my budget",
    /// "$400 to spend". Returns the budget word's last token.
    fn budget_after(&self, toks: &Tokens, last: Token) -> Option<Token> {
        let mut tok = toks.after(last)?;
        for _ in 0..2 {
            if tok.roles.any(Roles::BUDGET) || !self.lex.is(Some(tok), WordClass::POSSESSIVE) {
                break;
            }
            tok = toks.after(tok)?;
        }
        if !tok.roles.any(Roles::BUDGET) {
            return None;
        }
        self.budget
            .match_at(&self.lex, toks, tok, None, |_, _, _| true)
            .map(|(last, _, ())| last)
    }

    /// Whether an amount vouched for only by a bound word (or a postfix) reads as a price:
    /// `next` is the token after the expression.
    fn bare_ok(&self, amount: &Amount, next: Option<Token>, is_from: bool) -> bool {
        if amount.currency {
            return true;
        }
        if self.is_unit_like(next) {
            return false;
        }
        // A word glued to the number is a unit or an ordinal: `20in`, `4mm`, `30th`.
        if next.is_some_and(|n| n.touches(amount.last) && matches!(n.kind, Kind::Word(_))) {
            return false;
        }
        amount.multiplier || (amount.value >= MIN_BARE_PRICE && !(is_from && amount.year_like))
    }

    /// A count noun, unit, `%` or `of` follows: the number is a quantity.
    fn is_unit_like(&self, next: Option<Token>) -> bool {
        next.is_some_and(|t| t.is_sym('%')) || self.lex.is(next, WordClass::UNIT)
    }

    /// A currency phrase at `tok`: its last token.
    fn currency_at(&self, toks: &Tokens, tok: Token, before: Option<u32>) -> Option<Token> {
        if !tok.roles.any(Roles::CURRENCY) {
            return None;
        }
        self.currency
            .match_at(&self.lex, toks, tok, before, |_, _, _| true)
            .map(|(last, _, ())| last)
            .or_else(|| tok.is_sym('$').then_some(tok))
    }

    /// A currency mark after an amount ending with `last`: a word (`500 dollars`, `1200USD`) or
    /// a sign (`500$`, `20€`; with a space only when no number follows: `900 $`).
    fn currency_after(&self, toks: &Tokens, last: Token) -> Option<Token> {
        let next = toks.after(last)?;
        let c_last = self.currency_at(toks, next, None)?;
        if matches!(next.kind, Kind::Sym(_)) && !next.touches(last) {
            let after = toks.after(c_last);
            if after.is_some_and(|t| matches!(t.kind, Kind::Num(_))) {
                return None;
            }
        }
        Some(c_last)
    }

    /// An amount opening with `first`: `[currency] number [multiplier] [currency] [cents]`.
    /// `side`: whether the amount is one side of a range.
    fn amount(&self, toks: &Tokens, first: Token, side: Side) -> Result<Option<Amount>, Reject> {
        let mut currency = false;
        let mut loose = false;
        let mut word_factor = 1.0;
        let mut tok = first;
        // Prefix currency: "$", "USD", "US$", "€".
        if let Some(c_last) = self.currency_at(toks, first, None) {
            let Some(next) = toks.after(c_last) else {
                return Ok(None);
            };
            currency = true;
            tok = next;
        }
        // The number itself.
        let (mut value, mut last, numeral) = match tok.kind {
            Kind::Num(n) => {
                if n.int_digits > MAX_INT_DIGITS {
                    return Ok(None);
                }
                (n.value, tok, Some(n))
            }
            Kind::Word(Some(_)) => {
                if self.lex.number_word(tok) == Some(NumberWord::Article) {
                    if let Some(found) =
                        self.article_amount(toks, Opening { first, currency }, tok, side)
                    {
                        return Ok(Some(found));
                    }
                }
                match number_words(&self.lex, toks, tok) {
                    Some(words) => {
                        loose = words.loose;
                        word_factor = words.factor;
                        (words.value, words.last, None)
                    }
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        let mut multiplier = false;
        let mut needs_vouch = false;
        let mut factor_applied = word_factor;
        let integer = numeral.map_or(value.fract() == 0.0, |n| n.integer);
        // Cents on their own: "50 cents", "99¢", "ten pennies".
        if !currency && integer {
            if let Some(c_last) = toks
                .after(last)
                .and_then(|n| self.cents_word(toks, last, n))
            {
                return Ok(Some(Amount {
                    value: value / 100.0,
                    first,
                    currency: true,
                    multiplier: false,
                    needs_vouch: false,
                    last: c_last,
                    year_like: false,
                    factor: 1.0,
                    loose,
                }));
            }
        }
        // Multiplier: "2k", "1.5k", "2 grand", or a scale word after digits: "5 hundred".
        if let Some(next) = toks.after(last) {
            if let Some((factor, m_last, kind)) = self.multiplier(toks, last, next) {
                match kind {
                    MultiplierKind::Karat => {
                        if self.karat_follows(toks, m_last) {
                            return Err(Reject::Karat);
                        }
                        needs_vouch = !currency
                            && integer
                            && value.fract() == 0.0
                            && KARAT_VALUES.contains(&(value as u32));
                    }
                    MultiplierKind::Letter => needs_vouch = !currency,
                    MultiplierKind::Word => {}
                }
                value *= factor;
                factor_applied = factor;
                multiplier = true;
                last = m_last;
                // "two grand and a half".
                if let Some(half) = and_a_half(&self.lex, toks, m_last) {
                    value += factor / 2.0;
                    last = half;
                }
            } else if numeral.is_some() {
                match self.lex.number_word(next) {
                    Some(NumberWord::Hundred) => {
                        value *= 100.0;
                        factor_applied = 100.0;
                        last = next;
                    }
                    Some(NumberWord::Scale(s)) => {
                        value *= s;
                        factor_applied = s;
                        last = next;
                    }
                    _ => {}
                }
            }
        }
        // Suffix currency: "500 dollars", "3.14US$", "500$", "$1200 USD".
        if let Some(c_last) = self.currency_after(toks, last) {
            currency = true;
            last = c_last;
        }
        // Cents after dollars: "$20 and 43c", "20 dollars 43 cents", "$20 43".
        if currency && !multiplier && value.fract() == 0.0 {
            if let Some((cents, c_last)) = self.cents_tail(toks, last, side) {
                value = (value * 100.0 + cents) / 100.0;
                last = c_last;
            }
        }
        let year_like = numeral.is_some_and(|n| n.year_like()) && !multiplier;
        Ok(Some(Amount {
            value,
            first,
            currency,
            multiplier,
            needs_vouch,
            last,
            year_like,
            factor: factor_applied,
            loose,
        }))
    }

    /// An amount opening with an article: "a grand", "a dollar", "a buck fifty" is not read.
    fn article_amount(
        &self,
        toks: &Tokens,
        opening: Opening,
        article: Token,
        side: Side,
    ) -> Option<Amount> {
        let Opening { first, currency } = opening;
        let next = toks.after(article)?;
        if let Some((factor, mut m_last, _)) = self.multiplier(toks, article, next) {
            // "a grand and a half".
            let mut value = factor;
            if let Some(half) = and_a_half(&self.lex, toks, m_last) {
                value += factor / 2.0;
                m_last = half;
            }
            let mut amount = Amount {
                value,
                first,
                currency,
                multiplier: true,
                needs_vouch: false,
                last: m_last,
                year_like: false,
                factor,
                loose: false,
            };
            if let Some(c_last) = self.currency_after(toks, m_last) {
                amount.currency = true;
                amount.last = c_last;
            }
            return Some(amount);
        }
        // "a dollar", "a buck": a currency word (not a sign) with no number after it.
        if currency || !matches!(next.kind, Kind::Word(_)) {
            return None;
        }
        let c_last = self.currency_at(toks, next, None)?;
        if toks
            .after(c_last)
            .is_some_and(|t| matches!(t.kind, Kind::Num(_)))
        {
            return None;
        }
        let (value, last) = match self.cents_tail(toks, c_last, side) {
            Some((cents, t)) => (1.0 + cents / 100.0, t),
            None => (1.0, c_last),
        };
        Some(Amount {
            value,
            first,
            currency: true,
            multiplier: false,
            needs_vouch: false,
            last,
            year_like: false,
            factor: 1.0,
            loose: false,
        })
    }

    /// A multiplier phrase at `next` after a number ending with `last`: (factor, last token, kind).
    fn multiplier(
        &self,
        toks: &Tokens,
        last: Token,
        next: Token,
    ) -> Option<(f64, Token, MultiplierKind)> {
        if !next.roles.any(Roles::MULTIPLIER) {
            return None;
        }
        self.multipliers
            .match_at(&self.lex, toks, next, Some(last.end), |_, _, _| true)
            .map(|(t, _, (factor, kind))| (factor, t, kind))
    }

    /// A karat word after a `k`-number: `14k gold`, `18k-white`.
    fn karat_follows(&self, toks: &Tokens, k: Token) -> bool {
        let Some(mut next) = toks.after(k) else {
            return false;
        };
        if next.is_sym('-') && next.touches(k) {
            match toks.after(next) {
                Some(t) => next = t,
                None => return false,
            }
        }
        self.lex.is(Some(next), WordClass::KARAT)
    }

    /// A cents word at `next` after a number ending with `last`.
    fn cents_word(&self, toks: &Tokens, last: Token, next: Token) -> Option<Token> {
        if next.is_sym('¢') && next.touches(last) {
            return Some(next);
        }
        if !next.roles.any(Roles::CENTS) {
            return None;
        }
        self.cents
            .match_at(&self.lex, toks, next, Some(last.end), |_, _, _| true)
            .map(|(last, _, ())| last)
    }

    /// `[and] NN cents`, `[and] fifty cents` after a dollar amount ending with `last`; or, at the
    /// end of a clause and outside a range, bare cents ("$20 43", "twenty dollars and 43").
    fn cents_tail(&self, toks: &Tokens, last: Token, side: Side) -> Option<(f64, Token)> {
        let mut tok = toks.after(last)?;
        let with_and = self.lex.is(Some(tok), WordClass::AND);
        if with_and {
            tok = toks.after(tok)?;
        }
        let (cents, cents_last) = cents_number(&self.lex, toks, tok)?;
        let after = toks.after(cents_last);
        if let Some(c_last) = after.and_then(|next| self.cents_word(toks, cents_last, next)) {
            return Some((cents, c_last));
        }
        // Bare cents: two digits ("$20 43", "a buck fifty"), or any small number after `and`
        // ("US$3 and fourteen").
        let two_digits = match tok.kind {
            Kind::Num(n) => n.int_digits == 2,
            _ => cents >= 10.0, // "a buck fifty", not "the 500 dollar one"
        };
        (side == Side::Alone && (with_and || two_digits) && ends_clause(after))
            .then_some((cents, cents_last))
    }
}

/// Why an amount cannot be read: something here must not be read as a price at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Reject {
    /// `14k gold`: a karat, kill the whole expression.
    Karat,
}
