/// A small linear congruential generator: deterministic, for reproducible shuffles.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Fisher-Yates shuffle driven by the given generator.
fn shuffle<T>(items: &mut [T], rng: &mut Lcg) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i + 1);
        items.swap(i, j);
    }
}

fn main() {
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(42);
    let mut rng = Lcg(seed);
    let mut deck: Vec<u32> = (1..=10).collect();
    shuffle(&mut deck, &mut rng);
    let draws: Vec<usize> = (0..3).map(|_| rng.below(6) + 1).collect();
    println!("deck {deck:?} dice {draws:?}");
}
