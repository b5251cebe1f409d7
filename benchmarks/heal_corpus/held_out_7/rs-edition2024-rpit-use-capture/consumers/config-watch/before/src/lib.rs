//! A flat key/value configuration with dotted section names (`db.host`, `db.port`, ...).
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Config {
    entries: BTreeMap<String, String>,
}

impl Config {
    pub fn parse(text: &str) -> Config {
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Config { entries }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// The keys that start with `prefix`, in order; they borrow from the config only.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &str) -> impl Iterator<Item = &'a str> {
        let prefix = prefix.to_string();
        self.entries.keys().filter(move |k| k.starts_with(&prefix)).map(String::as_str)
    }
}

/// The keys of a section (`section.*`), for listing or for watching them.
pub fn section_keys<'c>(config: &'c Config, section: &str) -> Vec<&'c str> {
    let keys = config.keys_with_prefix(&format!("{section}."));
    keys.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# service\ndb.host = localhost\ndb.port = 5432\ncache.ttl = 60\ndbx.flag = on\n";

    #[test]
    fn sections() {
        let config = Config::parse(TEXT);
        assert_eq!(section_keys(&config, "db"), vec!["db.host", "db.port"]);
        assert_eq!(section_keys(&config, "cache"), vec!["cache.ttl"]);
        assert!(section_keys(&config, "log").is_empty());
        assert_eq!(config.get("db.port"), Some("5432"));
    }
}
