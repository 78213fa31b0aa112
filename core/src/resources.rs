//! The kinds govkh reads from a cluster, as data: our seven kinds, Namespaces, and the kinds the
//! policies judge. The cluster reader lists them, the live index watches them, and `govkh rbac`
//! derives the operator's `list`/`watch` permissions from the same table, so what is read and
//! what is permitted cannot drift apart.

use serde_json::Value;

use crate::{
    api::{GROUP, Kind, VERSION},
    loading::manifest::Source,
};

/// The annotation `kubectl apply` keeps a full copy of the object in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One kind read from a cluster.
#[derive(Clone, Copy, Debug)]
pub struct Resource {
    /// API group (empty for the core group).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Plural resource name.
    pub plural: &'static str,
    /// Whether the kind is namespaced (then only ministries' namespaces are kept).
    pub namespaced: bool,
    /// Read metadata only (Secrets, ConfigMaps).
    pub metadata_only: bool,
    /// Whether the kind may be absent from a cluster (its CRD not installed).
    pub optional: bool,
    /// Whether it is a cloud API's kind, found through discovery (`cloud_kind`), not listed in
    /// `RESOURCES`: its objects are judged wherever they are (one outside every ministry's
    /// namespace is a finding that it cannot be attributed), and read metadata only.
    pub cloud: bool,
    /// Watched by the operator in each ministry's namespace, never cluster-wide (Secrets: Art.
    /// 25 judges a ministry's data only, so the operator reads no Secret elsewhere).
    pub per_namespace: bool,
}

const fn ours(kind: Kind) -> Resource {
    Resource {
        group: GROUP,
        version: VERSION,
        kind: kind.name(),
        plural: kind.plural(),
        namespaced: false,
        metadata_only: false,
        optional: false,
        cloud: false,
        per_namespace: false,
    }
}

const fn theirs(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        namespaced: true,
        metadata_only: false,
        optional: false,
        cloud: false,
        per_namespace: false,
    }
}

/// Everything read, in this order.
pub const RESOURCES: &[Resource] = &[
    ours(Kind::GovernmentCloud),
    ours(Kind::Ministry),
    ours(Kind::CloudTenancy),
    ours(Kind::PrivateNetworkLink),
    ours(Kind::DataClass),
    ours(Kind::DataAccessGrant),
    ours(Kind::Approval),
    Resource {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        metadata_only: false,
        optional: false,
        cloud: false,
        per_namespace: false,
    },
    theirs("apps", "v1", "Deployment", "deployments"),
    theirs("apps", "v1", "StatefulSet", "statefulsets"),
    theirs("apps", "v1", "DaemonSet", "daemonsets"),
    theirs("batch", "v1", "Job", "jobs"),
    theirs("batch", "v1", "CronJob", "cronjobs"),
    theirs("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    theirs("", "v1", "Service", "services"),
    theirs("networking.k8s.io", "v1", "Ingress", "ingresses"),
    theirs(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
    ),
    Resource {
        metadata_only: true,
        per_namespace: true,
        ..theirs("", "v1", "Secret", "secrets")
    },
    Resource {
        metadata_only: true,
        ..theirs("", "v1", "ConfigMap", "configmaps")
    },
    Resource {
        optional: true,
        ..theirs(
            "snapshot.storage.k8s.io",
            "v1",
            "VolumeSnapshot",
            "volumesnapshots",
        )
    },
    Resource {
        optional: true,
        ..theirs("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes")
    },
];

/// The kind of a cloud API the cluster serves, as discovery found it (`group`, `version`,
/// `kind`, `plural`, its scope), read metadata only. Made once per distinct kind and kept for
/// the life of the process: the index, its watches and its keys hold kinds as `&'static
/// Resource`, and a cluster serves a bounded set of kinds (its CRDs), so a kind found again
/// after its CRD came back is the one made the first time, not a new one.
pub fn cloud_kind(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
) -> &'static Resource {
    use std::{
        collections::HashMap,
        sync::{Mutex, OnceLock},
    };
    type Kinds = Mutex<HashMap<(String, String, String, String, bool), &'static Resource>>;
    static KINDS: OnceLock<Kinds> = OnceLock::new();
    let key = (
        group.to_string(),
        version.to_string(),
        kind.to_string(),
        plural.to_string(),
        namespaced,
    );
    let mut kinds = match KINDS.get_or_init(Kinds::default).lock() {
        Ok(k) => k,
        // Nothing is left half-inserted by a panic: a map insert is one step.
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(r) = kinds.get(&key) {
        return r;
    }
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let r: &'static Resource = Box::leak(Box::new(Resource {
        group: leak(group),
        version: leak(version),
        kind: leak(kind),
        plural: leak(plural),
        namespaced,
        metadata_only: true,
        optional: true,
        cloud: true,
        per_namespace: false,
    }));
    kinds.insert(key, r);
    r
}

