//! The volumes a copy is judged by, looked up for its review alone (`input.inventory.volumes`),
//! agree with a full recomputation over every claim and snapshot held — after each event of a
//! random sequence of claims and snapshots made, relabelled and deleted in namespaces of
//! different data classes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{collections::BTreeMap, sync::Arc};

use govkh_core::{
    evaluate::{Evaluator, Review},
    inventory::Inventory,
    loading::manifest::{Loader, Source},
    policy::Library,
};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

const NAMESPACES: [&str; 4] = ["moh-records", "moh-registry", "mptc-portal", "nowhere"];
const CLASSES: [Option<&str>; 4] = [None, Some("open"), Some("confidential"), Some("top-secret")];
const SNAPSHOTS: &str = "snapshot.storage.k8s.io/v1";
const STEPS: usize = 400;

/// xorshift64: the same sequence on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn labelled(mut v: Value, class: Option<&str>) -> Value {
    if let Some(c) = class {
        v["metadata"]["labels"] = json!({"digital.gov.kh/data-class": c});
    }
    v
}

fn claim(ns: &str, name: &str, class: Option<&str>) -> Value {
    labelled(
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
        class,
    )
}

fn snapshot(ns: &str, name: &str, claim: &str, class: Option<&str>) -> Value {
    labelled(
        json!({"apiVersion": SNAPSHOTS, "kind": "VolumeSnapshot",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"source": {"persistentVolumeClaimName": claim}}}),
        class,
    )
}

/// The class of every claim and snapshot held, computed over all of them, as the shared
/// context held it before: a claim's label, else its namespace's; a snapshot's label, else
/// its claim's, else its namespace's.
fn recomputed(inv: &Inventory) -> BTreeMap<String, String> {
    let ns_class = |ns: &str| inv.namespaces.get(ns).and_then(|n| n.data_class.clone());
    let label = |o: &Value| {
        o["metadata"]["labels"]["digital.gov.kh/data-class"]
            .as_str()
            .map(str::to_string)
    };
    let mut out = BTreeMap::new();
    for o in inv
        .others
        .values()
        .filter(|o| o.kind == "PersistentVolumeClaim")
    {
        let ns = o.namespace.clone().unwrap_or_default();
        if let Some(c) = label(&o.raw).or_else(|| ns_class(&ns)) {
            out.insert(format!("{ns}/{}", o.name), c);
        }
    }
    let claims = out.clone();
    for o in inv.others.values().filter(|o| o.kind == "VolumeSnapshot") {
        let ns = o.namespace.clone().unwrap_or_default();
        let source = o.raw["spec"]["source"]["persistentVolumeClaimName"]
            .as_str()
            .unwrap_or_default();
        if let Some(c) = label(&o.raw)
            .or_else(|| claims.get(&format!("{ns}/{source}")).cloned())
            .or_else(|| ns_class(&ns))
        {
            out.insert(format!("{ns}/{}", o.name), c);
        }
    }
    out
}

/// What the review of `object` reads as `input.inventory.volumes`.
fn looked_up(evaluator: &Evaluator<'_>, object: Value) -> BTreeMap<String, String> {
    let input = evaluator.input(&Review::create(object, None));
    // Only the volumes are read out: the rest of the input is the shared context.
    let volumes = &input["inventory"]["volumes"];
    let json: Value = serde_json::from_str(&volumes.to_json_str().unwrap()).unwrap();
    json.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v["dataClass"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_copys_volumes_agree_with_a_full_recomputation_after_every_event() {
    let lib = Library::builtin().unwrap();
    let loader = Loader::new();
    let source = Source {
        file: String::new(),
        document: 0,
        line: 0,
    };
    let (mut inv, _) = Inventory::build(common::examples().objects);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let mut compared = 0;
    for step in 0..STEPS {
        let ns = NAMESPACES[rng.next(NAMESPACES.len())];
        let name = format!("v{}", rng.next(12));
        let class = CLASSES[rng.next(CLASSES.len())];
        let event = rng.next(5);
        match event {
            0 | 1 => {
                let o = loader.load_value(&source, claim(ns, &name, class)).unwrap();
                inv.upsert(Arc::new(o));
            }
            2 => {
                let source_claim = format!("v{}", rng.next(12));
                let o = loader
                    .load_value(
                        &source,
                        snapshot(ns, &format!("s-{name}"), &source_claim, class),
                    )
                    .unwrap();
                inv.upsert(Arc::new(o));
            }
            3 => {
                inv.remove("v1", "PersistentVolumeClaim", Some(ns), &name);
            }
            _ => {
                inv.remove(SNAPSHOTS, "VolumeSnapshot", Some(ns), &format!("s-{name}"));
            }
        }
        let full = recomputed(&inv);
        let evaluator = Evaluator::new(&inv, &lib, now, &[]);
        // Every copy a review could make here: a clone of each claim name, a snapshot of it,
        // a claim restored from each snapshot name — held or not.
        for ns in NAMESPACES {
            for i in 0..12 {
                let name = format!("v{i}");
                let mut clone = claim(ns, "copy", None);
                clone["spec"]["dataSource"] =
                    json!({"kind": "PersistentVolumeClaim", "name": name});
                let mut restored = claim(ns, "restored", None);
                restored["spec"]["dataSourceRef"] = json!({"apiGroup": "snapshot.storage.k8s.io",
                    "kind": "VolumeSnapshot", "name": format!("s-{name}")});
                for (object, key) in [
                    (clone, format!("{ns}/{name}")),
                    (snapshot(ns, "snap", &name, None), format!("{ns}/{name}")),
                    (restored, format!("{ns}/s-{name}")),
                ] {
                    let want: BTreeMap<String, String> = full
                        .get(&key)
                        .map(|c| (key.clone(), c.clone()))
                        .into_iter()
                        .collect();
                    assert_eq!(
                        looked_up(&evaluator, object.clone()),
                        want,
                        "step {step} (event {event}): {object}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, STEPS * NAMESPACES.len() * 12 * 3);
}
