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
    api::{
        core::v1::{
            LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
        },
        networking::v1::{
            IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
            NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
        },
        rbac::v1::{RoleBinding, RoleRef, Subject},
    },
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference},
        util::intstr::IntOrString,
    },
};
use kube::Resource;

use crate::api::{
    CloudTenancy, GovernmentCloud, LABEL_DATA_CLASS, LABEL_MINISTRY, LABEL_PERSONAL_DATA,
    LABEL_PLACEMENT, Ministry, TenancyNamespace,
};

pub use crate::api::{FIELD_MANAGER, LABEL_MANAGED_BY};
/// Label naming the tenancy that provisioned a namespace.
pub const LABEL_TENANCY: &str = "digital.gov.kh/tenancy";
/// Label set on a namespace kept after its tenancy let go of it (`deletionPolicy: Retain`).
pub const LABEL_ORPHANED: &str = "digital.gov.kh/orphaned";
/// The kind of the object that provisioned a child (`CloudTenancy`, `PrivateNetworkLink`,
/// `DataAccessGrant`): with `LABEL_OWNER_NAME`, how its reconciler finds its children to prune
/// what is no longer desired, whatever its status remembers.
pub const LABEL_OWNER_KIND: &str = "digital.gov.kh/owner-kind";
/// The name of the object that provisioned a child (see `label_value` for long names).
pub const LABEL_OWNER_NAME: &str = "digital.gov.kh/owner-name";

/// `s` as a label value: itself when it fits a label (63 characters), else its first 54
/// characters, `-` and 8 hex digits of its FNV-1a hash — stable, so the same owner always
/// finds its children.
pub fn label_value(s: &str) -> String {
    if s.len() <= 63 {
        return s.to_string();
    }
    let hash = s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let head: String = s.chars().take(54).collect();
    format!("{}-{hash:08x}", head.trim_end_matches(['-', '.']))
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
}

/// Everything a tenancy provisions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenancyObjects {
    /// Namespaces.
    pub namespaces: Vec<Namespace>,
    /// ResourceQuotas (namespaces with a quota only).
    pub quotas: Vec<ResourceQuota>,
    /// LimitRanges (namespaces with a quota only).
    pub limit_ranges: Vec<LimitRange>,
    /// NetworkPolicies, three per namespace.
    pub network_policies: Vec<NetworkPolicy>,
    /// RoleBindings (when the DTU has groups).
    pub role_bindings: Vec<RoleBinding>,
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn meta(
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

fn selector(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels(pairs)),
        ..Default::default()
    }
}

fn quantity(q: &Option<Quantity>) -> Option<Quantity> {
    q.clone()
}

/// The objects `tenancy` provisions, given its ministry and the government cloud.
pub fn tenancy_objects(
    tenancy: &CloudTenancy,
    ministry: &Ministry,
    cloud: &GovernmentCloud,
) -> TenancyObjects {
    // Without a uid (not read from a cluster) there is nothing to own by.
    let owner = tenancy.controller_owner_ref(&());
    let tenancy_name = tenancy.metadata.name.clone().unwrap_or_default();
    let code = tenancy.spec.ministry.as_str();
    let placement = tenancy.spec.placement.as_str();
    let owned = owner_labels("CloudTenancy", &tenancy_name);
    let own: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut out = TenancyObjects::default();
    for ns in &tenancy.spec.namespaces {
        out.namespaces
            .push(namespace(ns, code, placement, &tenancy_name, &owner));
        let name = ns.name.as_str();
        if let Some(q) = &ns.quota {
            let mut hard = BTreeMap::new();
            let pairs = [
                ("requests.cpu", quantity(&q.cpu)),
                ("requests.memory", quantity(&q.memory)),
                ("requests.storage", quantity(&q.storage)),
                ("pods", q.pods.map(|p| Quantity(p.to_string()))),
            ];
            for (k, v) in pairs {
                if let Some(v) = v {
                    hard.insert(k.to_string(), v);
                }
            }
            out.quotas.push(ResourceQuota {
                metadata: meta(names::QUOTA, Some(name), &owner, &own),
                spec: Some(ResourceQuotaSpec {
                    hard: Some(hard),
                    ..Default::default()
                }),
                ..Default::default()
            });
            out.limit_ranges.push(LimitRange {
                metadata: meta(names::LIMITS, Some(name), &owner, &own),
                spec: Some(LimitRangeSpec {
                    limits: vec![LimitRangeItem {
                        type_: "Container".into(),
                        default_request: Some(BTreeMap::from([
                            ("cpu".into(), Quantity("100m".into())),
                            ("memory".into(), Quantity("128Mi".into())),
                        ])),
                        default: Some(BTreeMap::from([
                            ("cpu".into(), Quantity("1".into())),
                            ("memory".into(), Quantity("1Gi".into())),
                        ])),
                        ..Default::default()
                    }],
                }),
            });
        }
        out.network_policies
            .extend(network_policies(name, code, cloud, &owner, &own));
        let groups = &ministry.spec.digital_transformation_unit.groups;
        if !groups.is_empty() {
            out.role_bindings.push(RoleBinding {
                metadata: meta(names::DTU_ADMIN, Some(name), &owner, &own),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "ClusterRole".into(),
                    name: "admin".into(),
                },
                subjects: Some(
                    groups
                        .iter()
                        .map(|g| Subject {
                            api_group: Some("rbac.authorization.k8s.io".into()),
                            kind: "Group".into(),
                            name: g.clone(),
                            namespace: None,
                        })
                        .collect(),
                ),
            });
        }
    }
    out
}

