//! The controllers: thin kube I/O around the core. Each reconcile reads what it needs, validates
//! it, builds the desired objects with `desired`, applies them server-side under one field
//! manager, and writes status only when it changed. Errors are classified: an invalid object
//! waits for a change (and says why in its status); an API error backs off exponentially.
//! Time comes from the context's clock, never read inside the logic.

pub mod approval;
pub mod cloud;
pub mod grant;
pub mod link;
pub mod ministry;
pub mod tenancy;

use std::{sync::Arc, time::Duration};

use k8s_openapi::{api::networking::v1::NetworkPolicy, jiff::Timestamp};
use kube::{Api, Resource, ResourceExt, api::DeleteParams, runtime::controller::Action};

use govkh_core::{
    api::{
        ApprovalState, ApprovalStatus, ClockState, CloudTenancyStatus, DataAccessGrantStatus, Day,
        GrantState, LABEL_MINISTRY, LinkState, PrivateNetworkLinkStatus,
    },
    law::verdict::StateEvent,
    provision::conditions,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::context::Context;

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object cannot be reconciled as it is (a missing reference): wait for a change.
    #[error("{0}")]
    Invalid(String),
    /// The API server failed or refused a request: try again later.
    #[error("Kubernetes API: {}", api_error(.0))]
    Kube(#[from] kube::Error),
}

/// An API error in one line — status code, reason, message — never a debug dump.
pub fn api_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} {}: {}", s.code, s.reason, s.message),
        e => govkh_core::printable::one_line(&e.to_string()),
    }
}

impl Error {
    /// Whether retrying without a change cannot help.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// The failure's category, a label of `reconcile_failures_total`: `invalid` (waits for a
    /// change), `conflict` (409: someone else wrote first), `not-found`, `forbidden` (RBAC),
    /// `unavailable` (5xx, timeouts, connection), `api` (any other API refusal).
    pub fn category(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Kube(kube::Error::Api(s)) => match s.code {
                409 => "conflict",
                404 => "not-found",
                401 | 403 => "forbidden",
                500..=599 => "unavailable",
                _ => "api",
            },
            Error::Kube(_) => "unavailable",
        }
    }
}

/// What to do after a failed reconcile.
pub fn error_policy<K: Resource<DynamicType = ()>>(
    obj: Arc<K>,
    error: &Error,
    ctx: Arc<Context>,
) -> Action {
    let key = format!("{}/{}", K::kind(&()), obj.name_any());
    if error.is_invalid() {
        // Waiting for an object that has not arrived yet is said once, not at every trigger.
        if ctx.waiting_first(&key, &error.to_string()) {
            tracing::info!(object = %key, reason = %error, "waiting for a change");
        }
        return Action::await_change();
    }
    let (n, delay) = ctx.failed(&key, obj.meta().generation);
    tracing::warn!(object = %key, category = error.category(), error = %error, attempt = n, retry_in_s = delay.as_secs(), "reconcile failed; backing off");
    Action::requeue(delay)
}

