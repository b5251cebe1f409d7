//! Acking for the list-based fallback: a received message waits in the processing list until acked.

use super::RedisPool;
use crate::{QueueError, Result};

pub struct RedisFallbackAcker {
    pub(crate) redis: RedisPool,
    pub(crate) processing_queue_key: String,
    pub(crate) queue_key: String,
    pub(crate) key: String,

    pub(crate) already_acked_or_nacked: bool,
}

impl RedisFallbackAcker {
    pub async fn ack(&mut self) -> Result<()> {
        if self.already_acked_or_nacked {
            return Err(QueueError::CannotAckOrNackTwice);
        }

        self.already_acked_or_nacked = true;

        self.redis
            .get()
            .await
            .map_err(QueueError::generic)?
            .lrem(&self.processing_queue_key, 1, &self.key)
            .await
            .map_err(QueueError::generic)?;

        Ok(())
    }

    pub async fn nack(&mut self) -> Result<()> {
        if self.already_acked_or_nacked {
            return Err(QueueError::CannotAckOrNackTwice);
        }

        self.already_acked_or_nacked = true;

        let mut conn = self.redis.get().await.map_err(QueueError::generic)?;
        let removed: i64 = conn.lrem(&self.processing_queue_key, 1, &self.key).await.map_err(QueueError::generic)?;
        if removed == 1 {
            let _len: i64 = conn.lpush(&self.queue_key, &self.key).await.map_err(QueueError::generic)?;
        }
        Ok(())
    }
}
