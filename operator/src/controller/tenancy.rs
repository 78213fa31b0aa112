//! The CloudTenancy reconciler: provisions the tenancy's namespaces and what they hold
//! (`desired::tenancy_objects`), releases namespaces it no longer declares, and reports the
//! statutory clock in status, requeueing exactly when the state changes by time alone.
//! The finalizer exists only to release the namespaces (label them orphaned, drop the owner
//! reference) before a `Retain` tenancy goes; with `Delete` the garbage collector removes them.
//! It is added and removed by server-side apply of `metadata.finalizers` alone (a set), not by
//! a JSON patch testing the current list: a reconcile of a cached object older than the
//! finalizer it just added applied the same again instead of failing with 422 Invalid.

use std::sync::Arc;

use k8s_openapi::api::{
    core::v1::{LimitRange, Namespace, ResourceQuota},
    networking::v1::NetworkPolicy,
    rbac::v1::RoleBinding,
};
use kube::{
    Api, ResourceExt,
    api::{Patch, PatchParams},
    runtime::controller::Action,
};

use super::{Conclusion, Context, Error, apply_one, conclude, instrumented, keys, prune};
use govkh_core::{
    api::{
        ClockState, CloudTenancy, DeletionPolicy, GOVERNMENT_CLOUD_NAME, SubjectKind,
        conditions as cond,
    },
    evaluate::approvals_of,
    law::clock,
    law::verdict::Reason,
    message,
    provision::{admission_policies, desired},
};

/// The finalizer that releases a `Retain` tenancy's namespaces before it goes.
pub const FINALIZER: &str = "digital.gov.kh/release-namespaces";

/// Reconcile one tenancy.
pub async fn reconcile(tenancy: Arc<CloudTenancy>, ctx: Arc<Context>) -> Result<Action, Error> {
    instrumented(
        "cloudtenancy",
        &*tenancy,
        &ctx,
        reconcile_inner(tenancy.clone(), &ctx),
    )
    .await
}

async fn reconcile_inner(tenancy: Arc<CloudTenancy>, ctx: &Arc<Context>) -> Result<Action, Error> {
    let t = &*tenancy;
    let ours = t.finalizers().iter().any(|f| f == FINALIZER);
    if t.metadata.deletion_timestamp.is_some() {
        if ours {
            cleanup(t, ctx).await?;
            set_finalizer(t, ctx, false).await?;
        }
        return Ok(Action::await_change());
    }
    if !ours {
        // The finalizer's change wakes the next reconcile, which provisions.
        set_finalizer(t, ctx, true).await?;
        return Ok(Action::await_change());
    }
    apply(t, ctx).await
}

/// Add (`present`) or remove our finalizer by server-side apply of `metadata.finalizers`
/// alone: the finalizers are a set, so the apply merges with anyone else's and needs no
/// `test` of the current list — a reconcile that runs on a cached object older than the
/// finalizer it added a moment ago does not fail with 422, it applies the same again.
async fn set_finalizer(t: &CloudTenancy, ctx: &Context, present: bool) -> Result<(), Error> {
    let name = t.name_any();
    let api: Api<CloudTenancy> = Api::all(ctx.client.clone());
    let mut body = serde_json::json!({
        "apiVersion": govkh_core::api::API_VERSION,
        "kind": "CloudTenancy",
        "metadata": {"name": name},
    });
    if present {
        body["metadata"]["finalizers"] = serde_json::json!([FINALIZER]);
    }
    let params = PatchParams::apply(desired::FIELD_MANAGER).force();
    let after = api.patch(&name, &params, &Patch::Apply(&body)).await?;
    if !present && after.finalizers().iter().any(|f| f == FINALIZER) {
        // Added before govkh applied it (by a JSON patch of an earlier version): not ours by
        // apply, so taken out by a merge patch of the list, guarded by the resourceVersion.
        let rest: Vec<&String> = after
            .finalizers()
            .iter()
            .filter(|f| *f != FINALIZER)
            .collect();
        let patch = serde_json::json!({"metadata": {
            "finalizers": rest,
            "resourceVersion": after.metadata.resource_version,
        }});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
    }
    Ok(())
}

