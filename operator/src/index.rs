//! The live index: one watch per kind the policies and the audit read (`resources::RESOURCES`:
//! our seven kinds, Namespaces, and the workloads, volumes, services, ingresses and network
//! policies of ministries' namespaces; Secrets and ConfigMaps as metadata only), folded into
//! one `Inventory` as events arrive. Admission and the audit read it; nothing lists the cluster
//! again in steady state.
//!
//! - Each object is decoded and validated once, when its event arrives, and held once (behind
//!   an `Arc`, shared by every view handed out). What the policies never read is dropped on
//!   arrival: `metadata.managedFields`, the `kubectl.kubernetes.io/last-applied-configuration`
//!   annotation (a second copy of the object) and the `status` of every kind but ours.
//! - A watch (re)start lists its kind: the listed objects are buffered and replace the kind's
//!   objects at once when the list completes, so a list cut short leaves the index as it was.
//! - Namespaced objects are held for every namespace but judged only in ministries'
//!   namespaces (labelled `digital.gov.kh/ministry`, or provisioned by a tenancy); when a
//!   namespace becomes, or stops being, a ministry's, its objects join or leave the inventory.
//! - The verdicts that depend on the day (approval, grant and tenancy states) and the
//!   inventory as the policies read it are computed when an object they depend on changes or
//!   the day turns in Phnom Penh, and shared by every review until then.
//! - The controllers watch nothing of their own kind: each takes a `Mirror` of it, a typed
//!   store kept by the same watch (malformed objects included, as `DeserializeGuard` errors,
//!   so their controller can say so), and the objects applied to it as its triggers.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use futures::StreamExt;
use govkh_core::{
    admission::Snapshot,
    api::Day,
    inventory::{Inventory, other_key},
    loading::manifest::{LoadError, Loaded, Loader, Source, shapes_context},
    resources::{RESOURCES, Resource},
};
use k8s_openapi::jiff::Timestamp;
use kube::{
    Api, Client,
    core::{ApiResource, DeserializeGuard, DynamicObject, GroupVersionKind, PartialObjectMeta},
    runtime::{
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use serde_json::Value;

/// A namespaced object no other object's verdict depends on (a workload, a Service, an
/// Ingress, ...), held as compact JSON text: it is read only when the audit judges it, so it
/// costs its size, not the several times more of a decoded JSON tree.
#[derive(Clone, Debug)]
struct Compact {
    kind: &'static str,
    namespace: String,
    name: String,
    text: Arc<str>,
}

/// One watched object decoded into the form the index holds, before the index's lock is taken:
/// a relist buffers these, not the objects' JSON trees (several times their size), so a list of
/// 10,000 Deployments never holds 10,000 trees at once.
#[derive(Debug)]
pub struct Prepared {
    /// Its fingerprint and the object, or why it was refused.
    held: Result<(u64, PreparedObject), LoadError>,
    /// The object as announced to the controllers, for the kinds they follow.
    announce: Option<Value>,
}

#[derive(Debug)]
enum PreparedObject {
    /// A namespaced object that shapes no policy's context: held as compact text.
    Compact(String, Compact),
    /// Any other: held decoded.
    Loaded(Loaded),
}

impl PreparedObject {
    fn key(&self) -> String {
        match self {
            PreparedObject::Compact(key, _) => key.clone(),
            PreparedObject::Loaded(l) => key_of(l),
        }
    }

    fn name(&self) -> &str {
        match self {
            PreparedObject::Compact(_, c) => &c.name,
            PreparedObject::Loaded(l) => &l.name,
        }
    }
}

/// Whether a change to an object of `r` is announced: the controllers follow our kinds, the
/// Namespaces and the NetworkPolicies (their owners' triggers); nobody follows the workloads,
/// and announcing 10,000 of them at a relist made every subscriber fall behind.
fn announced(r: &Resource) -> bool {
    r.is_ours() || matches!(r.kind, "Namespace" | "NetworkPolicy")
}

/// What the index holds and hands out.
#[derive(Default)]
struct State {
    /// Every namespaced volume claim and snapshot (they shape the policies' context), whatever
    /// its namespace, by `other_key`.
    namespaced: BTreeMap<String, Arc<Loaded>>,
    /// Every other namespaced object, whatever its namespace, by `other_key`.
    compact: BTreeMap<String, Compact>,
    /// What the evaluation reads: our kinds, Namespaces, and the namespaced objects of
    /// ministries' namespaces.
    inventory: Arc<Inventory>,
    /// Bumped on every change.
    version: u64,
    /// Bumped on a change the policies' context depends on (our kinds, Namespaces, volumes).
    context_version: u64,
    /// The verdicts of `context_version` on their day, computed on first use.
    snapshot: Option<(u64, Arc<Snapshot>)>,
    /// Objects of our kinds refused by validation, by key, with why.
    refused: BTreeMap<String, LoadError>,
    /// A fingerprint of each object held, by `other_key`: an update that changes nothing a
    /// policy reads (a new resourceVersion, a status of someone else's kind) is not a change.
    fingerprints: std::collections::HashMap<String, u64>,
}

/// The key of a loaded object in the index.
fn key_of(l: &Loaded) -> String {
    other_key(&l.api_version, &l.kind, l.namespace.as_deref(), &l.name)
}

/// A fingerprint of what an object says, its resourceVersion aside (it moves on every write,
/// including those that change nothing the index keeps).
fn fingerprint(raw: &Value) -> u64 {
    use std::hash::Hasher;
    /// `io::Write` into a hasher, so the JSON is hashed as it is written, never held.
    struct Into<'a>(&'a mut std::collections::hash_map::DefaultHasher);
    impl std::io::Write for Into<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (k, v) in raw.as_object().into_iter().flatten() {
        h.write(k.as_bytes());
        match (k.as_str(), v.as_object()) {
            ("metadata", Some(meta)) => {
                for (mk, mv) in meta.iter().filter(|(mk, _)| *mk != "resourceVersion") {
                    h.write(mk.as_bytes());
                    let _ = serde_json::to_writer(Into(&mut h), mv);
                }
            }
            _ => {
                let _ = serde_json::to_writer(Into(&mut h), v);
            }
        }
    }
    h.finish()
}

/// One change the index took in: the kind, and the object as applied or as it was when
/// deleted (slimmed). The controllers map it to the objects that depend on it.
#[derive(Clone, Debug)]
pub struct Change {
    /// The object's kind.
    pub kind: &'static str,
    /// The object.
    pub object: Arc<Value>,
    /// Whether it was deleted (or is gone from a relist).
    pub deleted: bool,
}

/// How many changes a slow subscriber may fall behind before it is told it lagged.
const CHANGES_BUFFERED: usize = 4096;

/// The cluster's objects, kept up to date by watches.
pub struct Index {
    loader: Loader,
    state: RwLock<State>,
    /// Kinds whose first list has completed.
    synced: Mutex<BTreeSet<&'static str>>,
    /// Kinds whose watch is failing, with the cause (`403 Forbidden`, …), until it recovers.
    failing: Mutex<BTreeMap<&'static str, String>>,
    /// Wakes whoever waits for a change (the audit).
    changed: tokio::sync::Notify,
    /// Every change, after it is applied: the controllers' triggers.
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Requests refused at admission, counted per ministry and hour.
    refusals: Mutex<govkh_core::admission::Refusals>,
    /// The typed stores kept for the controllers, by kind (`Index::mirror`).
    mirrors: Mutex<BTreeMap<String, Vec<Feed>>>,
}

/// What a kind needs to be mirrored for a controller: one of our kinds, decodable, shareable.
pub trait Mirrored:
    kube::Resource<DynamicType = ()>
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
}

