//! A process-wide event log for a single-threaded tool.

static mut LOG: Vec<String> = Vec::new();

pub fn record(event: &str) {
    unsafe { LOG.push(event.to_string()) }
}

pub fn count() -> usize {
    unsafe { LOG.len() }
}

pub fn take() -> Vec<String> {
    unsafe { std::mem::take(&mut LOG) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_count_take() {
        record("start");
        record("stop");
        assert_eq!(count(), 2);
        assert_eq!(take(), vec!["start".to_string(), "stop".to_string()]);
        assert_eq!(count(), 0);
    }
}
