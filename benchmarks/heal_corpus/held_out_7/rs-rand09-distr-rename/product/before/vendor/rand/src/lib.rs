//! A stand-in for `rand` 0.9.0: the same paths and signatures as the real crate for what is used here, over a
//! small xorshift generator. In 0.9 the module `distributions` was renamed `distr`, `thread_rng()` became `rng()`
//! (the old name is deprecated and no longer in the prelude), `gen_range` became `random_range`, `DistString`
//! became `SampleString`, `Standard` became `StandardUniform`, and `Uniform::new` returns a `Result`.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// The core of a random number generator.
pub trait RngCore {
    fn next_u32(&mut self) -> u32;
    fn next_u64(&mut self) -> u64;
}

pub mod rngs {
    use super::*;

    /// The thread-local generator (here: a handle on a thread-local xorshift state).
    #[derive(Clone, Debug)]
    pub struct ThreadRng {
        _private: (),
    }

    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
            (nanos ^ 0x9E37_79B9_7F4A_7C15) | 1
        });
    }

    impl ThreadRng {
        pub(crate) fn new() -> Self {
            ThreadRng { _private: () }
        }
    }

    impl RngCore for ThreadRng {
        fn next_u32(&mut self) -> u32 {
            (self.next_u64() >> 32) as u32
        }

        fn next_u64(&mut self) -> u64 {
            STATE.with(|s| {
                let mut x = s.get();
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.set(x);
                x
            })
        }
    }
}

/// The thread-local random number generator.
pub fn rng() -> rngs::ThreadRng {
    rngs::ThreadRng::new()
}

/// The thread-local random number generator (renamed `rng` in 0.9).
#[deprecated(since = "0.9.0", note = "Renamed to `rng`")]
pub fn thread_rng() -> rngs::ThreadRng {
    rng()
}

/// A random value of the standard distribution, from the thread-local generator.
pub fn random<T>() -> T
where
    distr::StandardUniform: distr::Distribution<T>,
{
    rng().random()
}

pub mod distr {
    //! Distributions (the module was `rand::distributions` before 0.9).
    use super::Rng;
    use std::marker::PhantomData;

    /// Types (distributions) that can be used to create a random instance of `T`.
    pub trait Distribution<T> {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> T;

        fn sample_iter<R: Rng>(self, rng: R) -> Iter<Self, R, T>
        where
            Self: Sized,
        {
            Iter { distr: self, rng, phantom: PhantomData }
        }
    }

    impl<T, D: Distribution<T> + ?Sized> Distribution<T> for &D {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> T {
            (*self).sample(rng)
        }
    }

    /// An iterator over samples of a distribution.
    #[derive(Debug)]
    pub struct Iter<D, R, T> {
        distr: D,
        rng: R,
        phantom: PhantomData<T>,
    }

    impl<D: Distribution<T>, R: Rng, T> Iterator for Iter<D, R, T> {
        type Item = T;

        fn next(&mut self) -> Option<T> {
            Some(self.distr.sample(&mut self.rng))
        }
    }

    /// String sampling (was `DistString` before 0.9).
    pub trait SampleString {
        fn append_string<R: Rng + ?Sized>(&self, rng: &mut R, string: &mut String, len: usize);

        fn sample_string<R: Rng + ?Sized>(&self, rng: &mut R, len: usize) -> String {
            let mut s = String::new();
            self.append_string(rng, &mut s, len);
            s
        }
    }

    /// Uniformly samples an ASCII letter or digit, as a `u8`.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Alphanumeric;

    const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    impl Distribution<u8> for Alphanumeric {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u8 {
            ALPHANUMERIC[(rng.next_u32() % ALPHANUMERIC.len() as u32) as usize]
        }
    }

    impl SampleString for Alphanumeric {
        fn append_string<R: Rng + ?Sized>(&self, rng: &mut R, string: &mut String, len: usize) {
            string.extend((0..len).map(|_| char::from(self.sample(rng))));
        }
    }

    /// The standard distribution (was `Standard` before 0.9).
    #[derive(Clone, Copy, Debug, Default)]
    pub struct StandardUniform;

