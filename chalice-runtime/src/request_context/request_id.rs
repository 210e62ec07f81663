//! A request's id, as API Gateway gives each request one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A request's id: two numbers, spelled out as API Gateway's UUID-shaped ids only when something
/// reads it (most requests never show theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestId(u64, u64);

impl RequestId {
    /// A fresh id for a request received at `received`.
    pub(crate) fn new(received: SystemTime) -> Self {
        // Each thread counts its own requests from a start no other thread shares: a counter
        // shared by the workers would bounce its cache line between them on every request.
        static THREADS: AtomicU64 = AtomicU64::new(0);
        thread_local! {
            static COUNTER: std::cell::Cell<u64> =
                std::cell::Cell::new(THREADS.fetch_add(1, Ordering::Relaxed) << 40);
        }
        let count = COUNTER.with(|counter| {
            let count = counter.get();
            counter.set(count.wrapping_add(1));
            count
        });
        let nanos = received
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let a = mix(nanos ^ count.rotate_left(24));
        RequestId(a, mix(a ^ 0x9e37_79b9_7f4a_7c15))
    }

    /// The id as API Gateway writes one: `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx`.
    pub(crate) fn text(self) -> String {
        let RequestId(a, b) = self;
        let mut id = String::with_capacity(36);
        push_hex(&mut id, a >> 32, 8);
        id.push('-');
        push_hex(&mut id, (a >> 16) & 0xffff, 4);
        id.push_str("-4");
        push_hex(&mut id, a & 0xfff, 3);
        id.push('-');
        push_hex(&mut id, (b >> 48) & 0x3fff | 0x8000, 4);
        id.push('-');
        push_hex(&mut id, b & 0xffff_ffff_ffff, 12);
        id
    }
}

/// The low `digits` hex digits of `value`, zero-padded.
pub(crate) fn push_hex(out: &mut String, value: u64, digits: u32) {
    for shift in (0..digits).rev() {
        let nibble = (value >> (shift * 4)) & 0xf;
        out.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let now = SystemTime::now();
        let (a, b) = (RequestId::new(now).text(), RequestId::new(now).text());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
