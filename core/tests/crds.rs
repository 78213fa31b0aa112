//! `crds/` is generated from the Rust types: these tests fail when the two differ, and check
//! that each CRD is one the API server accepts. Regenerate with
//! `cargo run -- crds --out-dir crds` (or `GOVKH_UPDATE_CRDS=1 cargo test --test crds`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use govkh_core::api::crdgen;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

fn crds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crds")
}

#[test]
fn crds_dir_matches_the_generated_crds() {
    let dir = crds_dir();
    let update = std::env::var_os("GOVKH_UPDATE_CRDS").is_some();
    let mut expected_files = Vec::new();
    for (file, crd) in crdgen::all() {
        expected_files.push(file.to_string());
        let generated = crdgen::to_yaml(&crd).unwrap();
        let path = dir.join(file);
        if update {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == generated,
            "crds/{file} differs from what the Rust types generate: run `cargo run -- crds --out-dir crds` and commit"
        );
    }
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    expected_files.sort();
    assert_eq!(
        present, expected_files,
        "crds/ holds files the generator does not write"
    );
}

#[test]
fn the_charts_crds_are_the_generated_crds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/govkh/crds");
    let update = std::env::var_os("GOVKH_UPDATE_CRDS").is_some();
    let mut expected = Vec::new();
    for (file, crd) in crdgen::all() {
        expected.push(file.to_string());
        let generated = crdgen::to_yaml(&crd).unwrap();
        if update {
            std::fs::write(dir.join(file), &generated).unwrap();
            continue;
        }
        let stored = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            stored == generated,
            "charts/govkh/crds/{file} differs from the generated CRD: run `cargo run -- crds --out-dir charts/govkh/crds` and commit"
        );
    }
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    expected.sort();
    assert_eq!(present, expected, "charts/govkh/crds/ holds other files");
}

#[test]
fn the_charts_rbac_rules_are_the_generated_rules() {
    let chart = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/govkh");
    let update = std::env::var_os("GOVKH_UPDATE_CRDS").is_some();
    for (path, generated) in govkh_core::provision::rbac::chart_files().unwrap() {
        if update {
            std::fs::write(chart.join(path), &generated).unwrap();
            continue;
        }
        let stored = std::fs::read_to_string(chart.join(path)).unwrap_or_default();
        assert!(
            stored == generated,
            "charts/govkh/{path} differs from what the operator needs: run `cargo run -- rbac --chart-dir charts/govkh` and commit"
        );
    }
}

#[test]
fn the_charts_admission_policies_are_the_generated_ones() {
    use govkh_core::provision::admission_policies as vap;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../charts/govkh")
        .join(vap::CHART_FILE);
    let generated = vap::chart_file(&govkh_core::policy::Library::builtin().unwrap()).unwrap();
    if std::env::var_os("GOVKH_UPDATE_CRDS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "charts/govkh/{} differs from the generated policies: run `cargo run -- vap --chart-dir charts/govkh` and commit",
        vap::CHART_FILE
    );
}

fn stored_crds() -> Vec<(String, CustomResourceDefinition, Value)> {
    crdgen::all()
        .into_iter()
        .map(|(file, _)| {
            let text = std::fs::read_to_string(crds_dir().join(file)).unwrap();
            let crd: CustomResourceDefinition = serde_saphyr::from_str(&text)
                .unwrap_or_else(|e| panic!("crds/{file} is not a CustomResourceDefinition: {e}"));
            let value: Value = serde_saphyr::from_str(&text).unwrap();
            (file.to_string(), crd, value)
        })
        .collect()
}

