//! The kinds govkh reads from a cluster, as data: our seven kinds, Namespaces, and the kinds the
//! policies judge. The cluster reader lists them, the live index watches them, and `govkh rbac`
//! derives the operator's `list`/`watch` permissions from the same table, so what is read and
//! what is permitted cannot drift apart.

use crate::api::{GROUP, VERSION};

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

    /// `plural.group`, or `plural` alone for the core group (as `kubectl` names a resource).
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}
