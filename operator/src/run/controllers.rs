//! The reconcilers wired to the live index: each controller runs on its kind's mirror, is
//! triggered by the objects it owns and depends on (`dependents`), and the Ministry and cloud
//! controllers after every audit.

use crate::{
    context::Context,
    controller::{self, approval, cloud, grant, link, ministry, tenancy},
    index,
};
use futures::StreamExt;
use govkh_core::{
    api::{
        Approval, CloudTenancy, DataAccessGrant, GOVERNMENT_CLOUD_NAME, GovernmentCloud, Kind,
        Ministry, PrivateNetworkLink,
    },
    dependents::{Dependents, of_change},
};
use kube::{
    core::DeserializeGuard,
    runtime::{Controller, reflector::ObjectRef, watcher},
};
use std::sync::Arc;

/// A controller's triggers from the live index: every change the index takes in, mapped by
/// `pick` to the objects of the controller's kind that depend on it (`dependents::of_change`,
/// read from the index after it holds the change). A subscriber that fell behind the buffer
/// reconciles every object of its kind the index holds: nothing is missed silently.
pub(crate) fn triggers<K>(
    index: &Arc<index::Index>,
    pick: fn(Dependents) -> Vec<String>,
) -> impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + 'static,
{
    changes_to::<K>(index, move |inv, change| {
        pick(of_change(inv, change.kind, &change.object))
    })
}

/// A controller's triggers for the objects it owns of `kind` (Namespaces, NetworkPolicies),
/// from the index's watch of that kind rather than a watch of its own: a change to (or the
/// deletion of) an object whose `ownerReferences` name a `K` reconciles that `K`, as kube's
/// `Controller::owns` would.
pub(crate) fn owners<K>(
    index: &Arc<index::Index>,
    kind: &'static str,
) -> impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + 'static,
{
    changes_to::<K>(index, move |_, change| {
        if change.kind != kind {
            return Vec::new();
        }
        let owner_kind = K::kind(&());
        let api_version = K::api_version(&());
        change.object["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["kind"] == *owner_kind && o["apiVersion"] == *api_version)
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect()
    })
}

/// The index's changes, each mapped by `names` (given the inventory that holds it) to objects
/// of `K` to reconcile. A subscriber that fell behind the buffer reconciles every object of its
/// kind the index holds: nothing is missed silently.
pub(crate) fn changes_to<K>(
    index: &Arc<index::Index>,
    names: impl Fn(&govkh_core::inventory::Inventory, &index::Change) -> Vec<String>
    + Send
    + Sync
    + 'static,
) -> impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + 'static,
{
    let rx = index.subscribe();
    let index = index.clone();
    let names = Arc::new(names);
    futures::stream::unfold((rx, index, names), move |(mut rx, index, names)| async move {
        let found: Vec<String> = match rx.recv().await {
            Ok(change) => names(&index.inventory(), &change),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::info!(missed, kind = %K::kind(&()), "fell behind the index; reconciling every object");
                every::<K>(&index.inventory())
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((
            futures::stream::iter(found.into_iter().map(|n| ObjectRef::new(&n))),
            (rx, index, names),
        ))
    })
    .flatten()
}

/// Every object of our kind `K` the inventory holds, by name.
pub(crate) fn every<K: kube::Resource<DynamicType = ()>>(
    inv: &govkh_core::inventory::Inventory,
) -> Vec<String> {
    let Some(kind) = Kind::of(&K::api_version(&()), &K::kind(&())) else {
        return Vec::new();
    };
    match kind {
        Kind::CloudTenancy => inv.tenancies.keys().cloned().collect(),
        Kind::PrivateNetworkLink => inv.links.keys().cloned().collect(),
        Kind::DataAccessGrant => inv.grants.keys().cloned().collect(),
        Kind::Approval => inv.approvals.keys().cloned().collect(),
        Kind::Ministry => inv.ministries.keys().cloned().collect(),
        Kind::DataClass => inv.data_classes.keys().cloned().collect(),
        Kind::GovernmentCloud => vec![GOVERNMENT_CLOUD_NAME.to_string()],
    }
}

/// A stream yielding once per completed audit.
pub(crate) fn audits(
    rx: tokio::sync::watch::Receiver<u64>,
) -> impl futures::Stream<Item = ()> + Send {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    })
}

/// The typed stores of the controllers' kinds, kept by the index's watches.
pub(crate) struct Mirrors {
    tenancies: index::Mirror<CloudTenancy>,
    links: index::Mirror<PrivateNetworkLink>,
    grants: index::Mirror<DataAccessGrant>,
    approvals: index::Mirror<Approval>,
    ministries: index::Mirror<Ministry>,
    clouds: index::Mirror<GovernmentCloud>,
}

impl Mirrors {
    /// The mirrors of `index`, taken before its watches start so they see the first list.
    pub(crate) fn of(index: &index::Index) -> Self {
        Mirrors {
            tenancies: index.mirror(),
            links: index.mirror(),
            grants: index.mirror(),
            approvals: index.mirror(),
            ministries: index.mirror(),
            clouds: index.mirror(),
        }
    }
}