#[test]
fn every_crd_is_a_valid_apiextensions_v1_crd() {
    for (file, crd, _) in stored_crds() {
        let spec = &crd.spec;
        assert_eq!(spec.group, "digital.gov.kh", "{file}");
        assert_eq!(
            spec.scope, "Cluster",
            "{file}: every kind is cluster-scoped"
        );
        assert_eq!(
            crd.metadata.name.as_deref(),
            Some(format!("{}.{}", spec.names.plural, spec.group).as_str()),
            "{file}"
        );
        assert!(
            spec.names
                .categories
                .as_ref()
                .is_some_and(|c| c.contains(&"govkh".to_string())),
            "{file}: not in the govkh category"
        );
        assert!(
            spec.names
                .short_names
                .as_ref()
                .is_some_and(|s| !s.is_empty()),
            "{file}: no short name"
        );
        assert!(!spec.versions.is_empty(), "{file}");
        assert!(
            spec.versions.iter().all(|v| v.served),
            "{file}: every version is served"
        );
        assert_eq!(
            spec.versions.iter().filter(|v| v.storage).count(),
            1,
            "{file}: exactly one storage version"
        );
        for v in &spec.versions {
            let status = v.subresources.as_ref().and_then(|s| s.status.as_ref());
            assert!(
                status.is_some(),
                "{file}: {} has no status subresource",
                v.name
            );
            assert!(
                v.schema
                    .as_ref()
                    .and_then(|s| s.open_api_v3_schema.as_ref())
                    .is_some(),
                "{file}: no schema"
            );
            for col in v.additional_printer_columns.iter().flatten() {
                assert!(
                    col.json_path.starts_with('.'),
                    "{file}: printer column {} path {}",
                    col.name,
                    col.json_path
                );
            }
        }
    }
}

/// Walks a schema and calls `f` with each property's path and schema.
fn walk<'a>(schema: &'a Value, path: String, f: &mut dyn FnMut(&str, &'a Value)) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let p = format!("{path}.{k}");
            f(&p, v);
            walk(v, p, f);
        }
    }
    if let Some(items) = schema.get("items") {
        walk(items, format!("{path}[]"), f);
    }
}

#[test]
fn every_field_is_documented_for_kubectl_explain() {
    for (file, _, value) in stored_crds() {
        let schema = &value["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let mut undocumented = Vec::new();
        walk(schema, String::new(), &mut |path, s| {
            let inside_k8s_type = path.contains(".metadata");
            let described = s
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.trim().is_empty());
            if !described
                && !inside_k8s_type
                && path != ".metadata"
                && path != ".apiVersion"
                && path != ".kind"
            {
                undocumented.push(path.to_string());
            }
        });
        assert!(
            undocumented.is_empty(),
            "{file}: fields without a description: {undocumented:?}"
        );
    }
}

#[test]
fn every_cel_rule_compiles_and_has_a_message() {
    let mut rules = 0;
    for (file, _, value) in stored_crds() {
        let schema = &value["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let mut broken = Vec::new();
        let mut compile = |path: &str, s: &Value| {
            if s.get("x-kubernetes-validations").is_some() {
                let compiled = kube::core::cel::compile_schema(s);
                for e in compiled.compilation_errors() {
                    broken.push(format!("{path}: {e:?}"));
                }
            }
        };
        compile("", schema);
        walk(schema, String::new(), &mut compile);
        assert!(
            broken.is_empty(),
            "{file}: CEL rules that do not compile: {broken:?}"
        );
        let text = serde_json::to_string(schema).unwrap();
        rules += text.matches("\"rule\"").count();
        let mut missing = Vec::new();
        let mut check = |path: &str, s: &Value| {
            for r in s
                .get("x-kubernetes-validations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if r.get("message")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    missing.push(format!("{path}: {}", r["rule"]));
                }
            }
        };
        check("", schema);
        walk(schema, String::new(), &mut check);
        assert!(
            missing.is_empty(),
            "{file}: rules without a message for ministries: {missing:?}"
        );
    }
    assert!(
        rules >= 15,
        "expected the CEL rules of API.md, found {rules}"
    );
}

#[test]
fn the_charts_openreports_crds_are_the_generated_ones() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../charts/govkh/templates/openreports-crds.yaml");
    let generated = govkh_core::render::openreports::chart_template().unwrap();
    if std::env::var_os("GOVKH_UPDATE_CRDS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "charts/govkh/templates/openreports-crds.yaml differs from `govkh crds --openreports`: run `GOVKH_UPDATE_CRDS=1 cargo test --test crds` and commit"
    );
    // Helm would read template syntax in a description as a template.
    let body = generated
        .trim_start_matches("{{- if .Values.openreports.installCRDs }}\n")
        .trim_end_matches("{{- end }}\n");
    assert!(!body.contains("{{"), "a CRD holds template syntax");
}