impl<T> Mirrored for T where
    T: kube::Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static
{
}

/// What keeps one `Mirror` up to date: takes each watch event of its kind.
type Feed = Box<dyn FnMut(&watcher::Event<Value>) + Send>;

/// A typed copy of one of our kinds for its controller, kept by the index's watch of that kind
/// (`Index::mirror`): the store the controller reads its objects from, and the objects as they
/// are applied, its triggers. One watch per kind serves the index and the controller.
pub struct Mirror<K: kube::Resource<DynamicType = ()> + Clone + 'static> {
    store: Store<DeserializeGuard<K>>,
    applied: tokio::sync::broadcast::Sender<Arc<DeserializeGuard<K>>>,
}

impl<K> Mirror<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    /// The store: every object of the kind, as the last (re)list and the events since left it.
    pub fn store(&self) -> Store<DeserializeGuard<K>> {
        self.store.clone()
    }

    /// The controller's triggers: every object the store holds now, then each object as it
    /// is applied, and the whole store again after a relist or when the subscriber fell
    /// behind (a missed trigger would leave an object unreconciled until it changes).
    pub fn triggers(
        &self,
    ) -> impl futures::Stream<Item = Arc<DeserializeGuard<K>>> + Send + 'static {
        // Subscribed before the store is read: an object applied in between is triggered twice
        // (the scheduler merges them), never missed.
        let rx = self.applied.subscribe();
        let store = self.store.clone();
        let now = futures::stream::iter(store.state());
        let later = futures::stream::unfold((rx, store), |(mut rx, store)| async move {
            use tokio::sync::broadcast::error::RecvError;
            let batch = match rx.recv().await {
                Ok(object) => vec![object],
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(missed, kind = %K::kind(&()), "a controller fell behind its kind's watch; reconciling every object");
                    store.state()
                }
                Err(RecvError::Closed) => return None,
            };
            Some((futures::stream::iter(batch), (rx, store)))
        })
        .flatten();
        now.chain(later)
    }
}

