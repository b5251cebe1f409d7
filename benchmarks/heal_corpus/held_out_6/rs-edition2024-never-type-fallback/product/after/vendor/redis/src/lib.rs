//! A small stand-in for `redis`: commands are generic over their return type (`RV: FromRedisValue`),
//! as in the real crate, and run against an in-memory store shared by every connection of a client.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Int(i64),
    Data(Vec<u8>),
    Bulk(Vec<Value>),
    Okay,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisError(pub String);

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redis error: {}", self.0)
    }
}

impl std::error::Error for RedisError {}

pub type RedisResult<T> = Result<T, RedisError>;

/// Conversion of a reply into a Rust value.
pub trait FromRedisValue: Sized {
    fn from_redis_value(v: &Value) -> RedisResult<Self>;
}

impl FromRedisValue for () {
    fn from_redis_value(_: &Value) -> RedisResult<()> {
        Ok(())
    }
}

impl FromRedisValue for i64 {
    fn from_redis_value(v: &Value) -> RedisResult<i64> {
        match v {
            Value::Int(n) => Ok(*n),
            Value::Data(d) => String::from_utf8_lossy(d).parse().map_err(|_| RedisError("not an integer".into())),
            other => Err(RedisError(format!("cannot convert {other:?} to i64"))),
        }
    }
}

impl FromRedisValue for bool {
    fn from_redis_value(v: &Value) -> RedisResult<bool> {
        Ok(i64::from_redis_value(v)? != 0)
    }
}

impl FromRedisValue for String {
    fn from_redis_value(v: &Value) -> RedisResult<String> {
        match v {
            Value::Data(d) => Ok(String::from_utf8_lossy(d).into_owned()),
            Value::Int(n) => Ok(n.to_string()),
            other => Err(RedisError(format!("cannot convert {other:?} to String"))),
        }
    }
}

impl<T: FromRedisValue> FromRedisValue for Option<T> {
    fn from_redis_value(v: &Value) -> RedisResult<Option<T>> {
        match v {
            Value::Nil => Ok(None),
            other => T::from_redis_value(other).map(Some),
        }
    }
}

impl<T: FromRedisValue> FromRedisValue for Vec<T> {
    fn from_redis_value(v: &Value) -> RedisResult<Vec<T>> {
        match v {
            Value::Bulk(items) => items.iter().map(T::from_redis_value).collect(),
            Value::Nil => Ok(Vec::new()),
            other => Ok(vec![T::from_redis_value(other)?]),
        }
    }
}

#[derive(Default)]
struct Store {
    strings: HashMap<String, Vec<u8>>,
    lists: HashMap<String, VecDeque<Vec<u8>>>,
    zsets: HashMap<String, BTreeMap<Vec<u8>, i64>>,
}

#[derive(Clone, Default)]
pub struct Client {
    store: Rc<RefCell<Store>>,
}

impl Client {
    pub fn open(_url: &str) -> RedisResult<Client> {
        Ok(Client::default())
    }

    pub fn get_connection(&self) -> RedisResult<Connection> {
        Ok(Connection { store: self.store.clone() })
    }

    pub async fn get_multiplexed_async_connection(&self) -> RedisResult<aio::MultiplexedConnection> {
        Ok(aio::MultiplexedConnection { inner: self.get_connection()? })
    }
}

/// A blocking connection.
pub struct Connection {
    store: Rc<RefCell<Store>>,
}

impl Connection {
    fn run<RV: FromRedisValue>(&mut self, f: impl FnOnce(&mut Store) -> RedisResult<Value>) -> RedisResult<RV> {
        let reply = f(&mut self.store.borrow_mut())?;
        RV::from_redis_value(&reply)
    }

