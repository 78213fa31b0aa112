//! The cluster state our objects ask for, built as plain Kubernetes objects: the "build" step of
//! the reconcilers (read → validate → **build** → apply → status). Pure: no client, no clock.
//! What a tenancy provisions in each of its namespaces:
//! - the Namespace, labelled with ministry, placement, data class, personal data and tenancy,
//!   owned by the tenancy;
//! - a ResourceQuota and a LimitRange from `quota` (the LimitRange gives containers default
//!   requests, without which a quota on requests refuses every pod that sets none);
//! - NetworkPolicies: deny by default; allow traffic within the ministry's namespaces; allow
//!   egress to the government private network (Art. 9) and to cluster DNS;
//! - a RoleBinding giving the ministry's Digital Transformation Unit groups `admin` (Art. 5).

use std::collections::BTreeMap;

use k8s_openapi::{
    api::networking::v1::NetworkPolicyPort,
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference},
        util::intstr::IntOrString,
    },
};

pub use crate::api::{
    ANNOTATION_CREATED_BY, FIELD_MANAGER, LABEL_MANAGED_BY, LABEL_TENANCY, bounded, label_value,
};

mod network;
mod tenancy;
mod webhook;

pub use network::*;
pub use tenancy::*;
pub use webhook::*;
/// Label set on a namespace kept after its tenancy let go of it (`deletionPolicy: Retain`).
pub const LABEL_ORPHANED: &str = "digital.gov.kh/orphaned";
/// The kind of the object that provisioned a child (`CloudTenancy`, `PrivateNetworkLink`,
/// `DataAccessGrant`): with `LABEL_OWNER_NAME`, how its reconciler finds its children to prune
/// what is no longer desired, whatever its status remembers.
pub const LABEL_OWNER_KIND: &str = "digital.gov.kh/owner-kind";
/// The name of the object that provisioned a child (see `label_value` for long names).
pub const LABEL_OWNER_NAME: &str = "digital.gov.kh/owner-name";

/// The field manager under which the `kind` object `name` applies what it provisions,
/// `govkh/<kind>/<name>` (e.g. `govkh/cloudtenancy/mef-core`), within Kubernetes' 128
/// characters: each owner owns its own fields, so one owner's apply never takes or drops
/// another's (two tenancies, a tenancy and a link in one namespace).
pub fn field_manager(kind: &str, name: &str) -> String {
    bounded(
        &format!("{FIELD_MANAGER}/{}/{name}", kind.to_lowercase()),
        128,
    )
}

/// The labels that tie a child to its owner.
pub fn owner_labels(kind: &str, name: &str) -> [(&'static str, String); 2] {
    [
        (LABEL_OWNER_KIND, kind.to_string()),
        (LABEL_OWNER_NAME, label_value(name)),
    ]
}

/// The label selector of the children `kind`/`name` provisioned: managed by govkh and owned
/// by it. An object without these labels is never selected, so never pruned.
pub fn owner_selector(kind: &str, name: &str) -> String {
    format!(
        "{LABEL_MANAGED_BY}={FIELD_MANAGER},{LABEL_OWNER_KIND}={kind},{LABEL_OWNER_NAME}={}",
        label_value(name)
    )
}

/// Of the children that exist (`namespace/name`), those not desired: what to prune.
pub fn undesired<'a>(existing: &'a [String], desired: &[String]) -> Vec<&'a String> {
    existing.iter().filter(|e| !desired.contains(e)).collect()
}

/// Names of the objects provisioned in each namespace.
pub mod names {
    /// The ResourceQuota.
    pub const QUOTA: &str = "govkh-quota";
    /// The LimitRange.
    pub const LIMITS: &str = "govkh-limits";
    /// The default-deny NetworkPolicy.
    pub const DEFAULT_DENY: &str = "govkh-default-deny";
    /// The NetworkPolicy allowing traffic within the ministry.
    pub const ALLOW_MINISTRY: &str = "govkh-allow-ministry";
    /// The NetworkPolicy allowing egress to the private network and DNS.
    pub const ALLOW_PRIVATE_NETWORK: &str = "govkh-allow-private-network";
    /// The RoleBinding of the DTU groups.
    pub const DTU_ADMIN: &str = "govkh-dtu-admin";
    /// The RoleBinding that lets the operator read the namespace's Secrets (metadata).
    pub const SECRETS_READER: &str = "govkh-secrets-reader";
}

pub(crate) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn meta(
    name: &str,
    namespace: Option<&str>,
    owner: &Option<OwnerReference>,
    extra: &[(&str, &str)],
) -> ObjectMeta {
    let mut l = labels(&[(LABEL_MANAGED_BY, FIELD_MANAGER)]);
    l.extend(labels(extra));
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(l),
        owner_references: owner.clone().map(|o| vec![o]),
        ..Default::default()
    }
}

pub(crate) fn selector(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels(pairs)),
        ..Default::default()
    }
}

pub(crate) fn quantity(q: &Option<Quantity>) -> Option<Quantity> {
    q.clone()
}

pub(crate) fn port(protocol: &str, port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.into()),
        port: Some(IntOrString::Int(port)),
        ..Default::default()
    }
}
