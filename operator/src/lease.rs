//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several replicas exactly one
//! writes. The rules are client-go's: a replica takes the Lease when nobody holds it or when the
//! holder has not renewed it for `leaseDurationSeconds` — judged by when *this* replica last
//! saw the Lease change, on its own monotonic clock, never by comparing the holder's
//! `renewTime` with the local wall clock (clocks of two nodes may disagree by more than a
//! lease). The holder renews it every `renew_period`; every write is a replace carrying the
//! `resourceVersion` it read, so two replicas racing for an expired Lease cannot both win (the
//! loser gets 409 Conflict). Each renewal is bounded by the time left before `renew_deadline`
//! (the client has no read timeout of its own), and a holder that has not renewed by then
//! (shorter than the lease duration) stops leading before anybody else may take over, so two
//! replicas never write at once.
//!
//! The decision is a pure function of the Lease and of how long it has been seen unchanged
//! (`decide`); `Elector` adds the API calls and the observation.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta},
    jiff::Timestamp,
};
use kube::{Api, api::PostParams};

/// What to do with the Lease as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseDecision {
    /// No Lease exists: create it, held by us.
    Create,
    /// Nobody holds it, or its holder let it expire: take it over.
    Take,
    /// We hold it: renew it.
    Renew,
    /// Someone else holds it: wait this long, at most, before trying again.
    Wait(Duration),
}

/// Timing of the election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// How long a Lease stays valid without renewal.
    pub lease_duration: Duration,
    /// How often the holder renews.
    pub renew_period: Duration,
    /// How long the holder keeps leading while renewals fail; less than `lease_duration`.
    pub renew_deadline: Duration,
    /// How often a candidate tries to take the Lease.
    pub retry_period: Duration,
}