/// Reconcile an object read through a `DeserializeGuard`: a well-formed object goes to
/// `reconcile`; one that cannot be read as `K` (written before a schema change, or with the
/// schema's validation bypassed) is logged, gets a Warning Event, and waits for a change —
/// without stopping the watch for every other object.
pub async fn guarded<K, F, Fut>(
    obj: Arc<kube::core::DeserializeGuard<K>>,
    ctx: Arc<Context>,
    reconcile: F,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()> + Clone,
    F: FnOnce(Arc<K>, Arc<Context>) -> Fut,
    Fut: std::future::Future<Output = Result<Action, Error>>,
{
    let key = format!("{}/{}", K::kind(&()), obj.name_any());
    if let Some(wait) = ctx.backing_off(&key, obj.meta().generation) {
        return Ok(Action::requeue(wait));
    }
    match &obj.0 {
        Ok(k) => reconcile(Arc::new(k.clone()), ctx).await,
        Err(invalid) => {
            let message = format!("cannot be read as a {}: {}", K::kind(&()), invalid.error);
            tracing::warn!(object = %obj.name_any(), %message, "skipping a malformed object");
            ctx.event(&*obj, true, "InvalidObject", &message).await;
            Err(Error::Invalid(format!(
                "{} {}: {message}",
                K::kind(&()),
                obj.name_any()
            )))
        }
    }
}

/// Run one reconcile of `obj` by `controller`: its duration and outcome go to the metrics, and
/// a success resets the object's backoff.
pub(crate) async fn instrumented<K, Fut>(
    controller: &'static str,
    obj: &K,
    ctx: &Context,
    run: Fut,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()>,
    Fut: std::future::Future<Output = Result<Action, Error>>,
{
    // Every line logged in the reconcile carries the controller and the object.
    let span = tracing::info_span!(
        "reconcile",
        controller,
        object = %format!("{}/{}", K::kind(&()), obj.meta().name.as_deref().unwrap_or_default())
    );
    // Timing is measured for the metrics only; it decides nothing.
    let started = std::time::Instant::now();
    let result = tracing::Instrument::instrument(run, span).await;
    ctx.metrics.reconciled(
        controller,
        started.elapsed().as_secs_f64(),
        result.as_ref().err().map(Error::category),
    );
    if result.is_ok() {
        succeeded(obj, ctx);
    }
    result
}

/// Record a success (resets the backoff).
pub fn succeeded<K: Resource<DynamicType = ()>>(obj: &K, ctx: &Context) {
    ctx.succeeded(&format!("{}/{}", K::kind(&()), obj.name_any()));
}

/// Server-side apply of one object we own, under the field manager of its owner
/// (`desired::field_manager`): each tenancy, link and grant owns its own fields.
pub(crate) async fn apply_as<K>(api: kube::Api<K>, obj: &K, manager: &str) -> Result<(), Error>
where
    K: Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let name = obj.meta().name.clone().unwrap_or_default();
    let params = kube::api::PatchParams::apply(manager).force();
    api.patch(&name, &params, &kube::api::Patch::Apply(obj))
        .await?;
    Ok(())
}

/// Patch `status` onto `obj` by server-side apply, only when it differs from what the object
/// already shows: an unchanged object's second reconcile writes nothing.
pub(crate) async fn write_status<K, S>(
    obj: &K,
    current: Option<&S>,
    status: &S,
    ctx: &Context,
) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    S: PartialEq + serde::Serialize,
{
    if current == Some(status) {
        return Ok(());
    }
    let body = serde_json::json!({"apiVersion": K::api_version(&()), "kind": K::kind(&()), "status": status});
    let params =
        kube::api::PatchParams::apply(govkh_core::provision::desired::FIELD_MANAGER).force();
    kube::Api::<K>::all(ctx.client.clone())
        .patch_status(&obj.name_any(), &params, &kube::api::Patch::Apply(&body))
        .await?;
    Ok(())
}

/// The namespaces a ministry's side of a link or grant covers: those listed, else every
/// Namespace labelled with the ministry — read from the live index, not the API server.
pub(crate) fn namespaces_of(ctx: &Context, ministry: &str, listed: &[String]) -> Vec<String> {
    if !listed.is_empty() {
        return listed.to_vec();
    }
    let inv = ctx.index.inventory();
    inv.namespaces
        .keys()
        .filter(|name| {
            namespace_object(&inv, name).is_some_and(|o| {
                o.raw["metadata"]["labels"][LABEL_MINISTRY].as_str() == Some(ministry)
            })
        })
        .cloned()
        .collect()
}

/// The Namespace `name` as the cluster holds it (the inventory's `namespaces` also names those
/// a tenancy declares before they exist).
fn namespace_object<'a>(
    inv: &'a govkh_core::inventory::Inventory,
    name: &str,
) -> Option<&'a Arc<govkh_core::loading::manifest::Loaded>> {
    inv.others.get(&govkh_core::inventory::other_key(
        "v1",
        "Namespace",
        None,
        name,
    ))
}

/// What [`sync_network_policies`] did.
pub(crate) struct Synced {
    /// The policies applied, as `namespace/name`: what status reports.
    pub carried: Vec<String>,
    /// The namespaces a desired policy belongs in that do not exist (yet): their policies wait.
    pub missing: Vec<String>,
}

