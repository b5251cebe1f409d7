//! Small, fast, non-cryptographic hash functions: FNV-1a and djb2.
//!
//! ```
//! use globex_hash::{djb2, fnv1a_32, fnv1a_64};
//!
//! assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
//! assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
//! assert_eq!(djb2(b""), 5381);
//! ```
//!
//! None of these functions are suitable for cryptographic purposes.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::hash::{BuildHasherDefault, Hasher};

const FNV32_OFFSET: u32 = 0x811c_9dc5;
const FNV32_PRIME: u32 = 0x0100_0193;
const FNV64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 32-bit FNV-1a hash of `bytes`.
pub const fn fnv1a_32(bytes: &[u8]) -> u32 {
    let mut hash = FNV32_OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(FNV32_PRIME);
        i += 1;
    }
    hash
}

/// 64-bit FNV-1a hash of `bytes`.
pub const fn fnv1a_64(bytes: &[u8]) -> u64 {
    fnv1a_64_continue(FNV64_OFFSET, bytes)
}

/// Continue a 64-bit FNV-1a hash from `state` over more `bytes`.
const fn fnv1a_64_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(FNV64_PRIME);
        i += 1;
    }
    hash
}

/// Dan Bernstein's djb2 hash (`hash * 33 + byte`, wrapping) of `bytes`.
pub const fn djb2(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 5381;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash << 5).wrapping_add(hash).wrapping_add(bytes[i] as u32);
        i += 1;
    }
    hash
}

/// A [`Hasher`] computing 64-bit FNV-1a incrementally, without allocating.
///
/// ```
/// use std::hash::Hasher;
/// use globex_hash::{fnv1a_64, FnvHasher};
///
/// let mut h = FnvHasher::default();
/// h.write(b"foo");
/// h.write(b"bar");
/// assert_eq!(h.finish(), fnv1a_64(b"foobar"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FnvHasher {
    state: u64,
}

impl Default for FnvHasher {
    fn default() -> Self {
        FnvHasher { state: FNV64_OFFSET }
    }
}

impl Hasher for FnvHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.state = fnv1a_64_continue(self.state, bytes);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }
}

/// A [`std::hash::BuildHasher`] producing [`FnvHasher`]s, for `HashMap`/`HashSet`.
pub type FnvBuildHasher = BuildHasherDefault<FnvHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn fnv1a_32_reference_vectors() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn fnv1a_64_reference_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn djb2_values() {
        assert_eq!(djb2(b""), 5381);
        assert_eq!(djb2(b"a"), 5381 * 33 + 97);
        assert_eq!(djb2(b"ab"), (5381 * 33 + 97) * 33 + 98);
    }

    #[test]
    fn const_evaluation() {
        const H: u64 = fnv1a_64(b"foobar");
        assert_eq!(H, fnv1a_64(b"foobar"));
    }

    #[test]
    fn hasher_is_incremental() {
        let mut split = FnvHasher::default();
        split.write(b"foo");
        split.write(b"");
        split.write(b"bar");
        let mut whole = FnvHasher::default();
        whole.write(b"foobar");
        assert_eq!(split.finish(), whole.finish());
        assert_eq!(whole.finish(), fnv1a_64(b"foobar"));
        assert_eq!(FnvHasher::default().finish(), fnv1a_64(b""));
    }

    #[test]
    fn works_in_a_hashmap() {
        let mut map: HashMap<&str, u32, FnvBuildHasher> = HashMap::default();
        map.insert("answer", 42);
        map.insert("other", 7);
        assert_eq!(map.get("answer"), Some(&42));
        assert_eq!(map.len(), 2);
    }
}