/// One watch event as `K`, each object through `DeserializeGuard` (a malformed one is kept as
/// its error); `None` for an object without readable metadata, which no store can key.
fn typed<K>(event: &watcher::Event<Value>) -> Option<watcher::Event<DeserializeGuard<K>>>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned,
{
    map_event(event.clone(), |v| {
        match serde_json::from_value::<DeserializeGuard<K>>(v) {
            Ok(g) => Some(g),
            Err(e) => {
                tracing::debug!(kind = %K::kind(&()), error = %e, "an object without readable metadata is not mirrored");
                None
            }
        }
    })
}

impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

/// The ministries' namespaces of an inventory.
fn ministry_namespaces(inv: &Inventory) -> BTreeSet<String> {
    inv.namespaces
        .iter()
        .filter(|(_, info)| info.ministry.is_some())
        .map(|(n, _)| n.clone())
        .collect()
}

impl Index {
    /// An empty index.
    pub fn new() -> Self {
        Index {
            loader: Loader::new(),
            state: RwLock::new(State::default()),
            synced: Mutex::new(BTreeSet::new()),
            failing: Mutex::new(BTreeMap::new()),
            changed: tokio::sync::Notify::new(),
            changes: tokio::sync::broadcast::channel(CHANGES_BUFFERED).0,
            refusals: Mutex::default(),
            mirrors: Mutex::default(),
        }
    }

    /// A typed store of our kind `K` (one of `RESOURCES`, or nothing feeds it) for its
    /// controller, fed by this index's watch of `K` from now on: take it before the watches start (`spawn_watches`), or it misses their first
    /// list. Each event reaches the store after the index has taken it in, so a reconcile it
    /// triggers finds the index as current as its object.
    pub fn mirror<K>(&self) -> Mirror<K>
    where
        K: Mirrored,
    {
        let (store, mut writer) = reflector::store::<DeserializeGuard<K>>();
        let (applied, _) = tokio::sync::broadcast::channel(CHANGES_BUFFERED);
        let (reader, sender) = (store.clone(), applied.clone());
        let feed: Feed = Box::new(move |event: &watcher::Event<Value>| {
            let Some(event) = typed::<K>(event) else {
                return;
            };
            writer.apply_watcher_event(&event);
            // Nobody subscribed (a standby replica's controllers have not started) is not an
            // error: the store is what a controller reads when it starts.
            match &event {
                watcher::Event::Apply(o) => {
                    if let Some(o) = reader.get(&ObjectRef::from_obj(o)) {
                        let _ = sender.send(o);
                    }
                }
                watcher::Event::InitDone => {
                    for o in reader.state() {
                        let _ = sender.send(o);
                    }
                }
                _ => {}
            }
        });
        let kind = K::kind(&()).into_owned();
        match self.mirrors.lock() {
            Ok(mut m) => m.entry(kind).or_default().push(feed),
            Err(poisoned) => poisoned.into_inner().entry(kind).or_default().push(feed),
        }
        Mirror { store, applied }
    }

    /// Hand one watch event of `kind` to the mirrors of that kind.
    fn mirror_event(&self, kind: &str, event: &watcher::Event<Value>) {
        let mut mirrors = match self.mirrors.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(feeds) = mirrors.get_mut(kind) {
            for feed in feeds {
                feed(event);
            }
        }
    }

    fn is_mirrored(&self, kind: &str) -> bool {
        match self.mirrors.lock() {
            Ok(m) => m.contains_key(kind),
            Err(poisoned) => poisoned.into_inner().contains_key(kind),
        }
    }

