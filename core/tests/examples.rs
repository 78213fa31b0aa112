//! Every manifest in `examples/` is valid for its CRD (structure and CEL rules, as the API server
//! would check them) and the examples are a complete national set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use govkh_core::{
    inventory::Inventory,
    loading::manifest::{Loader, Object},
    loading::schema::SchemaSet,
};

use common::root;

#[test]
fn every_example_of_our_kinds_validates_against_its_crd_schema() {
    let loaded = common::examples();
    let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "examples/ do not load cleanly: {errors:#?}"
    );
    // Validate again, object by object, against the schemas read back from crds/ (what a
    // cluster has), not only the in-memory ones.
    let crds = std::fs::read_dir(root().join("crds")).unwrap().map(|e| {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        serde_saphyr::from_str(&text).unwrap()
    });
    let schemas = SchemaSet::from_crds(crds);
    assert_eq!(schemas.kinds().count(), 7);
    let mut ours = 0;
    for o in &loaded.objects {
        if matches!(o.object, Object::Other) {
            continue;
        }
        ours += 1;
        let problems = schemas.validate(&o.kind, &o.raw);
        assert!(problems.is_empty(), "{}: {problems:?}", o.id());
    }
    assert!(
        ours >= 30,
        "expected a national set of our kinds, found {ours}"
    );
}

#[test]
fn the_examples_are_a_complete_national_set() {
    let loaded = common::examples();
    let (inv, errors) = Inventory::build(loaded.objects);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(inv.government_cloud.is_some());
    assert!(inv.ministries.len() >= 6);
    for class in ["top-secret", "confidential", "open"] {
        assert!(
            inv.data_classes.contains_key(class),
            "missing DataClass {class}"
        );
    }
    assert!(inv.links.len() >= 2 && inv.grants.len() >= 2 && inv.approvals.len() >= 4);
    assert!(inv.others.values().any(|o| o.kind == "Deployment"));
}

#[test]
fn the_broken_fixtures_are_refused_by_the_schema_exactly_where_intended() {
    // The CEL rules, run through kube's CEL engine on the fixture objects: each document of
    // cel-rules.yaml breaks exactly one object's rules, and each is refused.
    let loaded = Loader::new().load_paths(
        &[root().join("tests/fixtures/broken/cel-rules.yaml")],
        &mut std::io::empty(),
    );
    assert!(
        loaded.objects.is_empty(),
        "accepted: {:?}",
        loaded.objects.iter().map(|o| o.id()).collect::<Vec<_>>()
    );
    let refused: Vec<String> = loaded
        .errors
        .iter()
        .filter_map(|e| e.object.clone())
        .collect();
    assert_eq!(
        refused,
        [
            "CloudTenancy/no-provider",
            "DataClass/weak-top-secret",
            "DataAccessGrant/no-consent",
            "Ministry/mot",
            "PrivateNetworkLink/unapproved-alternative",
            "GovernmentCloud/second",
            "Ministry/open-to-all",
            "GovernmentCloud/national",
            "DataAccessGrant/public-and-ministry",
            "DataAccessGrant/public-with-a-path",
            "DataAccessGrant/nobody",
        ]
    );
}
