//! Decoding a file's text: split into documents (each parsed on its own, with its line), `List`
//! objects expanded, keys unique, and each object of our kinds validated against its CRD schema
//! and decoded into its type.

use crate::{
    api::{API_VERSION, GROUP, Kind},
    loading::yaml,
    printable,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;
use std::fmt;

use super::*;

pub(crate) fn typed<T: DeserializeOwned>(
    value: &Value,
    source: &Source,
    id: &str,
) -> Result<Box<T>, LoadError> {
    serde_json::from_value(value.clone())
        .map(Box::new)
        .map_err(|e| LoadError {
            source: source.clone(),
            object: Some(id.to_string()),
            message: format!("cannot decode: {e}"),
        })
}

/// Split a YAML stream into documents at `---` lines, with each document's first line. Done
/// by hand rather than by the parser so that a syntax error in one document leaves the others
/// readable.
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        // Directives (`%YAML 1.2`, `%TAG`) belong to the document their `---` opens.
        if marker && directives_only(&current) {
            current.push_str(line);
            current.push('\n');
            continue;
        }
        if marker || line == "..." {
            if current.trim().is_empty() {
                current.clear();
            } else {
                docs.push((start, std::mem::take(&mut current)));
            }
            start = i + 2;
            // `--- {inline: content}` keeps what follows the marker.
            if let Some(rest) = line
                .strip_prefix("---")
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                start = i + 1;
                current.push_str(rest);
                current.push('\n');
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        docs.push((start, current));
    }
    docs
}

/// Whether `text` holds directives (`%...` lines) and nothing but comments and blank lines.
pub(crate) fn directives_only(text: &str) -> bool {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let mut any = false;
    let all = lines.all(|l| {
        any = true;
        l.starts_with('%')
    });
    any && all
}

/// `kind: List` (and `FooList`) objects, as `kubectl get -o yaml` writes them, stand for their
/// items, lists inside lists included.
pub(crate) fn expand_lists(value: Value) -> Vec<Value> {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array);
    if !is_list {
        return vec![value];
    }
    match value {
        Value::Object(mut m) => match m.remove("items") {
            Some(Value::Array(items)) => items.into_iter().flat_map(expand_lists).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub(crate) fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The parser counts lines from the document's start; people count them from the file's.
pub(crate) fn absolute_lines(message: &str, document_start: usize) -> String {
    let Ok(re) = regex::Regex::new(r"line (\d+)") else {
        return message.to_string();
    };
    re.replace_all(message, |c: &regex::Captures<'_>| {
        let n: usize = c[1].parse().unwrap_or(0);
        format!("line {}", n + document_start.saturating_sub(1))
    })
    .into_owned()
}

/// A parser's error without its source pointer (` --> …`) and `error: ` prefix, on one line,
/// in words for people rather than the library's (its option names, its debug output).
pub(crate) fn first_part(s: &str) -> String {
    let head = s.split(" --> ").next().unwrap_or(s);
    let head = head.split("\n -->").next().unwrap_or(head);
    plain(&printable::one_line(head.trim_start_matches("error: ")))
}

/// The YAML library's phrasings that name its internals, said plainly.
pub(crate) fn plain(message: &str) -> String {
    let message = message.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    if let Some((before, _)) = message.split_once("alias replay limit exceeded") {
        return format!(
            "{before}the document's aliases expand to more than ten times its own size (an \"alias bomb\"): refused"
        );
    }
    let Some((before, what)) = message.split_once("budget breached: ") else {
        return message;
    };
    let why = if what.starts_with("Depth") {
        "the document is nested too deeply"
    } else if what.starts_with("Nodes") || what.starts_with("Alias") {
        "the document expands to too many nodes (aliases repeated over and over, an \"alias bomb\", or a document too large)"
    } else {
        "the document is larger than govkh reads (too many events, scalars or bytes)"
    };
    format!("{before}{why}: refused")
}

/// A JSON value whose objects have no repeated key: JSON text with one is refused, as YAML
/// with one is (serde_json alone would keep the last silently).
pub(crate) struct UniqueKeys(Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(UniqueKeys(v)) = a.next_element()? {
                    out.push(v);
                }
                Ok(Value::Array(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(key) = a.next_key::<String>()? {
                    let UniqueKeys(v) = a.next_value()?;
                    if out.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate key: {key}")));
                    }
                    out.insert(key, v);
                }
                Ok(Value::Object(out))
            }
        }
        d.deserialize_any(V).map(UniqueKeys)
    }
}

