//! Which of our objects depend on which: the tenancies of a ministry, the subject of an
//! approval, the links and grants that involve a ministry. The controllers turn a change in
//! the live index into reconciles of the objects that depend on it (`of_change`), and
//! admission reads through for what a verdict depends on (`admission_needs`); both are pure,
//! so the mapping is tested without a cluster.

use kube::ResourceExt;

use crate::{
    api::{Approval, DataAccessGrant, Kind, LABEL_MINISTRY, PrivateNetworkLink, SubjectKind},
    inventory::Inventory,
};

/// The tenancy an Approval is about, if it is about one.
pub fn tenancy_of_approval(approval: &Approval) -> Option<String> {
    (approval.spec.subject.kind == SubjectKind::CloudTenancy)
        .then(|| approval.spec.subject.name.clone())
}

/// The link an Approval is about, if it is about one.
pub fn link_of_approval(approval: &Approval) -> Option<String> {
    (approval.spec.subject.kind == SubjectKind::PrivateNetworkLink)
        .then(|| approval.spec.subject.name.clone())
}

/// The links from or to a Ministry.
pub fn links_of_ministry<'a>(
    links: impl IntoIterator<Item = &'a PrivateNetworkLink>,
    ministry: &str,
) -> Vec<String> {
    links
        .into_iter()
        .filter(|l| {
            l.spec.from.ministry == ministry || l.spec.to.ministry.as_deref() == Some(ministry)
        })
        .map(|l| l.name_any())
        .collect()
}

/// The grants that involve a Ministry, as owner or grantee.
pub fn grants_of_ministry<'a>(
    grants: impl IntoIterator<Item = &'a DataAccessGrant>,
    ministry: &str,
) -> Vec<String> {
    grants
        .into_iter()
        .filter(|g| {
            g.spec.owner == ministry || g.spec.grantee.ministry.as_deref() == Some(ministry)
        })
        .map(|g| g.name_any())
        .collect()
}

/// The links that list the namespace `name` on either side (it may not carry its ministry's
/// label: a namespace made by hand).
pub fn links_naming_namespace<'a>(
    links: impl IntoIterator<Item = &'a PrivateNetworkLink>,
    name: &str,
) -> Vec<String> {
    links
        .into_iter()
        .filter(|l| {
            l.spec.from.namespaces.iter().any(|n| n == name)
                || l.spec.to.namespaces.iter().any(|n| n == name)
        })
        .map(|l| l.name_any())
        .collect()
}

/// The grants that list the namespace `name` as where the data lives.
pub fn grants_naming_namespace<'a>(
    grants: impl IntoIterator<Item = &'a DataAccessGrant>,
    name: &str,
) -> Vec<String> {
    grants
        .into_iter()
        .filter(|g| g.spec.namespaces.iter().any(|n| n == name))
        .map(|g| g.name_any())
        .collect()
}

/// The approvals about an object of `kind` named `name`.
pub fn approvals_about<'a>(
    approvals: impl IntoIterator<Item = &'a Approval>,
    kind: SubjectKind,
    name: &str,
) -> Vec<String> {
    approvals
        .into_iter()
        .filter(|a| a.spec.subject.kind == kind && a.spec.subject.name == name)
        .map(|a| a.name_any())
        .collect()
}

/// The objects to reconcile again after a change, by controller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dependents {
    /// CloudTenancies.
    pub tenancies: Vec<String>,
    /// PrivateNetworkLinks.
    pub links: Vec<String>,
    /// DataAccessGrants.
    pub grants: Vec<String>,
    /// Approvals.
    pub approvals: Vec<String>,
    /// Ministries.
    pub ministries: Vec<String>,
    /// Whether the GovernmentCloud.
    pub cloud: bool,
}

/// The tenancies that declare namespace `name`.
fn claimants(inv: &Inventory, name: &str) -> Vec<String> {
    inv.namespaces
        .get(name)
        .map(|i| i.claimants.clone())
        .unwrap_or_default()
}