/// Every path of `value` (objects by key, arrays as `[]`) that `schema` does not declare.
fn undeclared(value: &Value, schema: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if schema.get("additionalProperties").is_some()
                || schema.get("x-kubernetes-preserve-unknown-fields").is_some()
                || path == ".metadata"
            {
                return;
            }
            for (k, v) in map {
                let p = format!("{path}.{k}");
                match schema.get("properties").and_then(|props| props.get(k)) {
                    Some(s) => undeclared(v, s, p, out),
                    None => out.push(p),
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                undeclared(v, &schema["items"], format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_openreports_crds_declare_every_field_govkh_writes_and_need_what_upstream_needs() {
    use govkh_core::render::openreports::{Flavour, Options, reports};
    let lib = govkh_core::policy::Library::builtin().unwrap();
    let now = "2026-11-26T03:00:00Z".parse().unwrap();
    let (_, eval, _) = govkh_core::evaluate::evaluate_loaded(
        govkh_core::loading::manifest::Loader::new().load_paths(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")],
            &mut std::io::empty(),
        ),
        &lib,
        now,
    );
    let options = Options {
        flavour: Flavour::Openreports,
        pass: true,
        max_results: 1000,
    };
    let mut built = reports(&eval.findings, &eval.judged, &lib, &options);
    assert!(built.len() > 2, "{built:?}");
    for r in &mut built {
        for result in &mut r.results {
            result.timestamp = Some(govkh_core::render::openreports::ResultTimestamp {
                seconds: 1,
                nanos: 0,
            });
        }
    }
    for (file, crd) in govkh_core::render::openreports::crds().unwrap() {
        let namespaced = crd.spec.scope == "Namespaced";
        let schema = schema_of(&crd.spec.versions[0]);
        // What the upstream schema requires of a result, and its enums.
        let result = &schema["properties"]["results"]["items"];
        assert_eq!(result["required"], serde_json::json!(["policy"]), "{file}");
        assert_eq!(
            result["properties"]["timestamp"]["required"],
            serde_json::json!(["nanos", "seconds"]),
            "{file}"
        );
        let text = serde_json::to_string(&schema).unwrap();
        assert!(
            !text.contains("$ref") && !text.contains("anyOf"),
            "{file}: not structural"
        );
        let mut checked = 0;
        for r in built
            .iter()
            .filter(|r| r.metadata.namespace.is_some() == namespaced)
        {
            assert_eq!(r.kind, crd.spec.names.kind);
            let mut missing = Vec::new();
            undeclared(
                &serde_json::to_value(r).unwrap(),
                &schema,
                String::new(),
                &mut missing,
            );
            assert!(
                missing.is_empty(),
                "{file}: the CRD would prune {missing:?}"
            );
            checked += 1;
        }
        assert!(checked > 0, "{file}: no report of its kind to check");
    }
}

/// A CRD version's schema as JSON.
fn schema_of(
    v: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinitionVersion,
) -> Value {
    serde_json::to_value(
        v.schema
            .as_ref()
            .unwrap()
            .open_api_v3_schema
            .as_ref()
            .unwrap(),
    )
    .unwrap()
}

/// Every schema in `schema` (as JSON), with its path, that breaks what kube-apiserver v1.36
/// demands of a structural CRD schema and warns about: a `format` it does not recognise for the
/// type, and a `metadata` property (at the root) with anything but `type: object`.
fn refused_by_the_api_server(schema: &Value, path: &str, root: bool, out: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(format) = obj.get("format").and_then(Value::as_str)
        && !crdgen::format_is_known(obj.get("type").and_then(Value::as_str), format)
    {
        out.push(format!("{path}: unrecognized format {format:?}"));
    }
    if root
        && let Some(meta) = obj.get("properties").and_then(|p| p.get("metadata"))
        && meta != &serde_json::json!({"type": "object"})
    {
        out.push(format!(
            "{path}.metadata: must be only `type: object`, is {meta}"
        ));
    }
    for key in ["properties", "patternProperties", "definitions"] {
        for (name, s) in obj
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            refused_by_the_api_server(s, &format!("{path}.{name}"), false, out);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(s) = obj.get(key) {
            refused_by_the_api_server(s, &format!("{path}[{key}]"), false, out);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for s in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            refused_by_the_api_server(s, &format!("{path}[{key}]"), false, out);
        }
    }
}

/// The API server refused `govkh crds --openreports` (metadata with a description) and warned
/// at every apply of `crds/` (`format: uint32`, `uint8`): every generated CRD — ours and the
/// OpenReports ones — now gives only formats Kubernetes knows and a bare `metadata`. The
/// real-cluster suite applies them all and fails on any warning; this catches it offline.
#[test]
fn every_generated_crd_is_one_the_api_server_takes_without_a_warning() {
    let mut all: Vec<(String, CustomResourceDefinition)> = crdgen::all()
        .into_iter()
        .map(|(f, c)| (f.to_string(), c))
        .collect();
    all.extend(
        govkh_core::render::openreports::crds()
            .unwrap()
            .into_iter()
            .map(|(f, c)| (f.to_string(), c)),
    );
    assert_eq!(all.len(), 9);
    let mut integers = 0;
    for (file, crd) in &all {
        for v in &crd.spec.versions {
            let schema = schema_of(v);
            let mut refused = Vec::new();
            refused_by_the_api_server(&schema, file, true, &mut refused);
            assert!(refused.is_empty(), "{refused:#?}");
            integers += serde_json::to_string(&schema)
                .unwrap()
                .matches("\"format\":\"int")
                .count();
        }
    }
    assert!(
        integers > 10,
        "integer fields keep a Kubernetes format: {integers}"
    );
    // A Rust u8 (a ministry's score) keeps its bounds when its format becomes int32.
    let ministry = crdgen::all()
        .into_iter()
        .find(|(f, _)| *f == "ministries.yaml")
        .unwrap()
        .1;
    let schema = serde_json::to_value(&ministry.spec.versions[0].schema).unwrap();
    let score = &schema["openAPIV3Schema"]["properties"]["status"]["properties"]["compliance"]["properties"]
        ["score"];
    assert_eq!(score["format"], "int32", "{score}");
    assert_eq!(score["minimum"], 0.0);
    assert_eq!(score["maximum"], 255.0);
}

#[test]
fn the_format_check_follows_the_api_server() {
    assert!(crdgen::format_is_known(Some("string"), "date-time"));
    assert!(crdgen::format_is_known(Some("string"), "date"));
    assert!(crdgen::format_is_known(None, "uuid"));
    assert!(!crdgen::format_is_known(Some("string"), "json"));
    assert!(crdgen::format_is_known(Some("integer"), "int64"));
    assert!(!crdgen::format_is_known(Some("integer"), "uint32"));
    assert!(!crdgen::format_is_known(Some("integer"), "uint8"));
    assert!(crdgen::format_is_known(Some("number"), "double"));
    assert!(!crdgen::format_is_known(Some("boolean"), "int32"));
    // Each unsigned or small integer becomes the Kubernetes format that holds it, bounded.
    let s = k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps {
        type_: Some("object".into()),
        properties: Some(
            [
                ("a", "uint8"),
                ("b", "uint16"),
                ("c", "uint32"),
                ("d", "uint64"),
                ("e", "int8"),
                ("f", "int16"),
            ]
            .into_iter()
            .map(|(n, f)| {
                (
                    n.to_string(),
                    k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps {
                        type_: Some("integer".into()),
                        format: Some(f.into()),
                        ..Default::default()
                    },
                )
            })
            .collect(),
        ),
        ..Default::default()
    };
    let mut crd = crdgen::all().remove(0).1;
    crd.spec.versions[0]
        .schema
        .as_mut()
        .unwrap()
        .open_api_v3_schema = Some(s);
    let crd = crdgen::for_kubernetes(crd);
    let props = crd.spec.versions[0]
        .schema
        .as_ref()
        .unwrap()
        .open_api_v3_schema
        .as_ref()
        .unwrap()
        .properties
        .clone()
        .unwrap();
    type Bounded = (String, Option<String>, Option<f64>, Option<f64>);
    let got: Vec<Bounded> = props
        .into_iter()
        .map(|(n, p)| (n, p.format, p.minimum, p.maximum))
        .collect();
    let f = |s: &str| Some(s.to_string());
    assert_eq!(
        got,
        [
            ("a".into(), f("int32"), Some(0.0), Some(255.0)),
            ("b".into(), f("int32"), Some(0.0), Some(65535.0)),
            ("c".into(), f("int64"), Some(0.0), Some(4_294_967_295.0)),
            ("d".into(), f("int64"), Some(0.0), None),
            ("e".into(), f("int32"), Some(-128.0), Some(127.0)),
            ("f".into(), f("int32"), Some(-32768.0), Some(32767.0)),
        ]
    );
}
