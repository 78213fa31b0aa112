//! Validation of our objects against the CRDs generated from the Rust types, offline, the way
//! the API server validates them: first the structural OpenAPI schema (types, enums, patterns,
//! bounds, required and unknown fields, list keys), then the CEL `x-kubernetes-validations`
//! rules (evaluated by kube's CEL engine). `govkh check` thereby refuses exactly what
//! `kubectl apply` would, with the same rule texts, before anything reaches a cluster.
//!
//! It never mutates the object and knows nothing about the law: the rules live in the types.

use std::collections::{BTreeMap, HashMap, HashSet};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::cel::{CompiledSchema, Validator, compile_schema};
use regex::Regex;
use serde_json::Value;

use crate::{api::Day, api::crdgen};

/// One problem with one field, named by its path (`spec.namespaces[0].name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field from the object's root.
    pub path: String,
    /// What is wrong, in the API server's words where it has them.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

struct KindSchema {
    schema: Value,
    compiled: CompiledSchema,
}

/// Every `pattern` below `schema`, compiled.
fn collect_patterns(schema: &Value, out: &mut HashMap<String, Result<Regex, String>>) {
    match schema {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "pattern"
                    && let Some(p) = v.as_str()
                {
                    out.entry(p.to_string())
                        .or_insert_with(|| Regex::new(p).map_err(|e| e.to_string()));
                } else {
                    collect_patterns(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, out)),
        _ => {}
    }
}

/// The schemas of every kind of the API, prepared once.
pub struct SchemaSet {
    kinds: HashMap<String, KindSchema>,
    /// Every `pattern` of the schemas, compiled once when the set is made (or why it does not
    /// compile), shared by every validation and thread without a lock.
    patterns: HashMap<String, Result<Regex, String>>,
    cel: Validator,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("kinds", &self.kinds.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SchemaSet {
    /// Schemas of the CRDs generated from this build's types.
    pub fn generated() -> Self {
        Self::from_crds(crdgen::all().into_iter().map(|(_, crd)| crd))
    }

    /// Schemas of the given CRDs (their first version), e.g. as read back from `crds/`.
    pub fn from_crds(crds: impl IntoIterator<Item = CustomResourceDefinition>) -> Self {
        let mut kinds = HashMap::new();
        let mut patterns = HashMap::new();
        for crd in crds {
            let schema = crd
                .spec
                .versions
                .first()
                .and_then(|v| v.schema.as_ref())
                .and_then(|s| s.open_api_v3_schema.as_ref())
                .and_then(|s| serde_json::to_value(s).ok());
            if let Some(schema) = schema {
                collect_patterns(&schema, &mut patterns);
                let compiled = compile_schema(&schema);
                kinds.insert(crd.spec.names.kind.clone(), KindSchema { schema, compiled });
            }
        }
        SchemaSet {
            kinds,
            patterns,
            cel: Validator::new(),
        }
    }

    /// The kinds this set knows.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// The OpenAPI schema of `kind`, if it is one of ours.
    pub fn schema(&self, kind: &str) -> Option<&Value> {
        self.kinds.get(kind).map(|k| &k.schema)
    }

    /// Every problem the API server would report on creating `object` of `kind`. Structural
    /// errors come first; CEL rules run only on a structurally valid object, as on the server.
    pub fn validate(&self, kind: &str, object: &Value) -> Vec<FieldError> {
        let Some(k) = self.kinds.get(kind) else {
            return vec![FieldError {
                path: String::new(),
                message: format!("no schema for kind {kind}"),
            }];
        };
        let mut errors = Vec::new();
        // apiVersion, kind and metadata are the server's own business; our schema's root
        // properties describe spec and status.
        let mut body = object.clone();
        if let Some(map) = body.as_object_mut() {
            map.remove("apiVersion");
            map.remove("kind");
        }
        self.structural(&k.schema, &body, "", &mut errors);
        if errors.is_empty()
            && let Err(cel_errors) = self.cel.validate_compiled(&k.compiled, object, None)
        {
            for e in cel_errors.into_vec() {
                errors.push(FieldError {
                    path: e.field_path.clone(),
                    message: e.message.clone(),
                });
            }
        }
        errors
    }

    /// The compiled pattern, or why it does not compile (then the value is refused: a check
    /// that cannot run must not pass).
    fn pattern(&self, p: &str) -> Result<std::borrow::Cow<'_, Regex>, String> {
        match self.patterns.get(p) {
            Some(Ok(re)) => Ok(std::borrow::Cow::Borrowed(re)),
            Some(Err(e)) => Err(e.clone()),
            // Every pattern of the set's schemas was compiled up front; this is for a schema
            // walked from elsewhere.
            None => Regex::new(p)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| e.to_string()),
        }
    }