/// What depends on the object of `kind` that changed (`object`: as applied, or as it was when
/// deleted), with the rest read from `inv`: a Ministry moves every tenancy (its own, and the
/// others' namespaces annotated with the domains inside theirs), its links, grants and the
/// GovernmentCloud (its operator); an Approval its subject; the GovernmentCloud and a DataClass
/// every tenancy (the establishment date moves every deadline; a class's placements are
/// annotated on every provisioned namespace); a ministry's Namespace its links and
/// grants (those covering all its namespaces gain or lose one) and the Ministry (its
/// namespaces), and any Namespace the links and grants that name it (they wait for it) and the
/// tenancies that declare it; a tenancy the approvals about it, the other tenancies declaring
/// its namespaces, and the links and grants its namespaces concern; a link the approvals about
/// it; a grant the links from its grantee into its owner (they may wait for it).
pub fn of_change(inv: &Inventory, kind: &str, object: &serde_json::Value) -> Dependents {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let links = || inv.links.values().map(|e| &e.object);
    let grants = || inv.grants.values().map(|e| &e.object);
    let approvals = || inv.approvals.values().map(|e| &e.object);
    let mut d = Dependents::default();
    // Our kinds by the enum (every one has its arm); of the others only a Namespace matters.
    match Kind::named(kind) {
        // Every tenancy: its namespaces carry the other ministries' domains inside its own
        // (for the generated admission policies), and its ministry.
        Some(Kind::Ministry) => {
            d.tenancies = inv.tenancies.keys().cloned().collect();
            d.links = links_of_ministry(links(), name);
            d.grants = grants_of_ministry(grants(), name);
            d.cloud = true;
        }
        Some(Kind::Approval) => {
            let subject = &object["spec"]["subject"];
            let target = subject["name"].as_str().unwrap_or_default().to_string();
            match subject["kind"].as_str().and_then(Kind::named) {
                Some(Kind::CloudTenancy) => d.tenancies.push(target),
                Some(Kind::PrivateNetworkLink) => d.links.push(target),
                // The CRD's enum allows no other subject.
                _ => {}
            }
        }
        // A data class's placements are annotated on every tenancy's namespaces too.
        Some(Kind::GovernmentCloud | Kind::DataClass) => {
            d.tenancies = inv.tenancies.keys().cloned().collect();
        }
        None if kind == "Namespace" => {
            if let Some(m) = object["metadata"]["labels"][LABEL_MINISTRY].as_str() {
                d.links = links_of_ministry(links(), m);
                d.grants = grants_of_ministry(grants(), m);
                d.ministries.push(m.to_string());
            }
            // Those that wait for this namespace by name, labelled or not.
            d.links.extend(links_naming_namespace(links(), name));
            d.grants.extend(grants_naming_namespace(grants(), name));
            // The tenancies that declare it: whether they may create, keep or take it changes
            // with it (one it was handed to has no owner reference to be found by).
            d.tenancies = claimants(inv, name);
            for list in [&mut d.links, &mut d.grants] {
                list.sort();
                list.dedup();
            }
        }
        // The tenancies declaring a namespace it declares (a conflict begins or ends on both),
        // and the links and grants of its ministry and of its namespaces (which namespaces are
        // the ministry's, and so where their paths may open, changes with it).
        Some(Kind::CloudTenancy) => {
            d.approvals = approvals_about(approvals(), SubjectKind::CloudTenancy, name);
            let declared: Vec<&str> = object["spec"]["namespaces"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n["name"].as_str())
                .collect();
            for ns in &declared {
                d.tenancies
                    .extend(claimants(inv, ns).into_iter().filter(|t| t != name));
                d.links.extend(links_naming_namespace(links(), ns));
                d.grants.extend(grants_naming_namespace(grants(), ns));
            }
            if let Some(m) = object["spec"]["ministry"].as_str() {
                d.links.extend(links_of_ministry(links(), m));
                d.grants.extend(grants_of_ministry(grants(), m));
            }
            for list in [&mut d.tenancies, &mut d.links, &mut d.grants] {
                list.sort();
                list.dedup();
            }
        }
        Some(Kind::PrivateNetworkLink) => {
            d.approvals = approvals_about(approvals(), SubjectKind::PrivateNetworkLink, name);
        }
        // The links from its grantee into its owner: whether they wait for a grant changes
        // with it.
        Some(Kind::DataAccessGrant) => {
            let owner = object["spec"]["owner"].as_str().unwrap_or_default();
            if let Some(grantee) = object["spec"]["grantee"]["ministry"].as_str() {
                d.links = links()
                    .filter(|l| {
                        l.spec.from.ministry == grantee
                            && l.spec.to.ministry.as_deref() == Some(owner)
                    })
                    .map(|l| l.name_any())
                    .collect();
            }
        }
        None => {}
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::inventory::examples;

    #[test]
    fn a_change_reaches_what_depends_on_it() {
        let inv = examples();
        let mef = serde_json::json!({"metadata": {"name": "mef"}});
        let d = of_change(&inv, "Ministry", &mef);
        // Every tenancy: their namespaces carry the domains inside their ministry's.
        assert_eq!(
            d.tenancies,
            inv.tenancies.keys().cloned().collect::<Vec<_>>()
        );
        assert_eq!(d.links, ["mef-gdt-microwave", "mef-to-gdt"]);
        // A grant: the links from its grantee into its owner, which may wait for it.
        let grant = serde_json::json!({"metadata": {"name": "gdt-declarations-to-mef"},
            "spec": {"owner": "gdt", "grantee": {"ministry": "mef"}}});
        assert_eq!(
            of_change(&inv, "DataAccessGrant", &grant).links,
            ["mef-gdt-microwave", "mef-to-gdt"]
        );
        let class = serde_json::json!({"metadata": {"name": "open"}});
        assert_eq!(
            of_change(&inv, "DataClass", &class).tenancies,
            inv.tenancies.keys().cloned().collect::<Vec<_>>()
        );
        assert_eq!(
            d.grants,
            ["gdt-declarations-to-mef", "moh-admissions-to-mef"]
        );
        assert!(d.cloud);
        let ns = serde_json::json!({"metadata": {"name": "gdt-new", "labels": {"digital.gov.kh/ministry": "gdt"}}});
        let d = of_change(&inv, "Namespace", &ns);
        assert_eq!(d.ministries, ["gdt"]);
        assert_eq!(d.links, ["mef-gdt-microwave", "mef-to-gdt"]);
        // A namespace made without its ministry's label still moves what names it (they wait
        // for it to exist), and nothing else.
        let bare = serde_json::json!({"metadata": {"name": "gdt-api"}});
        let d = of_change(&inv, "Namespace", &bare);
        assert_eq!(d.links, ["mef-gdt-microwave", "mef-to-gdt"]);
        assert_eq!(d.grants, ["gdt-declarations-to-mef"]);
        assert!(d.ministries.is_empty());
        let unrelated = serde_json::json!({"metadata": {"name": "kube-system"}});
        let d = of_change(&inv, "Namespace", &unrelated);
        assert!(d.links.is_empty() && d.grants.is_empty());
        let cloud = serde_json::json!({"metadata": {"name": "national"}});
        assert_eq!(
            of_change(&inv, "GovernmentCloud", &cloud).tenancies.len(),
            inv.tenancies.len()
        );
        let link = serde_json::json!({"metadata": {"name": "mef-gdt-microwave"}});
        assert_eq!(
            of_change(&inv, "PrivateNetworkLink", &link).approvals,
            ["mef-gdt-microwave"]
        );
        // A deleted approval still names its subject: it is read from the object as it was.
        let gone = serde_json::json!({"metadata": {"name": "x"}, "spec": {"subject": {"kind": "PrivateNetworkLink", "name": "mef-gdt-microwave"}}});
        assert_eq!(
            of_change(&inv, "Approval", &gone).links,
            ["mef-gdt-microwave"]
        );
        assert_eq!(of_change(&inv, "Deployment", &mef), Dependents::default());
    }

    #[test]
    fn approvals_map_to_their_tenancy_only() {
        let a: Approval = serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "a"},
            "spec": {"subject": {"kind": "CloudTenancy", "name": "mef-workloads"}, "article": "10", "request": {"requestedOn": "2026-04-20", "requestedBy": "x", "document": "d"}}})).unwrap();
        assert_eq!(tenancy_of_approval(&a), Some("mef-workloads".to_string()));
        let mut for_link = a.clone();
        for_link.spec.subject.kind = SubjectKind::PrivateNetworkLink;
        assert!(tenancy_of_approval(&for_link).is_none());
        assert_eq!(
            link_of_approval(&for_link),
            Some("mef-workloads".to_string())
        );
        assert!(link_of_approval(&a).is_none());
    }
}

