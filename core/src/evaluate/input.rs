//! The inventory as the Rego policies read it (`input.inventory`): objects converted once per
//! day, with approval and grant states computed by the clock, so every policy sees the same
//! facts.

use crate::{
    api::Day,
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
    match object["kind"].as_str()? {
        "Ministry" => s(&object["metadata"]["name"]),
        "CloudTenancy" => s(&spec["ministry"]),
        "PrivateNetworkLink" => s(&spec["from"]["ministry"]),
        "DataAccessGrant" => s(&spec["owner"]),
        "Approval" => {
            let subject = spec["subject"]["name"].as_str()?;
            match spec["subject"]["kind"].as_str()? {
                "CloudTenancy" => inv
                    .tenancies
                    .get(subject)
                    .map(|t| t.object.spec.ministry.clone()),
                _ => inv
                    .links
                    .get(subject)
                    .map(|l| l.object.spec.from.ministry.clone()),
            }
        }
        _ => None,
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
    volumes_into(&mut out, inv);
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
/// (and those for personal data with the subjects' consent).
fn grants_into(out: &mut Json, inv: &Inventory, today: Day) {
    let mut active: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut consented: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (n, e) in &inv.grants {
        let spec = &e.object.spec;
        let state = clock::grant_state(spec, today);
        out["grants"][n] = json!({"spec": spec_of(&e.object), "state": serde_json::to_value(state).unwrap_or_default()});
        // A grant to a person, not a ministry, opens no path between ministries.
        let (crate::api::GrantState::Active, Some(grantee)) = (state, &spec.grantee.ministry)
        else {
            continue;
        };
        let consent = spec.personal_data
            && spec
                .consent_reference
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty());
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
}

/// The data class of every volume claim and snapshot (`<namespace>/<name>`): its label, else
/// its namespace's; a snapshot without a label holds what its claim held.
fn volumes_into(out: &mut Json, inv: &Inventory) {
    for o in inv
        .others
        .values()
        .filter(|o| o.kind == "PersistentVolumeClaim")
    {
        let ns = o.namespace.clone().unwrap_or_default();
        let class = o.raw["metadata"]["labels"][crate::api::LABEL_DATA_CLASS]
            .as_str()
            .map(str::to_string)
            .or_else(|| inv.namespaces.get(&ns).and_then(|n| n.data_class.clone()));
        out["volumes"][format!("{ns}/{}", o.name)] = json!({"dataClass": class});
    }
    // A snapshot holds what its claim held: a volume restored from it copies that claim's data.
    for o in inv.others.values().filter(|o| o.kind == "VolumeSnapshot") {
        let ns = o.namespace.clone().unwrap_or_default();
        let claim = o.raw["spec"]["source"]["persistentVolumeClaimName"]
            .as_str()
            .unwrap_or_default();
        let class = o.raw["metadata"]["labels"][crate::api::LABEL_DATA_CLASS]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                out["volumes"][format!("{ns}/{claim}")]["dataClass"]
                    .as_str()
                    .map(str::to_string)
            })
            .or_else(|| inv.namespaces.get(&ns).and_then(|n| n.data_class.clone()));
        out["volumes"][format!("{ns}/{}", o.name)] = json!({"dataClass": class});
    }
}
