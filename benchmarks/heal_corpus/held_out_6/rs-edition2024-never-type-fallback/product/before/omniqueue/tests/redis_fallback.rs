use std::time::{Duration, SystemTime};

use omniqueue::backends::redis::{RedisConsumer, RedisPool, RedisProducer};
use omniqueue::{QueueError, block_on};

#[test]
fn send_receive_ack() {
    block_on(async {
        let pool = RedisPool::new("redis://localhost").unwrap();
        let producer = RedisProducer::new(pool.clone(), "jobs");
        let consumer = RedisConsumer::new(pool, "jobs");

        producer.send_raw(b"first").await.unwrap();
        producer.send_raw(b"second").await.unwrap();

        let (payload, mut acker) = consumer.receive().await.unwrap();
        assert_eq!(payload, b"first");
        assert_eq!(consumer.processing().await.unwrap(), vec![b"first".to_vec()]);
        acker.ack().await.unwrap();
        assert!(consumer.processing().await.unwrap().is_empty());
        assert!(matches!(acker.ack().await, Err(QueueError::CannotAckOrNackTwice)));

        let (payload, mut acker) = consumer.receive().await.unwrap();
        assert_eq!(payload, b"second");
        acker.nack().await.unwrap();
        let (again, _) = consumer.receive().await.unwrap();
        assert_eq!(again, b"second");
    });
}

#[test]
fn scheduled_messages_wait_in_the_sorted_set() {
    block_on(async {
        let pool = RedisPool::new("redis://localhost").unwrap();
        let producer = RedisProducer::new(pool, "mail");
        producer.send_raw_scheduled(b"soon", Duration::from_secs(5)).await.unwrap();
        producer.send_raw_scheduled(b"later", Duration::from_secs(3600)).await.unwrap();

        let due = producer.delayed_due_before(SystemTime::now() + Duration::from_secs(60)).await.unwrap();
        assert_eq!(due, vec![b"soon".to_vec()]);
    });
}
