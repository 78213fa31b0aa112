//! The operator's shared context: the API client, the injected clock, the metrics, the live
//! index, the last audit, the Event recorder, and each object's backoff and what it waits
//! for. Every reconciler, the webhook, the audit and the writers are handed one `Context`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use k8s_openapi::jiff::Timestamp;
use kube::{
    Client, Resource,
    runtime::events::{Event, EventType, Recorder, Reporter},
};

/// What the whole operator shares: the reconcilers, the webhook, the audit and the writers.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// The clock (injected so tests and "as of" runs are reproducible).
    pub now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    /// The metrics registry.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Publishes Kubernetes Events about our objects.
    recorder: Recorder,
    /// Per object in backoff: its consecutive failures, and when and at which generation it
    /// may be tried again.
    failures: Mutex<HashMap<String, Failing>>,
    /// What each object waits for, as last logged (so it is logged once).
    waiting: Mutex<HashMap<String, String>>,
    /// The last audit of the cluster, once there is one.
    audit: RwLock<Option<Arc<govkh_core::audit::Audit>>>,
    /// The live index of the cluster: what admission and the audit read.
    pub index: Arc<crate::index::Index>,
    /// Who is given the reading of Secrets in each namespace a tenancy provisions
    /// (`--secrets-reader`); none: nobody is (the namespaces' Secrets are then read only where
    /// RBAC lets the operator already).
    pub secrets_reader: Option<govkh_core::provision::desired::SecretsReader>,
    /// Who the platform, the committee and govkh are, and the namespaces no tenancy may hold.
    pub authority: Arc<govkh_core::fence::Authority>,
}

impl Context {
    /// A context with the given client and clock.
    pub fn new(client: Client, now: Arc<dyn Fn() -> Timestamp + Send + Sync>) -> Self {
        Self::with_reporter(client, now, None)
    }

