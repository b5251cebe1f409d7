use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::{Client, RedisError};

use crate::{QueueError, Result};

mod fallback;

pub use fallback::RedisFallbackAcker;

/// Hands out connections to one Redis server.
#[derive(Clone)]
pub struct RedisPool {
    client: Client,
}

impl RedisPool {
    pub fn new(url: &str) -> Result<Self> {
        Ok(Self { client: Client::open(url).map_err(QueueError::generic)? })
    }

    pub async fn get(&self) -> Result<MultiplexedConnection, RedisError> {
        self.client.get_multiplexed_async_connection().await
    }
}

fn unix_timestamp(time: SystemTime) -> Result<i64, std::time::SystemTimeError> {
    Ok(time.duration_since(UNIX_EPOCH)?.as_secs() as i64)
}

pub(crate) fn to_key(payload: &[u8]) -> String {
    payload.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn from_key(key: &str) -> Vec<u8> {
    (0..key.len()).step_by(2).map(|i| u8::from_str_radix(&key[i..i + 2], 16).unwrap_or(0)).collect()
}

pub struct RedisProducer {
    pub(crate) redis: RedisPool,
    pub(crate) queue_key: String,
    pub(crate) delayed_queue_key: String,
}

impl RedisProducer {
    pub fn new(redis: RedisPool, queue_key: &str) -> Self {
        Self { redis, queue_key: queue_key.to_string(), delayed_queue_key: format!("{queue_key}::delayed") }
    }

    pub async fn send_raw(&self, payload: &[u8]) -> Result<()> {
        let len: i64 = self
            .redis
            .get()
            .await
            .map_err(QueueError::generic)?
            .lpush(&self.queue_key, to_key(payload))
            .await
            .map_err(QueueError::generic)?;
        debug_assert!(len > 0);
        Ok(())
    }

    pub async fn send_raw_scheduled(&self, payload: &[u8], delay: Duration) -> Result<()> {
        let timestamp = unix_timestamp(SystemTime::now() + delay).map_err(QueueError::generic)?;

        self.redis
            .get()
            .await
            .map_err(QueueError::generic)?
            .zadd(&self.delayed_queue_key, to_key(payload), timestamp)
            .await
            .map_err(QueueError::generic)?;

        Ok(())
    }

    pub async fn delayed_due_before(&self, time: SystemTime) -> Result<Vec<Vec<u8>>> {
        let max = unix_timestamp(time).map_err(QueueError::generic)?;
        let keys: Vec<String> = self
            .redis
            .get()
            .await
            .map_err(QueueError::generic)?
            .zrangebyscore(&self.delayed_queue_key, 0, max)
            .await
            .map_err(QueueError::generic)?;
        Ok(keys.iter().map(|k| from_key(k)).collect())
    }
}

pub struct RedisConsumer {
    pub(crate) redis: RedisPool,
    pub(crate) queue_key: String,
    pub(crate) processing_queue_key: String,
}

impl RedisConsumer {
    pub fn new(redis: RedisPool, queue_key: &str) -> Self {
        Self { redis, queue_key: queue_key.to_string(), processing_queue_key: format!("{queue_key}::processing") }
    }

    /// Moves the oldest message to the processing list and returns it with its acker.
    pub async fn receive(&self) -> Result<(Vec<u8>, RedisFallbackAcker)> {
        let mut conn = self.redis.get().await.map_err(QueueError::generic)?;
        let all: Vec<String> = conn.lrange(&self.queue_key, 0, -1).await.map_err(QueueError::generic)?;
        let key = all.last().cloned().ok_or(QueueError::NoData)?;
        let removed: i64 = conn.lrem(&self.queue_key, -1, &key).await.map_err(QueueError::generic)?;
        let pushed: i64 = conn.lpush(&self.processing_queue_key, &key).await.map_err(QueueError::generic)?;
        debug_assert!(removed == 1 && pushed > 0);
        Ok((
            from_key(&key),
            RedisFallbackAcker {
                redis: self.redis.clone(),
                processing_queue_key: self.processing_queue_key.clone(),
                queue_key: self.queue_key.clone(),
                key,
                already_acked_or_nacked: false,
            },
        ))
    }

    pub async fn processing(&self) -> Result<Vec<Vec<u8>>> {
        let keys: Vec<String> = self
            .redis
            .get()
            .await
            .map_err(QueueError::generic)?
            .lrange(&self.processing_queue_key, 0, -1)
            .await
            .map_err(QueueError::generic)?;
        Ok(keys.iter().map(|k| from_key(k)).collect())
    }
}