    /// Every change from now on, each after the index holds it: a reconcile it triggers reads
    /// an index that already has it.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    fn announce(&self, kind: &'static str, object: Value, deleted: bool) {
        // Nobody listening (no controllers on a standby) is not an error.
        let _ = self.changes.send(Change {
            kind,
            object: Arc::new(object),
            deleted,
        });
    }

    fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = match self.state.write() {
            Ok(g) => g,
            // A panic elsewhere while writing cannot leave a half-applied event: every change
            // below is applied to a copy-on-write inventory in one step.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let guard = match self.state.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&guard)
    }

    /// Decode one watched (or fetched) object as a manifest would be (our kinds validated
    /// against their schema), after dropping what no policy reads.
    pub fn decode(&self, r: &Resource, mut value: Value) -> Result<Loaded, LoadError> {
        r.as_manifest(&mut value);
        self.loader.load_value(&r.source(), value)
    }

    /// An object of kind `r` was added or changed. One that says what the index already holds
    /// (only its resourceVersion moved) changes nothing: no audit, no trigger.
    pub fn apply(&self, r: &Resource, value: Value) {
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
    pub fn prepare(&self, r: &Resource, value: Value) -> Prepared {
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
        let object = if r.namespaced && !shapes_context(&loaded.kind, &loaded.api_version) {
            let key = key_of(&loaded);
            PreparedObject::Compact(
                key,
                Compact {
                    kind: r.kind,
                    namespace: loaded.namespace.clone().unwrap_or_default(),
                    name: loaded.name.clone(),
                    text: Arc::from(loaded.raw.to_string()),
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

    fn apply_in(s: &mut State, r: &Resource, prepared: Prepared) {
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

    fn remove_in(s: &mut State, r: &Resource, namespace: Option<&str>, name: &str) {
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
    fn follow_namespaces(s: &mut State, before: &BTreeSet<String>) {
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
    pub fn restart(&self, r: &Resource, mut prepared: Vec<Prepared>) {
        // What changed while the watch was down is unknown: every object of the kind, gone or
        // listed, is announced (for the kinds the controllers follow).
        let listed: Vec<Value> = prepared
            .iter_mut()
            .filter_map(|p| p.announce.take())
            .collect();
        let mut gone: Vec<Value> = Vec::new();
        self.write(|s| {
            let api_version = r.api_version();
            let present: Vec<(Option<String>, String, Option<Value>)> = if r.namespaced {
                s.namespaced
                    .values()
                    .filter(|o| o.kind == r.kind && o.api_version == api_version)
                    .map(|o| (o.namespace.clone(), o.name.clone(), Some(o.raw.clone())))
                    .chain(s.compact.values().filter(|c| c.kind == r.kind).map(|c| {
                        (
                            Some(c.namespace.clone()),
                            c.name.clone(),
                            announced(r).then(|| serde_json::from_str(&c.text).unwrap_or_default()),
                        )
                    }))
                    .collect()
            } else {
                Self::held(&s.inventory, r)
                    .into_iter()
                    .map(|(ns, name, o)| (ns, name, Some(o)))
                    .collect()
            };
            for (ns, name, object) in present {
                if announced(r) {
                    gone.extend(object);
                }
                Self::remove_in(s, r, ns.as_deref(), &name);
            }
            s.refused
                .retain(|id, _| !id.starts_with(&format!("{}/", r.kind)));
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
    fn held(inv: &Inventory, r: &Resource) -> Vec<(Option<String>, String, Value)> {
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
        match r.kind {
            "GovernmentCloud" => inv
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
            "Ministry" => ours(&inv.ministries),
            "CloudTenancy" => ours(&inv.tenancies),
            "PrivateNetworkLink" => ours(&inv.links),
            "DataClass" => ours(&inv.data_classes),
            "DataAccessGrant" => ours(&inv.grants),
            "Approval" => ours(&inv.approvals),
            _ => Vec::new(),
        }
    }

    /// Record that the first list of `r` has completed.
    pub fn mark_synced(&self, r: &Resource) {
        if let Ok(mut s) = self.synced.lock() {
            s.insert(r.kind);
        }
    }

    /// The kinds the index does not hold as the cluster has them: not listed yet, or whose watch
    /// is failing (with the cause). Empty when every watch is live.
    pub fn not_synced(&self) -> Vec<String> {
        let synced = self.synced.lock().map(|s| s.clone()).unwrap_or_default();
        let failing = self.failing.lock().map(|f| f.clone()).unwrap_or_default();
        RESOURCES
            .iter()
            .filter_map(|r| match failing.get(r.kind) {
                Some(cause) => Some(format!("{} (watch failing: {cause})", r.kind)),
                None => (!synced.contains(r.kind)).then(|| format!("{} (not listed yet)", r.kind)),
            })
            .collect()
    }

    /// The watch of `kind` fails with `cause` (`None`: it works again).
    pub(crate) fn set_failing(&self, kind: &'static str, cause: Option<String>) {
        if let Ok(mut f) = self.failing.lock() {
            match cause {
                Some(c) => f.insert(kind, c),
                None => f.remove(kind),
            };
        }
    }

    /// Whether every kind has been listed once: before that, admission has no inventory to
    /// judge against.
    pub fn is_synced(&self) -> bool {
        self.synced
            .lock()
            .map(|s| RESOURCES.iter().all(|r| s.contains(r.kind)))
            .unwrap_or(false)
    }

    /// The inventory as it stands (shared: a cheap clone): our kinds, Namespaces, and the
    /// volume claims and snapshots of ministries' namespaces. The other objects of ministries'
    /// namespaces are in `judged_compact`.
    pub fn inventory(&self) -> Arc<Inventory> {
        self.read(|s| s.inventory.clone())
    }

    /// The compact objects of ministries' namespaces, as (JSON text, where it was read), for
    /// the audit to decode and judge one at a time (the texts are shared, not copied).
    pub fn judged_compact(&self) -> Vec<(Arc<str>, Source)> {
        self.read(|s| {
            s.compact
                .values()
                .filter(|c| {
                    s.inventory
                        .namespaces
                        .get(&c.namespace)
                        .is_some_and(|i| i.ministry.is_some())
                })
                .map(|c| {
                    let source = RESOURCES.iter().find(|r| r.kind == c.kind).map_or_else(
                        || Source {
                            file: format!("cluster:{}", c.kind),
                            document: 0,
                            line: 0,
                        },
                        Resource::source,
                    );
                    (c.text.clone(), source)
                })
                .collect()
        })
    }

    /// How many objects the index holds (of every namespace).
    pub fn len(&self) -> usize {
        self.read(|s| {
            let judged_namespaced = s
                .inventory
                .others
                .values()
                .filter(|o| o.namespace.is_some())
                .count();
            s.inventory.len() - judged_namespaced + s.namespaced.len() + s.compact.len()
        })
    }

    /// Whether the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One object as the index holds it (slimmed), whatever its namespace: for tests and
    /// diagnostics.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let key = other_key(api_version, kind, namespace, name);
        self.read(|s| {
            s.compact
                .get(&key)
                .and_then(|c| serde_json::from_str(&c.text).ok())
                .or_else(|| s.namespaced.get(&key).map(|o| o.raw.clone()))
                .or_else(|| s.inventory.others.get(&key).map(|o| o.raw.clone()))
        })
    }

    /// `namespace/name` of every held object of `api_version`/`kind` whose labels include
    /// each `key=value` of `selector` (a plain equality selector, as `desired::owner_selector`
    /// makes): what a label-selected LIST of that kind would return, read from the watch.
    pub fn labelled(&self, api_version: &str, kind: &str, selector: &str) -> Vec<String> {
        let wanted: Vec<(&str, &str)> = selector
            .split(',')
            .filter_map(|p| p.split_once('='))
            .collect();
        let matches = |o: &Value| {
            let labels = &o["metadata"]["labels"];
            wanted.iter().all(|(k, v)| labels[*k].as_str() == Some(*v))
        };
        let key = |o: &Value| {
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap_or_default(),
                o["metadata"]["name"].as_str().unwrap_or_default()
            )
        };
        let prefix = format!("{api_version}/{kind}/");
        self.read(|s| {
            let compact = s
                .compact
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                // Only a text holding every wanted value can match: the others are not parsed
                // (label values need no escaping in JSON).
                .filter(|(_, c)| wanted.iter().all(|(_, v)| c.text.contains(v)))
                .filter_map(|(_, c)| serde_json::from_str::<Value>(&c.text).ok());
            let decoded = s
                .namespaced
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(_, o)| o.raw.clone());
            compact
                .chain(decoded)
                .filter(|o| matches(o))
                .map(|o| key(&o))
                .collect()
        })
    }

    /// Whether the object named so is judged: held, and in a ministry's namespace when
    /// namespaced.
    pub fn judges(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let key = other_key(api_version, kind, namespace, name);
        self.read(|s| {
            let ministrys = |ns: &str| {
                s.inventory
                    .namespaces
                    .get(ns)
                    .is_some_and(|i| i.ministry.is_some())
            };
            s.inventory.holds(api_version, kind, namespace, name)
                || s.compact.get(&key).is_some_and(|c| ministrys(&c.namespace))
        })
    }

    /// How many changes the index has taken in.
    pub fn version(&self) -> u64 {
        self.read(|s| s.version)
    }

    /// Objects of our kinds refused by validation: the audit counts them as problems.
    pub fn refused(&self) -> Vec<LoadError> {
        self.read(|s| s.refused.values().cloned().collect())
    }

    /// Notified at every change (a change while nobody waits is kept for the next waiter).
    pub fn notifier(&self) -> &tokio::sync::Notify {
        &self.changed
    }

    /// Count a request of `ministry` refused at admission at `at`.
    pub fn count_refusal(&self, ministry: &str, at: Timestamp) {
        if let Ok(mut r) = self.refusals.lock() {
            r.record(ministry, at);
        }
    }

    /// Requests refused at admission in the 24 hours up to `at`, per ministry.
    pub fn refused_last_day(&self, at: Timestamp) -> std::collections::BTreeMap<String, u32> {
        self.refusals
            .lock()
            .map(|r| r.last_day(at))
            .unwrap_or_default()
    }

    /// What admission judges against as of `now`: the current inventory with the verdicts of
    /// its day, computed again only when the policies' context changed or the day turned.
    pub fn snapshot(&self, now: Timestamp) -> Arc<Snapshot> {
        let today = Day::in_phnom_penh(now);
        let (inventory, context_version, cached) =
            self.read(|s| (s.inventory.clone(), s.context_version, s.snapshot.clone()));
        if let Some((v, snap)) = cached
            && v == context_version
            && snap.prepared.today == today
        {
            return if Arc::ptr_eq(&snap.inventory, &inventory) {
                snap
            } else {
                Arc::new(snap.with_inventory(inventory))
            };
        }
        let fresh = Arc::new(Snapshot::of(now, inventory));
        self.write(|s| {
            if s.context_version == context_version {
                s.snapshot = Some((context_version, fresh.clone()));
            }
        });
        fresh
    }
}

/// The watched kind with this `apiVersion` and `kind`, if it is one.
pub fn resource_of_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}

/// Feed one watch event of kind `r` into `index`. `buffer` holds a (re)list in progress: its
/// objects replace the kind's only when the list completes.
pub fn handle_event(
    index: &Index,
    r: &Resource,
    event: watcher::Event<Value>,
    buffer: &mut Option<Vec<Prepared>>,
) {
    // Our kinds' events are small and few; only they are copied, for the controllers' stores.
    let mirrored = index.is_mirrored(r.kind).then(|| event.clone());
    match event {
        watcher::Event::Init => *buffer = Some(Vec::new()),
        watcher::Event::InitApply(v) => buffer
            .get_or_insert_with(Vec::new)
            .push(index.prepare(r, v)),
        watcher::Event::InitDone => {
            index.restart(r, buffer.take().unwrap_or_default());
            index.mark_synced(r);
        }
        watcher::Event::Apply(v) => index.apply(r, v),
        watcher::Event::Delete(v) => index.delete(r, &v),
    }
    if let Some(event) = mirrored {
        index.mirror_event(r.kind, &event);
    }
}

fn to_value<T: serde::Serialize>(e: watcher::Event<T>) -> Option<watcher::Event<Value>> {
    map_event(e, |o| serde_json::to_value(o).ok())
}

/// A watch event with its object, if it has one, mapped by `f`; `None` when `f` gives none.
fn map_event<T, U>(
    e: watcher::Event<T>,
    mut f: impl FnMut(T) -> Option<U>,
) -> Option<watcher::Event<U>> {
    Some(match e {
        watcher::Event::Apply(o) => watcher::Event::Apply(f(o)?),
        watcher::Event::Delete(o) => watcher::Event::Delete(f(o)?),
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitApply(o) => watcher::Event::InitApply(f(o)?),
        watcher::Event::InitDone => watcher::Event::InitDone,
    })
}

/// Start one watch per kind of `RESOURCES`, feeding `index`, each restarting with backoff
/// (and a fresh list) when it fails or expires. The optional kinds (volume snapshots, HTTP
/// routes) are watched only while the cluster serves them: see [`optional_kinds`].
pub fn spawn_watches(client: &Client, index: &Arc<Index>) {
    for r in RESOURCES.iter().filter(|r| !r.optional) {
        watch_kind(client, index, r);
    }
    tokio::spawn(optional_kinds(client.clone(), index.clone()));
}

/// Watch the kind `r` into `index` in a task of its own.
fn watch_kind(
    client: &Client,
    index: &Arc<Index>,
    r: &'static Resource,
) -> tokio::task::JoinHandle<()> {
    let gvk = GroupVersionKind::gvk(r.group, r.version, r.kind);
    let ar = ApiResource::from_gvk_with_plural(&gvk, r.plural);
    let index = index.clone();
    let config = watcher::Config::default();
    let events: futures::stream::BoxStream<'static, Result<watcher::Event<Value>, watcher::Error>> =
        if r.metadata_only {
            let meta: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(client.clone(), &ar);
            watcher(meta, config)
                .map(|e| e.map(to_value))
                .filter_map(|e| std::future::ready(transpose(e)))
                .boxed()
        } else {
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
            watcher(api, config)
                .map(|e| e.map(to_value))
                .filter_map(|e| std::future::ready(transpose(e)))
                .boxed()
        };
    tokio::spawn(async move {
        let mut buffer = None;
        let mut events = events;
        // The cause of the failure being retried, said once (not at every retry).
        let mut failing: Option<String> = None;
        // The backoff is ours, not kube's `WatchStreamExt::backoff`: that one starts over at
        // every item the stream yields, and the watcher yields `Init` before each (re)list, so a
        // list that always fails was retried about once a second for ever.
        let mut backoff = watch_backoff();
        while let Some(event) = events.next().await {
            match event {
                Ok(e) => {
                    if !matches!(e, watcher::Event::Init) {
                        // Progress: an object or a completed list.
                        kube::runtime::utils::Backoff::reset(&mut backoff);
                        if failing.take().is_some() {
                            tracing::info!(kind = r.kind, "watch works again");
                            index.set_failing(r.kind, None);
                        }
                    }
                    handle_event(&index, r, e, &mut buffer);
                }
                // Its CRD is being deleted: the CRDs' watch stops this one soon.
                Err(e) if r.optional && is_not_found(&e) => {
                    tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(300))).await;
                }
                // Resumed at a version the API server no longer has (etcd compacted, the
                // server restarted): the watcher lists again by itself. Routine, not a failure.
                Err(e) if is_expired(&e) => {
                    tracing::info!(kind = r.kind, error = %e, "watch expired; listing again");
                }
                Err(e) => {
                    let cause = watch_cause(&e);
                    if failing.as_deref() == Some(cause.as_str()) {
                        tracing::debug!(kind = r.kind, error = %e, "watch still failing");
                    } else {
                        tracing::warn!(kind = r.kind, error = %e, "watch failed; retrying with backoff (up to 5 minutes apart) and saying so again only if the cause changes");
                        index.set_failing(r.kind, Some(cause.clone()));
                        failing = Some(cause);
                    }
                    tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(300))).await;
                }
            }
        }
    })
}

/// A watch failure's cause, without what changes from one retry to the next: the status code
/// and reason of an API error, else the kind of failure.
fn watch_cause(e: &watcher::Error) -> String {
    match api_status(e) {
        Some(s) => format!("{} {}", s.code, s.reason),
        None => match e {
            watcher::Error::InitialListFailed(_) => "the list failed".into(),
            watcher::Error::WatchStartFailed(_) => "the watch could not start".into(),
            _ => "the watch failed".into(),
        },
    }
}

/// How a failing watch retries: from 1 s, doubling with jitter, at most 5 minutes apart (a
/// watch refused by RBAC or a missing API does not hammer the API server). It starts over only
/// when the watch makes progress (see `watch_kind`).
fn watch_backoff() -> kube::runtime::watcher::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(300))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .into()
}

