//! The CloudTenancy reconciler: provisions the tenancy's namespaces and what they hold
//! (`desired::tenancy_objects`) — only those the fence lets it hold (`fence::claim`: made for
//! it, or handed over by the platform; never a reserved, contested or another's namespace,
//! which it reports in its `NamespacesClaimed` and `Ready` conditions and never touches) —
//! under its own field manager, releases namespaces it no longer holds, and reports the
//! statutory clock in status, requeueing exactly when the state changes by time alone.
//! The finalizer exists to release the namespaces (labelled orphaned, its owner reference and
//! its other fields taken off, nobody else's) before a tenancy goes: all of them with `Retain`;
//! with `Delete`, those the platform handed over, while the garbage collector removes the ones
//! govkh created for it.
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

use super::{Conclusion, Context, Error, apply_as, conclude, instrumented, keys, prune};
use govkh_core::{
    api::{
        ClockState, CloudTenancy, DeletionPolicy, GOVERNMENT_CLOUD_NAME, SubjectKind,
        conditions as cond,
    },
    evaluate::approvals_of,
    fence::{self, Authority, Claim, ClaimRefusal},
    inventory::Inventory,
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
    // The fence: which of its namespaces the tenancy may create, keep or take over, and which
    // it may not touch (reserved, contested, another's, not handed over).
    let claims = Claims::of(&inv.with_tenancy(t), &ctx.authority, t, &name);
    let mut held = t.clone();
    held.spec
        .namespaces
        .retain(|n| claims.held.iter().any(|(h, _)| h == &n.name));
    // Build and apply, under this tenancy's own field manager.
    let mut d = desired::tenancy_objects(&held, &ministry, &cloud);
    if let Some(reader) = &ctx.secrets_reader {
        desired::bind_secrets_reader(&mut d, &held, reader);
    }
    desired::hand_over(&mut d, &claims.adopted());
    // What the generated admission policies read on each namespace, from the catalogue.
    admission_policies::annotate(&mut d.namespaces, &inv, &t.spec);
    let manager = desired::field_manager("CloudTenancy", &name);
    for (ns, claim) in &claims.held {
        if *claim == Claim::Create && !create_namespace(ctx, ns, &name).await? {
            // Made by someone else a moment ago: judged again once the index holds it.
            return Ok(Action::requeue(std::time::Duration::from_secs(2)));
        }
    }
    apply_all(client, &d, &manager).await?;
    if ctx.secrets_reader.is_some() {
        // The reader role is bound in each namespace now: a Secrets watch there that RBAC
        // refused tries again at once, not at its next backoff (up to 5 minutes away).
        for ns in &held.spec.namespaces {
            ctx.index.retry_refused_in(&ns.name);
        }
    }
    let current = take_back(t, &name, &d, &claims, ctx).await?;
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
    let (claimed, claim_reason, claim_message) = claims.condition();
    if !claimed {
        let was = t
            .status
            .as_ref()
            .and_then(|s| {
                s.conditions
                    .iter()
                    .find(|c| c.type_ == cond::NAMESPACES_CLAIMED)
            })
            .map(|c| c.message.as_str());
        if was != Some(claim_message.as_str()) {
            ctx.event(t, true, claim_reason, &claim_message).await;
        }
    }
    let refused = !claims.refused.is_empty();
    let conclusion = Conclusion {
        state: Some(v.state),
        conditions: vec![
            if refused {
                (cond::READY, false, claim_reason, claim_message.as_str())
            } else {
                (
                    cond::READY,
                    true,
                    "Reconciled",
                    "namespaces, quotas, network policies and role bindings applied",
                )
            },
            (cond::SYNCED, true, "Applied", ""),
            (
                cond::NAMESPACES_CLAIMED,
                claimed,
                claim_reason,
                claim_message.as_str(),
            ),
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

/// What the fence lets a tenancy do with each namespace it declares.
struct Claims {
    /// Namespaces it may create, keep or take over, with which.
    held: Vec<(String, Claim)>,
    /// Namespaces it may not touch, with why.
    refused: Vec<(String, ClaimRefusal)>,
    /// Namespaces it holds that other tenancies declare too.
    contested: Vec<(String, Vec<String>)>,
}

impl Claims {
    fn of(inv: &Inventory, authority: &Authority, t: &CloudTenancy, name: &str) -> Self {
        let mut c = Claims {
            held: Vec::new(),
            refused: Vec::new(),
            contested: Vec::new(),
        };
        for ns in &t.spec.namespaces {
            match fence::claim(inv, authority, name, &ns.name) {
                Ok(claim) => {
                    let others = fence::rivals(inv, name, &ns.name);
                    if !others.is_empty() {
                        c.contested.push((ns.name.clone(), others));
                    }
                    c.held.push((ns.name.clone(), claim));
                }
                Err(refusal) => c.refused.push((ns.name.clone(), refusal)),
            }
        }
        c
    }

    /// The namespaces it holds that the platform handed over (not made for it).
    fn adopted(&self) -> Vec<String> {
        self.held
            .iter()
            .filter(|(_, c)| matches!(c, Claim::Adopt | Claim::Keep { created: false }))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The `NamespacesClaimed` condition: whether every namespace it declares is its own and
    /// uncontested, the reason, and a sentence naming each that is not.
    fn condition(&self) -> (bool, &'static str, String) {
        if self.refused.is_empty() && self.contested.is_empty() {
            return (
                true,
                "Held",
                "every namespace it declares is its own".into(),
            );
        }
        let mut parts: Vec<String> = self
            .refused
            .iter()
            .map(|(ns, r)| message::en::claim_refusal(ns, r))
            .collect();
        parts.extend(self.contested.iter().map(|(ns, others)| {
            format!(
                "namespace {ns} is declared by CloudTenancy {} too, which is refused it",
                others.join(", ")
            )
        }));
        let reason = self
            .refused
            .first()
            .map(|(_, r)| r.as_str())
            .unwrap_or("NamespaceConflict");
        (false, reason, parts.join("; "))
    }
}

/// Create namespace `ns` for tenancy `tenancy`, recording that govkh made it for it and that
/// the tenancy holds it (the rest of what it carries is applied next, by the tenancy's field
/// manager). `false`: it exists already (someone made it since the index last saw), and is
/// not the tenancy's to take.
///
/// The holder is recorded in the creation itself, not only by the apply after it: a reconcile
/// that reads the namespace as created (the index not yet holding the apply) must find it the
/// tenancy's. Created without the label, such a reconcile found a namespace nobody held, and
/// released it — taking the tenancy's labels off its own namespace for good. The label is the
/// one `released_namespace` keeps, so owning it here as well takes nothing from a release.
async fn create_namespace(ctx: &Context, ns: &str, tenancy: &str) -> Result<bool, Error> {
    let api = Api::<Namespace>::all(ctx.client.clone());
    let bare = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(ns.to_string()),
            labels: Some(std::collections::BTreeMap::from([(
                govkh_core::api::LABEL_TENANCY.to_string(),
                govkh_core::api::label_value(tenancy),
            )])),
            annotations: Some(std::collections::BTreeMap::from([(
                desired::ANNOTATION_CREATED_BY.to_string(),
                tenancy.to_string(),
            )])),
            ..Default::default()
        },
        ..Default::default()
    };
    let params = kube::api::PostParams {
        field_manager: Some(desired::FIELD_MANAGER.into()),
        ..Default::default()
    };
    match api.create(&params, &bare).await {
        Ok(_) => {
            tracing::info!(namespace = ns, "created the namespace for the tenancy");
            Ok(true)
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Take back what the tenancy no longer asks for: its children no longer desired (pruned) and
/// the namespaces it no longer holds (released). Returns the namespaces it holds.
async fn take_back(
    t: &CloudTenancy,
    name: &str,
    d: &desired::TenancyObjects,
    claims: &Claims,
    ctx: &Context,
) -> Result<Vec<String>, Error> {
    // Prune what is no longer desired (a quota removed, DTU groups emptied): found by the
    // owner labels, so nothing the tenancy did not provision is touched.
    let owner = ("CloudTenancy", name);
    prune::<ResourceQuota>(ctx, owner, &keys(&d.quotas)).await?;
    prune::<LimitRange>(ctx, owner, &keys(&d.limit_ranges)).await?;
    prune::<NetworkPolicy>(ctx, owner, &keys(&d.network_policies)).await?;
    prune::<RoleBinding>(ctx, owner, &keys(&d.role_bindings)).await?;
    let current: Vec<String> = claims.held.iter().map(|(n, _)| n.clone()).collect();
    let previous = t
        .status
        .as_ref()
        .map(|s| s.namespaces.clone())
        .unwrap_or_default();
    for gone in previous.iter().filter(|n| !current.contains(n)) {
        release(gone, name, ctx).await?;
    }
    Ok(current)
}

/// Apply every object the tenancy provisions, server-side under its own field manager, in
/// dependency order: its namespaces, then in them the quotas, limit ranges, network policies
/// and role bindings.
async fn apply_all(
    client: &kube::Client,
    d: &desired::TenancyObjects,
    manager: &str,
) -> Result<(), Error> {
    for ns in &d.namespaces {
        apply_as(Api::<Namespace>::all(client.clone()), ns, manager).await?;
    }
    apply_in_their_namespaces(client, &d.quotas, manager).await?;
    apply_in_their_namespaces(client, &d.limit_ranges, manager).await?;
    apply_in_their_namespaces(client, &d.network_policies, manager).await?;
    apply_in_their_namespaces(client, &d.role_bindings, manager).await
}

/// Apply each of `objects` in the namespace its metadata names.
async fn apply_in_their_namespaces<K>(
    client: &kube::Client,
    objects: &[K],
    manager: &str,
) -> Result<(), Error>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    for o in objects {
        let ns = o.meta().namespace.as_deref().unwrap_or_default();
        apply_as(Api::<K>::namespaced(client.clone(), ns), o, manager).await?;
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

/// Let go of `namespace`, which `tenancy` held: applied under the tenancy's own field manager
/// with only the labels that keep its data attributed and classified, and `orphaned`
/// (`desired::released_namespace`) — what else the tenancy applied there goes, what others put
/// there stays. A namespace the index no longer holds is gone already.
async fn release(namespace: &str, tenancy: &str, ctx: &Context) -> Result<(), Error> {
    let labels = {
        let inv = ctx.index.inventory();
        let key = govkh_core::inventory::other_key("v1", "Namespace", None, namespace);
        match inv.others.get(&key) {
            Some(o) => o.raw["metadata"]["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect::<std::collections::BTreeMap<_, _>>()
                })
                .unwrap_or_default(),
            None => return Ok(()),
        }
    };
    let api = Api::<Namespace>::all(ctx.client.clone());
    let manager = desired::field_manager("CloudTenancy", tenancy);
    match apply_as(
        api,
        &desired::released_namespace(namespace, &labels),
        &manager,
    )
    .await
    {
        Ok(()) => Ok(()),
        // Gone meanwhile: nothing to keep.
        Err(Error::Kube(kube::Error::Api(s))) if s.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// Before a tenancy goes: with `Retain`, release every namespace it holds (they stay, with
/// their data); with `Delete`, release only those the platform handed over — the ones govkh
/// created for it carry its owner reference, and the garbage collector deletes them after it.
async fn cleanup(t: &CloudTenancy, ctx: &Context) -> Result<(), Error> {
    let name = t.name_any();
    let mut names: Vec<String> = t.status.iter().flat_map(|s| s.namespaces.clone()).collect();
    names.extend(t.spec.namespaces.iter().map(|n| n.name.clone()));
    names.sort();
    names.dedup();
    let inv = ctx.index.inventory();
    for n in &names {
        let Some(info) = inv.namespaces.get(n) else {
            continue;
        };
        // Only what govkh recorded as this tenancy's is its to let go of.
        if info.recorded.as_deref() != Some(govkh_core::api::label_value(&name).as_str())
            || !info.exists
        {
            continue;
        }
        let created = info.created_by.as_deref() == Some(name.as_str());
        if t.spec.deletion_policy == DeletionPolicy::Retain || !created {
            release(n, &name, ctx).await?;
        }
    }
    Ok(())
}
