//! A small stand-in for `base64` 0.22: encoding and decoding go through an `Engine`.
//! The 0.13-era free functions (`encode`, `decode`, `encode_config`, `decode_config`, ...)
//! and the `STANDARD` / `URL_SAFE` configs at the crate root were removed, as in 0.22.

use std::fmt;

pub mod alphabet {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Alphabet {
        pub(crate) symbols: &'static [u8; 64],
    }

    pub const STANDARD: Alphabet = Alphabet { symbols: b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" };
    pub const URL_SAFE: Alphabet = Alphabet { symbols: b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    InvalidByte(usize, u8),
    InvalidLength(usize),
    InvalidPadding,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::InvalidByte(i, b) => write!(f, "Invalid symbol {}, offset {}.", b, i),
            DecodeError::InvalidLength(n) => write!(f, "Invalid input length: {}", n),
            DecodeError::InvalidPadding => write!(f, "Invalid padding"),
        }
    }
}

impl std::error::Error for DecodeError {}

pub mod engine {
    use super::{alphabet::Alphabet, DecodeError};

    /// Encoding and decoding, configured by the engine value.
    pub trait Engine {
        #[doc(hidden)]
        fn config(&self) -> (&Alphabet, bool);

        fn encode<T: AsRef<[u8]>>(&self, input: T) -> String {
            let (alphabet, pad) = self.config();
            let input = input.as_ref();
            let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
            for chunk in input.chunks(3) {
                let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                let symbols = chunk.len() + 1;
                for i in 0..4 {
                    if i < symbols {
                        out.push(alphabet.symbols[((n >> (18 - 6 * i)) & 63) as usize] as char);
                    } else if pad {
                        out.push('=');
                    }
                }
            }
            out
        }

        fn decode<T: AsRef<[u8]>>(&self, input: T) -> Result<Vec<u8>, DecodeError> {
            let (alphabet, pad) = self.config();
            let input = input.as_ref();
            let trimmed: &[u8] = if pad {
                if input.len() % 4 != 0 {
                    return Err(DecodeError::InvalidLength(input.len()));
                }
                let mut end = input.len();
                while end > 0 && input[end - 1] == b'=' && input.len() - end < 2 {
                    end -= 1;
                }
                &input[..end]
            } else {
                input
            };
            if trimmed.len() % 4 == 1 {
                return Err(DecodeError::InvalidLength(input.len()));
            }
            let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
            for (ci, chunk) in trimmed.chunks(4).enumerate() {
                let mut n: u32 = 0;
                for (i, &c) in chunk.iter().enumerate() {
                    let v = alphabet.symbols.iter().position(|&s| s == c).ok_or(DecodeError::InvalidByte(ci * 4 + i, c))?;
                    n |= (v as u32) << (18 - 6 * i);
                }
                let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
                out.extend_from_slice(&bytes[..chunk.len() - 1]);
            }
            Ok(out)
        }
    }

    /// An engine over one alphabet, with or without `=` padding.
    #[derive(Debug, Clone, Copy)]
    pub struct GeneralPurpose {
        alphabet: Alphabet,
        pad: bool,
    }

    impl GeneralPurpose {
        pub const fn new(alphabet: &Alphabet, pad: bool) -> Self {
            GeneralPurpose { alphabet: *alphabet, pad }
        }
    }

    impl Engine for GeneralPurpose {
        fn config(&self) -> (&Alphabet, bool) {
            (&self.alphabet, self.pad)
        }
    }

    pub mod general_purpose {
        use super::GeneralPurpose;
        use crate::alphabet;

        pub const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, true);
        pub const STANDARD_NO_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, false);
        pub const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, true);
        pub const URL_SAFE_NO_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, false);
    }
}

pub use engine::Engine;

pub mod prelude {
    pub use crate::engine::general_purpose::{
        STANDARD as BASE64_STANDARD, STANDARD_NO_PAD as BASE64_STANDARD_NO_PAD, URL_SAFE as BASE64_URL_SAFE,
        URL_SAFE_NO_PAD as BASE64_URL_SAFE_NO_PAD,
    };
    pub use crate::engine::Engine as _;
}

#[cfg(test)]
mod tests {
    use super::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use super::Engine;

    #[test]
    fn round_trip() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(STANDARD.decode(STANDARD.encode(s)).unwrap(), s.as_bytes());
            assert_eq!(URL_SAFE_NO_PAD.decode(URL_SAFE_NO_PAD.encode(s)).unwrap(), s.as_bytes());
        }
        assert_eq!(STANDARD.encode("foobar"), "Zm9vYmFy");
        assert_eq!(STANDARD.encode("fo"), "Zm8=");
        assert_eq!(URL_SAFE_NO_PAD.encode([0xfb, 0xff]), "-_8");
    }
}
