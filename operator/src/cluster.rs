//! Reading the inventory from a live cluster — the only kube I/O of the report, kept thin: it
//! lists our seven kinds, the Namespaces, and, in the ministries' namespaces, the kinds the
//! policies judge (Secrets and ConfigMaps by metadata only: their data is never read); then the
//! cloud APIs of the catalogue the cluster serves (found through discovery, as the operator's
//! index finds them), metadata only and in every namespace. Every
//! object then goes through the same validation and decoding as a manifest, so the evaluation
//! cannot tell where its inventory came from.

use std::collections::BTreeSet;

use kube::{
    Api, Client,
    api::{ListParams, ObjectList},
    core::{ApiResource, DynamicObject, GroupVersionKind},
};
use serde_json::Value;

use govkh_core::{
    api::{GROUP, LABEL_MINISTRY},
    clouds::Catalogue,
    loading::manifest::{LoadError, LoadResult, Loader},
    resources::RESOURCES,
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

/// Objects per list request.
pub const PAGE_SIZE: u32 = 500;

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

/// Read the inventory's objects from the cluster, with the cloud resources of the APIs of
/// `catalogue` it serves. Our kinds must be readable (a 404 means the CRDs are not installed);
/// any other kind that cannot be listed (or a discovery that fails) becomes a load error in the
/// result, so the report says what it could not see.
pub async fn read(
    client: Client,
    loader: &Loader,
    catalogue: &Catalogue,
) -> Result<LoadResult, Error> {
    let mut result = LoadResult::default();
    let mut ministry_namespaces: BTreeSet<String> = BTreeSet::new();
    // Our kinds first: a cluster without our CRDs is said before anything else is asked.
    for pass in 0..2 {
        let kinds: Vec<&'static govkh_core::resources::Resource> = if pass == 0 {
            RESOURCES.iter().collect()
        } else {
            discover_clouds(&client, catalogue, &mut result).await
        };
        for r in kinds {
            let gvk = GroupVersionKind::gvk(r.group, r.version, r.kind);
            let ar = ApiResource::from_gvk_with_plural(&gvk, r.plural);
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
            let resource = r.qualified_plural();
            let source = r.source();
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
                r.as_manifest(&mut item);
                if r.kind == "Namespace" && item["metadata"]["labels"][LABEL_MINISTRY].is_string() {
                    ministry_namespaces
                        .extend(item["metadata"]["name"].as_str().map(str::to_string));
                }
                if r.kind == "CloudTenancy" {
                    // A system namespace a tenancy names is still nobody's (the fence).
                    for ns in item["spec"]["namespaces"].as_array().into_iter().flatten() {
                        ministry_namespaces.extend(
                            ns["name"]
                                .as_str()
                                .filter(|n| !govkh_core::inventory::always_reserved(n))
                                .map(str::to_string),
                        );
                    }
                }
                // A cloud resource is judged wherever it is: outside every ministry's namespace it
                // is a finding that it cannot be attributed.
                if r.namespaced
                    && !r.cloud
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
    }
    Ok(result)
}

/// The cloud kinds the cluster serves, or none with the discovery's failure in `result`.
async fn discover_clouds(
    client: &Client,
    catalogue: &Catalogue,
    result: &mut LoadResult,
) -> Vec<&'static govkh_core::resources::Resource> {
    match crate::index::discover(client, catalogue).await {
        Ok(kinds) => kinds,
        Err(e) => {
            result.errors.push(LoadError {
                source: govkh_core::loading::manifest::Source {
                    file: "cluster:/apis".into(),
                    document: 0,
                    line: 0,
                },
                object: None,
                message: format!(
                    "cannot discover the cloud APIs the cluster serves: {e}; its cloud resources are not judged"
                ),
            });
            Vec::new()
        }
    }
}