fn namespace(
    ns: &TenancyNamespace,
    ministry: &str,
    placement: &str,
    tenancy: &str,
    owner: &Option<OwnerReference>,
) -> Namespace {
    let mut extra = vec![
        (LABEL_MINISTRY, ministry),
        (LABEL_PLACEMENT, placement),
        (LABEL_TENANCY, tenancy),
    ];
    if let Some(dc) = &ns.data_class {
        extra.push((LABEL_DATA_CLASS, dc.as_str()));
    }
    if ns.personal_data {
        extra.push((LABEL_PERSONAL_DATA, "true"));
    }
    Namespace {
        metadata: meta(&ns.name, None, owner, &extra),
        ..Default::default()
    }
}

fn port(protocol: &str, port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.into()),
        port: Some(IntOrString::Int(port)),
        ..Default::default()
    }
}

fn network_policies(
    ns: &str,
    ministry: &str,
    cloud: &GovernmentCloud,
    owner: &Option<OwnerReference>,
    own: &[(&str, &str)],
) -> Vec<NetworkPolicy> {
    let all_pods = LabelSelector::default();
    let same_ministry = NetworkPolicyPeer {
        namespace_selector: Some(selector(&[(LABEL_MINISTRY, ministry)])),
        ..Default::default()
    };
    let private: Vec<NetworkPolicyPeer> = cloud
        .spec
        .private_network
        .cidrs
        .iter()
        .map(|c| cidr_peer(c))
        .collect();
    let dns = NetworkPolicyPeer {
        namespace_selector: Some(selector(&[("kubernetes.io/metadata.name", "kube-system")])),
        pod_selector: Some(selector(&[("k8s-app", "kube-dns")])),
        ..Default::default()
    };
    vec![
        NetworkPolicy {
            metadata: meta(names::DEFAULT_DENY, Some(ns), owner, own),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(all_pods.clone()),
                policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
                ..Default::default()
            }),
        },
        NetworkPolicy {
            metadata: meta(names::ALLOW_MINISTRY, Some(ns), owner, own),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(all_pods.clone()),
                policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![same_ministry.clone()]),
                    ports: None,
                }]),
                egress: Some(vec![NetworkPolicyEgressRule {
                    to: Some(vec![same_ministry]),
                    ports: None,
                }]),
            }),
        },
        NetworkPolicy {
            metadata: meta(names::ALLOW_PRIVATE_NETWORK, Some(ns), owner, own),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(all_pods),
                policy_types: Some(vec!["Egress".into()]),
                egress: Some(vec![
                    NetworkPolicyEgressRule {
                        to: Some(private),
                        ports: None,
                    },
                    NetworkPolicyEgressRule {
                        to: Some(vec![dns]),
                        ports: Some(vec![port("UDP", 53), port("TCP", 53)]),
                    },
                ]),
                ..Default::default()
            }),
        },
    ]
}