async fn apply(t: &CloudTenancy, ctx: &Context) -> Result<Action, Error> {
    let client = &ctx.client;
    let now = (ctx.now)();
    let name = t.name_any();
    // Read, from the live index.
    let inv = ctx.index.inventory();
    let ministry = inv
        .ministries
        .get(&t.spec.ministry)
        .map(|e| e.object.clone());
    let cloud = inv
        .government_cloud
        .as_ref()
        .filter(|e| e.object.metadata.name.as_deref() == Some(GOVERNMENT_CLOUD_NAME))
        .map(|e| e.object.clone());
    // Validate: without its ministry or the government cloud the tenancy cannot be judged.
    let (ministry, cloud) = match (ministry, cloud) {
        (Some(m), Some(c)) => (m, c),
        (m, _) => {
            let reason = if m.is_none() {
                Reason::TenancyMinistryNotFound {
                    ministry: t.spec.ministry.clone(),
                }
            } else {
                Reason::GovernmentCloudNotFound
            };
            return missing(t, reason, ctx, now).await;
        }
    };
    // Build and apply.
    let mut d = desired::tenancy_objects(t, &ministry, &cloud);
    if let Some(reader) = &ctx.secrets_reader {
        desired::bind_secrets_reader(&mut d, t, reader);
    }
    // What the generated admission policies read on each namespace, from the catalogue.
    admission_policies::annotate(&mut d.namespaces, &inv, &t.spec);
    apply_all(client, &d).await?;
    if ctx.secrets_reader.is_some() {
        // The reader role is bound in each namespace now: a Secrets watch there that RBAC
        // refused tries again at once, not at its next backoff (up to 5 minutes away).
        for ns in &t.spec.namespaces {
            ctx.index.retry_refused_in(&ns.name);
        }
    }
    let current = take_back(t, &name, &d, ctx).await?;
    // Status: the statutory clock as of now.
    let named = approvals_of(&inv, SubjectKind::CloudTenancy, &name);
    let today = govkh_core::api::Day::in_phnom_penh(now);
    let v = clock::evaluate(
        &t.spec,
        ministry.spec.resource_level,
        &named,
        &cloud.spec,
        today,
    );
    let mut status = t.status.clone().unwrap_or_default();
    status.application_deadline = v.application_deadline;
    status.migration_deadline = v.migration_deadline;
    status.next_deadline = v.next_deadline;
    status.next_boundary = v.next_boundary;
    status.approval = v.approval_in_force.clone();
    status.namespaces = current;
    let message = message::en::clock(&v);
    let conclusion = Conclusion {
        state: Some(v.state),
        conditions: vec![
            (
                cond::READY,
                true,
                "Reconciled",
                "namespaces, quotas, network policies and role bindings applied",
            ),
            (cond::SYNCED, true, "Applied", ""),
            (
                cond::COMPLIANT,
                v.state == ClockState::Compliant,
                v.state.as_str(),
                &message,
            ),
        ],
        reason: v.state.as_str(),
        message: &message,
        next_boundary: v.next_boundary,
        invalid: false,
    };
    conclude(t, status, conclusion, ctx, now).await
}

/// Take back what the tenancy no longer asks for: its children no longer desired (pruned) and
/// the namespaces dropped from its spec (released). Returns the namespaces it still has.
async fn take_back(
    t: &CloudTenancy,
    name: &str,
    d: &desired::TenancyObjects,
    ctx: &Context,
) -> Result<Vec<String>, Error> {
    // Prune what is no longer desired (a quota removed, DTU groups emptied): found by the
    // owner labels, so nothing the tenancy did not provision is touched.
    let owner = ("CloudTenancy", name);
    prune::<ResourceQuota>(ctx, owner, &keys(&d.quotas)).await?;
    prune::<LimitRange>(ctx, owner, &keys(&d.limit_ranges)).await?;
    prune::<NetworkPolicy>(ctx, owner, &keys(&d.network_policies)).await?;
    prune::<RoleBinding>(ctx, owner, &keys(&d.role_bindings)).await?;
    let current: Vec<String> = t.spec.namespaces.iter().map(|n| n.name.clone()).collect();
    let previous = t
        .status
        .as_ref()
        .map(|s| s.namespaces.clone())
        .unwrap_or_default();
    for gone in previous.iter().filter(|n| !current.contains(n)) {
        release(gone, ctx).await?;
    }
    Ok(current)
}

/// Apply every object the tenancy provisions, server-side, in dependency order.
async fn apply_all(client: &kube::Client, d: &desired::TenancyObjects) -> Result<(), Error> {
    for ns in &d.namespaces {
        apply_one(Api::<Namespace>::all(client.clone()), ns).await?;
    }
    for q in &d.quotas {
        apply_one(
            Api::<ResourceQuota>::namespaced(
                client.clone(),
                q.metadata.namespace.as_deref().unwrap_or_default(),
            ),
            q,
        )
        .await?;
    }
    for l in &d.limit_ranges {
        apply_one(
            Api::<LimitRange>::namespaced(
                client.clone(),
                l.metadata.namespace.as_deref().unwrap_or_default(),
            ),
            l,
        )
        .await?;
    }
    for n in &d.network_policies {
        apply_one(
            Api::<NetworkPolicy>::namespaced(
                client.clone(),
                n.metadata.namespace.as_deref().unwrap_or_default(),
            ),
            n,
        )
        .await?;
    }
    for r in &d.role_bindings {
        apply_one(
            Api::<RoleBinding>::namespaced(
                client.clone(),
                r.metadata.namespace.as_deref().unwrap_or_default(),
            ),
            r,
        )
        .await?;
    }
    Ok(())
}

/// Conclude a tenancy that cannot be judged: its ministry or the government cloud is missing.
async fn missing(
    t: &CloudTenancy,
    reason: Reason,
    ctx: &Context,
    now: k8s_openapi::jiff::Timestamp,
) -> Result<Action, Error> {
    let message = message::en::reason(&reason);
    let conclusion = Conclusion {
        state: None,
        conditions: vec![(cond::READY, false, reason.as_str(), &message)],
        reason: reason.as_str(),
        message: &message,
        next_boundary: None,
        invalid: true,
    };
    let status = t.status.clone().unwrap_or_default();
    conclude(t, status, conclusion, ctx, now).await
}

async fn release(namespace: &str, ctx: &Context) -> Result<(), Error> {
    let api = Api::<Namespace>::all(ctx.client.clone());
    match api
        .patch(
            namespace,
            &PatchParams::default(),
            &Patch::Merge(desired::orphan_patch()),
        )
        .await
    {
        Ok(_) => Ok(()),
        // Already gone: nothing to keep.
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn cleanup(t: &CloudTenancy, ctx: &Context) -> Result<(), Error> {
    if t.spec.deletion_policy == DeletionPolicy::Retain {
        let mut names: Vec<String> = t.spec.namespaces.iter().map(|n| n.name.clone()).collect();
        names.extend(t.status.iter().flat_map(|s| s.namespaces.clone()));
        names.sort();
        names.dedup();
        for n in &names {
            release(n, ctx).await?;
        }
    }
    Ok(())
}
