//! Rolls of dice and the distribution of their sums.
use rand::distr::{Distribution, Uniform};
use rand::prelude::*;

/// A die with `sides` faces, numbered from 1.
pub struct Die {
    pub sides: u32,
    face: Uniform<u32>,
}

impl Die {
    pub fn new(sides: u32) -> Self {
        Die { sides, face: Uniform::new(1, sides + 1).expect("a die has at least one side") }
    }

    pub fn roll<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        self.face.sample(rng)
    }
}

/// The sums of `rolls` throws of `dice` dice with `sides` faces.
pub fn simulate(sides: u32, dice: usize, rolls: usize) -> Vec<u32> {
    let mut rng = rand::rng();
    let die = Die::new(sides);
    (0..rolls).map(|_| (0..dice).map(|_| die.roll(&mut rng)).sum()).collect()
}

/// How many times each sum came up, from the lowest possible sum to the highest.
pub fn histogram(sums: &[u32], sides: u32, dice: usize) -> Vec<usize> {
    let low = dice as u32;
    let mut counts = vec![0; (dice as u32 * sides - low + 1) as usize];
    for &s in sums {
        counts[(s - low) as usize] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_stay_in_range() {
        let sums = simulate(6, 2, 2000);
        assert_eq!(sums.len(), 2000);
        assert!(sums.iter().all(|&s| (2..=12).contains(&s)));
    }

    #[test]
    fn seven_is_the_most_common_sum_of_two_dice() {
        let sums = simulate(6, 2, 20000);
        let counts = histogram(&sums, 6, 2);
        let best = (0..counts.len()).max_by_key(|&i| counts[i]).unwrap() + 2;
        assert!((6..=8).contains(&best), "{counts:?}");
    }

    #[test]
    fn every_face_comes_up() {
        let die = Die::new(4);
        let mut rng = rand::rng();
        let mut seen = [false; 4];
        for _ in 0..400 {
            seen[(die.roll(&mut rng) - 1) as usize] = true;
        }
        assert_eq!(seen, [true; 4]);
    }
}
