use std::future::Future;
use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::transport::Transport;
use crate::watch;

/// The identity of a node in the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChitchatId {
    pub node_id: String,
    pub generation_id: u64,
}

enum Command {
    Gossip(SocketAddr),
    Shutdown,
}

/// A handle on a running server: send it commands, shut it down, or watch for its end.
pub struct ChitchatHandle {
    chitchat_id: ChitchatId,
    command_tx: Sender<Command>,
    join_handle: JoinHandle<anyhow::Result<()>>,
    termination_watcher: watch::Receiver<Option<Result<(), String>>>,
}

/// Starts a server for `chitchat_id` on its own thread.
pub fn spawn_chitchat(chitchat_id: ChitchatId, transport: Box<dyn Transport>) -> anyhow::Result<ChitchatHandle> {
    let (command_tx, command_rx) = mpsc::channel();
    let (termination_watcher_sender, termination_watcher) = watch::channel(None);
    let server = Server { chitchat_id: chitchat_id.clone(), command_rx, transport };
    let join_handle = std::thread::Builder::new().name("chitchat".to_string()).spawn(move || {
        let result = server.run();
        let cloned_result = result.as_ref().map(|_| ()).map_err(|err| err.to_string());
        termination_watcher_sender.send(Some(cloned_result));
        result
    })?;

    Ok(ChitchatHandle {
        chitchat_id,
        command_tx,
        join_handle,
        termination_watcher,
    })
}

impl ChitchatHandle {
    pub fn chitchat_id(&self) -> &ChitchatId {
        &self.chitchat_id
    }

    pub fn initiate_shutdown(&self) -> Result<(), anyhow::Error> {
        self.command_tx.send(Command::Shutdown).map_err(|_| {
            anyhow::anyhow!("Failed to initiate Chitchat shutdown, command channel already closed")
        })
    }

    /// Shuts the server down and waits for it to finish.
    pub async fn shutdown(self) -> Result<(), anyhow::Error> {
        let _ = self.initiate_shutdown();
        self.join_handle
            .join()
            .map_err(|_| anyhow::anyhow!("Chitchat server panicked"))?
    }

    /// Performs a Chitchat "handshake" with another server.
    pub fn gossip(&self, addr: SocketAddr) -> Result<(), anyhow::Error> {
        self.command_tx
            .send(Command::Gossip(addr))
            .map_err(|_| anyhow::anyhow!("Chitchat server is not running"))?;
        Ok(())
    }

    pub fn termination_watcher(&self) -> impl Future<Output = anyhow::Result<()>> {
        let mut watcher = self.termination_watcher.clone();
        async move {
            let termination_res = watcher.wait_for(|res| res.is_some()).await;
            if let Ok(result_opt) = termination_res {
                result_opt.clone().unwrap().map_err(anyhow::Error::msg)
            } else {
                // If the channel was closed without the exit status being sent,
                // we assume the server panicked.
                Err(anyhow::anyhow!("Chitchat server panicked"))
            }
        }
    }
}

/// The server loop: gossips on request until shut down, or until the transport fails.
struct Server {
    chitchat_id: ChitchatId,
    command_rx: Receiver<Command>,
    transport: Box<dyn Transport>,
}

impl Server {
    fn run(mut self) -> anyhow::Result<()> {
        while let Ok(command) = self.command_rx.recv() {
            match command {
                Command::Gossip(addr) => {
                    let syn = format!("syn {}@{}", self.chitchat_id.node_id, self.chitchat_id.generation_id);
                    self.transport.send(addr, syn.into_bytes())?;
                }
                Command::Shutdown => break,
            }
        }
        Ok(())
    }
}