    fn structural(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<FieldError>) {
        let at = |message: String| FieldError {
            path: path.to_string(),
            message,
        };
        if value.is_null() {
            if schema.get("nullable").and_then(Value::as_bool) != Some(true) {
                errors.push(at("Invalid value: null: must not be null".into()));
            }
            return;
        }
        if schema
            .get("x-kubernetes-int-or-string")
            .and_then(Value::as_bool)
            == Some(true)
        {
            if !(value.is_string() || value.is_i64() || value.is_u64()) {
                errors.push(at(format!(
                    "Invalid value: {}: must be an integer or a string",
                    short(value)
                )));
            }
            return;
        }
        if let Some(ty) = schema.get("type").and_then(Value::as_str) {
            let ok = match ty {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !ok {
                errors.push(at(format!(
                    "Invalid value: {}: must be of type {ty}, not {}",
                    short(value),
                    json_type(value)
                )));
                return;
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
            errors.push(at(format!(
                "Unsupported value: {}: supported values: {}",
                short(value),
                list.join(", ")
            )));
        }
        match value {
            Value::String(s) => self.string(schema, s, path, errors),
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                    && x < min
                {
                    errors.push(at(format!(
                        "Invalid value: {n}: must be greater than or equal to {min}"
                    )));
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                    && x > max
                {
                    errors.push(at(format!(
                        "Invalid value: {n}: must be less than or equal to {max}"
                    )));
                }
            }
            Value::Array(items) => self.array(schema, items, path, errors),
            Value::Object(map) => self.object(schema, map, path, errors),
            _ => {}
        }
    }

    fn string(&self, schema: &Value, s: &str, path: &str, errors: &mut Vec<FieldError>) {
        let at = |message: String| FieldError {
            path: path.to_string(),
            message,
        };
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            errors.push(at(format!(
                "Invalid value: {:?}: must be at least {min} characters long",
                s
            )));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            errors.push(at(format!(
                "Too long: may not be more than {max} characters (has {len})"
            )));
        }
        if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
            match self.pattern(p) {
                Ok(re) if re.is_match(s) => {}
                Ok(_) => {
                    errors.push(at(format!("Invalid value: {s:?}: should match '{p}'")));
                    return;
                }
                Err(e) => {
                    errors.push(at(format!(
                        "the schema's pattern '{p}' cannot be checked: {e}"
                    )));
                    return;
                }
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("date")
            && let Err(e) = s.parse::<Day>()
        {
            errors.push(at(format!("Invalid value: {s:?}: {e}")));
        }
    }

    fn array(&self, schema: &Value, items: &[Value], path: &str, errors: &mut Vec<FieldError>) {
        let at = |message: String| FieldError {
            path: path.to_string(),
            message,
        };
        let n = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && n < min
        {
            errors.push(at(format!(
                "Invalid value: {n} items: must have at least {min} items"
            )));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && n > max
        {
            errors.push(at(format!("Too many: {n}: must have at most {max} items")));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.structural(item_schema, item, &format!("{path}[{i}]"), errors);
            }
        }
        match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("map") => {
                let keys: Vec<&str> = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|k| k.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut seen = HashSet::new();
                for (i, item) in items.iter().enumerate() {
                    let key: Vec<&Value> = keys
                        .iter()
                        .map(|k| item.get(*k).unwrap_or(&Value::Null))
                        .collect();
                    let key = serde_json::to_string(&key).unwrap_or_default();
                    if !seen.insert(key) {
                        let shown: BTreeMap<&str, &Value> = keys
                            .iter()
                            .map(|k| (*k, item.get(*k).unwrap_or(&Value::Null)))
                            .collect();
                        errors.push(FieldError {
                            path: format!("{path}[{i}]"),
                            message: format!(
                                "Duplicate value: {}",
                                serde_json::to_string(&shown).unwrap_or_default()
                            ),
                        });
                    }
                }
            }
            Some("set") => {
                let mut seen = HashSet::new();
                for (i, item) in items.iter().enumerate() {
                    if !seen.insert(item.to_string()) {
                        errors.push(FieldError {
                            path: format!("{path}[{i}]"),
                            message: format!("Duplicate value: {}", short(item)),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn object(
        &self,
        schema: &Value,
        map: &serde_json::Map<String, Value>,
        path: &str,
        errors: &mut Vec<FieldError>,
    ) {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    errors.push(FieldError {
                        path: join(r),
                        message: "Required value".into(),
                    });
                }
            }
        }
        let preserve = schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true);
        let additional = schema.get("additionalProperties");
        for (k, v) in map {
            if let Some(prop) = properties.and_then(|p| p.get(k)) {
                self.structural(prop, v, &join(k), errors);
            } else if let Some(add) = additional.filter(|a| a.is_object()) {
                self.structural(add, v, &join(k), errors);
            } else if !preserve && path != "metadata" && !(path.is_empty() && k == "metadata") {
                errors.push(FieldError {
                    path: join(k),
                    message: format!("unknown field {:?}", join(k)),
                });
            }
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value as shown in an error, cut short so one huge field cannot flood the output.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tenancy(spec: Value) -> Value {
        json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "CloudTenancy", "metadata": {"name": "t"}, "spec": spec})
    }

    fn messages(kind: &str, v: &Value) -> Vec<String> {
        SchemaSet::generated()
            .validate(kind, v)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_valid_tenancy_passes() {
        let v = tenancy(json!({"ministry": "mef", "placement": "government-private",
            "namespaces": [{"name": "mef-a", "quota": {"cpu": "8", "pods": 10}}]}));
        assert_eq!(messages("CloudTenancy", &v), Vec::<String>::new());
    }

    #[test]
    fn duplicate_list_map_keys_are_refused() {
        let v = tenancy(json!({"ministry": "mef", "placement": "government-private",
            "namespaces": [{"name": "mef-a"}, {"name": "mef-a"}]}));
        assert_eq!(
            messages("CloudTenancy", &v),
            ["spec.namespaces[1]: Duplicate value: {\"name\":\"mef-a\"}"]
        );
    }

    #[test]
    fn bounds_patterns_and_nulls() {
        let v = tenancy(json!({"ministry": "mef", "placement": "government-private",
            "namespaces": [{"name": "Bad_Name", "quota": {"pods": -1, "cpu": 1.5}}], "since": null}));
        let m = messages("CloudTenancy", &v);
        assert!(
            m.iter().any(|e| e
                .starts_with("spec.namespaces[0].name: Invalid value: \"Bad_Name\": should match")),
            "{m:?}"
        );
        assert!(m.iter().any(|e| e == "spec.namespaces[0].quota.pods: Invalid value: -1: must be greater than or equal to 0"), "{m:?}");
        assert!(
            m.iter().any(|e| e.starts_with(
                "spec.namespaces[0].quota.cpu: Invalid value: 1.5: must be an integer or a string"
            )),
            "{m:?}"
        );
        // `since` is optional and nullable: null is accepted as absent.
        assert!(!m.iter().any(|e| e.contains("since")), "{m:?}");
    }

    #[test]
    fn a_pattern_that_does_not_compile_refuses_the_value() {
        let set = SchemaSet::generated();
        let schema = json!({"type": "object", "properties": {"x": {"type": "string", "pattern": "(unclosed"}}});
        let mut errors = Vec::new();
        set.structural(&schema, &json!({"x": "anything"}), "", &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .message
                .starts_with("the schema's pattern '(unclosed' cannot be checked"),
            "{errors:?}"
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        let v = tenancy(
            json!({"ministry": "mef", "placement": "government-private", "since": "2026-02-30"}),
        );
        let m = messages("CloudTenancy", &v);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("spec.since: Invalid value: \"2026-02-30\""),
            "{m:?}"
        );
    }

    #[test]
    fn cel_runs_only_on_structurally_valid_objects() {
        // Structurally broken (unknown placement): the CEL rule about provider is not reported.
        let v = tenancy(json!({"ministry": "mef", "placement": "orbit"}));
        let m = messages("CloudTenancy", &v);
        assert_eq!(m.len(), 1, "{m:?}");
    }
}
