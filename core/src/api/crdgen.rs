//! The CRDs of the `digital.gov.kh` API, generated from the Rust types. `govkh crds` prints
//! them, `crds/` holds that output (one file per kind), and the chart copies `crds/`.
//! Nothing here is written by hand: change the types, then regenerate.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kube::CustomResourceExt;

use crate::api::{
    Approval, CloudTenancy, DataAccessGrant, DataClass, GovernmentCloud, Ministry,
    PrivateNetworkLink,
};

/// Every CRD of the API, with the file name it has in `crds/`, in a fixed order.
pub fn all() -> Vec<(&'static str, CustomResourceDefinition)> {
    vec![
        ("governmentclouds.yaml", GovernmentCloud::crd()),
        ("ministries.yaml", Ministry::crd()),
        ("cloudtenancies.yaml", CloudTenancy::crd()),
        ("privatenetworklinks.yaml", PrivateNetworkLink::crd()),
        ("dataclasses.yaml", DataClass::crd()),
        ("dataaccessgrants.yaml", DataAccessGrant::crd()),
        ("approvals.yaml", Approval::crd()),
    ]
    .into_iter()
    .map(|(file, crd)| (file, for_kubernetes(crd)))
    .collect()
}

/// The formats a CRD schema may give a string, as kube-apiserver v1.36 knows them (its
/// `apiextensions-apiserver/pkg/apiserver/validation/formats.go`, with `-` removed as it
/// compares them). An integer may only be `int32`/`int64` and a number `float`/`double`;
/// anything else is ignored by the API server with an "unrecognized format" warning at every
/// apply.
pub const STRING_FORMATS: [&str; 26] = [
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "k8s-short-name",
    "k8s-long-name",
];

/// Whether kube-apiserver recognises `format` on a schema of `type_` (see [`STRING_FORMATS`]).
pub fn format_is_known(type_: Option<&str>, format: &str) -> bool {
    match type_ {
        // Compared as the API server compares them: with `-` removed from the format only.
        None | Some("string") => STRING_FORMATS.contains(&format.replace('-', "").as_str()),
        Some("integer") => matches!(format, "int32" | "int64"),
        Some("number") => matches!(format, "float" | "double"),
        Some(_) => false,
    }
}

/// A generated CRD as the API server takes it without a warning: schemars names unsigned and
/// small integers by Rust's types (`uint32`, `uint8`, …), which Kubernetes does not know. Each
/// becomes the Kubernetes integer format that holds it, with the bounds the Rust type has (so
/// nothing the API server accepts is out of the type's range); any other format it would not
/// recognise is dropped.
pub fn for_kubernetes(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        {
            each_schema(schema, &mut known_format);
        }
    }
    crd
}

/// Replace a format Kubernetes does not know (see [`for_kubernetes`]).
fn known_format(s: &mut JSONSchemaProps) {
    let Some(format) = s.format.clone() else {
        return;
    };
    let bounds = |s: &mut JSONSchemaProps, format: &str, min: f64, max: Option<f64>| {
        s.format = Some(format.to_string());
        s.minimum = Some(s.minimum.map_or(min, |m| m.max(min)));
        if let Some(max) = max {
            s.maximum = Some(s.maximum.map_or(max, |m| m.min(max)));
        }
    };
    match (s.type_.as_deref(), format.as_str()) {
        (Some("integer"), "uint8") => bounds(s, "int32", 0.0, Some(f64::from(u8::MAX))),
        (Some("integer"), "uint16") => bounds(s, "int32", 0.0, Some(f64::from(u16::MAX))),
        (Some("integer"), "uint32") => bounds(s, "int64", 0.0, Some(f64::from(u32::MAX))),
        (Some("integer"), "uint64" | "uint") => bounds(s, "int64", 0.0, None),
        (Some("integer"), "int8") => {
            bounds(s, "int32", f64::from(i8::MIN), Some(f64::from(i8::MAX)))
        }
        (Some("integer"), "int16") => {
            bounds(s, "int32", f64::from(i16::MIN), Some(f64::from(i16::MAX)))
        }
        (type_, f) if !format_is_known(type_, f) => s.format = None,
        _ => {}
    }
}

/// Call `f` on `schema` and every schema nested in it.
pub fn each_schema(schema: &mut JSONSchemaProps, f: &mut dyn FnMut(&mut JSONSchemaProps)) {
    f(schema);
    let maps = [
        schema.properties.as_mut(),
        schema.pattern_properties.as_mut(),
        schema.definitions.as_mut(),
    ];
    for map in maps.into_iter().flatten() {
        for s in map.values_mut() {
            each_schema(s, f);
        }
    }
    for list in [
        schema.all_of.as_mut(),
        schema.any_of.as_mut(),
        schema.one_of.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        for s in list {
            each_schema(s, f);
        }
    }
    if let Some(not) = schema.not.as_mut() {
        each_schema(not, f);
    }
    match schema.items.as_mut() {
        Some(JSONSchemaPropsOrArray::Schema(s)) => each_schema(s, f),
        Some(JSONSchemaPropsOrArray::Schemas(list)) => {
            for s in list {
                each_schema(s, f);
            }
        }
        None => {}
    }
    for extra in [
        schema.additional_properties.as_mut(),
        schema.additional_items.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        if let JSONSchemaPropsOrBool::Schema(s) = extra {
            each_schema(s, f);
        }
    }
}

/// Header written at the top of each generated file.
pub const HEADER: &str = "# Generated by `govkh crds` from core/src/api: do not edit by hand.\n";

/// One CRD as the YAML document stored in `crds/`.
pub fn to_yaml(crd: &CustomResourceDefinition) -> Result<String, serde_saphyr::ser::Error> {
    to_yaml_with(crd, HEADER)
}

/// One CRD as a YAML document under `header`.
pub fn to_yaml_with(
    crd: &CustomResourceDefinition,
    header: &str,
) -> Result<String, serde_saphyr::ser::Error> {
    Ok(format!("{header}{}", serde_saphyr::to_string(crd)?))
}

/// All CRDs as one multi-document YAML stream (what `govkh crds` prints).
pub fn all_yaml() -> Result<String, serde_saphyr::ser::Error> {
    let mut out = String::new();
    for (_, crd) in all() {
        out.push_str("---\n");
        out.push_str(&to_yaml(&crd)?);
    }
    Ok(out)
}

/// Whether every CRD of ours is established.
pub fn all_established(crds: &[CustomResourceDefinition]) -> Result<(), String> {
    for (_, ours) in all() {
        let name = ours.metadata.name.clone().unwrap_or_default();
        let established = crds
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(name.as_str()))
            .is_some_and(|c| {
                c.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|x| x.type_ == "Established" && x.status == "True")
                    })
            });
        if !established {
            return Err(name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_count_as_established_only_with_the_condition() {
        let mut crds: Vec<CustomResourceDefinition> = all().into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            all_established(&crds),
            Err("governmentclouds.digital.gov.kh".to_string())
        );
        for c in &mut crds {
            c.status = Some(serde_json::from_value(serde_json::json!({"conditions": [{"type": "Established", "status": "True", "lastTransitionTime": "2026-11-26T00:00:00Z"}]})).unwrap());
        }
        assert_eq!(all_established(&crds), Ok(()));
        crds.remove(3);
        assert_eq!(
            all_established(&crds),
            Err("privatenetworklinks.digital.gov.kh".to_string())
        );
    }
}
