//! Login sessions kept in Redis under `session:<token>`.

use redis::{Connection, RedisResult};

pub struct Sessions {
    con: Connection,
    ttl_secs: i64,
}

impl Sessions {
    pub fn new(con: Connection, ttl_secs: i64) -> Self {
        Sessions { con, ttl_secs }
    }

    pub fn login(&mut self, token: &str, user: &str) -> RedisResult<()> {
        let key = format!("session:{token}");
        self.con.set::<_, ()>(&key, user)?;
        self.con.expire::<()>(&key, self.ttl_secs)?;
        Ok(())
    }

    pub fn user(&mut self, token: &str) -> RedisResult<Option<String>> {
        self.con.get(&format!("session:{token}"))
    }

    pub fn logout(&mut self, token: &str) -> RedisResult<bool> {
        let removed: i64 = self.con.del(&format!("session:{token}"))?;
        Ok(removed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_logout() {
        let client = redis::Client::open("redis://127.0.0.1/").unwrap();
        let mut sessions = Sessions::new(client.get_connection().unwrap(), 3600);
        sessions.login("t0k", "ada").unwrap();
        assert_eq!(sessions.user("t0k").unwrap().as_deref(), Some("ada"));
        assert!(sessions.logout("t0k").unwrap());
        assert_eq!(sessions.user("t0k").unwrap(), None);
        assert!(!sessions.logout("t0k").unwrap());
    }
}
