//! The tokenizer: numbers, words and single symbols with byte spans into the original text.
//!
//! A message is tokenized once into [`Tokens`] (on the stack for chat-sized messages), so the
//! grammar's lookahead costs an index. Spans always fall on `char` boundaries: a token starts
//! after whitespace or where the previous token ended, and ends after a whole `char`.

use super::lexicon::Roles;
use super::numbers::{numeral, scan_number, Numeral};

/// What a raw token is, before the lexicon looks at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum RawKind {
    Num,
    Word,
    Sym,
}

/// What a token is to the grammar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Num(Numeral),
    /// A word; `Some(index)` into the lexicon when known.
    Word(Option<u16>),
    Sym(char),
}

/// One token of a message. Offsets are `u32` to keep tokens small (the grammar copies them
/// around); the tokenizer stops before a message of 4 GiB could overflow them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Token {
    pub kind: Kind,
    /// Byte offset of the first character.
    pub start: u32,
    /// Byte offset just past the last character.
    pub end: u32,
    /// Position in the message's token list.
    pub idx: u32,
    /// Which phrases the token can open, from the lexicon.
    pub roles: Roles,
}

impl Token {
    pub const NONE: Token = Token {
        kind: Kind::Word(None),
        start: 0,
        end: 0,
        idx: 0,
        roles: Roles::NONE,
    };

    /// The token is the symbol `c`.
    #[inline]
    pub fn is_sym(&self, c: char) -> bool {
        self.kind == Kind::Sym(c)
    }

    /// The token starts exactly where `before` ends (no space between).
    #[inline]
    pub fn touches(&self, before: Token) -> bool {
        self.start == before.end
    }

    /// Position in the message's token list, as an index.
    #[inline]
    pub fn index(&self) -> usize {
        self.idx as usize
    }
}

/// Tokens a chat message normally fits in without touching the heap.
const STACK_TOKENS: usize = 48;

/// A message's tokens. They live on the stack up to [`STACK_TOKENS`]; a longer message moves
/// them all to `heap`.
pub(super) struct Tokens {
    stack: [Token; STACK_TOKENS],
    len: usize,
    heap: Vec<Token>,
}

impl Tokens {
    pub fn new() -> Self {
        Tokens {
            stack: [Token::NONE; STACK_TOKENS],
            len: 0,
            heap: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<Token> {
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
    pub fn after(&self, tok: Token) -> Option<Token> {
        self.get(tok.index() + 1)
    }

    /// The token before `tok`.
    #[inline]
    pub fn before(&self, tok: Token) -> Option<Token> {
        tok.index().checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn push(&mut self, mut tok: Token) {
        tok.idx = self.len as u32;
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

/// The kind of a raw token that is a number, with its value.
pub(super) fn number_kind(text: &str, start: usize, end: usize) -> Kind {
    Kind::Num(numeral(text.as_bytes().get(start..end).unwrap_or_default()))
}

/// Dashes, tildes, apostrophes and full-width signs people type interchangeably.
pub(super) fn normalise_sym(c: char) -> char {
    match c {
        '–' | '—' | '‒' | '−' | '‑' => '-',
        '∼' | '〜' | '～' => '~',
        '＄' | '﹩' => '$',
        '’' | '‘' | '`' | '´' => '\'',
        '＋' => '+',
        other => other,
    }
}

/// All raw tokens of `text` (for compiling vocabulary phrases; not on the hot path).
pub(super) fn raw_tokens(text: &str) -> Vec<(RawKind, usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(t) = next_raw(text, pos) {
        pos = t.2;
        out.push(t);
    }
    out
}

/// The next raw token at or after `pos`: a number (`1,200.50`), a word (letters, and digits
/// that do not follow a letter, so `USD1200` is `USD` then `1200`) or one other character.
/// Whitespace separates tokens.
pub(super) fn next_raw(text: &str, pos: usize) -> Option<(RawKind, usize, usize)> {
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
    let b = *bytes.get(i)?;
    if b.is_ascii_digit() {
        return Some((RawKind::Num, start, scan_number(bytes, start)));
    }
    if b.is_ascii_alphabetic() || (b >= 0x80 && is_word_char_at(text, i)) {
        while let Some(&b) = bytes.get(i) {
            if b < 0x80 {
                // A digit ends the word: `usd1200`, `rs20`, `gbp3.01` are a code and a number.
                if b.is_ascii_alphabetic() {
                    i += 1;
                    continue;
                }
                break;
            }
            match text.get(i..).and_then(|s| s.chars().next()) {
                Some(c) if c.is_alphabetic() => i += c.len_utf8(),
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
        .is_some_and(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(RawKind, &str)> {
        raw_tokens(text)
            .into_iter()
            .map(|(k, s, e)| (k, &text[s..e]))
            .collect()
    }

    #[test]
    fn letters_then_digits_split_into_a_code_and_a_number() {
        use RawKind::*;
        assert_eq!(kinds("USD1200"), [(Word, "USD"), (Num, "1200")]);
        assert_eq!(kinds("1200USD"), [(Num, "1200"), (Word, "USD")]);
        assert_eq!(
            kinds("US$1,200"),
            [(Word, "US"), (Sym, "$"), (Num, "1,200")]
        );
        assert_eq!(kinds("can't"), [(Word, "can"), (Sym, "'"), (Word, "t")]);
        assert_eq!(kinds("20€ ½"), [(Num, "20"), (Sym, "€"), (Sym, "½")]);
    }
}
