//! Where gossip messages go: an in-memory transport records them.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub trait Transport: Send + 'static {
    fn send(&mut self, to: SocketAddr, message: Vec<u8>) -> anyhow::Result<()>;
}

/// Keeps every message sent; fails on a given address, to simulate a broken socket.
#[derive(Clone, Default)]
pub struct ChannelTransport {
    pub sent: Arc<Mutex<Vec<(SocketAddr, Vec<u8>)>>>,
    pub fail_on: Option<SocketAddr>,
}

impl Transport for ChannelTransport {
    fn send(&mut self, to: SocketAddr, message: Vec<u8>) -> anyhow::Result<()> {
        if self.fail_on == Some(to) {
            return Err(anyhow::anyhow!("failed to send to {to}: connection refused"));
        }
        self.sent.lock().unwrap().push((to, message));
        Ok(())
    }
}
