//! Folding watch events into the index: each object decoded and trimmed once on arrival,
//! applied or deleted, a relisted kind replaced whole when its list completes, and objects
//! joining or leaving the inventory as their namespace becomes, or stops being, a ministry's.

use govkh_core::{
    api::Kind,
    inventory::{Inventory, other_key},
    loading::manifest::{LoadError, Loaded, read_by_others, shapes_context},
    resources::Resource,
};
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use super::*;

impl Index {
    /// Decode one watched (or fetched) object as a manifest would be (our kinds validated
    /// against their schema), after dropping what no policy reads.
    pub fn decode(&self, r: &Resource, mut value: Value) -> Result<Loaded, LoadError> {
        r.as_manifest(&mut value);
        self.loader.load_value(&r.source(), value)
    }

    /// An object of kind `r` was added or changed. One that says what the index already holds
    /// (only its resourceVersion moved) changes nothing: no audit, no trigger.
    pub fn apply(&self, r: &'static Resource, value: Value) {
        let mut prepared = self.prepare(r, value);
        let announce = prepared.announce.take();
        let changed = self.write(|s| {
            if let Ok((fp, object)) = &prepared.held
                && s.fingerprints.get(&object.key()) == Some(fp)
            {
                return false;
            }
            Self::apply_in(s, r, prepared);
            true
        });
        if !changed {
            return;
        }
        self.changed.notify_one();
        if let Some(object) = announce {
            self.announce(r.kind, object, false);
        }
    }

    /// Decode one object of kind `r` into the form the index holds (see [`Prepared`]).
    pub fn prepare(&self, r: &'static Resource, value: Value) -> Prepared {
        let loaded = match self.decode(r, value) {
            Ok(l) => l,
            Err(e) => {
                return Prepared {
                    held: Err(e),
                    announce: None,
                };
            }
        };
        let fp = fingerprint(&loaded.raw);
        let announce = announced(r).then(|| loaded.raw.clone());
        let object = if r.namespaced && !read_by_others(&loaded.kind, &loaded.api_version) {
            let key = key_of(&loaded);
            PreparedObject::Compact(
                key,
                Compact {
                    resource: r,
                    namespace: loaded.namespace.clone().unwrap_or_default(),
                    name: loaded.name.clone(),
                    text: Packed::of(&loaded.raw),
                },
            )
        } else {
            PreparedObject::Loaded(loaded)
        };
        Prepared {
            held: Ok((fp, object)),
            announce,
        }
    }

    pub(crate) fn apply_in(s: &mut State, r: &Resource, prepared: Prepared) {
        let (fp, object) = match prepared.held {
            Ok(held) => held,
            Err(e) => {
                // A malformed object of ours is kept out (its controller publishes the
                // Warning Event); what it was before is no longer what exists.
                tracing::debug!(object = e.object.as_deref().unwrap_or_default(), error = %e.message, "kept out of the index");
                if let Some((_, name)) = e.object.as_deref().and_then(|o| o.split_once('/')) {
                    Self::remove_in(s, r, None, name);
                }
                if let Some(id) = e.object.clone() {
                    s.refused.insert(id, e);
                }
                return;
            }
        };
        s.refused.remove(&format!("{}/{}", r.kind, object.name()));
        s.fingerprints.insert(object.key(), fp);
        let loaded = match object {
            PreparedObject::Compact(key, compact) => {
                s.compact.insert(key, compact);
                s.version += 1;
                return;
            }
            PreparedObject::Loaded(loaded) => loaded,
        };
        let context = shapes_context(&loaded.kind, &loaded.api_version);
        let loaded = Arc::new(loaded);
        if r.namespaced {
            let key = other_key(
                &loaded.api_version,
                &loaded.kind,
                loaded.namespace.as_deref(),
                &loaded.name,
            );
            s.namespaced.insert(key, loaded.clone());
            let judged = loaded.namespace.as_deref().is_some_and(|ns| {
                s.inventory
                    .namespaces
                    .get(ns)
                    .is_some_and(|i| i.ministry.is_some())
            });
            if judged {
                Arc::make_mut(&mut s.inventory).upsert(loaded);
            }
        } else {
            let before = ministry_namespaces(&s.inventory);
            Arc::make_mut(&mut s.inventory).upsert(loaded);
            Self::follow_namespaces(s, &before);
        }
        s.version += 1;
        if context {
            s.context_version += 1;
        }
    }

    /// An object of kind `r` was deleted.
    pub fn delete(&self, r: &Resource, value: &Value) {
        let meta = &value["metadata"];
        let name = meta["name"].as_str().unwrap_or_default().to_string();
        let namespace = meta["namespace"].as_str().map(str::to_string);
        self.write(|s| Self::remove_in(s, r, namespace.as_deref(), &name));
        self.changed.notify_one();
        self.announce(r.kind, value.clone(), true);
    }

    pub(crate) fn remove_in(s: &mut State, r: &Resource, namespace: Option<&str>, name: &str) {
        let api_version = r.api_version();
        s.fingerprints
            .remove(&other_key(&api_version, r.kind, namespace, name));
        if r.namespaced {
            let key = other_key(&api_version, r.kind, namespace, name);
            s.namespaced.remove(&key);
            if s.compact.remove(&key).is_some() {
                s.version += 1;
                return;
            }
        }
        let before = (!r.namespaced).then(|| ministry_namespaces(&s.inventory));
        let removed = Arc::make_mut(&mut s.inventory).remove(&api_version, r.kind, namespace, name);
        if let Some(before) = before {
            Self::follow_namespaces(s, &before);
        }
        if removed {
            s.version += 1;
            if shapes_context(r.kind, &api_version) {
                s.context_version += 1;
            }
        }
    }

