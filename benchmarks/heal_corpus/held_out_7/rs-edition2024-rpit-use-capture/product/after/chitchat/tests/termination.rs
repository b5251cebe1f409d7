use std::net::SocketAddr;

use chitchat::transport::ChannelTransport;
use chitchat::{block_on, spawn_chitchat, ChitchatId};

fn node(name: &str) -> ChitchatId {
    ChitchatId { node_id: name.to_string(), generation_id: 1 }
}

#[test]
fn watcher_reports_a_clean_shutdown() {
    let transport = ChannelTransport::default();
    let sent = transport.sent.clone();
    let handle = spawn_chitchat(node("node-1"), Box::new(transport)).unwrap();
    let peer: SocketAddr = "127.0.0.1:7281".parse().unwrap();
    handle.gossip(peer).unwrap();

    // Keep watching after the handle is gone.
    let termination = handle.termination_watcher();
    block_on(handle.shutdown()).unwrap();
    block_on(termination).unwrap();

    assert_eq!(sent.lock().unwrap().as_slice(), &[(peer, b"syn node-1@1".to_vec())]);
}

#[test]
fn watcher_reports_a_transport_error_from_another_thread() {
    let peer: SocketAddr = "127.0.0.1:7282".parse().unwrap();
    let transport = ChannelTransport { fail_on: Some(peer), ..ChannelTransport::default() };
    let handle = spawn_chitchat(node("node-2"), Box::new(transport)).unwrap();

    let watcher = std::thread::spawn({
        let termination = handle.termination_watcher();
        move || block_on(termination)
    });
    handle.gossip(peer).unwrap();

    let err = watcher.join().unwrap().unwrap_err();
    assert_eq!(err.to_string(), "failed to send to 127.0.0.1:7282: connection refused");
    assert!(block_on(handle.shutdown()).is_err());
}
