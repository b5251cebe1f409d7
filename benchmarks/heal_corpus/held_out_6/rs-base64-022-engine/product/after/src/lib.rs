//! A tiny request router; the example persists a todo queue in a line-based log.

use std::collections::HashMap;

pub type Handler = fn(&str) -> (u16, String);

#[derive(Default)]
pub struct Router {
    routes: HashMap<(String, String), Handler>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn route(mut self, method: &str, path: &str, handler: Handler) -> Self {
        self.routes.insert((method.to_string(), path.to_string()), handler);
        self
    }

    pub fn handle(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        match self.routes.get(&(method.to_string(), path.to_string())) {
            Some(handler) => handler(body),
            None => (404, "not found".to_string()),
        }
    }
}
