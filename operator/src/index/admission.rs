//! What admission reads from the index: the `Snapshot` a request is judged against (recomputed
//! only when the policy context or the day changed), and the count of refusals over the last day.

use govkh_core::{admission::Snapshot, api::Day};
use k8s_openapi::jiff::Timestamp;
use std::sync::Arc;

use super::*;

impl Index {
    /// Count a request of `ministry` refused at admission at `at`.
    pub fn count_refusal(&self, ministry: &str, at: Timestamp) {
        if let Ok(mut r) = self.refusals.lock() {
            r.record(ministry, at);
        }
    }

    /// Requests refused at admission in the 24 hours up to `at`, per ministry.
    pub fn refused_last_day(&self, at: Timestamp) -> std::collections::BTreeMap<String, u32> {
        self.refusals
            .lock()
            .map(|r| r.last_day(at))
            .unwrap_or_default()
    }

    /// What admission judges against as of `now`: the current inventory with the verdicts of
    /// its day, computed again only when the policies' context changed or the day turned.
    pub fn snapshot(&self, now: Timestamp) -> Arc<Snapshot> {
        let today = Day::in_phnom_penh(now);
        let (inventory, context_version, cached) =
            self.read(|s| (s.inventory.clone(), s.context_version, s.snapshot.clone()));
        if let Some((v, snap)) = cached
            && v == context_version
            && snap.prepared.today == today
        {
            return if Arc::ptr_eq(&snap.inventory, &inventory) {
                snap
            } else {
                Arc::new(snap.with_inventory(inventory))
            };
        }
        let fresh = Arc::new(Snapshot::of(now, inventory));
        self.write(|s| {
            if s.context_version == context_version {
                s.snapshot = Some((context_version, fresh.clone()));
            }
        });
        fresh
    }
}
