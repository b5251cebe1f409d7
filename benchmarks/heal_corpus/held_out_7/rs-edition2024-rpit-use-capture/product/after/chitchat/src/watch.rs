//! A single-value channel whose receivers can wait for the value to satisfy a predicate.
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct Shared<T> {
    value: T,
    closed: bool,
    wakers: Vec<Waker>,
}

pub struct Sender<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

pub struct Receiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

#[derive(Debug)]
pub struct RecvError;

pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Shared { value: init, closed: false, wakers: Vec::new() }));
    (Sender { shared: shared.clone() }, Receiver { shared })
}

impl<T> Sender<T> {
    pub fn send(&self, value: T) {
        let mut shared = self.shared.lock().unwrap();
        shared.value = value;
        for waker in shared.wakers.drain(..) {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap();
        shared.closed = true;
        for waker in shared.wakers.drain(..) {
            waker.wake();
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver { shared: self.shared.clone() }
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits until the value satisfies `f` and returns a copy of it, or an error once the sender is gone.
    pub fn wait_for<F: FnMut(&T) -> bool + Unpin>(&mut self, f: F) -> WaitFor<'_, T, F> {
        WaitFor { receiver: self, f }
    }
}

pub struct WaitFor<'a, T, F> {
    receiver: &'a mut Receiver<T>,
    f: F,
}

impl<T: Clone, F: FnMut(&T) -> bool + Unpin> Future for WaitFor<'_, T, F> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut shared = this.receiver.shared.lock().unwrap();
        if (this.f)(&shared.value) {
            return Poll::Ready(Ok(shared.value.clone()));
        }
        if shared.closed {
            return Poll::Ready(Err(RecvError));
        }
        shared.wakers.push(cx.waker().clone());
        Poll::Pending
    }
}
