//! Word-level phrase matching: every phrase word gets an id, phrases live in a trie over ids, and
//! a deletion-neighbourhood index maps a misspelt word ("refnd", "trak", "pliiows") to the rule
//! word it is one (or, for longer words, two) edits away from.
//!
//! Matching a message costs one hash probe per token plus a short trie walk from each token, so
//! thousands of phrases cost about what ten do.

use super::hash::FxHashMap;
use super::normalise::Normalised;
use std::collections::HashSet;
use std::ops::Range;

/// Message words shorter than this are never corrected (too many real words are one edit apart).
pub const TYPO_MIN_TOKEN_LEN: usize = 4;
/// Rule words shorter than this are never a correction target.
pub const TYPO_MIN_WORD_LEN: usize = 5;
/// Words at least this long (message and rule word) may be two edits apart.
pub const TYPO_TWO_EDITS_LEN: usize = 7;
/// Longer message words skip the two-edit search (cost grows quadratically, gain shrinks).
const TYPO_TWO_EDITS_MAX_LEN: usize = 9;
/// Words longer than this are never corrected.
const TYPO_MAX_LEN: usize = 24;

/// The bit of a [`Lexicon`] deletion slot that marks a list of words rather than one (word ids
/// stay far below 2^31).
const SHARED: u32 = 1 << 31;

/// How a message token resolved against the lexicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub word: u32,
    /// Edit distance to the rule word: 0 for an exact match.
    pub edits: u8,
}

/// The shared vocabulary of every phrase and its typo index.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    ids: FxHashMap<String, u32>,
    words: Vec<String>,
    typo_target: Vec<bool>,
    /// How many words are typo targets.
    typo_targets: usize,
    /// The deletion index of the typo targets, built on the first token that needs it (or by
    /// [`Lexicon::warm`]): a fresh Worker isolate whose first message has only known words
    /// answers it without building the table build's largest part.
    typos: std::sync::OnceLock<TypoIndex>,
    never_correct: HashSet<String>,
}

/// Hash of a deletion variant → the typo-target word that produces it, or (with [`SHARED`] set)
/// the index in `shared` of the several that do. Most variants come from one word, so building
/// the index allocates a list only for the few that do not.
#[derive(Debug, Clone, Default)]
struct TypoIndex {
    deletions: FxHashMap<u64, u32>,
    shared: Vec<Vec<u32>>,
}

impl TypoIndex {
    /// The index of every typo target of `words` (in id order, so a tie between candidates
    /// resolves the same way however the rules were compiled).
    fn build(words: &[String], target: &[bool]) -> TypoIndex {
        // Sized up front for every variant (repeats included), so the map never grows.
        let variants: usize = words
            .iter()
            .zip(target)
            .filter(|(_, &t)| t)
            .map(|(w, _)| variant_count(w.len(), w.len() >= TYPO_TWO_EDITS_LEN))
            .sum();
        let mut index = TypoIndex {
            deletions: FxHashMap::with_capacity_and_hasher(variants, Default::default()),
            shared: Vec::new(),
        };
        for (id, word) in words.iter().enumerate() {
            if target[id] {
                index.add(id as u32, word.as_bytes());
            }
        }
        index
    }

    fn add(&mut self, id: u32, word: &[u8]) {
        let (deletions, shared) = (&mut self.deletions, &mut self.shared);
        for_each_variant(word, word.len() >= TYPO_TWO_EDITS_LEN, |hash| {
            let slot = deletions.entry(hash).or_insert(id);
            if *slot == id {
                return;
            }
            if *slot & SHARED == 0 {
                shared.push(vec![*slot, id]);
                *slot = SHARED | (shared.len() - 1) as u32;
            } else {
                let list = &mut shared[(*slot & !SHARED) as usize];
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        });
    }

    /// The typo-target words that produce the deletion variant `hash`.
    fn ids(&self, hash: u64) -> &[u32] {
        match self.deletions.get(&hash) {
            None => &[],
            Some(slot) if slot & SHARED == 0 => std::slice::from_ref(slot),
            Some(slot) => &self.shared[(slot & !SHARED) as usize],
        }
    }
}

/// How many hashes [`for_each_variant`] makes for a word of `n` bytes.
fn variant_count(n: usize, two: bool) -> usize {
    1 + n + if two { n * n.saturating_sub(1) / 2 } else { 0 }
}

impl Lexicon {
    /// The id of `word`, adding it if new.
    pub fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.words.len() as u32;
        self.ids.insert(word.to_string(), id);
        self.words.push(word.to_string());
        self.typo_target.push(false);
        id
    }