    pub fn set<V: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, value: V) -> RedisResult<RV> {
        let value = value.as_ref().to_vec();
        self.run(|s| {
            s.strings.insert(key.to_string(), value);
            Ok(Value::Okay)
        })
    }

    pub fn get<RV: FromRedisValue>(&mut self, key: &str) -> RedisResult<RV> {
        self.run(|s| Ok(s.strings.get(key).map(|v| Value::Data(v.clone())).unwrap_or(Value::Nil)))
    }

    pub fn del<RV: FromRedisValue>(&mut self, key: &str) -> RedisResult<RV> {
        self.run(|s| {
            let n = s.strings.remove(key).is_some() as i64 + s.lists.remove(key).is_some() as i64 + s.zsets.remove(key).is_some() as i64;
            Ok(Value::Int(n))
        })
    }

    pub fn incr<RV: FromRedisValue>(&mut self, key: &str, delta: i64) -> RedisResult<RV> {
        self.run(|s| {
            let cur: i64 = s.strings.get(key).map(|v| String::from_utf8_lossy(v).parse().unwrap_or(0)).unwrap_or(0);
            s.strings.insert(key.to_string(), (cur + delta).to_string().into_bytes());
            Ok(Value::Int(cur + delta))
        })
    }

    pub fn expire<RV: FromRedisValue>(&mut self, key: &str, _seconds: i64) -> RedisResult<RV> {
        self.run(|s| Ok(Value::Int(s.strings.contains_key(key) as i64)))
    }

    pub fn lpush<V: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, value: V) -> RedisResult<RV> {
        let value = value.as_ref().to_vec();
        self.run(|s| {
            let list = s.lists.entry(key.to_string()).or_default();
            list.push_front(value);
            Ok(Value::Int(list.len() as i64))
        })
    }

    pub fn lrange<RV: FromRedisValue>(&mut self, key: &str, start: isize, stop: isize) -> RedisResult<RV> {
        self.run(|s| {
            let list: Vec<Vec<u8>> = s.lists.get(key).map(|l| l.iter().cloned().collect()).unwrap_or_default();
            let len = list.len() as isize;
            let norm = |i: isize| if i < 0 { (len + i).max(0) } else { i.min(len) };
            let (a, b) = (norm(start), (norm(stop) + 1).min(len));
            let items = if a < b { list[a as usize..b as usize].to_vec() } else { Vec::new() };
            Ok(Value::Bulk(items.into_iter().map(Value::Data).collect()))
        })
    }

    pub fn lrem<V: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, count: isize, value: V) -> RedisResult<RV> {
        let value = value.as_ref().to_vec();
        self.run(|s| {
            let mut removed = 0;
            if let Some(list) = s.lists.get_mut(key) {
                let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() };
                while removed < limit {
                    match list.iter().position(|v| *v == value) {
                        Some(i) => {
                            list.remove(i);
                            removed += 1;
                        }
                        None => break,
                    }
                }
            }
            Ok(Value::Int(removed as i64))
        })
    }

    pub fn zadd<M: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, member: M, score: i64) -> RedisResult<RV> {
        let member = member.as_ref().to_vec();
        self.run(|s| {
            let added = s.zsets.entry(key.to_string()).or_default().insert(member, score).is_none();
            Ok(Value::Int(added as i64))
        })
    }

    pub fn zrangebyscore<RV: FromRedisValue>(&mut self, key: &str, min: i64, max: i64) -> RedisResult<RV> {
        self.run(|s| {
            let mut items: Vec<(i64, Vec<u8>)> = s
                .zsets
                .get(key)
                .map(|z| z.iter().filter(|(_, sc)| **sc >= min && **sc <= max).map(|(m, sc)| (*sc, m.clone())).collect())
                .unwrap_or_default();
            items.sort();
            Ok(Value::Bulk(items.into_iter().map(|(_, m)| Value::Data(m)).collect()))
        })
    }
}

pub mod aio {
    use super::{Connection, FromRedisValue, RedisResult};

    /// The async connection: the same commands, as futures.
    pub struct MultiplexedConnection {
        pub(crate) inner: Connection,
    }

    impl MultiplexedConnection {
        pub async fn set<V: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, value: V) -> RedisResult<RV> {
            self.inner.set(key, value)
        }
        pub async fn get<RV: FromRedisValue>(&mut self, key: &str) -> RedisResult<RV> {
            self.inner.get(key)
        }
        pub async fn del<RV: FromRedisValue>(&mut self, key: &str) -> RedisResult<RV> {
            self.inner.del(key)
        }
        pub async fn lpush<V: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, value: V) -> RedisResult<RV> {
            self.inner.lpush(key, value)
        }
        pub async fn lrange<RV: FromRedisValue>(&mut self, key: &str, start: isize, stop: isize) -> RedisResult<RV> {
            self.inner.lrange(key, start, stop)
        }
        pub async fn lrem<V: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, count: isize, value: V) -> RedisResult<RV> {
            self.inner.lrem(key, count, value)
        }
        pub async fn zadd<M: AsRef<[u8]>, RV: FromRedisValue>(&mut self, key: &str, member: M, score: i64) -> RedisResult<RV> {
            self.inner.zadd(key, member, score)
        }
        pub async fn zrangebyscore<RV: FromRedisValue>(&mut self, key: &str, min: i64, max: i64) -> RedisResult<RV> {
            self.inner.zrangebyscore(key, min, max)
        }
    }
}
