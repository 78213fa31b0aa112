//! Reading the inventory from a live cluster — the only kube I/O of the report, kept thin: it
//! lists our seven kinds, the Namespaces, and, in the ministries' namespaces, the kinds the
//! policies judge (Secrets and ConfigMaps by metadata only: their data is never read). Every
//! object then goes through the same validation and decoding as a manifest, so the evaluation
//! cannot tell where its inventory came from.

use std::collections::BTreeSet;

use kube::{
    Api, Client,
    api::{ListParams, ObjectList},
    core::{ApiResource, DynamicObject, GroupVersionKind},
};
use serde_json::Value;

use crate::{
    api::{GROUP, LABEL_MINISTRY, VERSION},
    manifest::{LoadError, LoadResult, Loader, Source},
};

/// Why the cluster could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Our CRDs are missing.
    #[error(
        "the digital.gov.kh CRDs are not installed in this cluster ({0} not found): kubectl apply -f crds/"
    )]
    CrdsMissing(String),
    /// Listing one of our kinds failed.
    #[error("cannot list {resource}: {source}")]
    List {
        /// `plural.group`.
        resource: String,
        /// The API error.
        source: kube::Error,
    },
}

/// One kind read from the cluster.
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

/// Objects per list request.
pub const PAGE_SIZE: u32 = 500;

fn api_version(r: &Resource) -> String {
    if r.group.is_empty() {
        r.version.to_string()
    } else {
        format!("{}/{}", r.group, r.version)
    }
}

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

async fn list_all(
    api: &Api<DynamicObject>,
    metadata_only: bool,
) -> Result<Vec<Value>, kube::Error> {
    let mut out = Vec::new();
    let mut lp = ListParams::default().limit(PAGE_SIZE);
    loop {
        let (items, next): (Vec<Value>, Option<String>) = if metadata_only {
            let page = api.list_metadata(&lp).await?;
            (
                page.items
                    .iter()
                    .map(|o| {
                        serde_json::to_value(&o.metadata)
                            .map(|m| serde_json::json!({"metadata": m}))
                    })
                    .collect::<Result<_, _>>()
                    .map_err(kube::Error::SerdeError)?,
                page.metadata.continue_,
            )
        } else {
            let page: ObjectList<DynamicObject> = api.list(&lp).await?;
            (
                page.items
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<Result<_, _>>()
                    .map_err(kube::Error::SerdeError)?,
                page.metadata.continue_,
            )
        };
        out.extend(items);
        match next.filter(|c| !c.is_empty()) {
            Some(token) => lp = lp.continue_token(&token),
            None => return Ok(out),
        }
    }
}

/// Read the inventory's objects from the cluster. Our kinds must be readable (a 404 means the
/// CRDs are not installed); any other kind that cannot be listed becomes a load error in the
/// result, so the report says what it could not see.
pub async fn read(client: Client, loader: &Loader) -> Result<LoadResult, Error> {
    let mut result = LoadResult::default();
    let mut ministry_namespaces: BTreeSet<String> = BTreeSet::new();
    for r in RESOURCES {
        let gvk = GroupVersionKind::gvk(r.group, r.version, r.kind);
        let ar = ApiResource::from_gvk_with_plural(&gvk, r.plural);
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        let resource = if r.group.is_empty() {
            r.plural.to_string()
        } else {
            format!("{}.{}", r.plural, r.group)
        };
        let source = Source {
            file: format!("cluster:{resource}"),
            document: 0,
            line: 0,
        };
        let items = match list_all(&api, r.metadata_only).await {
            Ok(items) => items,
            Err(e) if r.group == GROUP && is_not_found(&e) => {
                return Err(Error::CrdsMissing(resource));
            }
            Err(e) if r.group == GROUP => {
                return Err(Error::List {
                    resource,
                    source: e,
                });
            }
            Err(e) if r.optional && is_not_found(&e) => continue,
            Err(e) => {
                result.errors.push(LoadError {
                    source,
                    object: None,
                    message: format!("cannot list {resource}: {e}"),
                });
                continue;
            }
        };
        for mut item in items {
            if let Some(map) = item.as_object_mut() {
                // List items may omit their type; what the server keeps for itself is noise.
                map.insert("apiVersion".into(), Value::from(api_version(r)));
                map.insert("kind".into(), Value::from(r.kind));
                if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("managedFields");
                }
            }
            if r.kind == "Namespace" && item["metadata"]["labels"][LABEL_MINISTRY].is_string() {
                ministry_namespaces.extend(item["metadata"]["name"].as_str().map(str::to_string));
            }
            if r.kind == "CloudTenancy" {
                for ns in item["spec"]["namespaces"].as_array().into_iter().flatten() {
                    ministry_namespaces.extend(ns["name"].as_str().map(str::to_string));
                }
            }
            if r.namespaced
                && !item["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|ns| ministry_namespaces.contains(ns))
            {
                continue;
            }
            match loader.load_value(&source, item) {
                Ok(o) => result.objects.push(o),
                Err(e) => result.errors.push(e),
            }
        }
    }
    Ok(result)
}
