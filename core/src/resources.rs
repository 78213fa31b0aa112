//! The kinds govkh reads from a cluster, as data: our seven kinds, Namespaces, and the kinds the
//! policies judge. The cluster reader lists them, the live index watches them, and `govkh rbac`
//! derives the operator's `list`/`watch` permissions from the same table, so what is read and
//! what is permitted cannot drift apart.

use serde_json::Value;

use crate::{
    api::{GROUP, VERSION},
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
}

const fn ours(kind: &'static str, plural: &'static str) -> Resource {
    Resource {
        group: GROUP,
        version: VERSION,
        kind,
        plural,
        namespaced: false,
        metadata_only: false,
        optional: false,
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
    }
}

/// Everything read, in this order.
pub const RESOURCES: &[Resource] = &[
    ours("GovernmentCloud", "governmentclouds"),
    ours("Ministry", "ministries"),
    ours("CloudTenancy", "cloudtenancies"),
    ours("PrivateNetworkLink", "privatenetworklinks"),
    ours("DataClass", "dataclasses"),
    ours("DataAccessGrant", "dataaccessgrants"),
    ours("Approval", "approvals"),
    Resource {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        metadata_only: false,
        optional: false,
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
}
