//! The background worker: one per database, running the orchestrations.

use crate::provider_pool_max;

pub struct Runtime {
    pub pool_max: u32,
}

fn log(message: &str) {
    eprintln!("{message}");
}

fn get_max_duroxide_connections(requested: u32) -> u32 {
    requested.clamp(1, 64)
}

pub fn initialize_duroxide_runtime(requested: u32) -> Runtime {
    log("pg_durable: initializing duroxide runtime...");

    // Control the provider's pool size via env var (the only mechanism
    // without modifying the provider).
    //
    // SAFETY: the worker's runtime is single-threaded and starts no other
    // thread, so no thread can read the environment while it is changed.
    unsafe {
        std::env::set_var(
            "DUROXIDE_PG_POOL_MAX",
            get_max_duroxide_connections(requested).to_string(),
        );
    }

    Runtime { pool_max: provider_pool_max().unwrap_or(10) }
}
