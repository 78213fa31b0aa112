//! The inventory: every object the evaluation may look at, indexed by kind and name — our kinds
//! decoded, namespaces with the ministry, placement and data class they belong to, and all other
//! objects as they were read. It is built from manifests (`govkh check`, `govkh report`), from
//! one pass over a cluster (`--cluster`) and from the operator's watches (the live index); the
//! evaluation does not know which.
//!
//! Building it refuses duplicates (two objects of the same kind and name, or a namespace claimed
//! by two tenancies), naming both places, and keeps the first.

use std::{collections::BTreeMap, sync::Arc};

use crate::{
    api::{
        Approval, CloudTenancy, DataAccessGrant, DataClass, GovernmentCloud, LABEL_DATA_CLASS,
        LABEL_MINISTRY, LABEL_PERSONAL_DATA, Ministry, Placement, PrivateNetworkLink,
    },
    loading::manifest::{LoadError, Loaded, Object, Source},
};

/// An object with where it came from (no source when it was read from a cluster).
#[derive(Clone, Debug)]
pub struct Entry<T> {
    /// Where it was read from.
    pub source: Option<Source>,
    /// The object.
    pub object: T,
}

/// What govkh knows about a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceInfo {
    /// The ministry it belongs to (tenancy, else its label).
    pub ministry: Option<String>,
    /// Its placement, when a tenancy provisions it.
    pub placement: Option<Placement>,
    /// Its default data class (tenancy, else its label).
    pub data_class: Option<String>,
    /// The tenancy that provisions it.
    pub tenancy: Option<String>,
    /// Whether it holds personal data (Art. 29).
    pub personal_data: bool,
}

/// Everything the evaluation may look at.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// The `national` GovernmentCloud.
    pub government_cloud: Option<Entry<GovernmentCloud>>,
    /// Ministries by code.
    pub ministries: BTreeMap<String, Entry<Ministry>>,
    /// Tenancies by name.
    pub tenancies: BTreeMap<String, Entry<CloudTenancy>>,
    /// Links by name.
    pub links: BTreeMap<String, Entry<PrivateNetworkLink>>,
    /// Data classes by name.
    pub data_classes: BTreeMap<String, Entry<DataClass>>,
    /// Grants by name.
    pub grants: BTreeMap<String, Entry<DataAccessGrant>>,
    /// Approvals by name.
    pub approvals: BTreeMap<String, Entry<Approval>>,
    /// Namespaces by name: those tenancies provision and those read as objects.
    pub namespaces: BTreeMap<String, NamespaceInfo>,
    /// Every object that is not of our kinds (Namespaces included), by `other_key`. Shared
    /// (`Arc`): a live index and the views it hands out hold each object once.
    pub others: BTreeMap<String, Arc<Loaded>>,
}

/// The key of an object not of our kinds: `apiVersion/Kind/namespace/name` (no namespace part
/// for cluster-scoped objects).
pub fn other_key(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{api_version}/{kind}/{ns}/{name}"),
        None => format!("{api_version}/{kind}/{name}"),
    }
}

/// Keep `object`, read as `kind`/`name` at `source`, unless that name is taken: then the
/// first stays and the second is a duplicate.
fn insert<T>(
    map: &mut BTreeMap<String, Entry<T>>,
    (kind, name, source): (&str, &str, &Source),
    object: T,
    errors: &mut Vec<LoadError>,
) {
    if let Some(first) = map.get(name) {
        errors.push(duplicate(kind, name, source, first.source.as_ref()));
        return;
    }
    map.insert(
        name.to_string(),
        Entry {
            source: Some(source.clone()),
            object,
        },
    );
}

fn duplicate(kind: &str, name: &str, source: &Source, first: Option<&Source>) -> LoadError {
    let place = first.map(|s| format!(" at {s}")).unwrap_or_default();
    LoadError {
        source: source.clone(),
        object: Some(format!("{kind}/{name}")),
        message: format!(
            "duplicate name: {kind}/{name} is already defined{place}; this one is ignored"
        ),
    }
}

impl Inventory {
    /// Build the inventory from loaded objects. Returns the problems found on the way
    /// (duplicates); the objects concerned are left out after their first occurrence.
    pub fn build(objects: Vec<Loaded>) -> (Inventory, Vec<LoadError>) {
        let mut inv = Inventory::default();
        let mut errors = Vec::new();
        for loaded in objects {
            inv.add(loaded, &mut errors);
        }
        inv.index_namespaces(&mut errors);
        (inv, errors)
    }

