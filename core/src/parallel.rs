//! Work spread over threads with results in a fixed order: loading many files and judging
//! many objects use every core, and what they produce does not depend on which thread
//! finished first.

/// `f` on every item, on up to `threads` threads taking items in small chunks as they go;
/// results in the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const CHUNK: usize = 16;
    let threads = threads.min(items.len().div_ceil(CHUNK)).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(CHUNK, std::sync::atomic::Ordering::Relaxed);
                        if start >= items.len() {
                            break done;
                        }
                        let end = (start + CHUNK).min(items.len());
                        done.push((start, items[start..end].iter().map(&f).collect()));
                    }
                })
            })
            .collect();
        // A worker that panicked loses its chunks; the caller sees fewer results, so the
        // panic is passed on rather than hidden.
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    parts.sort_by_key(|(start, _)| *start);
    parts.into_iter().flat_map(|(_, r)| r).collect()
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