    impl Distribution<u32> for StandardUniform {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
            rng.next_u32()
        }
    }

    impl Distribution<u64> for StandardUniform {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
            rng.next_u64()
        }
    }

    impl Distribution<bool> for StandardUniform {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> bool {
            rng.next_u32() & 1 == 1
        }
    }

    impl Distribution<f64> for StandardUniform {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
            (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
        }
    }

    pub mod uniform {
        //! Uniform sampling of a range.
        use super::super::Rng;
        use std::fmt;
        use std::ops::{Range, RangeInclusive};

        /// Why a `Uniform` could not be built.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Error {
            /// `low > high`, or equal for an exclusive range.
            EmptyRange,
            /// A bound is not finite.
            NonFinite,
        }

        impl fmt::Display for Error {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self {
                    Error::EmptyRange => "low > high (or equal if exclusive) in uniform distribution",
                    Error::NonFinite => "Non-finite range in uniform distribution",
                })
            }
        }

        impl std::error::Error for Error {}

        /// Types that can be sampled uniformly between two bounds.
        pub trait SampleUniform: Copy + PartialOrd {
            /// A value in [low, high] (inclusive).
            fn sample_inclusive<R: Rng + ?Sized>(low: Self, high: Self, rng: &mut R) -> Self;
            /// The largest value below `high` (for exclusive ranges).
            fn before(high: Self) -> Self;
            fn is_finite(self) -> bool {
                true
            }
        }

        macro_rules! int_uniform {
            ($($t:ty),*) => {$(
                impl SampleUniform for $t {
                    fn sample_inclusive<R: Rng + ?Sized>(low: Self, high: Self, rng: &mut R) -> Self {
                        let span = (high as i128 - low as i128 + 1) as u128;
                        (low as i128 + (rng.next_u64() as u128 % span) as i128) as $t
                    }
                    fn before(high: Self) -> Self {
                        high - 1
                    }
                }
            )*};
        }
        int_uniform!(i32, i64, u8, u32, u64, usize);

        impl SampleUniform for f64 {
            fn sample_inclusive<R: Rng + ?Sized>(low: Self, high: Self, rng: &mut R) -> Self {
                let unit: f64 = rng.random();
                low + (high - low) * unit
            }
            fn before(high: Self) -> Self {
                high
            }
            fn is_finite(self) -> bool {
                f64::is_finite(self)
            }
        }

        /// Ranges accepted by `Rng::random_range`.
        pub trait SampleRange<T> {
            fn sample_single<R: Rng + ?Sized>(self, rng: &mut R) -> T;
        }

        impl<T: SampleUniform> SampleRange<T> for Range<T> {
            fn sample_single<R: Rng + ?Sized>(self, rng: &mut R) -> T {
                assert!(self.start < self.end, "cannot sample empty range");
                T::sample_inclusive(self.start, T::before(self.end), rng)
            }
        }

        impl<T: SampleUniform> SampleRange<T> for RangeInclusive<T> {
            fn sample_single<R: Rng + ?Sized>(self, rng: &mut R) -> T {
                assert!(self.start() <= self.end(), "cannot sample empty range");
                T::sample_inclusive(*self.start(), *self.end(), rng)
            }
        }
    }

    /// Uniform distribution over a range of values.
    #[derive(Clone, Copy, Debug)]
    pub struct Uniform<X> {
        low: X,
        high: X,
    }

    impl<X: uniform::SampleUniform> Uniform<X> {
        /// The half-open range [low, high); an error if it is empty.
        pub fn new(low: X, high: X) -> Result<Uniform<X>, uniform::Error> {
            if !low.is_finite() || !high.is_finite() {
                return Err(uniform::Error::NonFinite);
            }
            if !(low < high) {
                return Err(uniform::Error::EmptyRange);
            }
            Ok(Uniform { low, high: X::before(high) })
        }

        /// The closed range [low, high]; an error if it is empty.
        pub fn new_inclusive(low: X, high: X) -> Result<Uniform<X>, uniform::Error> {
            if !low.is_finite() || !high.is_finite() {
                return Err(uniform::Error::NonFinite);
            }
            if !(low <= high) {
                return Err(uniform::Error::EmptyRange);
            }
            Ok(Uniform { low, high })
        }
    }

    impl<X: uniform::SampleUniform> Distribution<X> for Uniform<X> {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> X {
            X::sample_inclusive(self.low, self.high, rng)
        }
    }
}

/// User-level methods of every generator.
pub trait Rng: RngCore {
    /// A random value of the standard distribution.
    fn random<T>(&mut self) -> T
    where
        distr::StandardUniform: distr::Distribution<T>,
    {
        distr::Distribution::sample(&distr::StandardUniform, self)
    }

    /// A value uniformly sampled from `range`.
    fn random_range<T, R>(&mut self, range: R) -> T
    where
        T: distr::uniform::SampleUniform,
        R: distr::uniform::SampleRange<T>,
    {
        range.sample_single(self)
    }

    /// A value uniformly sampled from `range` (renamed `random_range` in 0.9).
    #[deprecated(since = "0.9.0", note = "Renamed to `random_range`")]
    fn gen_range<T, R>(&mut self, range: R) -> T
    where
        T: distr::uniform::SampleUniform,
        R: distr::uniform::SampleRange<T>,
    {
        self.random_range(range)
    }

    /// true with probability p.
    fn random_bool(&mut self, p: f64) -> bool {
        self.random::<f64>() < p
    }

    /// A sample of the distribution.
    fn sample<T, D: distr::Distribution<T>>(&mut self, distr: D) -> T {
        distr.sample(self)
    }

    /// An endless iterator of samples of the distribution.
    fn sample_iter<T, D>(self, distr: D) -> distr::Iter<D, Self, T>
    where
        D: distr::Distribution<T>,
        Self: Sized,
    {
        distr.sample_iter(self)
    }
}

impl<R: RngCore + ?Sized> Rng for R {}

impl<R: RngCore + ?Sized> RngCore for &mut R {
    fn next_u32(&mut self) -> u32 {
        (**self).next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

pub mod prelude {
    //! Convenience re-exports (`thread_rng` is no longer here as of 0.9).
    pub use crate::distr::Distribution;
    pub use crate::rngs::ThreadRng;
    pub use crate::{random, Rng, RngCore};
}
