//! A stand-in for `petname` 2.0: word lists and the `Generator` trait, with a small generator of its own.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Generates pet names.
pub trait Generator<'a> {
    /// A name of `words` words joined by `separator`, or None if it cannot be made.
    fn generate_one(&self, words: u8, separator: &str) -> Option<String>;
}

/// Word lists: adverbs, adjectives and nouns.
pub struct Petnames<'a> {
    pub adverbs: Vec<&'a str>,
    pub adjectives: Vec<&'a str>,
    pub nouns: Vec<&'a str>,
}

impl Petnames<'static> {
    pub fn large() -> Self {
        Petnames {
            adverbs: vec!["boldly", "calmly", "gladly", "kindly", "neatly", "quietly", "swiftly", "warmly"],
            adjectives: vec!["amber", "brave", "clever", "eager", "gentle", "lucky", "mellow", "witty"],
            nouns: vec!["badger", "falcon", "heron", "lynx", "marmot", "otter", "puffin", "wombat"],
        }
    }
}

thread_local! {
    static SEED: Cell<u64> = Cell::new(
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7) | 1,
    );
}

fn next_index(len: usize) -> usize {
    SEED.with(|s| {
        let x = s.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        s.set(x);
        ((x >> 33) as usize) % len
    })
}

impl<'a> Generator<'a> for Petnames<'a> {
    fn generate_one(&self, words: u8, separator: &str) -> Option<String> {
        if words == 0 {
            return None;
        }
        let mut parts = Vec::with_capacity(words as usize);
        for _ in 0..words.saturating_sub(2) {
            parts.push(self.adverbs[next_index(self.adverbs.len())]);
        }
        if words >= 2 {
            parts.push(self.adjectives[next_index(self.adjectives.len())]);
        }
        parts.push(self.nouns[next_index(self.nouns.len())]);
        Some(parts.join(separator))
    }
}
