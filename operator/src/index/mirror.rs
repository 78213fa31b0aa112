//! The controllers' typed stores: a `Mirror` of one of our kinds kept by the index's own watch
//! (malformed objects included, so their controller can say so), with the objects applied to it
//! as the controller's triggers.

use futures::StreamExt;
use kube::{
    core::DeserializeGuard,
    runtime::{
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use serde_json::Value;
use std::sync::Arc;

use super::*;

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
pub(crate) type Feed = Box<dyn FnMut(&watcher::Event<Value>) + Send>;

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
pub(crate) fn typed<K>(event: &watcher::Event<Value>) -> Option<watcher::Event<DeserializeGuard<K>>>
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

impl Index {
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
    pub(crate) fn mirror_event(&self, kind: &str, event: &watcher::Event<Value>) {
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

    pub(crate) fn is_mirrored(&self, kind: &str) -> bool {
        match self.mirrors.lock() {
            Ok(m) => m.contains_key(kind),
            Err(poisoned) => poisoned.into_inner().contains_key(kind),
        }
    }
}
