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
//!
//! - The cloud APIs of the catalogue the cluster serves are found through discovery and
//!   watched metadata only; their objects are judged wherever they are.
//!
//! Here: the index and what it hands out; `fold` (events into the index), `watch` (the
//! watches and discovery of the optional kinds), `clouds` (the cloud kinds), `mirror` (the controllers' typed stores), `admission` (the
//! snapshot and the refusal count).

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, RwLock},
};

use govkh_core::{
    admission::Snapshot,
    inventory::{Inventory, other_key},
    loading::manifest::{LoadError, Loaded, Loader, Packed, Source},
    resources::{RESOURCES, Resource},
};
use serde_json::Value;

mod admission;
mod clouds;
mod fold;
mod mirror;
mod per_namespace;
mod watch;

pub use clouds::discover;
pub use mirror::*;
pub use per_namespace::watch_ministries;
pub use watch::*;

/// A namespaced object no other object's verdict depends on (a workload, a Service, an
/// Ingress, ...), held packed (LZ4-compressed compact JSON): it is read only when the audit
/// judges it, so it costs its packed size, not the several times more of a decoded JSON tree.
#[derive(Clone, Debug)]
struct Compact {
    resource: &'static Resource,
    namespace: String,
    name: String,
    text: Packed,
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
    /// A namespaced object that shapes no policy's context: held packed.
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
    // A cloud API's kind may share a name with one of these (a provider's `NetworkPolicy`):
    // it is never announced as one.
    !r.cloud && (r.is_ours() || matches!(r.kind, "Namespace" | "NetworkPolicy"))
}