/// The JSON merge patch that releases a namespace a tenancy no longer provisions
/// (`deletionPolicy: Retain`): labelled orphaned, no longer owned — so deleting the tenancy
/// never deletes its data — and every other label (ministry, data class) kept.
pub fn orphan_patch() -> serde_json::Value {
    serde_json::json!({"metadata": {"labels": {LABEL_ORPHANED: "true"}, "ownerReferences": null}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(yaml: &str) -> (CloudTenancy, Ministry, GovernmentCloud) {
        let docs: Vec<serde_json::Value> = crate::manifest::split_documents(yaml)
            .into_iter()
            .map(|(_, d)| serde_saphyr::from_str(&d).unwrap())
            .collect();
        (
            serde_json::from_value(docs[0].clone()).unwrap(),
            serde_json::from_value(docs[1].clone()).unwrap(),
            serde_json::from_value(docs[2].clone()).unwrap(),
        )
    }

    const FIXTURE: &str = "\
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: mef-core, uid: 7f1c7e52-0000-4000-8000-000000000001}
spec:
  ministry: mef
  placement: government-private
  namespaces:
    - {name: mef-tax, dataClass: confidential, personalData: true, quota: {cpu: '8', memory: 32Gi, pods: 200}}
    - {name: mef-portal, dataClass: open}
---
apiVersion: digital.gov.kh/v1alpha1
kind: Ministry
metadata: {name: mef}
spec: {displayName: MEF, domain: mef.gov.kh, resourceLevel: full, digitalTransformationUnit: {contactEmail: dtu@mef.gov.kh, groups: [mef-dtu, mef-ops]}}
---
apiVersion: digital.gov.kh/v1alpha1
kind: GovernmentCloud
metadata: {name: national}
spec: {establishedOn: '2026-03-01', operator: mptc, privateNetwork: {cidrs: [10.80.0.0/12, 10.96.0.0/16]}}
";

    #[test]
    fn namespaces_are_labelled_and_owned_by_the_tenancy() {
        let (t, m, c) = objects(FIXTURE);
        let o = tenancy_objects(&t, &m, &c);
        assert_eq!(o.namespaces.len(), 2);
        let tax = &o.namespaces[0].metadata;
        assert_eq!(tax.name.as_deref(), Some("mef-tax"));
        let l = tax.labels.as_ref().unwrap();
        assert_eq!(l[LABEL_MINISTRY], "mef");
        assert_eq!(l[LABEL_PLACEMENT], "government-private");
        assert_eq!(l[LABEL_DATA_CLASS], "confidential");
        assert_eq!(l[LABEL_PERSONAL_DATA], "true");
        assert_eq!(l[LABEL_TENANCY], "mef-core");
        assert_eq!(l[LABEL_MANAGED_BY], "govkh");
        let owner = &tax.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.controller),
            ("CloudTenancy", "mef-core", Some(true))
        );
        assert!(
            !o.namespaces[1]
                .metadata
                .labels
                .as_ref()
                .unwrap()
                .contains_key(LABEL_PERSONAL_DATA)
        );
    }

    #[test]
    fn quota_and_limits_only_where_a_quota_is_declared() {
        let (t, m, c) = objects(FIXTURE);
        let o = tenancy_objects(&t, &m, &c);
        assert_eq!(o.quotas.len(), 1);
        let hard = o.quotas[0].spec.as_ref().unwrap().hard.as_ref().unwrap();
        assert_eq!(hard["requests.cpu"].0, "8");
        assert_eq!(hard["requests.memory"].0, "32Gi");
        assert_eq!(hard["pods"].0, "200");
        assert!(!hard.contains_key("requests.storage"));
        assert_eq!(o.limit_ranges.len(), 1);
        assert_eq!(
            o.limit_ranges[0].metadata.namespace.as_deref(),
            Some("mef-tax")
        );
    }

    #[test]
    fn network_policies_deny_by_default_and_allow_the_ministry_and_the_private_network() {
        let (t, m, c) = objects(FIXTURE);
        let o = tenancy_objects(&t, &m, &c);
        assert_eq!(o.network_policies.len(), 6);
        let names: Vec<&str> = o
            .network_policies
            .iter()
            .take(3)
            .map(|n| n.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                names::DEFAULT_DENY,
                names::ALLOW_MINISTRY,
                names::ALLOW_PRIVATE_NETWORK
            ]
        );
        let deny = o.network_policies[0].spec.as_ref().unwrap();
        assert!(deny.ingress.is_none() && deny.egress.is_none());
        let ministry = o.network_policies[1].spec.as_ref().unwrap();
        let from = &ministry.ingress.as_ref().unwrap()[0].from.as_ref().unwrap()[0];
        assert_eq!(
            from.namespace_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap()[LABEL_MINISTRY],
            "mef"
        );
        let private = o.network_policies[2]
            .spec
            .as_ref()
            .unwrap()
            .egress
            .as_ref()
            .unwrap();
        let cidrs: Vec<&str> = private[0]
            .to
            .as_ref()
            .unwrap()
            .iter()
            .map(|p| p.ip_block.as_ref().unwrap().cidr.as_str())
            .collect();
        assert_eq!(cidrs, ["10.80.0.0/12", "10.96.0.0/16"]);
        assert_eq!(
            private[1].ports.as_ref().unwrap().len(),
            2,
            "DNS over UDP and TCP"
        );
    }

    #[test]
    fn the_dtu_groups_are_admins_of_every_namespace() {
        let (t, m, c) = objects(FIXTURE);
        let o = tenancy_objects(&t, &m, &c);
        assert_eq!(o.role_bindings.len(), 2);
        let rb = &o.role_bindings[0];
        assert_eq!(rb.role_ref.name, "admin");
        let groups: Vec<&str> = rb
            .subjects
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(groups, ["mef-dtu", "mef-ops"]);
        let (t, mut m, c) = objects(FIXTURE);
        m.spec.digital_transformation_unit.groups.clear();
        assert!(tenancy_objects(&t, &m, &c).role_bindings.is_empty());
    }

    #[test]
    fn every_child_carries_its_owners_labels_and_namespaces_do_not() {
        let (t, m, c) = objects(FIXTURE);
        let o = tenancy_objects(&t, &m, &c);
        let name = t.metadata.name.clone().unwrap();
        let metas = o
            .quotas
            .iter()
            .map(|x| &x.metadata)
            .chain(o.limit_ranges.iter().map(|x| &x.metadata))
            .chain(o.network_policies.iter().map(|x| &x.metadata))
            .chain(o.role_bindings.iter().map(|x| &x.metadata));
        let mut n = 0;
        for meta in metas {
            let labels = meta.labels.as_ref().unwrap();
            assert_eq!(labels[LABEL_MANAGED_BY], FIELD_MANAGER);
            assert_eq!(labels[LABEL_OWNER_KIND], "CloudTenancy");
            assert_eq!(labels[LABEL_OWNER_NAME], name);
            n += 1;
        }
        assert!(n >= 6, "{n}");
        // Namespaces hold data: they are released, never pruned, so they carry no owner labels.
        assert!(
            !o.namespaces[0]
                .metadata
                .labels
                .as_ref()
                .unwrap()
                .contains_key(LABEL_OWNER_KIND)
        );
    }

    #[test]
    fn without_a_uid_nothing_claims_ownership() {
        let (mut t, m, c) = objects(FIXTURE);
        t.metadata.uid = None;
        let o = tenancy_objects(&t, &m, &c);
        assert!(o.namespaces[0].metadata.owner_references.is_none());
    }

    #[test]
    fn an_orphaned_namespace_is_labelled_and_released() {
        let p = orphan_patch();
        assert_eq!(p["metadata"]["labels"][LABEL_ORPHANED], "true");
        assert!(p["metadata"]["ownerReferences"].is_null());
        assert_eq!(
            p["metadata"]["labels"].as_object().unwrap().len(),
            1,
            "other labels untouched"
        );
    }
}