impl Synced {
    /// The `Ready` condition of an owner whose policies wait for `missing` namespaces (reason
    /// `NamespaceMissing`), if any do: a wait, not a failure — the namespace's arrival in the
    /// index triggers the owner again.
    pub fn waiting(&self) -> Option<String> {
        (!self.missing.is_empty()).then(|| {
            format!(
                "waiting for namespace{} {} (not found): its network policies are applied when it exists",
                if self.missing.len() == 1 { "" } else { "s" },
                self.missing.join(", ")
            )
        })
    }
}

/// The `Ready` reason of an object waiting for a namespace another object creates.
pub const NAMESPACE_MISSING: &str = "NamespaceMissing";

/// Apply the `desired` NetworkPolicies whose namespace exists, and prune those `owner`
/// provisioned that are no longer desired (found by their owner labels, not by what status
/// remembers). A policy whose namespace the live index does not hold is not applied (it would
/// fail with 404 until the tenancy that declares the namespace has made it): its namespace is
/// returned as missing.
pub(crate) async fn sync_network_policies(
    ctx: &Context,
    owner: (&str, &str),
    desired: &[NetworkPolicy],
) -> Result<Synced, Error> {
    let (present, absent): (Vec<&NetworkPolicy>, Vec<&NetworkPolicy>) = {
        let inv = ctx.index.inventory();
        desired.iter().partition(|np| {
            namespace_object(&inv, np.metadata.namespace.as_deref().unwrap_or_default()).is_some()
        })
    };
    let manager = govkh_core::provision::desired::field_manager(owner.0, owner.1);
    for np in &present {
        apply_as(
            Api::<NetworkPolicy>::namespaced(
                ctx.client.clone(),
                np.metadata.namespace.as_deref().unwrap_or_default(),
            ),
            *np,
            &manager,
        )
        .await?;
    }
    let carried: Vec<String> = present.iter().map(|np| key(*np)).collect();
    prune::<NetworkPolicy>(ctx, owner, &carried).await?;
    let mut missing: Vec<String> = absent
        .iter()
        .filter_map(|np| np.metadata.namespace.clone())
        .collect();
    missing.sort();
    missing.dedup();
    Ok(Synced { carried, missing })
}

/// `namespace/name` of an object.
fn key<K: Resource>(o: &K) -> String {
    format!(
        "{}/{}",
        o.meta().namespace.as_deref().unwrap_or_default(),
        o.meta().name.as_deref().unwrap_or_default()
    )
}

/// `namespace/name` of each object.
pub(crate) fn keys<K: Resource>(objects: &[K]) -> Vec<String> {
    objects.iter().map(key).collect()
}