    /// Marks an interned word as a target for typo correction (if it is long enough).
    pub fn allow_typos(&mut self, id: u32) {
        let idx = id as usize;
        let Some(word) = self.words.get(idx) else {
            return;
        };
        if self.typo_target[idx] || word.len() < TYPO_MIN_WORD_LEN || !is_plain_word(word) {
            return;
        }
        self.typo_target[idx] = true;
        self.typo_targets += 1;
        // An index built before this word was added is stale.
        self.typos = std::sync::OnceLock::new();
    }

    /// The typo index, built now if it is not yet.
    fn typos(&self) -> &TypoIndex {
        self.typos
            .get_or_init(|| TypoIndex::build(&self.words, &self.typo_target))
    }

    /// Builds the typo index now if it is not built yet (the Worker's warm-up, piece 1 of
    /// [`Engine::warm_piece`](super::Engine::warm_piece)).
    pub fn warm(&self) {
        let _ = self.typos();
    }

    /// Words that are real words and must never be "corrected" into a rule word.
    pub fn set_never_correct<I: IntoIterator<Item = String>>(&mut self, words: I) {
        self.never_correct = words.into_iter().collect();
    }

    /// The word with id `id`.
    pub fn word(&self, id: u32) -> &str {
        self.words.get(id as usize).map_or("", String::as_str)
    }

    /// Resolves every token of a message (exact match first, then typo correction) into `out`
    /// (cleared first), reusing its allocation.
    pub fn resolve_into(&self, message: &Normalised, out: &mut Vec<Option<Resolved>>) {
        out.clear();
        out.extend((0..message.tokens.len()).map(|i| self.resolve_word(message.word(i))));
    }

    fn resolve_word(&self, token: &str) -> Option<Resolved> {
        if let Some(&word) = self.ids.get(token) {
            return Some(Resolved { word, edits: 0 });
        }
        let len = token.len();
        if !(TYPO_MIN_TOKEN_LEN..=TYPO_MAX_LEN).contains(&len)
            || self.typo_targets == 0
            || !is_plain_word(token)
            || self.never_correct.contains(token)
        {
            return None;
        }
        let bytes = token.as_bytes();
        let one = self.best_candidate(bytes, false, 1);
        if one.is_some() || !(TYPO_TWO_EDITS_LEN..=TYPO_TWO_EDITS_MAX_LEN).contains(&len) {
            return one;
        }
        self.best_candidate(bytes, true, 2)
    }

    fn best_candidate(&self, token: &[u8], two: bool, max_edits: usize) -> Option<Resolved> {
        let mut best: Option<(usize, u32)> = None;
        let typos = self.typos();
        for_each_variant(token, two, |hash| {
            for &id in typos.ids(hash) {
                let word = self.words[id as usize].as_bytes();
                if max_edits == 2 && (word.len() < TYPO_TWO_EDITS_LEN || word[0] != token[0]) {
                    continue;
                }
                let d = osa_distance(token, word);
                if d == 0 || d > max_edits {
                    continue;
                }
                if best.is_none_or(|(bd, bid)| (d, id) < (bd, bid)) {
                    best = Some((d, id));
                }
            }
        });
        best.map(|(d, word)| Resolved {
            word,
            edits: d as u8,
        })
    }
}

fn is_plain_word(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_lowercase())
}

/// Multiplier of the polynomial hash used for deletion variants (odd, so invertible mod 2^64).
const POLY: u64 = 0x100_0000_01b3 | 1;

#[cfg(test)]
/// Polynomial hash of a byte string: `Σ b[i]·POLY^(n-1-i)` (wrapping), seeded by the length so
/// variants of different lengths rarely collide.
fn poly_hash(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    for &b in bytes {
        h = h.wrapping_mul(POLY).wrapping_add(u64::from(b) + 1);
    }
    h
}

