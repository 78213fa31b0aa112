//! The inventory as the Rego policies read it (`input.inventory`): objects converted once per
//! day, with approval and grant states computed by the clock, so every policy sees the same
//! facts.

use crate::{
    api::{Day, Kind},
    finding::ResourceRef,
    inventory::Inventory,
    law::clock::{self},
    loading::manifest::Source,
};
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

use super::*;

/// The inventory as the policies read it (with every approval, grant and tenancy state as of
/// `today`), converted once and shared by every review: converting a large inventory costs far
/// more than judging one object.
#[derive(Clone, Debug)]
pub struct PreparedInventory {
    /// The day the states are computed for.
    pub today: Day,
    pub(crate) value: regorus::Value,
}

impl PreparedInventory {
    /// Prepare `inv` as of `today`; `tenancies` are the clock's verdicts.
    pub fn new(inv: &Inventory, today: Day, tenancies: &[TenancyClock]) -> Self {
        PreparedInventory {
            today,
            value: regorus::Value::from(policy_inventory(inv, today, tenancies)),
        }
    }

    /// Whether `other` is this very preparation (shared, not computed again).
    pub fn is_shared_with(&self, other: &PreparedInventory) -> bool {
        match (&self.value, &other.value) {
            (regorus::Value::Object(a), regorus::Value::Object(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A JSON value as the policies read it, converted without copying it first.
pub(crate) fn to_rego(v: &Json) -> regorus::Value {
    // regorus deserialises from a borrowed serde_json value; on the (impossible) failure the
    // value is undefined, which the policies read as absent.
    <regorus::Value as serde::Deserialize>::deserialize(v).unwrap_or(regorus::Value::Undefined)
}

/// Every object of the inventory as JSON, with where it came from (a copy, for benchmarks and
/// tests). An object held compactly whose text does not decode — govkh wrote that text itself —
/// is left out here; `evaluate` reports it as an error finding.
pub fn objects(inv: &Inventory) -> Vec<(Json, Option<Source>)> {
    let mut out = our_objects(inv);
    for o in inv.others.values() {
        if let Ok(v) = o.value() {
            out.push((v.into_owned(), Some(o.source.clone())));
        }
    }
    out
}

/// The inventory's objects of our kinds as JSON (they are held decoded), with their source.
pub(crate) fn our_objects(inv: &Inventory) -> Vec<(Json, Option<Source>)> {
    fn ours<'e, T: Serialize + 'e>(
        entries: impl Iterator<Item = &'e crate::inventory::Entry<T>>,
        out: &mut Vec<(Json, Option<Source>)>,
    ) {
        for e in entries {
            if let Ok(v) = serde_json::to_value(&e.object) {
                out.push((v, e.source.clone()));
            }
        }
    }
    let mut out = Vec::new();
    ours(inv.government_cloud.iter(), &mut out);
    ours(inv.ministries.values(), &mut out);
    ours(inv.tenancies.values(), &mut out);
    ours(inv.links.values(), &mut out);
    ours(inv.data_classes.values(), &mut out);
    ours(inv.grants.values(), &mut out);
    ours(inv.approvals.values(), &mut out);
    out
}

pub(crate) fn resource_of(object: &Json) -> ResourceRef {
    let s = |v: &Json| v.as_str().map(str::to_string);
    ResourceRef {
        api_version: s(&object["apiVersion"]),
        kind: s(&object["kind"]),
        name: s(&object["metadata"]["name"]),
        namespace: s(&object["metadata"]["namespace"]),
    }
}

/// The ministry an object concerns: its namespace's, or the one its spec names.
pub(crate) fn ministry_of(inv: &Inventory, object: &Json) -> Option<String> {
    let s = |v: &Json| v.as_str().map(str::to_string);
    if let Some(ns) = object["metadata"]["namespace"].as_str() {
        return inv.namespaces.get(ns).and_then(|n| n.ministry.clone());
    }
    let spec = &object["spec"];
    // Only the served version's objects have these fields; another group's `Ministry` is
    // not ours and concerns no ministry by its spec.
    let kind = Kind::of(object["apiVersion"].as_str()?, object["kind"].as_str()?)?;
    match kind {
        Kind::Ministry => s(&object["metadata"]["name"]),
        Kind::CloudTenancy => s(&spec["ministry"]),
        Kind::PrivateNetworkLink => s(&spec["from"]["ministry"]),
        Kind::DataAccessGrant => s(&spec["owner"]),
        Kind::Approval => {
            let subject = spec["subject"]["name"].as_str()?;
            match Kind::named(spec["subject"]["kind"].as_str()?)? {
                Kind::CloudTenancy => inv
                    .tenancies
                    .get(subject)
                    .map(|t| t.object.spec.ministry.clone()),
                Kind::PrivateNetworkLink => inv
                    .links
                    .get(subject)
                    .map(|l| l.object.spec.from.ministry.clone()),
                // An approval's subject is a tenancy or a link (the CRD's enum).
                Kind::GovernmentCloud
                | Kind::Ministry
                | Kind::DataClass
                | Kind::DataAccessGrant
                | Kind::Approval => None,
            }
        }
        // The national objects concern no one ministry.
        Kind::GovernmentCloud | Kind::DataClass => None,
    }
}

pub(crate) fn spec_of<T: Serialize>(object: &T) -> Json {
    serde_json::to_value(object)
        .ok()
        .and_then(|v| v.get("spec").cloned())
        .unwrap_or(Json::Null)
}

/// The inventory as the policies read it (`input.inventory`), states computed as of `today`.
pub fn policy_inventory(inv: &Inventory, today: Day, tenancies: &[TenancyClock]) -> Json {
    let mut out = json!({
        "governmentCloud": inv.government_cloud.as_ref().map(|e| json!({"spec": spec_of(&e.object)})),
        "ministries": {}, "tenancies": {}, "links": {}, "dataClasses": {}, "grants": {},
        "approvals": {}, "namespaces": {}, "volumes": {},
    });
    for (n, e) in &inv.ministries {
        out["ministries"][n] = json!({"spec": spec_of(&e.object)});
    }
    for (n, e) in &inv.tenancies {
        let clock = tenancies.iter().find(|t| t.name == *n);
        out["tenancies"][n] = json!({
            "spec": spec_of(&e.object),
            "state": clock.map(|c| c.state.as_str()),
            "outside": clock.map(|c| c.outside),
        });
    }
    for (n, e) in &inv.links {
        out["links"][n] = json!({"spec": spec_of(&e.object)});
    }
    for (n, e) in &inv.data_classes {
        out["dataClasses"][n] = json!({"spec": spec_of(&e.object)});
    }
    grants_into(&mut out, inv, today);
    let mut by_ministry: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, info) in &inv.namespaces {
        if let Some(m) = &info.ministry {
            by_ministry.entry(m).or_default().push(n);
        }
    }
    out["ministryNamespaces"] = json!(by_ministry);
    for (n, e) in &inv.approvals {
        let state = clock::approval_state(&e.object.spec, today).map(|s| s.as_str());
        out["approvals"][n] = json!({"spec": spec_of(&e.object), "state": state});
    }
    for (n, info) in &inv.namespaces {
        out["namespaces"][n] = json!({
            "ministry": info.ministry, "placement": info.placement.map(|p| p.as_str()),
            "dataClass": info.data_class, "tenancy": info.tenancy, "personalData": info.personal_data,
            "exists": info.exists, "claimants": info.claimants, "recorded": info.recorded,
        });
    }
    strip_nulls(&mut out);
    out
}

/// JSON nulls would read as defined values in Rego; an absent field is what policies test for.
pub(crate) fn strip_nulls(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Json::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The grants with their states, and the lookups the policies make per object, built once
/// here so no rule scans every grant: the active grants by "<owner>/<grantee>/<namespace>"
/// (and those for personal data with the subjects' consent), and the active grants to the
/// public by "<owner>/<namespace>" (likewise).
fn grants_into(out: &mut Json, inv: &Inventory, today: Day) {
    let mut active: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut consented: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut public: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut public_consented: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (n, e) in &inv.grants {
        let spec = &e.object.spec;
        let state = clock::grant_state(spec, today);
        out["grants"][n] = json!({"spec": spec_of(&e.object), "state": serde_json::to_value(state).unwrap_or_default()});
        if state != crate::api::GrantState::Active {
            continue;
        }
        let consent = spec.consented_personal_data();
        // A grant to the public: "<owner>/<namespace>", what public exposure looks up.
        if spec.grantee.public {
            for ns in &spec.namespaces {
                let key = format!("{}/{ns}", spec.owner);
                if consent {
                    public_consented.entry(key.clone()).or_default().push(n);
                }
                public.entry(key).or_default().push(n);
            }
            continue;
        }
        // A grant to a person, not a ministry, opens no path between ministries.
        let Some(grantee) = &spec.grantee.ministry else {
            continue;
        };
        for ns in &spec.namespaces {
            let key = format!("{}/{grantee}/{ns}", spec.owner);
            if consent {
                consented.entry(key.clone()).or_default().push(n);
            }
            active.entry(key).or_default().push(n);
        }
    }
    out["activeGrants"] = json!(active);
    out["consentGrants"] = json!(consented);
    out["publicGrants"] = json!(public);
    out["publicConsentGrants"] = json!(public_consented);
}

/// The data class of the volume claims and snapshots `object` copies (`<namespace>/<name>`,
/// as `dependents::admission_needs` names them): looked up for this object alone — a few map
/// lookups — so a review's cost does not grow with the claims the cluster holds, nor does a
/// new claim change every review's context. A claim's class is its label, else its namespace's;
/// a snapshot's, its label, else its claim's (a volume restored from it copies that claim's
/// data). One that is not held, or has no class, is left out: the policies then read its
/// namespace's.
pub(crate) fn volumes_for(inv: &Inventory, object: &Json) -> Option<Json> {
    if !matches!(
        object["kind"].as_str(),
        Some("PersistentVolumeClaim" | "VolumeSnapshot")
    ) {
        return None;
    }
    let mut out = serde_json::Map::new();
    for need in crate::dependents::admission_needs(object) {
        let Some(ns) = need.namespace.as_deref() else {
            continue;
        };
        let class = match need.kind {
            "PersistentVolumeClaim" => claim_class(inv, ns, &need.name),
            "VolumeSnapshot" => snapshot_class(inv, need.api_version, ns, &need.name),
            _ => continue,
        };
        if let Some(class) = class {
            out.insert(format!("{ns}/{}", need.name), json!({ "dataClass": class }));
        }
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

fn namespace_class(inv: &Inventory, ns: &str) -> Option<String> {
    inv.namespaces.get(ns).and_then(|n| n.data_class.clone())
}

fn label_class(o: &crate::loading::manifest::Loaded) -> Option<String> {
    o.raw["metadata"]["labels"][crate::api::LABEL_DATA_CLASS]
        .as_str()
        .map(str::to_string)
}

/// A held claim's class: its label, else its namespace's.
fn claim_class(inv: &Inventory, ns: &str, name: &str) -> Option<String> {
    let key = crate::inventory::other_key("v1", "PersistentVolumeClaim", Some(ns), name);
    let claim = inv.others.get(&key)?;
    label_class(claim).or_else(|| namespace_class(inv, ns))
}

/// A held snapshot's class: its label, else its claim's, else its namespace's.
fn snapshot_class(inv: &Inventory, api_version: &str, ns: &str, name: &str) -> Option<String> {
    let key = crate::inventory::other_key(api_version, "VolumeSnapshot", Some(ns), name);
    let snapshot = inv.others.get(&key)?;
    label_class(snapshot)
        .or_else(|| {
            snapshot.raw["spec"]["source"]["persistentVolumeClaimName"]
                .as_str()
                .and_then(|claim| claim_class(inv, ns, claim))
        })
        .or_else(|| namespace_class(inv, ns))
}