/// Delete the children of kind `K` that `owner` (kind, name) provisioned and no longer
/// desires (`desired`: `namespace/name`). The children are found by label, in the live index
/// when it watches `K`
/// (`desired::owner_selector`): an object without govkh's owner labels is never touched, and a
/// child whose owner's status forgot it is still found.
pub(crate) async fn prune<K>(
    ctx: &Context,
    (kind, name): (&str, &str),
    desired: &[String],
) -> Result<(), Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let selector = govkh_core::provision::desired::owner_selector(kind, name);
    // A kind the index watches (NetworkPolicies) is read from it, not listed per reconcile; a
    // child it does not hold yet (applied a moment ago) is seen by the reconcile its watch
    // event triggers. The others (quotas, limit ranges, role bindings) are listed by label.
    let existing: Vec<String> =
        if crate::index::resource_of_kind(&K::api_version(&()), &K::kind(&())).is_some() {
            ctx.index
                .labelled(&K::api_version(&()), &K::kind(&()), &selector)
        } else {
            Api::<K>::all(ctx.client.clone())
                .list_metadata(&kube::api::ListParams::default().labels(&selector))
                .await?
                .items
                .iter()
                .map(|o| {
                    format!(
                        "{}/{}",
                        o.metadata.namespace.as_deref().unwrap_or_default(),
                        o.metadata.name.as_deref().unwrap_or_default()
                    )
                })
                .collect()
        };
    for stale in govkh_core::provision::desired::undesired(&existing, desired) {
        let Some((ns, child)) = stale.split_once('/') else {
            continue;
        };
        match Api::<K>::namespaced(ctx.client.clone(), ns)
            .delete(child, &DeleteParams::default())
            .await
        {
            Ok(_) => tracing::info!(
                owner = %format!("{kind}/{name}"),
                child = %format!("{}/{stale}", K::kind(&())),
                "pruned a child no longer desired"
            ),
            // Already gone (deleted by hand, or with its namespace): nothing to remove.
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The status of a kind whose reconciler concludes with a state: its conditions, its
/// `observedGeneration` and its `state`.
pub(crate) trait StatusWithState: Clone + Default + PartialEq + serde::Serialize {
    /// The state written to `status.state`.
    type State: StateEvent;
    /// The conditions, to set.
    fn conditions_mut(&mut self) -> &mut Vec<Condition>;
    /// Record the generation the status describes.
    fn observe(&mut self, generation: Option<i64>);
    /// The state shown.
    fn state(&self) -> Option<Self::State>;
    /// Show `state`.
    fn set_state(&mut self, state: Self::State);
}

macro_rules! status_with_state {
    ($status:ty, $state:ty) => {
        impl StatusWithState for $status {
            type State = $state;
            fn conditions_mut(&mut self) -> &mut Vec<Condition> {
                &mut self.conditions
            }
            fn observe(&mut self, generation: Option<i64>) {
                self.observed_generation = generation;
            }
            fn state(&self) -> Option<$state> {
                self.state
            }
            fn set_state(&mut self, state: $state) {
                self.state = Some(state);
            }
        }
    };
}

status_with_state!(DataAccessGrantStatus, GrantState);
status_with_state!(PrivateNetworkLinkStatus, LinkState);
status_with_state!(ApprovalStatus, ApprovalState);
status_with_state!(CloudTenancyStatus, ClockState);

/// A condition to set: type, status, reason, message.
pub(crate) type ConditionUpdate<'a> = (&'static str, bool, &'a str, &'a str);

/// What a reconcile concluded about its object, ready to be written.
pub(crate) struct Conclusion<'a, S: StateEvent> {
    /// The state to show; `None` leaves the state as it was (the object could not be judged).
    pub state: Option<S>,
    /// The conditions to set.
    pub conditions: Vec<ConditionUpdate<'a>>,
    /// The condition reason that names the conclusion (the Event's reason when invalid).
    pub reason: &'a str,
    /// The sentence for the Event.
    pub message: &'a str,
    /// The next day the conclusion changes by time alone.
    pub next_boundary: Option<Day>,
    /// The object cannot be acted on until it, or what it names, changes.
    pub invalid: bool,
}