impl Resource {
    /// `group/version`, or `version` alone for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether the kind is one of ours (`digital.gov.kh`).
    pub fn is_ours(&self) -> bool {
        self.group == GROUP
    }

    /// Where an object of this kind read from a cluster comes from: `cluster:<plural.group>`.
    pub fn source(&self) -> Source {
        Source {
            file: format!("cluster:{}", self.qualified_plural()),
            document: 0,
            line: 0,
        }
    }

    /// An object of this kind as the API server lists or watches it, made ready to load as a
    /// manifest would be: its type filled in (list and watch items of a dynamic API may omit
    /// it), and what no policy reads dropped — `metadata.managedFields`, the
    /// `kubectl.kubernetes.io/last-applied-configuration` annotation (a second copy of the
    /// object) and, but for our kinds, `status`.
    pub fn as_manifest(&self, value: &mut Value) {
        let Some(map) = value.as_object_mut() else {
            return;
        };
        map.insert("apiVersion".into(), Value::from(self.api_version()));
        map.insert("kind".into(), Value::from(self.kind));
        if !self.is_ours() {
            map.remove("status");
        }
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                annotations.remove(LAST_APPLIED);
                if annotations.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
    }

    /// How the index names the kind's watch in what it says (`not_synced`, logs): the kind for
    /// the kinds of `RESOURCES`, `plural.group` for a cloud kind (two cloud APIs may each have a
    /// `Bucket`).
    pub fn watch_name(&self) -> String {
        if self.cloud {
            self.qualified_plural()
        } else {
            self.kind.to_string()
        }
    }

    /// `plural.group`, or `plural` alone for the core group (as `kubectl` names a resource).
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_ours_is_read_and_nothing_else_of_our_group() {
        let ours: Vec<&str> = RESOURCES
            .iter()
            .filter(|r| r.is_ours())
            .map(|r| r.kind)
            .collect();
        assert_eq!(ours, Kind::ALL.map(Kind::name));
        for r in RESOURCES.iter().filter(|r| r.is_ours()) {
            assert_eq!(
                Kind::of(&r.api_version(), r.kind).map(Kind::plural),
                Some(r.plural)
            );
        }
    }

    #[test]
    fn served_objects_are_typed_and_slimmed_but_ours_keep_their_status() {
        let deployments = RESOURCES.iter().find(|r| r.kind == "Deployment").unwrap();
        let mut d = serde_json::json!({"metadata": {"name": "web", "managedFields": [{}],
            "annotations": {LAST_APPLIED: "{}", "keep": "me"}}, "spec": {}, "status": {"replicas": 1}});
        deployments.as_manifest(&mut d);
        assert_eq!(
            d,
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "annotations": {"keep": "me"}}, "spec": {}})
        );
        let tenancies = RESOURCES.iter().find(|r| r.kind == "CloudTenancy").unwrap();
        let mut t = serde_json::json!({"metadata": {"name": "t", "annotations": {LAST_APPLIED: "{}"}}, "status": {"state": "Compliant"}});
        tenancies.as_manifest(&mut t);
        assert_eq!(t["status"]["state"], "Compliant");
        assert!(t["metadata"].get("annotations").is_none());
        assert_eq!(
            tenancies.source().file,
            "cluster:cloudtenancies.digital.gov.kh"
        );
    }

    #[test]
    fn a_cloud_kind_is_made_once_and_named_by_its_group() {
        let a = cloud_kind("s3.aws.upbound.io", "v1beta1", "Bucket", "buckets", false);
        let again = cloud_kind("s3.aws.upbound.io", "v1beta1", "Bucket", "buckets", false);
        assert!(std::ptr::eq(a, again));
        let other = cloud_kind("s3.services.k8s.aws", "v1alpha1", "Bucket", "buckets", true);
        assert!(!std::ptr::eq(a, other));
        assert!(a.cloud && a.metadata_only && !a.namespaced && other.namespaced);
        assert_eq!(other.watch_name(), "buckets.s3.services.k8s.aws");
        assert_eq!(RESOURCES[0].watch_name(), "GovernmentCloud");
        assert_eq!(other.source().file, "cluster:buckets.s3.services.k8s.aws");
    }
}