impl Default for Timing {
    /// client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry.
    fn default() -> Self {
        Timing {
            lease_duration: Duration::from_secs(15),
            renew_period: Duration::from_secs(5),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// What identifies one state of the Lease: a renewal or a takeover changes it.
type Record = (
    Option<String>,
    Option<MicroTime>,
    Option<MicroTime>,
    Option<i32>,
);

fn record(lease: Option<&Lease>) -> Option<Record> {
    let spec = lease?.spec.clone().unwrap_or_default();
    Some((
        spec.holder_identity,
        spec.renew_time,
        spec.acquire_time,
        spec.lease_transitions,
    ))
}

/// Decide what `identity` may do with `lease`, which this replica has seen unchanged for
/// `unchanged_for` (pure). Another holder's Lease expires `leaseDurationSeconds` after this
/// replica first saw its current state: the timestamps in it are the holder's clock's, and
/// only say who wrote.
pub fn decide(
    lease: Option<&Lease>,
    identity: &str,
    unchanged_for: Duration,
    timing: &Timing,
) -> LeaseDecision {
    let Some(lease) = lease else {
        return LeaseDecision::Create;
    };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    if holder == identity {
        return LeaseDecision::Renew;
    }
    if holder.is_empty() {
        return LeaseDecision::Take;
    }
    let duration = spec
        .lease_duration_seconds
        .map(|s| Duration::from_secs(u64::try_from(s.max(1)).unwrap_or(1)))
        .unwrap_or(timing.lease_duration);
    match duration.checked_sub(unchanged_for) {
        Some(left) if !left.is_zero() => LeaseDecision::Wait(left),
        _ => LeaseDecision::Take,
    }
}

/// The Lease to write for `decision` (pure): held by `identity`, renewed `now`; a takeover
/// counts a transition and restarts `acquireTime`. Keeps the `resourceVersion` read, so the
/// write fails if someone else wrote in between.
pub fn desired(
    current: Option<&Lease>,
    name: &str,
    namespace: &str,
    identity: &str,
    now: Timestamp,
    timing: &Timing,
    decision: &LeaseDecision,
) -> Lease {
    let spec = current.and_then(|l| l.spec.clone()).unwrap_or_default();
    let transitions = spec.lease_transitions.unwrap_or(0);
    let (acquire_time, lease_transitions) = match decision {
        LeaseDecision::Renew => (
            spec.acquire_time.clone().or(Some(MicroTime(now))),
            transitions,
        ),
        LeaseDecision::Create => (Some(MicroTime(now)), 0),
        LeaseDecision::Take | LeaseDecision::Wait(_) => {
            (Some(MicroTime(now)), transitions.saturating_add(1))
        }
    };
    Lease {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            resource_version: current.and_then(|l| l.metadata.resource_version.clone()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(identity.to_string()),
            lease_duration_seconds: Some(
                i32::try_from(timing.lease_duration.as_secs()).unwrap_or(i32::MAX),
            ),
            acquire_time,
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(lease_transitions),
            ..spec
        }),
    }
}

/// One replica's part in the election.
pub struct Elector {
    api: Api<Lease>,
    name: String,
    namespace: String,
    identity: String,
    timing: Timing,
    now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    /// The Lease's state as this replica last saw it, and when (monotonic) it first saw it.
    observed: Mutex<Option<(Record, tokio::time::Instant)>>,
}

impl Elector {
    /// A candidate `identity` for Lease `namespace/name`.
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        timing: Timing,
        now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    ) -> Self {
        Elector {
            api: Api::namespaced(client, namespace),
            name: name.to_string(),
            namespace: namespace.to_string(),
            identity: identity.to_string(),
            timing,
            now,
            observed: Mutex::new(None),
        }
    }

    /// How long this replica has seen `lease` in its current state (zero when it just changed,
    /// or is seen for the first time).
    fn unchanged_for(&self, lease: Option<&Lease>) -> Duration {
        let current = record(lease);
        let Ok(mut observed) = self.observed.lock() else {
            return Duration::ZERO;
        };
        match (&*observed, current) {
            (Some((seen, since)), Some(now)) if *seen == now => since.elapsed(),
            (_, Some(now)) => {
                *observed = Some((now, tokio::time::Instant::now()));
                Duration::ZERO
            }
            (_, None) => {
                *observed = None;
                Duration::ZERO
            }
        }
    }

    fn saw_written(&self, lease: &Lease) {
        if let (Ok(mut observed), Some(r)) = (self.observed.lock(), record(Some(lease))) {
            *observed = Some((r, tokio::time::Instant::now()));
        }
    }

    /// Try once to take or renew the Lease. `Ok(true)`: we lead until `renew_deadline` from now.
    /// A lost race (409) is `Ok(false)`, not an error.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let current = self.api.get_opt(&self.name).await?;
        let now = (self.now)();
        let unchanged_for = self.unchanged_for(current.as_ref());
        let decision = decide(
            current.as_ref(),
            &self.identity,
            unchanged_for,
            &self.timing,
        );
        if let LeaseDecision::Wait(_) = decision {
            return Ok(false);
        }
        let lease = desired(
            current.as_ref(),
            &self.name,
            &self.namespace,
            &self.identity,
            now,
            &self.timing,
            &decision,
        );
        let written = if decision == LeaseDecision::Create {
            self.api.create(&PostParams::default(), &lease).await
        } else {
            self.api
                .replace(&self.name, &PostParams::default(), &lease)
                .await
        };
        match written {
            Ok(w) => {
                self.saw_written(&w);
                Ok(true)
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Wait until this replica leads.
    pub async fn acquire(&self) {
        loop {
            let attempt =
                tokio::time::timeout(self.timing.renew_deadline, self.try_acquire_or_renew());
            match attempt.await.unwrap_or(Ok(false)) {
                Ok(true) => {
                    tracing::info!(lease = %self.name, identity = %self.identity, "leading");
                    return;
                }
                Ok(false) => {
                    tracing::debug!(lease = %self.name, "another replica leads; waiting");
                }
                Err(e) => tracing::warn!(lease = %self.name, error = %e, "cannot read the lease"),
            }
            tokio::time::sleep(self.timing.retry_period).await;
        }
    }

    /// Keep leading; returns when leadership is lost (another replica holds the Lease, or no
    /// renewal succeeded for `renew_deadline`). The caller must stop writing at once.
    pub async fn keep(&self) -> String {
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.timing.renew_period).await;
            // A renewal that has not answered by the deadline is a renewal that failed: by then
            // another replica may be about to take over.
            let left = self.timing.renew_deadline.saturating_sub(last.elapsed());
            if left.is_zero() {
                return self.not_renewed();
            }
            match tokio::time::timeout(left, self.try_acquire_or_renew()).await {
                Ok(Ok(true)) => last = tokio::time::Instant::now(),
                Ok(Ok(false)) => return format!("Lease {} is held by another replica", self.name),
                Ok(Err(e)) => {
                    tracing::warn!(lease = %self.name, error = %e, "cannot renew the lease");
                }
                Err(_) => {
                    return format!(
                        "Lease {}: a renewal did not answer within the {}s deadline",
                        self.name,
                        self.timing.renew_deadline.as_secs()
                    );
                }
            }
            if last.elapsed() >= self.timing.renew_deadline {
                return self.not_renewed();
            }
        }
    }

    fn not_renewed(&self) -> String {
        format!(
            "Lease {} not renewed for {}s",
            self.name,
            self.timing.renew_deadline.as_secs()
        )
    }

    /// Give the Lease up (on shutdown), so another replica takes over at once rather than
    /// after the lease duration. Best effort: failing only delays the handover.
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime((self.now)()));
        if let Err(e) = self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            tracing::warn!(lease = %self.name, error = %e, "cannot release the lease");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn lease(holder: Option<&str>, renewed: &str) -> Lease {
        Lease {
            metadata: ObjectMeta {
                name: Some("govkh".into()),
                namespace: Some("govkh-system".into()),
                resource_version: Some("42".into()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: holder.map(str::to_string),
                lease_duration_seconds: Some(15),
                acquire_time: Some(MicroTime(at("2026-11-26T00:00:00Z"))),
                renew_time: Some(MicroTime(at(renewed))),
                lease_transitions: Some(3),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn another_holders_lease_expires_a_lease_duration_after_this_replica_saw_it_change() {
        let t = Timing::default();
        let l = lease(Some("pod-a"), "2026-11-26T00:00:10Z");
        let secs = Duration::from_secs;
        assert_eq!(
            decide(Some(&l), "pod-b", Duration::ZERO, &t),
            LeaseDecision::Wait(secs(15)),
            "just seen: a whole lease duration to go"
        );
        assert_eq!(
            decide(Some(&l), "pod-b", secs(10), &t),
            LeaseDecision::Wait(secs(5))
        );
        assert_eq!(decide(Some(&l), "pod-b", secs(15), &t), LeaseDecision::Take);
        assert_eq!(
            decide(Some(&l), "pod-a", secs(20), &t),
            LeaseDecision::Renew
        );
        assert_eq!(
            decide(None, "pod-b", Duration::ZERO, &t),
            LeaseDecision::Create
        );
        let released = lease(None, "2026-11-26T00:00:10Z");
        assert_eq!(
            decide(Some(&released), "pod-b", Duration::ZERO, &t),
            LeaseDecision::Take
        );
    }

    #[test]
    fn the_holders_timestamps_never_decide_expiry() {
        // A holder whose clock runs an hour behind (renewTime long past by ours) is still
        // renewing: its Lease, just seen changing, is respected a full duration.
        let t = Timing::default();
        let behind = lease(Some("pod-a"), "2020-01-01T00:00:00Z");
        assert_eq!(
            decide(Some(&behind), "pod-b", Duration::ZERO, &t),
            LeaseDecision::Wait(Duration::from_secs(15))
        );
        // One whose clock runs ahead (renewTime in our future) and stopped renewing is taken
        // over once it has not changed for a lease duration, not when its timestamp says.
        let ahead = lease(Some("pod-a"), "2099-01-01T00:00:00Z");
        assert_eq!(
            decide(Some(&ahead), "pod-b", Duration::from_secs(15), &t),
            LeaseDecision::Take
        );
    }

    #[test]
    fn a_takeover_counts_a_transition_and_a_renewal_keeps_the_acquire_time() {
        let t = Timing::default();
        let l = lease(Some("pod-a"), "2026-11-26T00:00:10Z");
        let now = at("2026-11-26T00:01:00Z");
        let taken = desired(
            Some(&l),
            "govkh",
            "govkh-system",
            "pod-b",
            now,
            &t,
            &LeaseDecision::Take,
        );
        let spec = taken.spec.clone().unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("pod-b"));
        assert_eq!(spec.lease_transitions, Some(4));
        assert_eq!(spec.acquire_time, Some(MicroTime(now)));
        assert_eq!(taken.metadata.resource_version.as_deref(), Some("42"));
        let renewed = desired(
            Some(&l),
            "govkh",
            "govkh-system",
            "pod-a",
            now,
            &t,
            &LeaseDecision::Renew,
        );
        let spec = renewed.spec.unwrap();
        assert_eq!(spec.lease_transitions, Some(3));
        assert_eq!(
            spec.acquire_time,
            Some(MicroTime(at("2026-11-26T00:00:00Z")))
        );
        assert_eq!(spec.renew_time, Some(MicroTime(now)));
    }

    #[test]
    fn the_holder_gives_up_before_anyone_may_take_over() {
        let t = Timing::default();
        assert!(t.renew_deadline < t.lease_duration);
        assert!(t.renew_period < t.renew_deadline);
    }
}