/// Name of the NetworkPolicy carrying link `link` in each namespace it touches.
pub fn link_policy_name(link: &str) -> String {
    // NetworkPolicy names are DNS subdomains of at most 253 characters; link names are too.
    format!("govkh-link-{link}")
}

/// A peer: the addresses of `cidr`.
fn cidr_peer(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_string(),
            except: None,
        }),
        ..Default::default()
    }
}

fn names_selector(namespaces: &[String]) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![
            k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement {
                key: "kubernetes.io/metadata.name".into(),
                operator: "In".into(),
                values: Some(namespaces.to_vec()),
            },
        ]),
        ..Default::default()
    }
}

/// The NetworkPolicies that carry a permitted link (Art. 9, 28): in every source namespace,
/// egress to exactly the target namespaces (or CIDRs) on exactly the declared ports; in every
/// target namespace, ingress from exactly the source namespaces on those ports. Owned by the
/// link, so they go with it.
pub fn link_policies(
    link: &crate::api::PrivateNetworkLink,
    from_namespaces: &[String],
    to_namespaces: &[String],
) -> Vec<NetworkPolicy> {
    let link_name = link.metadata.name.clone().unwrap_or_default();
    allowance_policies(&Allowance {
        name: &link_policy_name(&link_name),
        owner: &link.controller_owner_ref(&()),
        owner_kind: "PrivateNetworkLink",
        label: (LABEL_LINK, &link_name),
        ports: &link.spec.ports,
        from_namespaces,
        to_namespaces,
        to_cidrs: &link.spec.to.cidrs,
    })
}