    /// After a change of tenancies or Namespaces: bring the namespaced objects of namespaces
    /// that became a ministry's into the inventory, and take out those of namespaces that
    /// stopped being one.
    pub(crate) fn follow_namespaces(s: &mut State, before: &BTreeSet<String>) {
        let after = ministry_namespaces(&s.inventory);
        if &after == before {
            return;
        }
        let inv = Arc::make_mut(&mut s.inventory);
        for o in s.namespaced.values() {
            let Some(ns) = o.namespace.as_deref() else {
                continue;
            };
            match (before.contains(ns), after.contains(ns)) {
                (false, true) => inv.upsert(o.clone()),
                (true, false) => {
                    inv.remove(&o.api_version, &o.kind, Some(ns), &o.name);
                }
                _ => {}
            }
        }
        s.context_version += 1;
    }

    /// A watch of kind `r` (re)listed its objects (prepared one by one as they came, see
    /// [`Index::prepare`]): they replace every object of that kind at once.
    pub fn restart(&self, r: &Resource, prepared: Vec<Prepared>) {
        self.restart_in(r, None, prepared);
    }

    /// A watch of kind `r` in `namespace` only (`None`: everywhere) (re)listed its objects:
    /// they replace that namespace's objects of the kind, and no other namespace's.
    pub fn restart_in(&self, r: &Resource, namespace: Option<&str>, mut prepared: Vec<Prepared>) {
        // What changed while the watch was down is unknown: every object of the kind, gone or
        // listed, is announced (for the kinds the controllers follow).
        let listed: Vec<Value> = prepared
            .iter_mut()
            .filter_map(|p| p.announce.take())
            .collect();
        let mut gone: Vec<Value> = Vec::new();
        self.write(|s| {
            let api_version = r.api_version();
            let prefix = format!("{api_version}/{}/", r.kind);
            let present: Vec<(Option<String>, String, Option<Value>)> = if r.namespaced {
                s.namespaced
                    .values()
                    .filter(|o| o.kind == r.kind && o.api_version == api_version)
                    .map(|o| (o.namespace.clone(), o.name.clone(), Some(o.raw.clone())))
                    // Two cloud APIs may each have a `Bucket`: the kind is told by its key's
                    // `apiVersion/kind/` prefix, not by its name.
                    .chain(
                        s.compact
                            .range(prefix.clone()..)
                            .take_while(|(k, _)| k.starts_with(&prefix))
                            .map(|(_, c)| c)
                            .map(|c| {
                                (
                                    Some(c.namespace.clone()),
                                    c.name.clone(),
                                    announced(r).then(|| c.text.value().unwrap_or_default()),
                                )
                            }),
                    )
                    .collect()
            } else {
                Self::held(&s.inventory, r)
                    .into_iter()
                    .map(|(ns, name, o)| (ns, name, Some(o)))
                    .collect()
            };
            for (ns, name, object) in present {
                if namespace.is_some() && ns.as_deref() != namespace {
                    continue;
                }
                if announced(r) {
                    gone.extend(object);
                }
                Self::remove_in(s, r, ns.as_deref(), &name);
            }
            if namespace.is_none() {
                s.refused
                    .retain(|id, _| !id.starts_with(&format!("{}/", r.kind)));
            }
            for p in prepared {
                Self::apply_in(s, r, p);
            }
            s.version += 1;
            s.context_version += 1;
        });
        self.changed.notify_one();
        // Gone first, then listed: an object in both is announced last as present.
        for object in gone {
            self.announce(r.kind, object, true);
        }
        for object in listed {
            self.announce(r.kind, object, false);
        }
    }

    /// The cluster-scoped objects of kind `r` the inventory holds: (no namespace, name, object).
    pub(crate) fn held(inv: &Inventory, r: &Resource) -> Vec<(Option<String>, String, Value)> {
        fn ours<T: serde::Serialize>(
            entries: &BTreeMap<String, govkh_core::inventory::Entry<T>>,
        ) -> Vec<(Option<String>, String, Value)> {
            entries
                .iter()
                .map(|(n, e)| {
                    (
                        None,
                        n.clone(),
                        serde_json::to_value(&e.object).unwrap_or_default(),
                    )
                })
                .collect()
        }
        if !r.is_ours() {
            return inv
                .others
                .values()
                .filter(|o| o.kind == r.kind && o.api_version == r.api_version())
                .map(|o| (None, o.name.clone(), o.raw.clone()))
                .collect();
        }
        let Some(kind) = Kind::of(&r.api_version(), r.kind) else {
            // Of our group but not a served kind: the table of what is read holds none.
            return Vec::new();
        };
        match kind {
            Kind::GovernmentCloud => inv
                .government_cloud
                .iter()
                .map(|e| {
                    (
                        None,
                        e.object.metadata.name.clone().unwrap_or_default(),
                        serde_json::to_value(&e.object).unwrap_or_default(),
                    )
                })
                .collect(),
            Kind::Ministry => ours(&inv.ministries),
            Kind::CloudTenancy => ours(&inv.tenancies),
            Kind::PrivateNetworkLink => ours(&inv.links),
            Kind::DataClass => ours(&inv.data_classes),
            Kind::DataAccessGrant => ours(&inv.grants),
            Kind::Approval => ours(&inv.approvals),
        }
    }
}