/// The name of the CRD that would serve `r` (`plural.group`).
fn crd_name(r: &Resource) -> String {
    format!("{}.{}", r.plural, r.group)
}

/// Whether the API server serves `r`, asked through discovery of its group and version.
async fn served(client: &Client, r: &Resource) -> Result<bool, kube::Error> {
    match client.list_api_group_resources(&r.api_version()).await {
        Ok(list) => Ok(list.resources.iter().any(|x| x.name == r.plural)),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the API server serves `r`; when its CRD has just been created or changed
/// (`crd_exists`), asked again for a few seconds: the API server serves a new CRD's group a
/// moment after the CRD is Established, and no further CRD event may come to say so.
async fn served_soon(client: &Client, r: &Resource, crd_exists: bool) -> Result<bool, kube::Error> {
    let mut delay = Duration::from_millis(250);
    for _ in 0..6 {
        let serves = served(client, r).await?;
        if serves || !crd_exists {
            return Ok(serves);
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    served(client, r).await
}

/// Keep the optional kinds watched exactly while the cluster serves them. Most clusters serve
/// neither VolumeSnapshots nor HTTPRoutes, and a watch of an absent kind fails with 404 and
/// lists again about once a second for ever. So they are found through discovery once the
/// CRDs (watched metadata only) have been listed, and again only when the CRD that would serve
/// one changes: a kind that arrives is watched from then on, one that goes is no longer
/// watched and its objects leave the index. An absent kind counts as listed, and empty.
async fn optional_kinds(client: Client, index: Arc<Index>) {
    let optional: Vec<&'static Resource> = RESOURCES.iter().filter(|r| r.optional).collect();
    let mut running: BTreeMap<&'static str, tokio::task::JoinHandle<()>> = BTreeMap::new();
    let crds: Api<
        PartialObjectMeta<
            k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        >,
    > = Api::all(client.clone());
    let mut events = watcher(crds, watcher::Config::default()).boxed();
    let mut backoff = watch_backoff();
    let mut first = true;
    while let Some(event) = events.next().await {
        // Which CRDs changed: after a (re)list all of them, else the one in the event.
        let (changed, exists): (Option<String>, bool) = match event {
            Ok(watcher::Event::InitDone) => (None, false),
            Ok(watcher::Event::Apply(m)) => (Some(m.metadata.name.unwrap_or_default()), true),
            Ok(watcher::Event::Delete(m)) => (Some(m.metadata.name.unwrap_or_default()), false),
            Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "watch of the CRDs failed; retrying with backoff");
                tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(300))).await;
                continue;
            }
        };
        kube::runtime::utils::Backoff::reset(&mut backoff);
        let mut absent = Vec::new();
        for r in optional
            .iter()
            .filter(|r| changed.as_ref().is_none_or(|c| *c == crd_name(r)))
        {
            let serves = match served_soon(&client, r, exists).await {
                Ok(serves) => serves,
                Err(e) => {
                    // Said, and not counted as empty: the index is not synced while it is unknown.
                    tracing::warn!(kind = r.kind, error = %e, "cannot tell whether the cluster serves this kind; asked again when the CRDs change");
                    continue;
                }
            };
            match (serves, running.contains_key(r.kind)) {
                (true, false) => {
                    if !first {
                        tracing::info!(kind = r.kind, apiVersion = %r.api_version(), "the cluster now serves this kind: watching it");
                    }
                    running.insert(r.kind, watch_kind(&client, &index, r));
                }
                (false, true) => {
                    if let Some(watch) = running.remove(r.kind) {
                        watch.abort();
                    }
                    index.restart(r, Vec::new());
                    index.mark_synced(r);
                    tracing::info!(kind = r.kind, apiVersion = %r.api_version(), "the cluster no longer serves this kind: not watching it");
                }
                (false, false) => {
                    index.mark_synced(r);
                    absent.push(format!("{} ({})", r.kind, r.api_version()));
                }
                (true, true) => {}
            }
        }
        if first && !absent.is_empty() {
            tracing::info!(absent = %absent.join(", "), "optional kinds this cluster does not serve; not watched until their CRDs appear");
        }
        first = false;
    }
}

fn transpose(
    e: Result<Option<watcher::Event<Value>>, watcher::Error>,
) -> Option<Result<watcher::Event<Value>, watcher::Error>> {
    match e {
        Ok(Some(e)) => Some(Ok(e)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

/// The API server's answer in a watch error, if the error is one.
fn api_status(e: &watcher::Error) -> Option<&kube::core::Status> {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s),
        watcher::Error::WatchError(s) => Some(s),
        _ => None,
    }
}

/// A 410: the watch's resource version is older than the API server keeps.
fn is_expired(e: &watcher::Error) -> bool {
    api_status(e).is_some_and(|s| s.code == 410)
}

fn is_not_found(e: &watcher::Error) -> bool {
    api_status(e).is_some_and(|s| s.code == 404)
}
