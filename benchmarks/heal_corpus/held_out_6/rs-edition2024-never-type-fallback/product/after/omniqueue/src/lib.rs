//! Queue producers and consumers over a Redis list, with a sorted set for delayed messages.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

pub mod backends;

#[derive(Debug)]
pub enum QueueError {
    CannotAckOrNackTwice,
    NoData,
    Generic(Box<dyn std::error::Error + Send + Sync>),
}

impl QueueError {
    pub fn generic<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        QueueError::Generic(Box::new(e))
    }
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::CannotAckOrNackTwice => write!(f, "cannot ack or nack twice"),
            QueueError::NoData => write!(f, "no data"),
            QueueError::Generic(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for QueueError {}

pub type Result<T, E = QueueError> = std::result::Result<T, E>;

/// Runs a future that never waits on I/O (the in-memory backend) to completion.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