/// What the index holds and hands out.
#[derive(Default)]
pub(crate) struct State {
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

/// The state of one watch of a kind in one namespace.
#[derive(Clone, Debug, Default)]
struct Scoped {
    /// The kind.
    resource: Option<&'static Resource>,
    /// Whether its first list has completed.
    listed: bool,
    /// Why it fails, until it works again.
    failing: Option<String>,
    /// Wakes the watch from its backoff to try again now (`Index::retry_refused_in`).
    retry: Option<Arc<tokio::sync::Notify>>,
}

/// How many changes a slow subscriber may fall behind before it is told it lagged.
const CHANGES_BUFFERED: usize = 4096;

/// The cluster's objects, kept up to date by watches.
pub struct Index {
    loader: Loader,
    state: RwLock<State>,
    /// Kinds whose first list has completed.
    synced: Mutex<BTreeSet<&'static str>>,
    /// Watches failing, by `Resource::watch_name`, with the cause (`403 Forbidden`, …), until
    /// they recover.
    failing: Mutex<BTreeMap<String, String>>,
    /// The cloud kinds watched (found through discovery), by `Resource::watch_name`.
    clouds: Mutex<BTreeMap<String, &'static Resource>>,
    /// The watches of a kind in one namespace (`Resource::per_namespace`): whether each has
    /// listed once, and the cause of each failing, by (kind, namespace).
    scoped: Mutex<BTreeMap<(&'static str, String), Scoped>>,
    /// Wakes whoever waits for a change (the audit).
    changed: tokio::sync::Notify,
    /// Every change, after it is applied: the controllers' triggers.
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Requests refused at admission, counted per ministry and hour.
    refusals: Mutex<govkh_core::admission::Refusals>,
    /// The typed stores kept for the controllers, by kind (`Index::mirror`).
    mirrors: Mutex<BTreeMap<String, Vec<Feed>>>,
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
            clouds: Mutex::default(),
            scoped: Mutex::default(),
            changed: tokio::sync::Notify::new(),
            changes: tokio::sync::broadcast::channel(CHANGES_BUFFERED).0,
            refusals: Mutex::default(),
            mirrors: Mutex::default(),
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

    /// Record that the first list of `r` has completed.
    pub fn mark_synced(&self, r: &Resource) {
        if let Ok(mut s) = self.synced.lock() {
            s.insert(r.kind);
        }
    }

    /// Record that the watch of `r` in `namespace` has listed once.
    pub fn mark_synced_in(&self, r: &'static Resource, namespace: &str) {
        if let Ok(mut s) = self.scoped.lock() {
            let w = s.entry((r.kind, namespace.to_string())).or_default();
            w.resource = Some(r);
            w.listed = true;
        }
    }

    /// The watch of `r` in `namespace` fails with `cause` (`None`: it works again). Returns
    /// whether that is news for the kind as a whole — no other namespace's watch of it fails
    /// with that cause (`None`: none fails at all any more) — so that an outage is said once
    /// per kind and cause, not once per ministry's namespace.
    pub fn set_failing_in(
        &self,
        r: &'static Resource,
        namespace: &str,
        cause: Option<String>,
    ) -> bool {
        let Ok(mut s) = self.scoped.lock() else {
            return true;
        };
        let news = !s.iter().any(|((kind, ns), w)| {
            *kind == r.kind
                && ns != namespace
                && w.failing.is_some()
                && (cause.is_none() || w.failing == cause)
        });
        let w = s.entry((r.kind, namespace.to_string())).or_default();
        w.resource = Some(r);
        w.failing = cause;
        news
    }

    /// What wakes the watch of `r` in `namespace` from its backoff (made on first ask; the
    /// watch asks when it starts).
    pub fn retry_signal_in(
        &self,
        r: &'static Resource,
        namespace: &str,
    ) -> Arc<tokio::sync::Notify> {
        let Ok(mut s) = self.scoped.lock() else {
            // Nobody else can wake it then; its own backoff still retries.
            return Arc::default();
        };
        let w = s.entry((r.kind, namespace.to_string())).or_default();
        w.resource = Some(r);
        w.retry.get_or_insert_with(Arc::default).clone()
    }

    /// Wake now, out of their backoff, the watches in `namespace` that RBAC refuses (403):
    /// the tenancy reconciler has just bound the reader role there, so the next try should
    /// pass — not up to 5 minutes later. Returns how many were woken.
    pub fn retry_refused_in(&self, namespace: &str) -> usize {
        let Ok(s) = self.scoped.lock() else {
            return 0;
        };
        let mut woken = 0;
        for ((_, ns), w) in s.iter() {
            if ns == namespace
                && w.failing.as_deref().is_some_and(|c| c.starts_with("403"))
                && let Some(retry) = &w.retry
            {
                retry.notify_one();
                woken += 1;
            }
        }
        woken
    }

    /// Whether the watch of `r` in `namespace` has listed once, or fails (what it cannot read
    /// is said by the audit: see `unread_namespaces`).
    pub fn settled_in(&self, r: &Resource, namespace: &str) -> bool {
        self.scoped.lock().is_ok_and(|s| {
            s.get(&(r.kind, namespace.to_string()))
                .is_some_and(|w| w.listed || w.failing.is_some())
        })
    }

    /// The watch of `r` in `namespace` stopped (the namespace is no longer a ministry's): its
    /// objects and its state are forgotten.
    pub fn forget_in(&self, r: &'static Resource, namespace: &str) {
        self.restart_in(r, Some(namespace), Vec::new());
        if let Ok(mut s) = self.scoped.lock() {
            s.remove(&(r.kind, namespace.to_string()));
        }
    }

    /// The namespaces where a kind watched per namespace cannot be read, with the cause: its
    /// objects there are not judged, which the audit says as a problem, never as compliance.
    pub fn unread_namespaces(&self) -> Vec<(&'static Resource, String, String)> {
        self.scoped
            .lock()
            .map(|s| {
                s.iter()
                    .filter_map(|((_, ns), w)| Some((w.resource?, ns.clone(), w.failing.clone()?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The namespaces that are ministries' as the index stands (a tenancy provisions them, or
    /// their label says so): where the kinds watched per namespace are watched.
    pub fn ministry_namespaces(&self) -> BTreeSet<String> {
        self.read(|s| ministry_namespaces(&s.inventory))
    }

    /// Whether the kind `kind` has listed once.
    pub fn kind_synced(&self, kind: &str) -> bool {
        self.synced.lock().is_ok_and(|s| s.contains(kind))
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

    /// The watch named `name` (`Resource::watch_name`) fails with `cause` (`None`: it works
    /// again).
    pub fn set_failing(&self, name: &str, cause: Option<String>) {
        if let Ok(mut f) = self.failing.lock() {
            match cause {
                Some(c) => f.insert(name.to_string(), c),
                None => f.remove(name),
            };
        }
    }

    /// Record that the cloud kind `r` is watched (`true`) or no longer (`false`).
    pub fn set_cloud(&self, r: &'static Resource, watched: bool) {
        if let Ok(mut c) = self.clouds.lock() {
            if watched {
                c.insert(r.watch_name(), r);
            } else {
                c.remove(&r.watch_name());
                drop(c);
                self.set_failing(&r.watch_name(), None);
            }
        }
    }

    /// The cloud kinds watched (found through discovery).
    pub fn cloud_kinds(&self) -> Vec<&'static Resource> {
        self.clouds
            .lock()
            .map(|c| c.values().copied().collect())
            .unwrap_or_default()
    }

    /// The cloud kinds whose watch fails (RBAC refuses it, …), with the cause: their objects
    /// are not judged, which the audit says as a problem, never as compliance. Not a readiness
    /// matter: admission and our kinds do not depend on them.
    pub fn unread_clouds(&self) -> Vec<(&'static Resource, String)> {
        let failing = self.failing.lock().map(|f| f.clone()).unwrap_or_default();
        self.cloud_kinds()
            .into_iter()
            .filter_map(|r| failing.get(&r.watch_name()).map(|c| (r, c.clone())))
            .collect()
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

    /// The compact objects judged — those of ministries' namespaces, and cloud resources
    /// wherever they are (one outside every ministry's namespace is a finding that it cannot be
    /// attributed) — as (the object packed, where it was read), for the audit to decode and
    /// judge one at a time (shared, not copied).
    pub fn judged_compact(&self) -> Vec<(Packed, Source)> {
        self.read(|s| {
            s.compact
                .values()
                .filter(|c| c.resource.cloud || Self::ministrys(s, &c.namespace))
                .map(|c| (c.text.clone(), c.resource.source()))
                .collect()
        })
    }

    /// Whether `namespace` is a ministry's.
    fn ministrys(s: &State, namespace: &str) -> bool {
        s.inventory
            .namespaces
            .get(namespace)
            .is_some_and(|i| i.ministry.is_some())
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
                .and_then(|c| c.text.value().ok())
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
                .filter_map(|(_, c)| c.text.text().ok())
                .filter(|text| wanted.iter().all(|(_, v)| text.contains(v)))
                .filter_map(|text| serde_json::from_str::<Value>(&text).ok());
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
            s.inventory.holds(api_version, kind, namespace, name)
                || s.compact
                    .get(&key)
                    .is_some_and(|c| c.resource.cloud || Self::ministrys(s, &c.namespace))
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
}