    /// Add one loaded object, or say why not (a duplicate).
    fn add(&mut self, loaded: Loaded, errors: &mut Vec<LoadError>) {
        let source = loaded.source.clone();
        let name = loaded.name.clone();
        let at = (loaded.kind.as_str(), name.as_str(), &source);
        match loaded.object.clone() {
            Object::GovernmentCloud(o) => match &self.government_cloud {
                Some(first) => errors.push(duplicate(
                    "GovernmentCloud",
                    &name,
                    &source,
                    first.source.as_ref(),
                )),
                None => {
                    self.government_cloud = Some(Entry {
                        source: Some(source),
                        object: *o,
                    })
                }
            },
            Object::Ministry(o) => insert(&mut self.ministries, at, *o, errors),
            Object::CloudTenancy(o) => insert(&mut self.tenancies, at, *o, errors),
            Object::PrivateNetworkLink(o) => insert(&mut self.links, at, *o, errors),
            Object::DataClass(o) => insert(&mut self.data_classes, at, *o, errors),
            Object::DataAccessGrant(o) => insert(&mut self.grants, at, *o, errors),
            Object::Approval(o) => insert(&mut self.approvals, at, *o, errors),
            Object::Other => {
                let key = other_key(
                    &loaded.api_version,
                    &loaded.kind,
                    loaded.namespace.as_deref(),
                    &name,
                );
                if let Some(first) = self.others.get(&key) {
                    let shown = match &loaded.namespace {
                        Some(ns) => format!("{ns}/{name}"),
                        None => name.clone(),
                    };
                    errors.push(duplicate(
                        &loaded.kind,
                        &shown,
                        &source,
                        Some(&first.source),
                    ));
                    return;
                }
                self.others.insert(key, Arc::new(loaded));
            }
        }
    }

    /// Add or replace one object, as a watch reports it: our kinds by name, others by
    /// `other_key`. The namespace index follows when a tenancy or a Namespace changes.
    pub fn upsert(&mut self, loaded: Arc<Loaded>) {
        let entry = |l: &Loaded| Some(l.source.clone()).filter(|s| !s.file.is_empty());
        let reindex = match &loaded.object {
            Object::GovernmentCloud(o) => {
                self.government_cloud = Some(Entry {
                    source: entry(&loaded),
                    object: (**o).clone(),
                });
                false
            }
            Object::Ministry(o) => put(&mut self.ministries, &loaded, o),
            Object::CloudTenancy(o) => {
                put(&mut self.tenancies, &loaded, o);
                true
            }
            Object::PrivateNetworkLink(o) => put(&mut self.links, &loaded, o),
            Object::DataClass(o) => put(&mut self.data_classes, &loaded, o),
            Object::DataAccessGrant(o) => put(&mut self.grants, &loaded, o),
            Object::Approval(o) => put(&mut self.approvals, &loaded, o),
            Object::Other => {
                let is_namespace = loaded.kind == "Namespace";
                let key = other_key(
                    &loaded.api_version,
                    &loaded.kind,
                    loaded.namespace.as_deref(),
                    &loaded.name,
                );
                self.others.insert(key, loaded);
                is_namespace
            }
        };
        if reindex {
            self.reindex_namespaces();
        }
    }

    /// Remove one object, as a watch reports its deletion. Returns whether it was there.
    pub fn remove(
        &mut self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let ours = api_version == crate::api::API_VERSION;
        let removed = match kind {
            "GovernmentCloud" if ours => self.government_cloud.take().is_some(),
            "Ministry" if ours => self.ministries.remove(name).is_some(),
            "CloudTenancy" if ours => self.tenancies.remove(name).is_some(),
            "PrivateNetworkLink" if ours => self.links.remove(name).is_some(),
            "DataClass" if ours => self.data_classes.remove(name).is_some(),
            "DataAccessGrant" if ours => self.grants.remove(name).is_some(),
            "Approval" if ours => self.approvals.remove(name).is_some(),
            _ => self
                .others
                .remove(&other_key(api_version, kind, namespace, name))
                .is_some(),
        };
        if removed && (kind == "CloudTenancy" || kind == "Namespace") {
            self.reindex_namespaces();
        }
        removed
    }

    /// Whether the Ministry `required` exists, and `optional` too when there is one (a link's
    /// target, a grant's grantee ministry).
    pub fn ministries_exist(&self, required: &str, optional: Option<&str>) -> bool {
        self.ministries.contains_key(required)
            && optional.is_none_or(|m| self.ministries.contains_key(m))
    }

    /// Whether the inventory holds the object named so (a Namespace counts when a tenancy
    /// provisions it or it was read as an object).
    pub fn holds(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let ours = api_version == crate::api::API_VERSION;
        match kind {
            "GovernmentCloud" if ours => self.government_cloud.is_some(),
            "Ministry" if ours => self.ministries.contains_key(name),
            "CloudTenancy" if ours => self.tenancies.contains_key(name),
            "PrivateNetworkLink" if ours => self.links.contains_key(name),
            "DataClass" if ours => self.data_classes.contains_key(name),
            "DataAccessGrant" if ours => self.grants.contains_key(name),
            "Approval" if ours => self.approvals.contains_key(name),
            _ => {
                self.others
                    .contains_key(&other_key(api_version, kind, namespace, name))
                    || (kind == "Namespace"
                        && api_version == "v1"
                        && self.namespaces.contains_key(name))
            }
        }
    }