impl Loader {
    /// Load one file's text.
    pub fn load_text(&self, file: &str, text: &str, json: bool, result: &mut LoadResult) {
        let documents = if json {
            vec![(1, text.to_string())]
        } else {
            split_documents(text)
        };
        let mut found = 0usize;
        let mut failed = 0usize;
        for (i, (line, doc)) in documents.iter().enumerate() {
            let source = Source {
                file: file.to_string(),
                document: i + 1,
                line: *line,
            };
            if doc.len() > MAX_OBJECT_BYTES {
                failed += 1;
                result.errors.push(LoadError {
                    source,
                    object: None,
                    message: format!(
                        "document is {} bytes, more than the {} KiB the API server accepts for one object",
                        doc.len(),
                        MAX_OBJECT_BYTES / 1024
                    ),
                });
                continue;
            }
            let parsed: Result<Value, String> = if json {
                serde_json::from_str::<UniqueKeys>(doc)
                    .map(|u| u.0)
                    .map_err(|e| e.to_string())
            } else {
                yaml::from_str(doc)
            };
            let value = match parsed {
                Ok(Value::Null) => continue,
                Ok(v) => v,
                Err(e) => {
                    failed += 1;
                    let kind = if json { "JSON" } else { "YAML" };
                    result.errors.push(LoadError {
                        source,
                        object: None,
                        message: format!(
                            "invalid {kind}: {}",
                            absolute_lines(&first_part(&e), *line)
                        ),
                    });
                    continue;
                }
            };
            found += 1;
            for item in expand_lists(value) {
                match self.decode(&source, item) {
                    Ok(obj) => result.objects.push(obj),
                    Err(e) => result.errors.push(e),
                }
            }
        }
        if found == 0 && failed == 0 {
            result.errors.push(file_error(
                file,
                "contains no Kubernetes object (the file is empty or only comments)".into(),
            ));
        }
    }

    /// Decode one object: check its identity, validate ours against the CRD, decode the type.
    pub(crate) fn decode(&self, source: &Source, value: Value) -> Result<Loaded, LoadError> {
        let err = |object: Option<String>, message: String| LoadError {
            source: source.clone(),
            object,
            message,
        };
        let head = head_of(&value).map_err(|(object, message)| err(object, message))?;
        let id = format!("{}/{}", head.kind, head.name);
        let group = head
            .api_version
            .split_once('/')
            .map(|(g, _)| g)
            .unwrap_or("");
        let api_version = &head.api_version;
        let kind = &head.kind;
        // An object meant for govkh but mistyped would otherwise pass unjudged, counted as
        // checked: a group that looks like ours, or one of our kinds under another group, is
        // refused with what was meant.
        if group != GROUP && (group.eq_ignore_ascii_case(GROUP) || edit_distance(group, GROUP) <= 2)
        {
            return Err(err(
                Some(id),
                format!("apiVersion {api_version} is not served: did you mean {API_VERSION}?"),
            ));
        }
        if group != GROUP && Kind::named(kind).is_some() {
            return Err(err(
                Some(id),
                format!(
                    "{kind} is a kind of {API_VERSION}, not of {api_version}: did you mean apiVersion: {API_VERSION}?"
                ),
            ));
        }
        if group != GROUP {
            // Its metadata decoded only to refuse what the API server would (the rest of a kind
            // govkh does not type is free-form); the decoded copy is not kept.
            if let Some(meta) = value.get("metadata") {
                ObjectMeta::deserialize(meta)
                    .map_err(|e| err(Some(id.clone()), format!("malformed object: {e}")))?;
            }
            let compact = (self.compact && !read_by_others(kind, api_version))
                .then(|| super::Packed::of(&value));
            return Ok(Loaded {
                source: source.clone(),
                api_version: head.api_version,
                kind: head.kind,
                name: head.name,
                namespace: head.namespace,
                raw: if compact.is_some() {
                    Value::Null
                } else {
                    value
                },
                compact,
                object: Object::Other,
            });
        }
        self.decode_ours(source, value, head, id)
    }