/// Turn a conclusion into the object's status (starting from `status`, which the caller has
/// filled with what is particular to its kind), an Event and the next reconcile — the same way
/// for every reconciler: conditions with `observedGeneration`, the status written only when it
/// changed, an Event when the state changed (a Warning with the reason when the object is
/// invalid, and then only when its status changed), a requeue at the next boundary, or, for an
/// invalid object, `Error::Invalid` so it waits for a change.
pub(crate) async fn conclude<K>(
    obj: &K,
    mut status: K::Status,
    c: Conclusion<'_, <K::Status as StatusWithState>::State>,
    ctx: &Context,
    now: Timestamp,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()>
        + kube::core::object::HasStatus
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::Status: StatusWithState,
{
    let current = obj.status();
    let generation = obj.meta().generation;
    for (type_, ok, reason, message) in &c.conditions {
        conditions::set(
            status.conditions_mut(),
            type_,
            *ok,
            reason,
            message,
            generation,
            now,
        );
    }
    status.observe(generation);
    let previous_state = current.and_then(StatusWithState::state);
    if let Some(state) = c.state {
        status.set_state(state);
    }
    let changed = current != Some(&status);
    write_status(obj, current, &status, ctx).await?;
    if c.invalid {
        if changed {
            ctx.event(obj, true, c.reason, c.message).await;
        }
        return Err(Error::Invalid(format!(
            "{} {}: {}",
            K::kind(&()),
            obj.name_any(),
            c.message
        )));
    }
    if let Some(state) = c.state.filter(|s| previous_state != Some(*s)) {
        let (warning, reason) = state.event();
        ctx.event(obj, warning, reason, c.message).await;
    }
    Ok(requeue_at(now, c.next_boundary))
}

/// Requeue at the start of `boundary` (the day a state changes by time alone), else wait for a
/// change.
pub(crate) fn requeue_at(now: Timestamp, boundary: Option<Day>) -> Action {
    match boundary {
        Some(day) => Action::requeue(until(now, day.start())),
        None => Action::await_change(),
    }
}

/// Time from `now` until `at`, at least one second (a requeue in the past would spin).
pub fn until(now: Timestamp, at: Timestamp) -> Duration {
    let secs = at.as_second().saturating_sub(now.as_second()).max(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Client;

    fn api(code: u16, reason: &str) -> Error {
        Error::Kube(kube::Error::Api(
            kube::core::Status::failure("namespaces \"moh-records\" not found", reason)
                .with_code(code)
                .boxed(),
        ))
    }

    #[test]
    fn api_errors_are_one_line_with_a_category() {
        let e = api(404, "NotFound");
        assert_eq!(
            e.to_string(),
            "Kubernetes API: 404 NotFound: namespaces \"moh-records\" not found"
        );
        assert!(!e.to_string().contains("Status {"), "no debug dump");
        assert_eq!(e.category(), "not-found");
        assert_eq!(api(409, "Conflict").category(), "conflict");
        assert_eq!(api(403, "Forbidden").category(), "forbidden");
        assert_eq!(api(503, "ServiceUnavailable").category(), "unavailable");
        assert_eq!(Error::Invalid("x".into()).category(), "invalid");
    }

    #[tokio::test]
    async fn waiting_is_said_once_per_object_and_a_deleted_object_is_forgotten() {
        let (service, _handle) = tower_test::mock::pair::<
            http::Request<kube::client::Body>,
            http::Response<kube::client::Body>,
        >();
        let ctx = Context::new(Client::new(service, "default"), Arc::new(Timestamp::now));
        assert!(ctx.waiting_first("CloudTenancy/a", "Ministry mot does not exist"));
        assert!(!ctx.waiting_first("CloudTenancy/a", "Ministry mot does not exist"));
        assert!(ctx.waiting_first("CloudTenancy/a", "no GovernmentCloud"));
        assert_eq!(ctx.failed("CloudTenancy/b", Some(1)).0, 1);
        assert_eq!(ctx.failed("CloudTenancy/b", Some(1)).0, 2);
        assert_eq!(ctx.backoffs(), 1);
        ctx.forget("CloudTenancy", "b");
        ctx.forget("CloudTenancy", "a");
        assert_eq!(ctx.backoffs(), 0);
        assert!(ctx.waiting_first("CloudTenancy/a", "no GovernmentCloud"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_backoff_holds_against_triggers_until_it_ends_or_the_spec_changes() {
        let (service, _handle) = tower_test::mock::pair::<
            http::Request<kube::client::Body>,
            http::Response<kube::client::Body>,
        >();
        let ctx = Context::new(Client::new(service, "default"), Arc::new(Timestamp::now));
        let key = "PrivateNetworkLink/mef-to-gdt";
        assert_eq!(ctx.backing_off(key, Some(3)), None, "never failed");
        let (_, first) = ctx.failed(key, Some(3));
        let wait = ctx.backing_off(key, Some(3)).unwrap();
        assert!(
            wait <= first && wait >= first.mul_f64(0.99),
            "{wait:?} of {first:?}"
        );
        assert_eq!(
            ctx.backing_off(key, Some(4)),
            None,
            "the user changed the spec"
        );
        tokio::time::advance(first / 2).await;
        assert!(
            ctx.backing_off(key, Some(3)).is_some(),
            "half-way: still waiting"
        );
        tokio::time::advance(first).await;
        assert_eq!(ctx.backing_off(key, Some(3)), None, "the delay is over");
        let (n, second) = ctx.failed(key, Some(3));
        assert_eq!(n, 2);
        assert!(second > first, "{second:?} after {first:?}");
        ctx.forget("PrivateNetworkLink", "mef-to-gdt");
        assert_eq!(
            ctx.backing_off(key, Some(3)),
            None,
            "forgotten with the object"
        );
    }

    #[test]
    fn requeue_delay_is_never_zero() {
        let now: Timestamp = "2026-05-30T16:00:00Z".parse().unwrap();
        assert_eq!(
            until(now, "2026-05-30T17:00:00Z".parse().unwrap()).as_secs(),
            3600
        );
        assert_eq!(
            until(now, "2026-05-30T15:00:00Z".parse().unwrap()).as_secs(),
            1
        );
    }
}
