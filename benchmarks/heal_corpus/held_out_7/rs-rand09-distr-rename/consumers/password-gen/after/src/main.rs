//! password-gen [LENGTH] [SYMBOLS]: a random password of LENGTH characters, SYMBOLS of them punctuation.
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

const SYMBOLS: &[u8] = b"!#$%&*+-=?@^_";

fn password(len: usize, symbols: usize) -> String {
    let mut rng = rand::rng();
    let mut chars: Vec<char> = Alphanumeric.sample_string(&mut rng, len - symbols).chars().collect();
    for _ in 0..symbols {
        let at = rng.random_range(0..=chars.len());
        let symbol = SYMBOLS[rng.random_range(0..SYMBOLS.len())] as char;
        chars.insert(at, symbol);
    }
    chars.into_iter().collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let len: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let symbols: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    if symbols > len {
        eprintln!("password-gen: more symbols ({symbols}) than characters ({len})");
        std::process::exit(2);
    }
    println!("{}", password(len, symbols));
}