/// Calls `f` with the hash of the word itself, of every one-deletion variant, and (if `two`)
/// of every two-deletion variant. Each variant's hash is computed in O(1) from prefix hashes,
/// and equals `poly_hash` of the variant's bytes. Variants may repeat; callers tolerate that.
fn for_each_variant(word: &[u8], two: bool, mut f: impl FnMut(u64)) {
    let n = word.len();
    if n > TYPO_MAX_LEN + 8 {
        return;
    }
    // prefix[i] = hash state after word[..i] without the length seed; pow[k] = POLY^k.
    let mut prefix = [0u64; TYPO_MAX_LEN + 9];
    let mut pow = [1u64; TYPO_MAX_LEN + 9];
    for i in 0..n {
        prefix[i + 1] = prefix[i]
            .wrapping_mul(POLY)
            .wrapping_add(u64::from(word[i]) + 1);
        pow[i + 1] = pow[i].wrapping_mul(POLY);
    }
    // Hash of word[a..b] as if it started from 0.
    let sub = |a: usize, b: usize| prefix[b].wrapping_sub(prefix[a].wrapping_mul(pow[b - a]));
    let seeded = |len: usize, body: u64| {
        (len as u64 ^ 0x9e37_79b9_7f4a_7c15)
            .wrapping_mul(pow[len])
            .wrapping_add(body)
    };
    f(seeded(n, prefix[n]));
    for i in 0..n {
        let one = prefix[i]
            .wrapping_mul(pow[n - 1 - i])
            .wrapping_add(sub(i + 1, n));
        f(seeded(n - 1, one));
        if two {
            for j in i + 1..n {
                let body = prefix[i]
                    .wrapping_mul(pow[n - 2 - i])
                    .wrapping_add(sub(i + 1, j).wrapping_mul(pow[n - 1 - j]))
                    .wrapping_add(sub(j + 1, n));
                f(seeded(n - 2, body));
            }
        }
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
pub fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > 2 {
        return n.abs_diff(m);
    }
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// Edit distance between two strings for "did you mean" hints (any length, chars); the rule
/// loader's, which the Worker does not carry.
#[cfg(not(target_arch = "wasm32"))]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j + 1] + 1)
                .min(cur[j] + 1)
                .min(prev[j] + usize::from(ca != cb));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// One phrase occurrence in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseHit {
    pub phrase: u32,
    /// Token range in the message.
    pub tokens: Range<usize>,
    /// Total edits of typo-corrected words (0 = exact).
    pub edits: u8,
}

/// A trie of phrases over lexicon word ids.
#[derive(Debug, Clone, Default)]
pub struct PhraseTrie {
    edges: FxHashMap<(u32, u32), u32>,
    /// Phrase ids ending at each node (node 0 is the root).
    ends: Vec<Vec<u32>>,
    phrases: u32,
}

impl PhraseTrie {
    /// Adds a phrase (word ids) and returns its phrase id.
    pub fn insert(&mut self, words: &[u32]) -> u32 {
        if self.ends.is_empty() {
            self.ends.push(Vec::new());
        }
        let mut node = 0u32;
        for &w in words {
            node = match self.edges.get(&(node, w)) {
                Some(&next) => next,
                None => {
                    let next = self.ends.len() as u32;
                    self.ends.push(Vec::new());
                    self.edges.insert((node, w), next);
                    next
                }
            };
        }
        let id = self.phrases;
        self.ends[node as usize].push(id);
        self.phrases += 1;
        id
    }

    /// Every phrase occurrence in a resolved message, by start token then length.
    pub fn find_all(&self, resolved: &[Option<Resolved>], hits: &mut Vec<PhraseHit>) {
        if self.ends.is_empty() {
            return;
        }
        for start in 0..resolved.len() {
            let mut node = 0u32;
            let mut edits = 0u8;
            for (offset, token) in resolved[start..].iter().enumerate() {
                let Some(token) = token else {
                    break;
                };
                let Some(&next) = self.edges.get(&(node, token.word)) else {
                    break;
                };
                node = next;
                edits = edits.saturating_add(token.edits);
                for &phrase in &self.ends[node as usize] {
                    hits.push(PhraseHit {
                        phrase,
                        tokens: start..start + offset + 1,
                        edits,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::normalise::Normaliser;

    fn lexicon(words: &[&str]) -> Lexicon {
        let mut lex = Lexicon::default();
        for w in words {
            let id = lex.intern(w);
            lex.allow_typos(id);
        }
        lex
    }

    fn correct(lex: &Lexicon, token: &str) -> Option<String> {
        lex.resolve_word(token)
            .map(|r| lex.word(r.word).to_string())
    }

    #[test]
    fn the_typo_index_is_built_on_first_need_and_again_after_new_targets() {
        let mut lex = lexicon(&["refund", "pillow"]);
        assert!(lex.typos.get().is_none());
        assert_eq!(lex.resolve_word("refund").map(|r| r.edits), Some(0));
        assert_eq!(lex.resolve_word("gem"), None);
        assert!(
            lex.typos.get().is_none(),
            "known and short words need no index"
        );
        assert_eq!(correct(&lex, "refnd").as_deref(), Some("refund"));
        assert!(lex.typos.get().is_some());
        assert_eq!(correct(&lex, "bracelt"), None);
        let id = lex.intern("bracelet");
        lex.allow_typos(id);
        assert_eq!(correct(&lex, "bracelt").as_deref(), Some("bracelet"));
        assert_eq!(correct(&lex, "pilow").as_deref(), Some("pillow"));
    }

    #[test]
    fn variant_count_is_what_for_each_variant_makes() {
        for word in ["ring", "refund", "bracelet", "engagement"] {
            for two in [false, true] {
                let mut n = 0;
                for_each_variant(word.as_bytes(), two, |_| n += 1);
                assert_eq!(variant_count(word.len(), two), n, "{word} {two}");
            }
        }
    }

    #[test]
    fn corrects_one_edit_typos_of_longer_words() {
        let lex = lexicon(&["refund", "track", "bracelet", "pillow", "ring"]);
        assert_eq!(correct(&lex, "refnd").as_deref(), Some("refund"));
        assert_eq!(correct(&lex, "trak").as_deref(), Some("track"));
        assert_eq!(correct(&lex, "trakc").as_deref(), Some("track"));
        // Two edits only for words of seven letters or more.
        assert_eq!(correct(&lex, "brcelte").as_deref(), Some("bracelet"));
        assert_eq!(correct(&lex, "pliiow"), None);
        // Short rule words are never targets: "bring" must not become "ring".
        assert_eq!(correct(&lex, "bring"), None);
        assert_eq!(correct(&lex, "zzzzzz"), None);
    }

    #[test]
    fn never_correct_words_stay_unknown() {
        let mut lex = lexicon(&["where"]);
        assert_eq!(correct(&lex, "there").as_deref(), Some("where"));
        lex.set_never_correct(["there".to_string()]);
        assert_eq!(correct(&lex, "there"), None);
    }

    #[test]
    fn variant_hashes_equal_hashes_of_the_variants() {
        let word = b"bracelet";
        let mut fast = Vec::new();
        for_each_variant(word, true, |h| fast.push(h));
        let mut slow = vec![poly_hash(word)];
        for i in 0..word.len() {
            let mut one = word.to_vec();
            one.remove(i);
            slow.push(poly_hash(&one));
            for j in i..one.len() {
                let mut two = one.clone();
                two.remove(j);
                slow.push(poly_hash(&two));
            }
        }
        assert_eq!(fast, slow);
    }

    #[test]
    fn osa_counts_transpositions_once() {
        assert_eq!(osa_distance(b"track", b"trakc"), 1);
        assert_eq!(osa_distance(b"refund", b"refnd"), 1);
        assert_eq!(osa_distance(b"pillow", b"pliiow"), 2);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn edit_distance_counts_an_added_letter_once() {
        assert_eq!(edit_distance("phrase", "phrases"), 1);
    }

    #[test]
    fn trie_finds_every_phrase_at_word_boundaries() {
        let norm = Normaliser::default();
        let mut lex = Lexicon::default();
        let mut trie = PhraseTrie::default();
        let mut add = |text: &str, lex: &mut Lexicon| {
            let ids: Vec<u32> = crate::engine::normalise::phrase_words(&norm, text)
                .iter()
                .map(|w| lex.intern(w))
                .collect();
            trie.insert(&ids)
        };
        let order = add("my order", &mut lex);
        let where_order = add("where is my order", &mut lex);
        let msg = norm.normalise("Where's my order? not my orderly life");
        let mut hits = Vec::new();
        let mut resolved = Vec::new();
        lex.resolve_into(&msg, &mut resolved);
        trie.find_all(&resolved, &mut hits);
        let found: Vec<(u32, Range<usize>)> =
            hits.into_iter().map(|h| (h.phrase, h.tokens)).collect();
        assert_eq!(found, vec![(where_order, 0..4), (order, 2..4)]);
    }
}
