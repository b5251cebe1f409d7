//! Opaque, URL-safe tokens: `<user id>.<nonce>` packed into bytes and base64url-encoded.

#[derive(Debug, PartialEq, Eq)]
pub struct Token {
    pub user_id: u32,
    pub nonce: [u8; 4],
}

pub fn to_string(token: &Token) -> String {
    let mut bytes = token.user_id.to_be_bytes().to_vec();
    bytes.extend_from_slice(&token.nonce);
    base64::encode_config(&bytes, base64::URL_SAFE_NO_PAD)
}

pub fn parse(s: &str) -> Option<Token> {
    let bytes = base64::decode_config(s, base64::URL_SAFE_NO_PAD).ok()?;
    if bytes.len() != 8 {
        return None;
    }
    let user_id = u32::from_be_bytes(bytes[..4].try_into().ok()?);
    let nonce = bytes[4..].try_into().ok()?;
    Some(Token { user_id, nonce })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = Token { user_id: 4242, nonce: [0xfb, 0xff, 0x01, 0x7e] };
        let s = to_string(&t);
        assert_eq!(s, "AAAQkvv_AX4");
        assert_eq!(parse(&s), Some(t));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse("not a token!"), None);
        assert_eq!(parse("AAAQ"), None);
    }
}