/// Name of the NetworkPolicy carrying grant `grant` in each namespace it touches.
pub fn grant_policy_name(grant: &str) -> String {
    format!("govkh-grant-{grant}")
}

/// The NetworkPolicies that open an active DataAccessGrant's network path (Art. 26, 29): egress
/// from every grantee namespace to exactly the owner's listed namespaces, ingress into those
/// from exactly the grantee's namespaces, on exactly the granted ports. Empty when the grant
/// opens no path (no `access`, or a person rather than a ministry is the grantee). Owned by the
/// grant, so they go with it.
pub fn grant_policies(
    grant: &crate::api::DataAccessGrant,
    grantee_namespaces: &[String],
) -> Vec<NetworkPolicy> {
    let Some(access) = &grant.spec.access else {
        return Vec::new();
    };
    if grant.spec.grantee.ministry.is_none() || grantee_namespaces.is_empty() {
        return Vec::new();
    }
    let grant_name = grant.metadata.name.clone().unwrap_or_default();
    allowance_policies(&Allowance {
        name: &grant_policy_name(&grant_name),
        owner: &grant.controller_owner_ref(&()),
        owner_kind: "DataAccessGrant",
        label: (LABEL_GRANT, &grant_name),
        ports: &access.ports,
        from_namespaces: grantee_namespaces,
        to_namespaces: &grant.spec.namespaces,
        to_cidrs: &[],
    })
}

/// A network path to open: from namespaces to namespaces (or CIDRs) on ports.
struct Allowance<'a> {
    name: &'a str,
    owner: &'a Option<OwnerReference>,
    owner_kind: &'a str,
    label: (&'a str, &'a str),
    ports: &'a [crate::api::Port],
    from_namespaces: &'a [String],
    to_namespaces: &'a [String],
    to_cidrs: &'a [String],
}

fn allowance_policies(a: &Allowance<'_>) -> Vec<NetworkPolicy> {
    let ports: Vec<NetworkPolicyPort> = a
        .ports
        .iter()
        .map(|p| {
            port(
                match p.protocol {
                    crate::api::Protocol::Tcp => "TCP",
                    crate::api::Protocol::Udp => "UDP",
                    crate::api::Protocol::Sctp => "SCTP",
                },
                p.port,
            )
        })
        .collect();
    let to_peers: Vec<NetworkPolicyPeer> = if a.to_cidrs.is_empty() {
        vec![NetworkPolicyPeer {
            namespace_selector: Some(names_selector(a.to_namespaces)),
            ..Default::default()
        }]
    } else {
        a.to_cidrs.iter().map(|c| cidr_peer(c)).collect()
    };
    let owned = owner_labels(a.owner_kind, a.label.1);
    let label = [
        (a.label.0, label_value(a.label.1)),
        (owned[0].0, owned[0].1.clone()),
        (owned[1].0, owned[1].1.clone()),
    ];
    let label: Vec<(&str, &str)> = label.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut out: Vec<NetworkPolicy> = a
        .from_namespaces
        .iter()
        .map(|ns| NetworkPolicy {
            metadata: meta(a.name, Some(ns), a.owner, &label),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(vec!["Egress".into()]),
                egress: Some(vec![NetworkPolicyEgressRule {
                    to: Some(to_peers.clone()),
                    ports: Some(ports.clone()),
                }]),
                ..Default::default()
            }),
        })
        .collect();
    if a.to_cidrs.is_empty() {
        out.extend(a.to_namespaces.iter().map(|ns| NetworkPolicy {
            metadata: meta(a.name, Some(ns), a.owner, &label),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        namespace_selector: Some(names_selector(a.from_namespaces)),
                        ..Default::default()
                    }]),
                    ports: Some(ports.clone()),
                }]),
                ..Default::default()
            }),
        }));
    }
    out
}