/// The six reconcilers, each on its mirror with its triggers, run together until they stop.
pub(crate) fn start_all(
    ctx: &Arc<Context>,
    mirrors: &Mirrors,
    cfg: &kube::runtime::controller::Config,
    audit_rx: tokio::sync::watch::Receiver<u64>,
) -> impl std::future::Future<Output = ()> + Send {
    let index = &ctx.index;
    // CloudTenancy: owns its namespaces; depends on its Ministry, its Approvals and the cloud
    // (triggered by the index's changes, after the index holds them).
    let tenancies = drive(
        controller_of(&mirrors.tenancies, cfg)
            .reconcile_on(owners::<CloudTenancy>(index, "Namespace"))
            .reconcile_on(triggers(index, |d| d.tenancies)),
        tenancy::reconcile,
        ctx,
    );
    // PrivateNetworkLink: owns its NetworkPolicies; depends on its Approval, both Ministries
    // and their namespaces.
    let links = drive(
        controller_of(&mirrors.links, cfg)
            .reconcile_on(owners::<PrivateNetworkLink>(index, "NetworkPolicy"))
            .reconcile_on(triggers(index, |d| d.links)),
        link::reconcile,
        ctx,
    );
    // DataAccessGrant: owns its NetworkPolicies; depends on both Ministries and the grantee's
    // namespaces.
    let grants = drive(
        controller_of(&mirrors.grants, cfg)
            .reconcile_on(owners::<DataAccessGrant>(index, "NetworkPolicy"))
            .reconcile_on(triggers(index, |d| d.grants)),
        grant::reconcile,
        ctx,
    );
    // Approval: its state; whether its subject exists.
    let approvals = drive(
        controller_of(&mirrors.approvals, cfg).reconcile_on(triggers(index, |d| d.approvals)),
        approval::reconcile,
        ctx,
    );
    // Ministry: its namespaces and, after every audit, its compliance.
    let ministries = drive(
        controller_of(&mirrors.ministries, cfg)
            .reconcile_on(triggers(index, |d| d.ministries))
            .reconcile_all_on(audits(audit_rx.clone())),
        ministry::reconcile,
        ctx,
    );
    // GovernmentCloud: the singleton's checks and, after every audit, its counts.
    let clouds = drive(
        controller_of(&mirrors.clouds, cfg)
            .reconcile_on(triggers(index, |d| {
                if d.cloud {
                    vec![GOVERNMENT_CLOUD_NAME.to_string()]
                } else {
                    Vec::new()
                }
            }))
            .reconcile_all_on(audits(audit_rx)),
        cloud::reconcile,
        ctx,
    );

    async move {
        futures::join!(tenancies, links, grants, approvals, ministries, clouds);
    }
}

/// A controller of `K` on its mirror (the index's watch of `K` is its only watch), with the
/// run's configuration, stopping on SIGTERM or SIGINT.
pub(crate) fn controller_of<K>(
    mirror: &index::Mirror<K>,
    cfg: &kube::runtime::controller::Config,
) -> Controller<DeserializeGuard<K>>
where
    K: index::Mirrored,
{
    Controller::for_shared_stream(mirror.triggers(), mirror.store())
        .with_config(cfg.clone())
        .shutdown_on_signal()
}

/// Run `controller`: each object through `controller::guarded` to `reconcile`, failures to
/// `controller::error_policy`, every outcome logged by what it means.
pub(crate) fn drive<K, Fut>(
    controller: Controller<DeserializeGuard<K>>,
    reconcile: fn(Arc<K>, Arc<Context>) -> Fut,
    ctx: &Arc<Context>,
) -> impl std::future::Future<Output = ()> + Send
where
    K: index::Mirrored,
    Fut: std::future::Future<Output = Result<kube::runtime::controller::Action, controller::Error>>
        + Send
        + 'static,
{
    controller
        .run(
            move |o, c| controller::guarded(o, c, reconcile),
            controller::error_policy,
            ctx.clone(),
        )
        .for_each(log_outcome)
}

/// Log one reconcile's outcome (the controllers' stream items) by what it means: a success or
/// a trigger for an object no longer in the store is `debug`; a failed reconcile was already
/// logged by `error_policy` (once, with its category), so it is `debug` here; a watch that
/// failed is a one-line `warn`; only the controller's machinery failing is an `error`.
pub(crate) fn log_outcome<K>(
    result: Result<
        (ObjectRef<K>, kube::runtime::controller::Action),
        kube::runtime::controller::Error<controller::Error, watcher::Error>,
    >,
) -> std::future::Ready<()>
where
    K: kube::Resource,
    K::DynamicType: std::fmt::Debug,
{
    use kube::runtime::controller::Error as E;
    match result {
        Ok((object, action)) => tracing::debug!(object = %object.name, ?action, "reconciled"),
        Err(E::ObjectNotFound(object)) => {
            tracing::debug!(object = %object.name, "trigger for an object no longer in the store");
        }
        Err(E::ReconcilerFailed(error, object)) => {
            tracing::debug!(object = %object.name, category = error.category(), %error, "reconcile failed");
        }
        Err(E::QueueError(error)) => {
            tracing::warn!(error = %govkh_core::printable::one_line(&error.to_string()), "a watch failed; retrying with backoff");
        }
        Err(E::RunnerError(error)) => tracing::error!(%error, "the controller's runner failed"),
    }
    std::future::ready(())
}
