//! Grows a rule set K× the way a merchandiser's season of additions would: every `*phrases` and
//! `*patterns` list of `intents.toml` gets (K − 1) extra entries per shipped entry, made of
//! ordinary words and shaped like the shipped ones (a phrase keeps its length with some words
//! swapped for ordinary ones; a pattern is `\b(?:w|w) (?:\w+ )?w\b`). Deterministic: the same K
//! always gives the same files. Used by `scripts/scale-rules` and the `classify/scaled_*` benches.

use std::collections::HashSet;

/// Ordinary words that the shipped rules do not use as shop vocabulary.
const WORDS: &[&str] = &[
    "garden", "window", "river", "kitchen", "pencil", "blanket", "ladder", "mirror", "candle",
    "basket", "carpet", "bottle", "engine", "forest", "island", "market", "meadow", "museum",
    "orchard", "planet", "rocket", "saddle", "tunnel", "valley", "violin", "wagon", "harbor",
    "bridge", "castle", "desert", "finger", "hammer", "jacket", "kettle", "lemon", "magnet",
    "napkin", "oven", "pepper", "puzzle", "rabbit", "sail", "tiger", "turtle", "umbrella",
    "village", "walnut", "yogurt", "zebra", "anchor", "barrel", "cabin", "donkey", "feather",
    "goblet", "helmet", "iceberg", "jungle", "kitten", "lantern", "mitten", "noodle", "otter",
    "parrot", "quilt", "rattle", "shovel", "teapot", "unicorn", "velvet", "whistle", "acorn",
    "biscuit", "cactus", "dolphin", "falcon", "glacier", "hedgehog", "igloo", "jigsaw", "koala",
    "lobster", "muffin", "nectar", "oyster", "pebble", "quarry", "radish", "spinach", "tractor",
    "walrus", "badger", "canyon", "drizzle", "ember", "fossil", "gravel", "hazel", "inkwell",
    "juniper", "kayak", "lagoon", "marble", "nutmeg", "oatmeal", "paddle", "ripple", "sprout",
    "thimble", "upland", "vapor", "willow", "yarrow", "bamboo", "cobble", "dune", "fern", "geyser",
    "harvest", "ivy", "jasmine", "kelp", "lichen", "maple", "nettle", "olive", "prairie", "reed",
    "spruce", "thistle", "tundra", "wheat", "borrow", "carry", "wander", "whisper", "gather",
    "scatter", "polish", "paint", "plant", "bake", "climb", "sketch", "travel", "wrap",
];

/// A small deterministic generator (xorshift64*), so scaled rule sets are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

/// Which kind of list a `key = [` line opens.
fn list_kind(line: &str) -> Option<(bool, &str)> {
    let (key, rest) = line.split_once('=')?;
    let key = key.trim();
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return None;
    }
    if key == "phrases" || key.ends_with("_phrases") {
        Some((false, key))
    } else if key == "patterns" || key.ends_with("_patterns") {
        Some((true, key))
    } else {
        None
    }
}

/// The entries of a TOML string array spread over `lines` (basic or literal strings).
fn entries(lines: &[&str], quote: char) -> Vec<String> {
    let text = lines.join("\n");
    let body = text.split_once('[').map_or("", |(_, b)| b);
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(quote) {
        let after = &rest[start + 1..];
        let Some(end) = after.find(quote) else { break };
        out.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    out
}

/// `intents.toml` with every phrase and pattern list grown to `k` times its length.
pub fn scale_intents(text: &str, k: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let lines: Vec<&str> = text.lines().collect();
    let mut seen: HashSet<String> = HashSet::new();
    // Every phrase already declared, so no generated one repeats it in another intent.
    let mut i = 0;
    while i < lines.len() {
        if let Some((false, _)) = list_kind(lines[i]) {
            let end = (i..lines.len())
                .find(|&j| lines[j].trim_end().ends_with(']'))
                .unwrap_or(i);
            seen.extend(entries(&lines[i..=end], '"'));
        }
        i += 1;
    }
    let mut out = String::with_capacity(text.len() * k);
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let Some((is_pattern, _)) = list_kind(line).filter(|_| k > 1) else {
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        };
        let end = (i..lines.len())
            .find(|&j| lines[j].trim_end().ends_with(']'))
            .unwrap_or(i);
        let quote = if is_pattern { '\'' } else { '"' };
        let shipped = entries(&lines[i..=end], quote);
        let mut extra = Vec::new();
        for entry in &shipped {
            for _ in 1..k {
                if is_pattern {
                    extra.push(format!(
                        "'\\b(?:{}|{}) (?:\\w+ )?{}\\b'",
                        rng.word(),
                        rng.word(),
                        rng.word()
                    ));
                    continue;
                }
                // Same number of words as the shipped phrase, at least one swapped.
                let mut words: Vec<&str> = entry.split_whitespace().collect();
                let mut attempts = 0u32;
                loop {
                    // Few one-word variants exist: after a few collisions the phrase grows a word.
                    attempts += 1;
                    if attempts.is_multiple_of(8) {
                        words.push(rng.word());
                    }
                    let forced = (rng.next() % words.len().max(1) as u64) as usize;
                    let phrase: Vec<&str> = words
                        .iter()
                        .enumerate()
                        .map(|(w, word)| {
                            if w == forced || rng.next().is_multiple_of(2) {
                                rng.word()
                            } else {
                                word
                            }
                        })
                        .collect();
                    let phrase = phrase.join(" ");
                    if seen.insert(phrase.clone()) {
                        extra.push(format!("\"{phrase}\""));
                        break;
                    }
                }
            }
        }
        // Open the list, add the extra entries, then the shipped lines unchanged.
        let (head, tail) = line.split_at(line.find('[').map_or(line.len(), |p| p + 1));
        out.push_str(head);
        out.push('\n');
        for chunk in extra.chunks(8) {
            out.push_str("  ");
            out.push_str(&chunk.join(", "));
            out.push_str(",\n");
        }
        out.push_str(tail);
        out.push('\n');
        for l in &lines[i + 1..=end] {
            out.push_str(l);
            out.push('\n');
        }
        i = end + 1;
    }
    out
}
