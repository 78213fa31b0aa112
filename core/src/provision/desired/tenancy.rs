//! What a tenancy provisions in each of its namespaces: the Namespace, its quota and
//! LimitRange, default-deny NetworkPolicies with the allowances inside the ministry and to the
//! private network, and the DTU's RoleBinding.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        core::v1::{
            LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
        },
        networking::v1::{
            NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
            NetworkPolicySpec,
        },
        rbac::v1::{RoleBinding, RoleRef, Subject},
    },
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, OwnerReference},
    },
};
use kube::Resource;

use crate::api::{
    CloudTenancy, GovernmentCloud, LABEL_DATA_CLASS, LABEL_MINISTRY, LABEL_PERSONAL_DATA,
    LABEL_PLACEMENT, Ministry, TenancyNamespace,
};

use super::*;

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

/// Who reads the kinds watched per ministry's namespace (Secrets) in the namespaces a tenancy
/// provisions: the operator's own service account, through a ClusterRole made for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretsReader {
    /// The ClusterRole bound (the chart's `<release>-secrets-reader`).
    pub role: String,
    /// The service account's namespace.
    pub namespace: String,
    /// The service account's name.
    pub service_account: String,
}

impl std::str::FromStr for SecretsReader {
    type Err = String;

    /// `ROLE=NAMESPACE/SERVICEACCOUNT`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not ROLE=NAMESPACE/SERVICEACCOUNT");
        let (role, subject) = s.split_once('=').ok_or_else(bad)?;
        let (namespace, service_account) = subject.split_once('/').ok_or_else(bad)?;
        if [role, namespace, service_account]
            .iter()
            .any(|p| p.is_empty() || p.contains(['/', '=']))
        {
            return Err(bad());
        }
        Ok(SecretsReader {
            role: role.to_string(),
            namespace: namespace.to_string(),
            service_account: service_account.to_string(),
        })
    }
}

/// Add to `objects` (what `tenancy` provisions) a RoleBinding in each of its namespaces giving
/// `reader` its ClusterRole there, owned and labelled as the tenancy's other children (so it
/// goes with the tenancy, and is pruned with a namespace it drops).
pub fn bind_secrets_reader(
    objects: &mut TenancyObjects,
    tenancy: &CloudTenancy,
    reader: &SecretsReader,
) {
    let owner = tenancy.controller_owner_ref(&());
    let tenancy_name = tenancy.metadata.name.clone().unwrap_or_default();
    let owned = owner_labels("CloudTenancy", &tenancy_name);
    let own: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for ns in &tenancy.spec.namespaces {
        objects.role_bindings.push(RoleBinding {
            metadata: meta(names::SECRETS_READER, Some(&ns.name), &owner, &own),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: reader.role.clone(),
            },
            subjects: Some(vec![Subject {
                api_group: None,
                kind: "ServiceAccount".into(),
                name: reader.service_account.clone(),
                namespace: Some(reader.namespace.clone()),
            }]),
        });
    }
}

pub(crate) fn namespace(
    ns: &TenancyNamespace,
    ministry: &str,
    placement: &str,
    tenancy: &str,
    owner: &Option<OwnerReference>,
) -> Namespace {
    let recorded = label_value(tenancy);
    let mut extra = vec![
        (LABEL_MINISTRY, ministry),
        (LABEL_PLACEMENT, placement),
        (LABEL_TENANCY, recorded.as_str()),
    ];
    if let Some(dc) = &ns.data_class {
        extra.push((LABEL_DATA_CLASS, dc.as_str()));
    }
    if ns.personal_data {
        extra.push((LABEL_PERSONAL_DATA, "true"));
    }
    let mut metadata = meta(&ns.name, None, owner, &extra);
    // Made by govkh for this tenancy (`hand_over` takes it off a namespace the platform handed
    // over): only such a namespace goes with a `deletionPolicy: Delete` tenancy.
    metadata.annotations = Some(BTreeMap::from([(
        ANNOTATION_CREATED_BY.to_string(),
        tenancy.to_string(),
    )]));
    Namespace {
        metadata,
        ..Default::default()
    }
}

/// Mark the `adopted` namespaces of `objects` as handed over rather than made by govkh: no
/// owner reference (the garbage collector never deletes them with the tenancy) and no
/// `digital.gov.kh/created-by`.
pub fn hand_over(objects: &mut TenancyObjects, adopted: &[String]) {
    for ns in objects.namespaces.iter_mut().filter(|n| {
        n.metadata
            .name
            .as_ref()
            .is_some_and(|n| adopted.contains(n))
    }) {
        ns.metadata.owner_references = None;
        if let Some(a) = ns.metadata.annotations.as_mut() {
            a.remove(ANNOTATION_CREATED_BY);
        }
    }
}

