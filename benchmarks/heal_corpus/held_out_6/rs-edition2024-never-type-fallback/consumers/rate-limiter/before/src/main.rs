use redis::{Client, Connection, RedisResult};

const LIMIT: i64 = 3;

/// Counts a hit for `who`; over the limit the counter is cleared and the hit refused.
fn hit(con: &mut Connection, who: &str) -> RedisResult<bool> {
    let key = format!("hits:{who}");
    let count: i64 = con.incr(&key, 1)?;
    if count > LIMIT {
        con.del(&key)?;
        return Ok(false);
    }
    Ok(true)
}

fn main() -> RedisResult<()> {
    let client = Client::open("redis://127.0.0.1/")?;
    let mut con = client.get_connection()?;
    let mut out = Vec::new();
    for who in ["ann", "ann", "bob", "ann", "ann", "ann"] {
        out.push(format!("{who}:{}", if hit(&mut con, who)? { "ok" } else { "limited" }));
    }
    println!("{}", out.join(" "));
    Ok(())
}
