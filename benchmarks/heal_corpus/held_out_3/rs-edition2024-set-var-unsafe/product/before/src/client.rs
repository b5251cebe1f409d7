//! The client: started from a backend process to start, cancel or signal
//! orchestrations.

use crate::provider_pool_max;

pub struct Client {
    pub schema: String,
    pub pool_max: u32,
}

impl Client {
    pub fn connect(pg_conn_str: &str, schema: &str) -> Result<Client, String> {
        if pg_conn_str.trim().is_empty() {
            return Err("no connection string".to_string());
        }
        // Limit backend provider to 1 connection: backends need minimal
        // access (start/cancel/signal only).
        std::env::set_var("DUROXIDE_PG_POOL_MAX", "1");

        let pool_max = provider_pool_max().unwrap_or(10);
        Ok(Client { schema: schema.to_string(), pool_max })
    }
}
