//! A fixed-capacity ring buffer that overwrites its oldest item when full.

pub struct RingBuf<T, const N: usize> {
    items: [Option<T>; N],
    head: usize,
    len: usize,
}

impl<T, const N: usize> RingBuf<T, N> {
    pub fn new() -> Self {
        RingBuf { items: std::array::from_fn(|_| None), head: 0, len: 0 }
    }

    pub fn push(&mut self, item: T) -> Option<T> {
        let tail = (self.head + self.len) % N;
        let old = self.items[tail].replace(item);
        if self.len == N {
            self.head = (self.head + 1) % N;
        } else {
            self.len += 1;
        }
        old
    }

    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.items[self.head].take();
        self.head = (self.head + 1) % N;
        self.len -= 1;
        item
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T, const N: usize> Default for RingBuf<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::RingBuf;

    #[test]
    fn overwrites_oldest() {
        let mut rb: RingBuf<u32, 3> = RingBuf::new();
        assert_eq!(rb.push(1), None);
        rb.push(2);
        rb.push(3);
        assert_eq!(rb.push(4), Some(1));
        assert_eq!(rb.len(), 3);
        assert_eq!((rb.pop(), rb.pop(), rb.pop(), rb.pop()), (Some(2), Some(3), Some(4), None));
        assert!(rb.is_empty());
    }
}
