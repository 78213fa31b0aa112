//! Work spread over threads with results in a fixed order: loading many files and judging
//! many objects use every core, and what they produce does not depend on which thread
//! finished first.
//!
//! The threads are rayon's pool, made once for the process, not threads started for each
//! call: the operator audits every few seconds while objects change, and a thread that ends
//! leaves what it allocated (the findings it hands back) in segments the allocator
//! (mimalloc) abandons and reclaims only later. The pool's threads keep their heaps and reuse
//! them audit after audit: in the 30-minute soak, govkh's RSS moved by more than 5 MiB between
//! two 10 s samples a third of the time with threads per call, 3 % with the pool
//! (docs/performance.md).

use rayon::prelude::*;

/// Items taken at a time by a thread: small enough to balance uneven work, large enough that
/// handing them out costs nothing next to judging them.
const CHUNK: usize = 16;

/// `f` on every item; with `threads` above one on the process's pool of worker threads (one
/// per core), which take the items in small chunks as they go; on the calling thread alone
/// with one. Results in the items' order. A panic in `f` is passed on to the caller.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if threads <= 1 || items.len() <= CHUNK {
        return items.iter().map(f).collect();
    }
    // By reference: `&F` is Send because F is Sync, so callers need not make `f` Send.
    items.par_iter().with_min_len(CHUNK).map(&f).collect()
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_items_order_whatever_the_threads() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 7] {
            // Uneven work, so chunks finish out of order.
            let out = map(&items, threads, |i| {
                if i % 37 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                i * 2
            });
            assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(map(&[] as &[u8], 4, |x| *x).is_empty());
    }

    #[test]
    fn the_same_threads_serve_every_call() {
        // The audit calls this every few seconds: threads started per call would end per
        // call, and the allocator would abandon what they allocated. Ten calls on two
        // threads each are served by the pool's threads, no more of them in all.
        let items: Vec<u64> = (0..1000).collect();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10 {
            let ids = map(&items, 2, |i| {
                if i % 37 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                std::thread::current().id()
            });
            seen.extend(ids);
        }
        assert!(
            seen.len() <= rayon::current_num_threads(),
            "{} threads for ten calls, the pool has {}",
            seen.len(),
            rayon::current_num_threads()
        );
        // One thread: the caller's own.
        let caller = std::thread::current().id();
        assert!(
            map(&items, 1, |_| std::thread::current().id())
                .iter()
                .all(|id| *id == caller)
        );
    }

    #[test]
    #[should_panic(expected = "item 500")]
    fn a_panic_in_a_worker_is_passed_on_not_hidden() {
        let items: Vec<u32> = (0..1000).collect();
        #[allow(clippy::panic)]
        map(&items, 3, |i| {
            if *i == 500 {
                panic!("item 500");
            }
            *i
        });
    }
}
