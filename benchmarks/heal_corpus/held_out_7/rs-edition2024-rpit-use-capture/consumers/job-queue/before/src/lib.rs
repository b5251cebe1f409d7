//! A work queue of numbered jobs.

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: u32,
    pub name: String,
    pub done: bool,
}

#[derive(Debug, Default)]
pub struct Queue {
    jobs: Vec<Job>,
    next_id: u32,
}

impl Queue {
    pub fn push(&mut self, name: &str) -> u32 {
        self.next_id += 1;
        self.jobs.push(Job { id: self.next_id, name: name.to_string(), done: false });
        self.next_id
    }

    /// The ids of the jobs not done yet, in order (a snapshot: the queue may change meanwhile).
    pub fn pending_ids(&self) -> impl Iterator<Item = u32> {
        let ids: Vec<u32> = self.jobs.iter().filter(|j| !j.done).map(|j| j.id).collect();
        ids.into_iter()
    }

    pub fn complete(&mut self, id: u32) -> bool {
        match self.jobs.iter_mut().find(|j| j.id == id && !j.done) {
            Some(job) => {
                job.done = true;
                true
            }
            None => false,
        }
    }

    /// Drops the finished jobs, returning how many were dropped.
    pub fn prune(&mut self) -> usize {
        let before = self.jobs.len();
        self.jobs.retain(|j| !j.done);
        before - self.jobs.len()
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

/// Runs every pending job with `run`; each one that succeeds is marked done. Returns how many succeeded.
pub fn run_pending(queue: &mut Queue, mut run: impl FnMut(u32) -> bool) -> usize {
    let mut succeeded = 0;
    for id in queue.pending_ids() {
        if run(id) && queue.complete(id) {
            succeeded += 1;
        }
    }
    succeeded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_prunes() {
        let mut queue = Queue::default();
        for name in ["resize", "upload", "notify"] {
            queue.push(name);
        }
        assert_eq!(run_pending(&mut queue, |id| id != 2), 2);
        assert_eq!(queue.pending_ids().collect::<Vec<_>>(), vec![2]);
        assert_eq!(queue.prune(), 2);
        assert_eq!(queue.len(), 1);
        assert_eq!(run_pending(&mut queue, |_| true), 1);
        assert!(queue.pending_ids().next().is_none());
    }
}