/// What a tenancy applies, under its own field manager, to let go of namespace `name` (dropped
/// from its spec, or the tenancy deleted with `Retain`; or handed over and the tenancy deleted):
/// only the labels that keep its data attributed and classified (ministry, data class, personal
/// data, tenancy — so no data becomes unclassified by a release) and `digital.gov.kh/orphaned`.
/// By server-side apply, the fields this tenancy applied before and does not apply now (its
/// placement, the admission policies' annotations, its owner reference) are removed; no one
/// else's label, annotation or owner reference is touched.
pub fn released_namespace(name: &str, labels: &BTreeMap<String, String>) -> Namespace {
    let mut keep: Vec<(&str, &str)> = [
        LABEL_MINISTRY,
        LABEL_DATA_CLASS,
        LABEL_PERSONAL_DATA,
        LABEL_TENANCY,
    ]
    .iter()
    .filter_map(|k| labels.get(*k).map(|v| (*k, v.as_str())))
    .collect();
    keep.push((LABEL_ORPHANED, "true"));
    Namespace {
        metadata: meta(name, None, &None, &keep),
        ..Default::default()
    }
}

pub(crate) fn network_policies(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(yaml: &str) -> (CloudTenancy, Ministry, GovernmentCloud) {
        let docs: Vec<serde_json::Value> = crate::loading::manifest::split_documents(yaml)
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
    fn the_operator_may_read_secrets_in_each_namespace_of_the_tenancy_and_only_there() {
        let (t, mut m, c) = objects(FIXTURE);
        m.spec.digital_transformation_unit.groups.clear();
        let mut o = tenancy_objects(&t, &m, &c);
        let reader: SecretsReader = "govkh-secrets-reader=govkh-system/govkh".parse().unwrap();
        bind_secrets_reader(&mut o, &t, &reader);
        let namespaces: Vec<&str> = t.spec.namespaces.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(o.role_bindings.len(), namespaces.len());
        for (rb, ns) in o.role_bindings.iter().zip(namespaces) {
            assert_eq!(rb.metadata.name.as_deref(), Some(names::SECRETS_READER));
            assert_eq!(rb.metadata.namespace.as_deref(), Some(ns));
            assert_eq!(
                (rb.role_ref.kind.as_str(), rb.role_ref.name.as_str()),
                ("ClusterRole", "govkh-secrets-reader")
            );
            let s = &rb.subjects.as_ref().unwrap()[..];
            assert_eq!(s.len(), 1);
            assert_eq!(
                (
                    s[0].kind.as_str(),
                    s[0].name.as_str(),
                    s[0].namespace.as_deref()
                ),
                ("ServiceAccount", "govkh", Some("govkh-system"))
            );
            // Found and pruned by the tenancy's owner labels, as its other children.
            let labels = rb.metadata.labels.as_ref().unwrap();
            assert_eq!(labels[LABEL_OWNER_KIND], "CloudTenancy");
        }
        for bad in [
            "",
            "role",
            "role=ns",
            "=ns/sa",
            "role=/sa",
            "role=ns/",
            "r=ns/sa/x",
        ] {
            assert!(bad.parse::<SecretsReader>().is_err(), "{bad:?} accepted");
        }
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
    fn a_released_namespace_keeps_its_data_classified_and_nothing_else_of_govkhs() {
        let labels = BTreeMap::from([
            (LABEL_MINISTRY.to_string(), "mef".to_string()),
            (LABEL_DATA_CLASS.to_string(), "top-secret".to_string()),
            (
                LABEL_PLACEMENT.to_string(),
                "government-private".to_string(),
            ),
            (LABEL_TENANCY.to_string(), "mef-core".to_string()),
            ("team".to_string(), "tax".to_string()),
        ]);
        let ns = released_namespace("mef-vault", &labels);
        let l = ns.metadata.labels.unwrap();
        assert_eq!(l[LABEL_ORPHANED], "true");
        assert_eq!(l[LABEL_DATA_CLASS], "top-secret", "still classified");
        assert_eq!(l[LABEL_MINISTRY], "mef");
        assert!(!l.contains_key(LABEL_PLACEMENT), "given up");
        assert!(!l.contains_key("team"), "not govkh's to apply");
        assert!(ns.metadata.owner_references.is_none());
        assert!(ns.metadata.annotations.is_none());
    }

    #[test]
    fn a_namespace_made_for_the_tenancy_says_so_and_a_handed_over_one_is_not_owned() {
        let (t, m, c) = objects(FIXTURE);
        let mut o = tenancy_objects(&t, &m, &c);
        let created = |o: &TenancyObjects, i: usize| {
            o.namespaces[i]
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANNOTATION_CREATED_BY).cloned())
        };
        assert_eq!(created(&o, 0).as_deref(), Some("mef-core"));
        assert!(o.namespaces[0].metadata.owner_references.is_some());
        hand_over(&mut o, &["mef-tax".to_string()]);
        assert_eq!(created(&o, 0), None);
        assert!(o.namespaces[0].metadata.owner_references.is_none());
        assert_eq!(
            created(&o, 1).as_deref(),
            Some("mef-core"),
            "the other is made"
        );
    }
}