    /// An object of our group: served version, known kind, cluster-scoped, valid for its
    /// CRD's schema, then decoded into its type.
    fn decode_ours(
        &self,
        source: &Source,
        value: Value,
        head: Head,
        id: String,
    ) -> Result<Loaded, LoadError> {
        let err = |message: String| LoadError {
            source: source.clone(),
            object: Some(id.clone()),
            message,
        };
        let (api_version, kind) = (&head.api_version, &head.kind);
        if api_version != API_VERSION {
            return Err(err(format!(
                "apiVersion {api_version} is not served: use {API_VERSION}"
            )));
        }
        let Some(ours) = Kind::named(kind) else {
            return Err(err(format!(
                "unknown kind {kind:?} in {API_VERSION}; the kinds are {}",
                Kind::ALL.map(Kind::name).join(", ")
            )));
        };
        if head.namespace.is_some() {
            return Err(err(format!(
                "{kind} is cluster-scoped: remove metadata.namespace"
            )));
        }
        let problems = self.schemas.validate(kind, &value);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(err(list.join("; ")));
        }
        let object = match ours {
            Kind::GovernmentCloud => Object::GovernmentCloud(typed(&value, source, &id)?),
            Kind::Ministry => Object::Ministry(typed(&value, source, &id)?),
            Kind::CloudTenancy => Object::CloudTenancy(typed(&value, source, &id)?),
            Kind::PrivateNetworkLink => Object::PrivateNetworkLink(typed(&value, source, &id)?),
            Kind::DataClass => Object::DataClass(typed(&value, source, &id)?),
            Kind::DataAccessGrant => Object::DataAccessGrant(typed(&value, source, &id)?),
            Kind::Approval => Object::Approval(typed(&value, source, &id)?),
        };
        Ok(Loaded {
            source: source.clone(),
            api_version: head.api_version,
            kind: head.kind,
            name: head.name,
            namespace: None,
            raw: value,
            compact: None,
            object,
        })
    }

    /// Validate and decode one object read from elsewhere (a cluster), as if from a manifest.
    pub fn load_value(&self, source: &Source, value: Value) -> Result<Loaded, LoadError> {
        self.decode(source, value)
    }
}

/// What every object must say of itself: apiVersion, kind, name (and its namespace, if any).
pub(crate) struct Head {
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
}

/// The object's `Head`, or what is missing (with the kind, once known) and why.
fn head_of(value: &Value) -> Result<Head, (Option<String>, String)> {
    let Value::Object(map) = value else {
        return Err((
            None,
            format!(
                "expected a Kubernetes object (a mapping), found {}",
                describe(value)
            ),
        ));
    };
    let field = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(api_version), Some(kind)) = (field("apiVersion"), field("kind")) else {
        let missing: Vec<&str> = ["apiVersion", "kind"]
            .into_iter()
            .filter(|k| field(k).is_none())
            .collect();
        return Err((
            None,
            format!(
                "not a Kubernetes object: {} missing or not a string",
                missing.join(" and ")
            ),
        ));
    };
    let meta = map.get("metadata");
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let namespace = text("namespace");
    let Some(name) = text("name").filter(|n| !n.is_empty()) else {
        return Err((
            Some(kind),
            "metadata.name: Required value (every object needs a name)".into(),
        ));
    };
    Ok(Head {
        api_version,
        kind,
        name,
        namespace,
    })
}
