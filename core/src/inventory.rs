//! The inventory: every object the evaluation may look at, indexed by kind and name — our kinds
//! decoded, namespaces with the ministry, placement and data class they belong to, and all other
//! objects as they were read. It is built from manifests (`govkh check`, `govkh report`), from
//! one pass over a cluster (`--cluster`) and from the operator's watches (the live index); the
//! evaluation does not know which.
//!
//! Building it refuses duplicates (two objects of the same kind and name), naming both places,
//! and keeps the first. A namespace two tenancies declare is no load error: neither holds it,
//! and the `namespace-claims` policy says so on both (`index_namespaces`).

use std::{collections::BTreeMap, sync::Arc};

use crate::{
    api::{
        ANNOTATION_CREATED_BY, Approval, CloudTenancy, DataAccessGrant, DataClass, GovernmentCloud,
        Kind, LABEL_DATA_CLASS, LABEL_MINISTRY, LABEL_PERSONAL_DATA, LABEL_TENANCY, Ministry,
        Placement, PrivateNetworkLink,
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
    /// The ministry it belongs to (its holding tenancy's, else its label).
    pub ministry: Option<String>,
    /// Its placement, when a tenancy holds it.
    pub placement: Option<Placement>,
    /// Its default data class (holding tenancy, else its label).
    pub data_class: Option<String>,
    /// The tenancy that holds it (see `Inventory::index_namespaces` for who that is).
    pub tenancy: Option<String>,
    /// Whether it holds personal data (Art. 29).
    pub personal_data: bool,
    /// Whether the Namespace exists (was read as an object), or is only declared by tenancies.
    pub exists: bool,
    /// The tenancies that declare it, by name (more than one is a conflict).
    pub claimants: Vec<String>,
    /// The tenancy govkh recorded on the Namespace as holding it: its `digital.gov.kh/tenancy`
    /// label, which only govkh writes (the name, shortened by `api::label_value` when long).
    pub recorded: Option<String>,
    /// The tenancy govkh created the Namespace for (`digital.gov.kh/created-by`).
    pub created_by: Option<String>,
}

/// Whether `name` is a namespace no tenancy may ever hold, whatever the installation: the
/// system's (`kube-*`) and `default`. govkh's own namespace and the installation's exempt ones
/// are refused by the fence too (`fence::Authority::reserved`).
pub fn always_reserved(name: &str) -> bool {
    name == "default" || name.starts_with("kube-")
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
        inv.index_namespaces();
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
        let ours = Kind::of(api_version, kind);
        let removed = match ours {
            Some(Kind::GovernmentCloud) => self.government_cloud.take().is_some(),
            Some(Kind::Ministry) => self.ministries.remove(name).is_some(),
            Some(Kind::CloudTenancy) => self.tenancies.remove(name).is_some(),
            Some(Kind::PrivateNetworkLink) => self.links.remove(name).is_some(),
            Some(Kind::DataClass) => self.data_classes.remove(name).is_some(),
            Some(Kind::DataAccessGrant) => self.grants.remove(name).is_some(),
            Some(Kind::Approval) => self.approvals.remove(name).is_some(),
            None => self
                .others
                .remove(&other_key(api_version, kind, namespace, name))
                .is_some(),
        };
        if removed && (ours == Some(Kind::CloudTenancy) || kind == "Namespace") {
            self.reindex_namespaces();
        }
        removed
    }

    /// This inventory with `tenancy` as given: borrowed when it holds that tenancy already as
    /// given, else a copy that does (a reconciler's object may be newer than the index it reads
    /// the rest from, or the index may not hold it yet: whose namespaces are whose must be
    /// decided with the tenancy as it is now).
    pub fn with_tenancy(&self, tenancy: &CloudTenancy) -> std::borrow::Cow<'_, Inventory> {
        let name = tenancy.metadata.name.clone().unwrap_or_default();
        if self
            .tenancies
            .get(&name)
            .is_some_and(|e| e.object.spec == tenancy.spec)
        {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut inv = self.clone();
        inv.tenancies.insert(
            name,
            Entry {
                source: None,
                object: tenancy.clone(),
            },
        );
        inv.reindex_namespaces();
        std::borrow::Cow::Owned(inv)
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
        match Kind::of(api_version, kind) {
            Some(Kind::GovernmentCloud) => self.government_cloud.is_some(),
            Some(Kind::Ministry) => self.ministries.contains_key(name),
            Some(Kind::CloudTenancy) => self.tenancies.contains_key(name),
            Some(Kind::PrivateNetworkLink) => self.links.contains_key(name),
            Some(Kind::DataClass) => self.data_classes.contains_key(name),
            Some(Kind::DataAccessGrant) => self.grants.contains_key(name),
            Some(Kind::Approval) => self.approvals.contains_key(name),
            None => {
                self.others
                    .contains_key(&other_key(api_version, kind, namespace, name))
                    || (kind == "Namespace"
                        && api_version == "v1"
                        && self.namespaces.contains_key(name))
            }
        }
    }

    /// Recompute `namespaces` from the tenancies and Namespace objects (after a change of
    /// either).
    pub fn reindex_namespaces(&mut self) {
        self.namespaces.clear();
        self.index_namespaces();
    }

    /// Fill `namespaces` from the tenancies and from Namespace objects. Who holds a namespace
    /// is decided from facts only govkh writes, never from the tenancies' names:
    /// - one that exists is held by the tenancy govkh recorded on it (`digital.gov.kh/tenancy`)
    ///   while that tenancy still declares it; otherwise (made by someone else, or released)
    ///   by the one tenancy declaring it with `adopt` (which only the platform may set), if
    ///   exactly one does;
    /// - one that does not exist (yet) is held by the tenancy that declares it, if only one
    ///   does: two declaring it is a conflict, and neither holds it until one lets go;
    /// - `kube-*` and `default` are never held.
    ///
    /// A held namespace takes its ministry, placement and class from its tenancy; otherwise they
    /// come from its labels (which govkh's admission policies let only govkh write).
    fn index_namespaces(&mut self) {
        let mut adopting: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tname, t) in &self.tenancies {
            for ns in &t.object.spec.namespaces {
                let info = self.namespaces.entry(ns.name.clone()).or_default();
                if !info.claimants.contains(tname) {
                    info.claimants.push(tname.clone());
                }
                if ns.adopt {
                    adopting
                        .entry(ns.name.clone())
                        .or_default()
                        .push(tname.clone());
                }
            }
        }
        for o in self.others.values() {
            if o.kind != "Namespace" || !o.api_version.eq("v1") {
                continue;
            }
            let meta = o.raw.get("metadata");
            let get = |map: &str, k: &str| {
                meta.and_then(|m| m.get(map))
                    .and_then(|l| l.get(k))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let info = self.namespaces.entry(o.name.clone()).or_default();
            info.exists = true;
            info.ministry = get("labels", LABEL_MINISTRY);
            info.data_class = get("labels", LABEL_DATA_CLASS);
            info.personal_data = get("labels", LABEL_PERSONAL_DATA).as_deref() == Some("true");
            info.recorded = get("labels", LABEL_TENANCY);
            info.created_by = get("annotations", ANNOTATION_CREATED_BY);
        }
        for (name, info) in self.namespaces.iter_mut() {
            let holder = if always_reserved(name) {
                None
            } else if info.exists {
                // A tenancy recorded on the namespace holds it only for the ministry recorded
                // with it: a tenancy of that name made again by another ministry takes nothing.
                let same_ministry = |t: &str| {
                    self.tenancies.get(t).is_some_and(|t| {
                        info.ministry
                            .as_deref()
                            .is_none_or(|m| m == t.object.spec.ministry)
                    })
                };
                // The label holds the tenancy's name, shortened when longer than a label.
                let recorded = info.recorded.as_deref().and_then(|r| {
                    info.claimants
                        .iter()
                        .find(|c| crate::api::label_value(c) == r)
                });
                match recorded {
                    Some(r) if same_ministry(r) => Some(r.clone()),
                    _ => match adopting.get(name).map(Vec::as_slice) {
                        Some([one]) => Some(one.clone()),
                        _ => None,
                    },
                }
            } else {
                match info.claimants.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                }
            };
            let Some(holder) = holder else { continue };
            let Some(t) = self.tenancies.get(&holder) else {
                continue;
            };
            let Some(declared) = t.object.spec.namespaces.iter().find(|n| &n.name == name) else {
                continue;
            };
            info.ministry = Some(t.object.spec.ministry.clone());
            info.placement = Some(t.object.spec.placement);
            if declared.data_class.is_some() {
                info.data_class = declared.data_class.clone();
            }
            info.personal_data |= declared.personal_data;
            info.tenancy = Some(holder);
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

/// The bundled national example set (`examples/`) as an inventory: the unit tests' fixture.
#[cfg(test)]
pub(crate) fn examples() -> Inventory {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let loaded = crate::loading::manifest::Loader::new().load_paths(&[dir], &mut std::io::empty());
    Inventory::build(loaded.objects).0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::loading::manifest::Loader;

    /// The inventory of the manifests in `text`, which must load without a problem.
    pub(crate) fn inventory(text: &str) -> Inventory {
        let loader = Loader::new();
        let mut r = crate::loading::manifest::LoadResult::default();
        loader.load_text("t.yaml", text, false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let (inv, errors) = Inventory::build(r.objects);
        assert!(errors.is_empty(), "{errors:?}");
        inv
    }

    #[test]
    fn a_namespace_declared_by_two_tenancies_is_held_by_neither_whatever_their_names() {
        let text = "\
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: a}
spec: {ministry: mef, placement: government-private, namespaces: [{name: shared, dataClass: confidential}, {name: mine}]}
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
        let inv = inventory(text);
        let shared = &inv.namespaces["shared"];
        assert_eq!(shared.tenancy, None, "no name order decides");
        assert_eq!(shared.ministry, None);
        assert_eq!(shared.claimants, ["a", "b"]);
        assert!(!shared.exists);
        let mine = &inv.namespaces["mine"];
        assert_eq!(
            (mine.tenancy.as_deref(), mine.ministry.as_deref()),
            (Some("a"), Some("mef"))
        );
        assert_eq!(mine.placement, Some(Placement::GovernmentPrivate));
        let legacy = &inv.namespaces["legacy"];
        assert_eq!(
            (legacy.ministry.as_deref(), legacy.data_class.as_deref()),
            (Some("moi"), Some("top-secret"))
        );
        assert!(legacy.exists && legacy.tenancy.is_none());
        assert_eq!(inv.len(), 3);
        // The same with the tenancies' names swapped: still neither.
        let swapped = inventory(&text.replace("name: a}", "name: z}"));
        assert_eq!(swapped.namespaces["shared"].tenancy, None);
    }

    #[test]
    fn an_existing_namespace_is_held_by_the_tenancy_govkh_recorded_or_adopted_by_the_platforms_word()
     {
        let text = "\
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: moeys-grab}
spec: {ministry: moeys, placement: government-private, namespaces: [{name: mef-tax}, {name: kube-system}, {name: victim-legacy}, {name: handed-over, adopt: true}]}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: mef-core}
spec: {ministry: mef, placement: government-private, namespaces: [{name: mef-tax, dataClass: confidential}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: mef-tax, labels: {digital.gov.kh/ministry: mef, digital.gov.kh/tenancy: mef-core}, annotations: {digital.gov.kh/created-by: mef-core}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: victim-legacy}
---
apiVersion: v1
kind: Namespace
metadata: {name: handed-over}
";
        let inv = inventory(text);
        let tax = &inv.namespaces["mef-tax"];
        assert_eq!(tax.tenancy.as_deref(), Some("mef-core"));
        assert_eq!(tax.ministry.as_deref(), Some("mef"));
        assert_eq!(tax.created_by.as_deref(), Some("mef-core"));
        assert_eq!(tax.claimants, ["mef-core", "moeys-grab"]);
        for taken in ["kube-system", "victim-legacy"] {
            let info = &inv.namespaces[taken];
            assert_eq!(info.tenancy, None, "{taken}");
            assert_eq!(info.ministry, None, "{taken}");
        }
        let adopted = &inv.namespaces["handed-over"];
        assert_eq!(adopted.tenancy.as_deref(), Some("moeys-grab"));
        assert_eq!(adopted.ministry.as_deref(), Some("moeys"));
        // Released by its tenancy (the label stays, the tenancy no longer declares it): no one
        // holds it until the platform hands it over.
        let released = inventory(&text.replace(
            "namespaces: [{name: mef-tax, dataClass: confidential}]",
            "namespaces: [{name: mef-other}]",
        ));
        assert_eq!(released.namespaces["mef-tax"].tenancy, None);
        assert_eq!(
            released.namespaces["mef-tax"].ministry.as_deref(),
            Some("mef"),
            "its label"
        );
    }
}