    /// Recompute `namespaces` from the tenancies and Namespace objects (after a change of
    /// either). Conflicts were reported when the objects were loaded; here the first tenancy
    /// (by name) keeps a contested namespace, as in `build`.
    pub fn reindex_namespaces(&mut self) {
        self.namespaces.clear();
        let mut ignored = Vec::new();
        self.index_namespaces(&mut ignored);
    }

    /// Fill `namespaces` from the tenancies (which win) and from Namespace objects' labels.
    fn index_namespaces(&mut self, errors: &mut Vec<LoadError>) {
        for (tname, t) in &self.tenancies {
            for ns in &t.object.spec.namespaces {
                if let Some(info) = self.namespaces.get(&ns.name) {
                    let first = info.tenancy.clone().unwrap_or_default();
                    if let Some(source) = &t.source {
                        errors.push(LoadError {
                            source: source.clone(),
                            object: Some(format!("CloudTenancy/{tname}")),
                            message: format!(
                                "namespace {} is already provisioned by CloudTenancy/{first}: a namespace belongs to one tenancy",
                                ns.name
                            ),
                        });
                    }
                    continue;
                }
                self.namespaces.insert(
                    ns.name.clone(),
                    NamespaceInfo {
                        ministry: Some(t.object.spec.ministry.clone()),
                        placement: Some(t.object.spec.placement),
                        data_class: ns.data_class.clone(),
                        tenancy: Some(tname.clone()),
                        personal_data: ns.personal_data,
                    },
                );
            }
        }
        for o in self.others.values() {
            if o.kind != "Namespace" || !o.api_version.eq("v1") {
                continue;
            }
            let labels = o.raw.get("metadata").and_then(|m| m.get("labels"));
            let label = |k: &str| {
                labels
                    .and_then(|l| l.get(k))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let info = self.namespaces.entry(o.name.clone()).or_default();
            if info.ministry.is_none() {
                info.ministry = label(LABEL_MINISTRY);
            }
            if info.data_class.is_none() {
                info.data_class = label(LABEL_DATA_CLASS);
            }
            info.personal_data |= label(LABEL_PERSONAL_DATA).as_deref() == Some("true");
        }
    }

    /// Number of objects in the inventory.
    pub fn len(&self) -> usize {
        usize::from(self.government_cloud.is_some())
            + self.ministries.len()
            + self.tenancies.len()
            + self.links.len()
            + self.data_classes.len()
            + self.grants.len()
            + self.approvals.len()
            + self.others.len()
    }

    /// Whether the inventory holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Put one of our objects in its map, by name. Returns false: these kinds do not move the
/// namespace index (tenancies say so themselves).
fn put<T: Clone>(map: &mut BTreeMap<String, Entry<T>>, loaded: &Loaded, object: &T) -> bool {
    map.insert(
        loaded.name.clone(),
        Entry {
            source: Some(loaded.source.clone()).filter(|s| !s.file.is_empty()),
            object: object.clone(),
        },
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loading::manifest::Loader;

    #[test]
    fn a_namespace_claimed_by_two_tenancies_is_refused_and_namespaces_are_indexed() {
        let loader = Loader::new();
        let mut r = crate::loading::manifest::LoadResult::default();
        let text = "\
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: a}
spec: {ministry: mef, placement: government-private, namespaces: [{name: shared, dataClass: confidential}]}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: b}
spec: {ministry: moh, placement: external, provider: aws, namespaces: [{name: shared}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {digital.gov.kh/ministry: moi, digital.gov.kh/data-class: top-secret}}
";
        loader.load_text("t.yaml", text, false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let (inv, errors) = Inventory::build(r.objects);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .message
                .contains("namespace shared is already provisioned by CloudTenancy/a"),
            "{}",
            errors[0]
        );
        let shared = &inv.namespaces["shared"];
        assert_eq!(shared.ministry.as_deref(), Some("mef"));
        assert_eq!(shared.placement, Some(Placement::GovernmentPrivate));
        assert_eq!(shared.data_class.as_deref(), Some("confidential"));
        let legacy = &inv.namespaces["legacy"];
        assert_eq!(
            (legacy.ministry.as_deref(), legacy.data_class.as_deref()),
            (Some("moi"), Some("top-secret"))
        );
        assert_eq!(inv.len(), 3);
    }
}