/// Label naming the grant a NetworkPolicy carries.
pub const LABEL_GRANT: &str = "digital.gov.kh/grant";

/// Label naming the link a NetworkPolicy carries.
pub const LABEL_LINK: &str = "digital.gov.kh/link";

#[cfg(test)]
mod link_tests {
    use super::*;

    fn link(to: serde_json::Value) -> crate::api::PrivateNetworkLink {
        serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
            "metadata": {"name": "mef-to-gdt", "uid": "11110000-0000-4000-8000-000000000001"},
            "spec": {"from": {"ministry": "mef", "namespaces": ["mef-tax"]}, "to": to, "ports": [{"protocol": "TCP", "port": 443}], "network": "government-private"}}))
        .unwrap()
    }

    #[test]
    fn a_link_between_ministries_opens_exactly_the_declared_ports_both_ways() {
        let l = link(serde_json::json!({"ministry": "gdt", "namespaces": ["gdt-api"]}));
        let p = link_policies(&l, &["mef-tax".into()], &["gdt-api".into()]);
        assert_eq!(p.len(), 2);
        let egress = p[0].spec.as_ref().unwrap().egress.as_ref().unwrap();
        assert_eq!(p[0].metadata.namespace.as_deref(), Some("mef-tax"));
        let sel = egress[0].to.as_ref().unwrap()[0]
            .namespace_selector
            .as_ref()
            .unwrap();
        assert_eq!(
            sel.match_expressions.as_ref().unwrap()[0].values,
            Some(vec!["gdt-api".to_string()])
        );
        assert_eq!(
            egress[0].ports.as_ref().unwrap()[0].port,
            Some(IntOrString::Int(443))
        );
        let ingress = p[1].spec.as_ref().unwrap().ingress.as_ref().unwrap();
        assert_eq!(p[1].metadata.namespace.as_deref(), Some("gdt-api"));
        assert_eq!(
            ingress[0].from.as_ref().unwrap()[0]
                .namespace_selector
                .as_ref()
                .unwrap()
                .match_expressions
                .as_ref()
                .unwrap()[0]
                .values,
            Some(vec!["mef-tax".to_string()])
        );
        assert_eq!(p[0].metadata.name.as_deref(), Some("govkh-link-mef-to-gdt"));
        assert_eq!(
            p[0].metadata.labels.as_ref().unwrap()[LABEL_LINK],
            "mef-to-gdt"
        );
        for policy in &p {
            let labels = policy.metadata.labels.as_ref().unwrap();
            assert_eq!(labels[LABEL_OWNER_KIND], "PrivateNetworkLink");
            assert_eq!(labels[LABEL_OWNER_NAME], "mef-to-gdt");
        }
        assert_eq!(
            p[0].metadata.owner_references.as_ref().unwrap()[0].kind,
            "PrivateNetworkLink"
        );
    }

    #[test]
    fn a_link_to_a_shared_service_opens_egress_to_its_cidrs_only() {
        let l = link(serde_json::json!({"cidrs": ["10.80.4.0/24"]}));
        let p = link_policies(&l, &["mef-tax".into(), "mef-portal".into()], &[]);
        assert_eq!(
            p.len(),
            2,
            "egress in each source namespace, no ingress side"
        );
        let to = &p[1].spec.as_ref().unwrap().egress.as_ref().unwrap()[0]
            .to
            .as_ref()
            .unwrap()[0];
        assert_eq!(to.ip_block.as_ref().unwrap().cidr, "10.80.4.0/24");
    }

    fn grant(grantee: serde_json::Value, access: bool) -> crate::api::DataAccessGrant {
        let mut g = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "DataAccessGrant",
            "metadata": {"name": "gdt-to-mef", "uid": "33330000-0000-4000-8000-000000000003"},
            "spec": {"owner": "gdt", "grantee": grantee, "dataClass": "confidential", "namespaces": ["gdt-declarations"],
                     "dataTypes": ["declarations"], "reason": "audit", "authorizedBy": "committee", "document": "DGC/1",
                     "validFrom": "2026-06-01", "validUntil": "2026-12-31"}});
        if access {
            g["spec"]["access"] = serde_json::json!({"ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "UDP", "port": 53}]});
        }
        serde_json::from_value(g).unwrap()
    }

    #[test]
    fn a_grant_opens_egress_from_the_grantee_and_ingress_at_the_owner_on_its_ports() {
        let g = grant(serde_json::json!({"ministry": "mef"}), true);
        let p = grant_policies(&g, &["mef-tax".into()]);
        let where_: Vec<(&str, &str)> = p
            .iter()
            .map(|n| {
                (
                    n.metadata.namespace.as_deref().unwrap(),
                    n.spec.as_ref().unwrap().policy_types.as_ref().unwrap()[0].as_str(),
                )
            })
            .collect();
        assert_eq!(
            where_,
            [("mef-tax", "Egress"), ("gdt-declarations", "Ingress")]
        );
        let ports = p[1].spec.as_ref().unwrap().ingress.as_ref().unwrap()[0]
            .ports
            .as_ref()
            .unwrap();
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[1].protocol.as_deref(), Some("UDP"));
        assert_eq!(
            p[0].metadata.name.as_deref(),
            Some("govkh-grant-gdt-to-mef")
        );
        assert_eq!(
            p[0].metadata.labels.as_ref().unwrap()[LABEL_GRANT],
            "gdt-to-mef"
        );
    }

    #[test]
    fn a_grant_without_access_or_to_a_person_opens_nothing() {
        let ns = ["mef-tax".to_string()];
        assert!(
            grant_policies(&grant(serde_json::json!({"ministry": "mef"}), false), &ns).is_empty()
        );
        assert!(
            grant_policies(&grant(serde_json::json!({"person": "Sok Dara"}), true), &ns).is_empty()
        );
        assert!(
            grant_policies(&grant(serde_json::json!({"ministry": "mef"}), true), &[]).is_empty()
        );
    }
}