    /// A context whose Events name `instance` (the pod) as their reporting instance.
    pub fn with_reporter(
        client: Client,
        now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
        instance: Option<String>,
    ) -> Self {
        let reporter = Reporter {
            controller: REPORTING_CONTROLLER.into(),
            instance,
        };
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            now,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            failures: Mutex::new(HashMap::new()),
            waiting: Mutex::new(HashMap::new()),
            audit: RwLock::new(None),
            index: Arc::new(crate::index::Index::new()),
            secrets_reader: None,
            authority: Arc::new(govkh_core::fence::Authority::default()),
        }
    }

    /// The same context with `authority` (the fence's special users and reserved namespaces).
    pub fn with_authority(mut self, authority: govkh_core::fence::Authority) -> Self {
        self.authority = Arc::new(authority);
        self
    }

    /// The same context reading `index`.
    pub fn with_index(mut self, index: Arc<crate::index::Index>) -> Self {
        self.index = index;
        self
    }

    /// The same context, binding `reader` the reading of Secrets in each tenancy's namespaces.
    pub fn with_secrets_reader(
        mut self,
        reader: Option<govkh_core::provision::desired::SecretsReader>,
    ) -> Self {
        self.secrets_reader = reader;
        self
    }

    /// The last audit, if one has completed.
    pub fn audit(&self) -> Option<Arc<govkh_core::audit::Audit>> {
        self.audit.read().ok().and_then(|a| a.clone())
    }

    /// Keep `audit` as the latest; publish its metrics when `publish` (only the leader does,
    /// so that summing a metric over the replicas does not count a finding twice).
    pub fn set_audit(&self, audit: govkh_core::audit::Audit, publish: bool) {
        if publish {
            self.metrics.audited(&audit);
        }
        if let Ok(mut a) = self.audit.write() {
            *a = Some(Arc::new(audit));
        }
    }

    /// Publish an Event about `obj`. An Event is a courtesy to whoever runs `kubectl describe`:
    /// failing to publish one is logged, never a reason to fail the reconcile.
    pub async fn event<K: Resource<DynamicType = ()>>(
        &self,
        obj: &K,
        warning: bool,
        reason: &str,
        note: &str,
    ) {
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_string(),
            note: (!note.is_empty()).then(|| note.chars().take(1000).collect()),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &obj.object_ref(&())).await {
            tracing::warn!(object = %obj.meta().name.as_deref().unwrap_or_default(), reason, error = %e, "cannot publish an Event");
        }
    }

    /// Publish the Event of a request refused at admission (`Warning`, `PolicyViolation`).
    /// Logged when it cannot be published; never retried.
    pub async fn refusal_event(
        &self,
        reference: &k8s_openapi::api::core::v1::ObjectReference,
        note: &str,
    ) {
        let event = Event {
            type_: EventType::Warning,
            reason: "PolicyViolation".into(),
            note: Some(note.chars().take(1000).collect()),
            action: "Admission".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, reference).await {
            tracing::warn!(reason = "PolicyViolation", error = %e, "cannot publish an Event");
        }
    }

    /// Count a failure of `key` (at `generation`) and return its delay before the next try.
    pub(crate) fn failed(&self, key: &str, generation: Option<i64>) -> (u32, Duration) {
        let Ok(mut f) = self.failures.lock() else {
            return (1, backoff(1));
        };
        let entry = f.entry(key.to_string()).or_insert(Failing {
            count: 0,
            not_before: tokio::time::Instant::now(),
            generation,
        });
        entry.count = entry.count.saturating_add(1);
        let delay = backoff(entry.count);
        entry.not_before = tokio::time::Instant::now() + delay;
        entry.generation = generation;
        (entry.count, delay)
    }

    /// How long `key` must still wait before it is tried again, if it is backing off and its
    /// spec (`generation`) has not changed since it failed. A trigger from the index (a
    /// dependency changed) does not cut a backoff short: only time or the user's edit does.
    pub(crate) fn backing_off(&self, key: &str, generation: Option<i64>) -> Option<Duration> {
        let f = self.failures.lock().ok()?;
        let failing = f.get(key)?;
        let now = tokio::time::Instant::now();
        (failing.generation == generation && failing.not_before > now)
            .then(|| failing.not_before - now)
    }

    pub(crate) fn succeeded(&self, key: &str) {
        if let Ok(mut f) = self.failures.lock() {
            f.remove(key);
        }
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(key);
        }
    }

    /// Whether `key` starts waiting for `why` now (it was not already waiting for it).
    pub(crate) fn waiting_first(&self, key: &str, why: &str) -> bool {
        let Ok(mut w) = self.waiting.lock() else {
            return true;
        };
        w.insert(key.to_string(), why.to_string()).as_deref() != Some(why)
    }

    /// Forget an object that is gone: its backoff and what it waited for.
    pub fn forget(&self, kind: &str, name: &str) {
        self.succeeded(&format!("{kind}/{name}"));
    }

    /// How many objects have a backoff running (for tests and diagnostics).
    pub fn backoffs(&self) -> usize {
        self.failures.lock().map_or(0, |f| f.len())
    }
}

/// The `reportingController` of govkh's Events.
pub const REPORTING_CONTROLLER: &str = "digital.gov.kh/govkh";

/// An object whose reconciles fail: how often in a row, until when it waits, and the
/// generation it failed at.
#[derive(Debug)]
struct Failing {
    count: u32,
    not_before: tokio::time::Instant,
    generation: Option<i64>,
}

/// The nominal delay before the `failures`-th retry: 5 s, doubling, at most 5 minutes.
pub fn nominal_backoff(failures: u32) -> Duration {
    let secs = 5u64.saturating_mul(1u64 << failures.saturating_sub(1).min(6));
    Duration::from_secs(secs.min(300))
}

/// The delay before the `failures`-th retry: the nominal one with ±20 % jitter, so objects that
/// failed together (the API server restarting) do not all come back in the same second.
pub fn backoff(failures: u32) -> Duration {
    nominal_backoff(failures).mul_f64(0.8 + 0.4 * fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes_with_jitter() {
        let d: Vec<u64> = (1..=9).map(|n| nominal_backoff(n).as_secs()).collect();
        assert_eq!(d, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        for n in 1..=9 {
            let nominal = nominal_backoff(n).as_secs_f64();
            let drawn: Vec<f64> = (0..200).map(|_| backoff(n).as_secs_f64()).collect();
            assert!(
                drawn
                    .iter()
                    .all(|d| *d >= nominal * 0.8 && *d <= nominal * 1.2),
                "attempt {n}: {drawn:?} outside ±20 % of {nominal}"
            );
            let (lo, hi) = drawn
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), d| (lo.min(*d), hi.max(*d)));
            assert!(
                hi - lo > nominal * 0.1,
                "attempt {n}: no jitter in {drawn:?}"
            );
        }
    }
}
