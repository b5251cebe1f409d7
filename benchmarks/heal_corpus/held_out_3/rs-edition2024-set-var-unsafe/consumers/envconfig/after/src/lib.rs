use std::env;

#[derive(Debug, PartialEq)]
pub struct Config {
    pub port: u16,
    pub workers: usize,
}

/// The configuration from APP_PORT and APP_WORKERS, with defaults.
pub fn from_env() -> Result<Config, String> {
    let port = match env::var("APP_PORT") {
        Ok(v) => v.parse().map_err(|_| format!("bad APP_PORT: {v}"))?,
        Err(_) => 8080,
    };
    let workers = match env::var("APP_WORKERS") {
        Ok(v) => v.parse().map_err(|_| format!("bad APP_WORKERS: {v}"))?,
        Err(_) => 4,
    };
    Ok(Config { port, workers })
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test, so the environment is not changed from two threads at once.
    #[test]
    fn reads_the_environment() {
        // SAFETY: the only test of this crate, so no other thread reads the environment.
        unsafe {
            env::remove_var("APP_PORT");
            env::remove_var("APP_WORKERS");
        }
        assert_eq!(from_env(), Ok(Config { port: 8080, workers: 4 }));

        unsafe {
            env::set_var("APP_PORT", "9000");
            env::set_var("APP_WORKERS", "2");
        }
        assert_eq!(from_env(), Ok(Config { port: 9000, workers: 2 }));

        unsafe { env::set_var("APP_PORT", "http") };
        assert!(from_env().is_err());
    }
}