/// The ValidatingWebhookConfiguration that sends admission to a govkh reached by `url` (an
/// operator running outside the cluster, as the real-cluster suite runs it), trusting
/// `ca_bundle` (PEM). The same webhook as the chart's: the rules `govkh rbac` generates,
/// `failurePolicy: Fail`, the system namespaces left out.
pub fn webhook_configuration(
    name: &str,
    url: &str,
    ca_bundle: &[u8],
) -> k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration {
    use k8s_openapi::{
        ByteString,
        api::admissionregistration::v1::{
            ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
        },
    };
    ValidatingWebhookConfiguration {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels(&[(LABEL_MANAGED_BY, FIELD_MANAGER)])),
            ..Default::default()
        },
        webhooks: Some(vec![ValidatingWebhook {
            name: "validate.digital.gov.kh".into(),
            admission_review_versions: vec!["v1".into()],
            side_effects: "None".into(),
            timeout_seconds: Some(10),
            failure_policy: Some("Fail".into()),
            match_policy: Some("Equivalent".into()),
            client_config: WebhookClientConfig {
                url: Some(url.to_string()),
                ca_bundle: Some(ByteString(ca_bundle.to_vec())),
                service: None,
            },
            namespace_selector: Some(LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "kubernetes.io/metadata.name".into(),
                    operator: "NotIn".into(),
                    values: Some(vec![
                        "kube-system".into(),
                        "kube-public".into(),
                        "kube-node-lease".into(),
                    ]),
                }]),
                match_labels: None,
            }),
            rules: Some(crate::rbac::webhook_rules()),
            ..Default::default()
        }]),
    }
}

#[cfg(test)]
mod webhook_tests {
    use super::*;

    #[test]
    fn a_webhook_registered_by_url_is_the_charts_webhook_with_a_url() {
        let c = webhook_configuration("govkh-e2e", "https://127.0.0.1:18443/validate", b"PEM");
        let v = serde_json::to_value(&c).unwrap();
        let w = &v["webhooks"][0];
        assert_eq!(v["metadata"]["name"], "govkh-e2e");
        assert_eq!(w["clientConfig"]["url"], "https://127.0.0.1:18443/validate");
        assert_eq!(w["clientConfig"]["caBundle"], "UEVN", "base64 of the PEM");
        assert!(w["clientConfig"].get("service").is_none());
        assert_eq!(w["failurePolicy"], "Fail");
        assert_eq!(w["sideEffects"], "None");
        assert_eq!(
            w["rules"],
            serde_json::to_value(crate::rbac::webhook_rules()).unwrap()
        );
        assert_eq!(
            w["namespaceSelector"]["matchExpressions"][0]["values"],
            serde_json::json!(["kube-system", "kube-public", "kube-node-lease"])
        );
    }
}
