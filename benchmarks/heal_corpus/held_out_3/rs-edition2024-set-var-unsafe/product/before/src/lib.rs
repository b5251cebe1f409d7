//! Durable functions for a database server: a client side used from backend
//! processes and a background worker that runs the orchestrations.

pub mod client;
pub mod worker;

/// The pool size the provider will use, as it reads it: from DUROXIDE_PG_POOL_MAX.
pub fn provider_pool_max() -> Option<u32> {
    std::env::var("DUROXIDE_PG_POOL_MAX").ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pool_sizes() {
        let client = crate::client::Client::connect("host=/tmp dbname=app", "durable").unwrap();
        assert_eq!(client.pool_max, 1);
        let runtime = crate::worker::initialize_duroxide_runtime(4);
        assert_eq!(runtime.pool_max, 4);
    }
}