/// An object a verdict on another depends on, named as the API server names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Needed {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// The namespace, for namespaced kinds.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

fn needed(
    api_version: &'static str,
    kind: &'static str,
    namespace: Option<&str>,
    name: &str,
) -> Option<Needed> {
    (!name.is_empty()).then(|| Needed {
        api_version,
        kind,
        namespace: namespace.map(str::to_string),
        name: name.to_string(),
    })
}

/// The objects a verdict on `object` (as submitted for admission) depends on: its namespace
/// (which ministry, placement and data class it has), the data class it is labelled with, the
/// volume or snapshot a claim copies, the claim a snapshot copies, the ministries, classes,
/// namespaces and approval a link, grant or tenancy names. Admission reads through to the API
/// server for any of them its index does not hold yet, so a request that follows another
/// closely is judged with what the first created.
pub fn admission_needs(object: &serde_json::Value) -> Vec<Needed> {
    use crate::api::{API_VERSION, LABEL_DATA_CLASS};
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let kind = s(&object["kind"]);
    let api_version = s(&object["apiVersion"]);
    let namespace = object["metadata"]["namespace"].as_str();
    let spec = &object["spec"];
    let mut out: Vec<Option<Needed>> = Vec::new();
    if let Some(ns) = namespace {
        out.push(needed("v1", "Namespace", None, ns));
    }
    if let Some(class) = object["metadata"]["labels"][LABEL_DATA_CLASS].as_str() {
        out.push(needed(API_VERSION, "DataClass", None, class));
    }
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match (api_version.as_str(), kind.as_str()) {
        ("v1", "PersistentVolumeClaim") => {
            // dataSourceRef supersedes dataSource, as in the policies.
            let source = if spec["dataSourceRef"].is_object() {
                &spec["dataSourceRef"]
            } else {
                &spec["dataSource"]
            };
            let from_ns = source["namespace"].as_str().or(namespace);
            let name = s(&source["name"]);
            match (
                source["apiGroup"].as_str().unwrap_or_default(),
                source["kind"].as_str(),
            ) {
                ("", Some("PersistentVolumeClaim")) => {
                    out.push(needed("v1", "PersistentVolumeClaim", from_ns, &name));
                    if let Some(ns) = from_ns {
                        out.push(needed("v1", "Namespace", None, ns));
                    }
                }
                ("snapshot.storage.k8s.io", Some("VolumeSnapshot")) => {
                    out.push(needed(
                        "snapshot.storage.k8s.io/v1",
                        "VolumeSnapshot",
                        from_ns,
                        &name,
                    ));
                }
                _ => {}
            }
        }
        (_, "VolumeSnapshot") if api_version.starts_with("snapshot.storage.k8s.io/") => {
            out.push(needed(
                "v1",
                "PersistentVolumeClaim",
                namespace,
                &s(&spec["source"]["persistentVolumeClaimName"]),
            ));
        }
        (API_VERSION, "PrivateNetworkLink") => {
            for side in ["from", "to"] {
                out.push(needed(
                    API_VERSION,
                    "Ministry",
                    None,
                    &s(&spec[side]["ministry"]),
                ));
                for ns in names(&spec[side]["namespaces"]) {
                    out.push(needed("v1", "Namespace", None, &ns));
                }
            }
            out.push(needed(API_VERSION, "Approval", None, &s(&spec["approval"])));
        }
        (API_VERSION, "DataAccessGrant") => {
            out.push(needed(API_VERSION, "Ministry", None, &s(&spec["owner"])));
            out.push(needed(
                API_VERSION,
                "Ministry",
                None,
                &s(&spec["grantee"]["ministry"]),
            ));
            out.push(needed(
                API_VERSION,
                "DataClass",
                None,
                &s(&spec["dataClass"]),
            ));
            for ns in names(&spec["namespaces"]) {
                out.push(needed("v1", "Namespace", None, &ns));
            }
        }
        (API_VERSION, "CloudTenancy") => {
            out.push(needed(API_VERSION, "Ministry", None, &s(&spec["ministry"])));
            for ns in spec["namespaces"].as_array().into_iter().flatten() {
                out.push(needed(API_VERSION, "DataClass", None, &s(&ns["dataClass"])));
            }
        }
        _ => {}
    }
    let mut out: Vec<Needed> = out.into_iter().flatten().collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod needs_tests {
    use super::*;

    fn names(needs: &[Needed]) -> Vec<String> {
        needs
            .iter()
            .map(|n| match &n.namespace {
                Some(ns) => format!("{}/{}/{}", n.kind, ns, n.name),
                None => format!("{}/{}", n.kind, n.name),
            })
            .collect()
    }

    #[test]
    fn a_clone_needs_its_source_volume_and_both_namespaces() {
        let clone = serde_json::json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "copy", "namespace": "moh-records"},
            "spec": {"dataSource": {"kind": "PersistentVolumeClaim", "name": "secret-vol"}}});
        assert_eq!(
            names(&admission_needs(&clone)),
            [
                "Namespace/moh-records",
                "PersistentVolumeClaim/moh-records/secret-vol"
            ]
        );
        let from_snapshot = serde_json::json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "copy", "namespace": "a", "labels": {"digital.gov.kh/data-class": "open"}},
            "spec": {"dataSourceRef": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "snap"},
                     "dataSource": {"kind": "PersistentVolumeClaim", "name": "ignored"}}});
        assert_eq!(
            names(&admission_needs(&from_snapshot)),
            ["DataClass/open", "VolumeSnapshot/a/snap", "Namespace/a"]
        );
    }

    #[test]
    fn a_link_needs_its_ministries_namespaces_and_approval() {
        let link = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
            "metadata": {"name": "l"},
            "spec": {"from": {"ministry": "mef", "namespaces": ["mef-app"]}, "to": {"ministry": "gdt"},
                     "network": "alternative", "approval": "a1"}});
        assert_eq!(
            names(&admission_needs(&link)),
            [
                "Approval/a1",
                "Ministry/gdt",
                "Ministry/mef",
                "Namespace/mef-app"
            ]
        );
    }

    #[test]
    fn a_workload_needs_its_namespace_only_and_a_cluster_object_nothing() {
        let d = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "moeys-elearning"}, "spec": {}});
        assert_eq!(names(&admission_needs(&d)), ["Namespace/moeys-elearning"]);
        let c = serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "x"}});
        assert!(admission_needs(&c).is_empty());
    }
}
