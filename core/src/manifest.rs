//! Loading manifests: files, directories (recursive, `.yaml`/`.yml`/`.json`) and `-` for
//! standard input; multi-document YAML; `List` objects. Objects of our kinds are validated
//! against the generated CRD schemas (structure and CEL) and decoded into their types; every
//! other object is kept as a dynamic object with its apiVersion and kind.
//!
//! Each document is parsed on its own, so one broken document is reported (file, document
//! number, line, problem) and the others are still loaded. Nothing here reads the clock or a
//! cluster.

use std::{
    fmt,
    io::Read,
    path::{Path, PathBuf},
};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{
    api::{
        API_VERSION, Approval, CloudTenancy, DataAccessGrant, DataClass, GROUP, GovernmentCloud,
        Ministry, PrivateNetworkLink,
    },
    schema::SchemaSet,
    text, yaml,
};

/// Kinds whose objects shape the policies' context (`input.inventory`): ours, Namespaces, and
/// the volumes and snapshots a copy is judged by. Every other object is only judged, so it can
/// be held compactly and decoded when its turn comes.
pub fn shapes_context(kind: &str, api_version: &str) -> bool {
    api_version == crate::api::API_VERSION
        || matches!(
            kind,
            "Namespace" | "PersistentVolumeClaim" | "VolumeSnapshot"
        )
}

/// Largest manifest file read, in bytes. Larger files are refused unread.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest single object, in bytes of YAML or JSON: the API server's request limit (etcd's
/// default value size), so what passes here can also be stored.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;
/// Deepest directory nesting read below a path named on the command line.
pub const MAX_DEPTH: usize = 32;
/// Most files read in one run.
pub const MAX_FILES: usize = 100_000;

/// One walk of the paths named on the command line: each real directory is visited once (a
/// symbolic link back up the tree is not followed again), at most `MAX_DEPTH` deep, at most
/// `MAX_FILES` files.
#[derive(Default)]
struct Walk {
    visited: std::collections::HashSet<PathBuf>,
    files: usize,
    /// Set once the file bound is reached: said once, then nothing more is read.
    full: bool,
    /// What to do, in the order of the paths: files to read, problems met while walking.
    plan: Vec<Step>,
}

impl Walk {
    fn problem(&mut self, e: LoadError) {
        self.plan.push(Step::Problem(e));
    }
}

/// One step of a load, planned while walking and run afterwards (files in parallel).
enum Step {
    /// Read and parse this file (shown as the `String`); `-` is standard input.
    File(PathBuf, String),
    /// A problem found while walking.
    Problem(LoadError),
}

/// Where an object or a problem comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Source {
    /// The file (`-` for standard input).
    pub file: String,
    /// The document's number in the file, from 1; 0 when the problem is the whole file.
    pub document: usize,
    /// The line the document starts on, from 1.
    pub line: usize,
}

impl fmt::Display for Source {
    /// `file: document N (line L)`; a problem with the whole file (document 0) names the file
    /// alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.document == 0 {
            return f.write_str(&self.file);
        }
        write!(
            f,
            "{}: document {} (line {})",
            self.file, self.document, self.line
        )
    }
}

/// Edit distance between two short strings (Levenshtein), to recognise a mistyped group.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A manifest that could not be loaded, or an object that is invalid.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadError {
    /// Where.
    pub source: Source,
    /// The object (`Kind/name`), when it could be told.
    pub object: Option<String>,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.object {
            Some(o) => write!(f, "{}: {o}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

/// An object of one of our kinds, decoded, or any other Kubernetes object.
#[derive(Clone, Debug)]
pub enum Object {
    /// A `GovernmentCloud`.
    GovernmentCloud(Box<GovernmentCloud>),
    /// A `Ministry`.
    Ministry(Box<Ministry>),
    /// A `CloudTenancy`.
    CloudTenancy(Box<CloudTenancy>),
    /// A `PrivateNetworkLink`.
    PrivateNetworkLink(Box<PrivateNetworkLink>),
    /// A `DataClass`.
    DataClass(Box<DataClass>),
    /// A `DataAccessGrant`.
    DataAccessGrant(Box<DataAccessGrant>),
    /// An `Approval`.
    Approval(Box<Approval>),
    /// Any other object: its fields are read from `Loaded::raw` (it is well-formed: its
    /// metadata decoded as Kubernetes metadata when it was loaded).
    Other,
}

/// Kinds of the `digital.gov.kh` API.
pub const OUR_KINDS: [&str; 7] = [
    "GovernmentCloud",
    "Ministry",
    "CloudTenancy",
    "PrivateNetworkLink",
    "DataClass",
    "DataAccessGrant",
    "Approval",
];

/// A loaded object with where it came from and its raw form.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where it came from.
    pub source: Source,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, for namespaced objects.
    pub namespace: Option<String>,
    /// The object as read (JSON value), for policies that read it as data; `Null` when the
    /// object is held as `compact` text instead.
    pub raw: Value,
    /// The object as compact JSON text, in place of `raw`: how a `Loader::compacting` holds
    /// objects that are only judged (nothing else is judged by them), a tenth of the memory.
    pub compact: Option<std::sync::Arc<str>>,
    /// The decoded object.
    pub object: Object,
}

impl Loaded {
    /// The object as JSON: `raw`, or decoded from its compact text.
    pub fn value(&self) -> Result<std::borrow::Cow<'_, Value>, String> {
        match &self.compact {
            None => Ok(std::borrow::Cow::Borrowed(&self.raw)),
            Some(text) => serde_json::from_str(text)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| format!("cannot decode the object held compactly: {e}")),
        }
    }

    /// `Kind/name` or `Kind/namespace/name`.
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// What a load produced: the objects, and the problems, in input order.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Objects loaded.
    pub objects: Vec<Loaded>,
    /// Problems found.
    pub errors: Vec<LoadError>,
}

/// Reads manifests from paths (`-` is standard input, read from `stdin`).
pub struct Loader {
    schemas: SchemaSet,
    /// Hold objects that are only judged as compact text (see `Loaded::compact`).
    compact: bool,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// A loader validating against this build's CRD schemas.
    pub fn new() -> Self {
        Loader {
            schemas: SchemaSet::generated(),
            compact: false,
        }
    }

    /// The same loader holding the objects that are only judged — kinds govkh does not type
    /// and that shape no other object's judgement (workloads, Services, Ingresses, ...) — as
    /// compact JSON text: what `check` and `report` use, so that memory does not grow with
    /// each workload's parsed form.
    pub fn compacting(mut self) -> Self {
        self.compact = true;
        self
    }

    /// Load every path; directories recursively, in name order. Files are read and parsed on
    /// every core; objects and problems come back in the paths' order whatever the timing.
    pub fn load_paths(&self, paths: &[PathBuf], stdin: &mut dyn Read) -> LoadResult {
        let mut walk = Walk::default();
        // Where each named path's steps start: a directory that yields nothing is said.
        let mut named: Vec<(usize, &PathBuf)> = Vec::new();
        for path in paths {
            named.push((walk.plan.len(), path));
            if path.as_os_str() == "-" {
                walk.plan.push(Step::File(path.clone(), "-".into()));
            } else {
                self.walk_path(path, 0, &mut walk);
            }
        }
        let stdin_text = paths
            .iter()
            .any(|p| p.as_os_str() == "-")
            .then(|| read_stdin(stdin));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let done = crate::parallel::map(&walk.plan, threads, |step| match step {
            Step::Problem(e) => LoadResult {
                objects: Vec::new(),
                errors: vec![e.clone()],
            },
            Step::File(_, shown) if shown == "-" => {
                let mut result = LoadResult::default();
                match &stdin_text {
                    Some(Ok(text)) => self.load_text("-", text, false, &mut result),
                    Some(Err(e)) => result.errors.push(e.clone()),
                    None => {}
                }
                result
            }
            Step::File(path, shown) => self.load_file(path, shown),
        });
        let mut result = LoadResult::default();
        let mut done = done.into_iter();
        for (k, (start, path)) in named.iter().enumerate() {
            let end = named.get(k + 1).map_or(walk.plan.len(), |(s, _)| *s);
            let before = result.objects.len() + result.errors.len();
            for mut part in done.by_ref().take(end - start) {
                result.objects.append(&mut part.objects);
                result.errors.append(&mut part.errors);
            }
            // A directory that holds no manifest is said, not passed as "0 objects".
            let nothing = result.objects.len() + result.errors.len() == before;
            if nothing && path.as_os_str() != "-" && path.is_dir() {
                result.errors.push(file_error(
                    &path.display().to_string(),
                    "holds no manifest (.yaml, .yml or .json file): nothing to check".into(),
                ));
            }
        }
        result
    }

    fn walk_path(&self, path: &Path, depth: usize, walk: &mut Walk) {
        let named = depth == 0;
        let shown = path.display().to_string();
        if walk.full {
            return;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                walk.problem(file_error(&shown, format!("cannot read: {e}")));
                return;
            }
        };
        if meta.is_dir() {
            // The real directory, whatever links led here: each is read once, so a link to
            // itself or to a parent is not a loop.
            let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if !walk.visited.insert(real) {
                return;
            }
            if depth > MAX_DEPTH {
                walk.problem(file_error(
                    &shown,
                    format!("is nested more than {MAX_DEPTH} directories deep: not read"),
                ));
                return;
            }
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => {
                    let mut paths = Vec::new();
                    for entry in rd {
                        match entry {
                            Ok(e) => paths.push(e.path()),
                            Err(e) => walk.problem(file_error(
                                &shown,
                                format!("cannot read a directory entry: {e}"),
                            )),
                        }
                    }
                    paths
                }
                Err(e) => {
                    walk.problem(file_error(&shown, format!("cannot list directory: {e}")));
                    return;
                }
            };
            entries.sort();
            for entry in entries {
                let hidden = entry
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if hidden {
                    continue;
                }
                if entry.is_dir() || is_manifest(&entry) {
                    self.walk_path(&entry, depth + 1, walk);
                }
            }
            return;
        }
        // A file named on the command line is read whatever its extension; inside directories
        // only manifests are.
        if !named && !is_manifest(path) {
            return;
        }
        // Devices, pipes and sockets have no size to check and may never end.
        if !meta.is_file() {
            walk.problem(file_error(
                &shown,
                "is not a regular file (a device, pipe or socket): not read".into(),
            ));
            return;
        }
        walk.files += 1;
        if walk.files > MAX_FILES {
            walk.full = true;
            walk.problem(file_error(
                &shown,
                format!("more than {MAX_FILES} files: this one and the rest are not read"),
            ));
            return;
        }
        walk.plan.push(Step::File(path.to_path_buf(), shown));
    }

    /// Read and parse one file: its size checked, read through a cap, UTF-8, then its text.
    fn load_file(&self, path: &Path, shown: &str) -> LoadResult {
        let mut out = LoadResult::default();
        let result = &mut out;
        let shown = shown.to_string();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                result
                    .errors
                    .push(file_error(&shown, format!("cannot read: {e}")));
                return out;
            }
        };
        if meta.len() > MAX_FILE_BYTES {
            result.errors.push(file_error(&shown, format!(
                "file is {} bytes, more than the {} MiB govkh reads: split it into several files",
                meta.len(),
                MAX_FILE_BYTES / (1024 * 1024)
            )));
            return out;
        }
        // Read through a cap: a file that grows after its size was checked stops at the limit.
        let read = std::fs::File::open(path).and_then(|f| {
            let mut bytes = Vec::new();
            f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        match read {
            Ok(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => result.errors.push(file_error(
                &shown,
                format!(
                    "file grew past the {} MiB govkh reads while it was read: split it into several files",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            )),
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let json = path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
                    self.load_text(&shown, &text, json, result)
                }
                Err(_) => result
                    .errors
                    .push(file_error(&shown, "is not UTF-8 text".into())),
            },
            Err(e) => result
                .errors
                .push(file_error(&shown, format!("cannot read: {e}"))),
        }
        out
    }

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
    fn decode(&self, source: &Source, value: Value) -> Result<Loaded, LoadError> {
        let err = |object: Option<String>, message: String| LoadError {
            source: source.clone(),
            object,
            message,
        };
        let Value::Object(map) = &value else {
            return Err(err(
                None,
                format!(
                    "expected a Kubernetes object (a mapping), found {}",
                    describe(&value)
                ),
            ));
        };
        let field = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(api_version), Some(kind)) = (field("apiVersion"), field("kind")) else {
            let missing: Vec<&str> = ["apiVersion", "kind"]
                .into_iter()
                .filter(|k| field(k).is_none())
                .collect();
            return Err(err(
                None,
                format!(
                    "not a Kubernetes object: {} missing or not a string",
                    missing.join(" and ")
                ),
            ));
        };
        let meta = map.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Err(err(
                Some(kind.clone()),
                "metadata.name: Required value (every object needs a name)".into(),
            ));
        };
        let id = format!("{kind}/{name}");
        let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
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
        if group != GROUP && OUR_KINDS.contains(&kind.as_str()) {
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
            if let Some(meta) = meta {
                ObjectMeta::deserialize(meta)
                    .map_err(|e| err(Some(id.clone()), format!("malformed object: {e}")))?;
            }
            let compact = (self.compact && !shapes_context(&kind, &api_version))
                .then(|| std::sync::Arc::<str>::from(value.to_string()));
            return Ok(Loaded {
                source: source.clone(),
                api_version,
                kind,
                name,
                namespace,
                raw: if compact.is_some() {
                    Value::Null
                } else {
                    value
                },
                compact,
                object: Object::Other,
            });
        }
        if api_version != API_VERSION {
            return Err(err(
                Some(id),
                format!("apiVersion {api_version} is not served: use {API_VERSION}"),
            ));
        }
        if !OUR_KINDS.contains(&kind.as_str()) {
            return Err(err(
                Some(id),
                format!(
                    "unknown kind {kind:?} in {API_VERSION}; the kinds are {}",
                    OUR_KINDS.join(", ")
                ),
            ));
        }
        if namespace.is_some() {
            return Err(err(
                Some(id),
                format!("{kind} is cluster-scoped: remove metadata.namespace"),
            ));
        }
        let problems = self.schemas.validate(&kind, &value);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(err(Some(id), list.join("; ")));
        }
        let object = match kind.as_str() {
            "GovernmentCloud" => Object::GovernmentCloud(typed(&value, source, &id)?),
            "Ministry" => Object::Ministry(typed(&value, source, &id)?),
            "CloudTenancy" => Object::CloudTenancy(typed(&value, source, &id)?),
            "PrivateNetworkLink" => Object::PrivateNetworkLink(typed(&value, source, &id)?),
            "DataClass" => Object::DataClass(typed(&value, source, &id)?),
            "DataAccessGrant" => Object::DataAccessGrant(typed(&value, source, &id)?),
            _ => Object::Approval(typed(&value, source, &id)?),
        };
        Ok(Loaded {
            source: source.clone(),
            api_version,
            kind,
            name,
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

    /// The schemas this loader validates against.
    pub fn schemas(&self) -> &SchemaSet {
        &self.schemas
    }
}

fn typed<T: DeserializeOwned>(
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

/// Standard input's text, read through the file cap.
fn read_stdin(stdin: &mut dyn Read) -> Result<String, LoadError> {
    let mut text = String::new();
    match stdin.take(MAX_FILE_BYTES + 1).read_to_string(&mut text) {
        Ok(n) if n as u64 > MAX_FILE_BYTES => Err(file_error(
            "-",
            format!(
                "standard input is larger than {} MiB: split it into several files",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )),
        Ok(_) => Ok(text),
        Err(e) => Err(file_error("-", format!("cannot read standard input: {e}"))),
    }
}

fn file_error(file: &str, message: String) -> LoadError {
    LoadError {
        source: Source {
            file: file.to_string(),
            document: 0,
            line: 0,
        },
        object: None,
        message,
    }
}

fn is_manifest(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
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
fn directives_only(text: &str) -> bool {
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
fn expand_lists(value: Value) -> Vec<Value> {
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

fn describe(v: &Value) -> &'static str {
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
fn absolute_lines(message: &str, document_start: usize) -> String {
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
fn first_part(s: &str) -> String {
    let head = s.split(" --> ").next().unwrap_or(s);
    let head = head.split("\n -->").next().unwrap_or(head);
    plain(&text::one_line(head.trim_start_matches("error: ")))
}

/// The YAML library's phrasings that name its internals, said plainly.
fn plain(message: &str) -> String {
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
struct UniqueKeys(Value);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_groups_and_our_kinds_elsewhere_are_refused_with_what_was_meant() {
        let loader = Loader::new();
        for (api_version, kind) in [
            ("digitalgov.kh/v1alpha1", "Approval"),
            ("Digital.Gov.Kh/v1alpha1", "Approval"),
            ("digital.gov.kg/v1alpha1", "Ministry"),
            ("v1", "Ministry"),
            ("apps/v1", "CloudTenancy"),
        ] {
            let mut r = LoadResult::default();
            let text = format!("apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n");
            loader.load_text("t.yaml", &text, false, &mut r);
            assert!(r.objects.is_empty(), "{api_version} {kind} passed");
            assert!(
                r.errors[0].message.contains("did you mean"),
                "{api_version}: {}",
                r.errors[0].message
            );
        }
        // Real kinds of other groups stay what they are.
        let mut r = LoadResult::default();
        loader.load_text(
            "t.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
            false,
            &mut r,
        );
        assert_eq!(r.objects.len(), 1, "{:?}", r.errors);
        assert_eq!(edit_distance("digital.gov.kh", "digitalgov.kh"), 1);
    }

    #[test]
    fn json_duplicate_keys_are_refused_as_yaml_ones_are_and_said_plainly() {
        let loader = Loader::new();
        let mut r = LoadResult::default();
        loader.load_text(
            "d.json",
            r#"{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret", "metadata": {"name": "x"}}"#,
            true,
            &mut r,
        );
        assert!(r.objects.is_empty());
        assert!(
            r.errors[0].message.contains("duplicate key: kind"),
            "{}",
            r.errors[0].message
        );
        let mut r = LoadResult::default();
        loader.load_text(
            "d.yaml",
            "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: x}\n",
            false,
            &mut r,
        );
        assert!(r.errors[0].message.contains("duplicate mapping key: kind"));
        assert!(
            !r.errors[0].message.contains("DuplicateKeyPolicy"),
            "no library option names"
        );
        assert_eq!(
            plain("line 6 column 11: budget breached: Nodes { nodes: 250001 }"),
            "line 6 column 11: the document expands to too many nodes (aliases repeated over and over, an \"alias bomb\", or a document too large): refused"
        );
        // Arrays, numbers and nesting come through as parsed.
        let mut r = LoadResult::default();
        loader.load_text(
            "l.json",
            r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}, "n": [1, 2.5, -3, true, null]}"#,
            true,
            &mut r,
        );
        assert_eq!(r.objects.len(), 1, "{:?}", r.errors);
        assert_eq!(
            r.objects[0].raw["n"],
            serde_json::json!([1, 2.5, -3, true, null])
        );
    }

    #[test]
    fn a_whole_file_problem_names_the_file_alone() {
        let whole = Source {
            file: "a.yaml".into(),
            document: 0,
            line: 0,
        };
        assert_eq!(whole.to_string(), "a.yaml");
        let doc = Source {
            file: "a.yaml".into(),
            document: 2,
            line: 7,
        };
        assert_eq!(doc.to_string(), "a.yaml: document 2 (line 7)");
    }

    #[test]
    fn documents_are_split_at_markers_with_their_first_line() {
        let text = "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n--- {c: 3}\n";
        let docs = split_documents(text);
        let starts: Vec<usize> = docs.iter().map(|(l, _)| *l).collect();
        assert_eq!(starts, [2, 4, 6, 8]);
        assert_eq!(docs[3].1, "{c: 3}\n");
        // A directive opens the document its marker starts, in the first file or later ones.
        let text = "%YAML 1.2\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n%YAML 1.2\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert!(docs[0].1.starts_with("%YAML 1.2\n---\n"));
        let mut r = LoadResult::default();
        Loader::new().load_text("d.yaml", text, false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.objects.len(), 2);
    }

    #[test]
    fn lists_stand_for_their_items() {
        let loader = Loader::new();
        let mut r = LoadResult::default();
        let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n";
        loader.load_text("l.yaml", text, false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let names: Vec<&str> = r.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // A list inside a list stands for its items too.
        let mut r = LoadResult::default();
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: Namespace, metadata: {name: inner}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: outer}}\n";
        loader.load_text("n.yaml", text, false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let names: Vec<&str> = r.objects.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["inner", "outer"]);
    }

    #[test]
    fn an_oversized_document_is_refused_and_the_next_one_loaded() {
        let loader = Loader::new();
        let mut r = LoadResult::default();
        let big = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{x: \"{}\"}}\n",
            "x".repeat(MAX_OBJECT_BYTES)
        );
        let text = format!("{big}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: ok}}\n");
        loader.load_text("big.yaml", &text, false, &mut r);
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0].message.contains("more than the 1536 KiB"),
            "{}",
            r.errors[0]
        );
        assert_eq!(r.objects.len(), 1);
    }

    #[test]
    fn alias_bombs_spread_over_many_documents_are_refused_each_and_legit_aliases_kept() {
        // Forty small documents, each expanding to half a million nodes: each is refused by
        // its own size-proportional alias budget (before, each cost about a second).
        let bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\ndata:\n  a: &a [\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\",\"xxxxxxxxx\"]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n";
        let text = vec![bomb; 40].join("---\n");
        let mut r = LoadResult::default();
        Loader::new().load_text("bombs.yaml", &text, false, &mut r);
        assert!(r.objects.is_empty());
        assert_eq!(r.errors.len(), 40);
        for e in &r.errors {
            assert!(
                e.message.contains("an \"alias bomb\"): refused"),
                "{}",
                e.message
            );
            assert!(
                !e.message.contains("total_replayed_events"),
                "{}",
                e.message
            );
        }
        // Anchors reused a few times, as in real manifests, still load.
        let legit = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: x, labels: &l {app: web, tier: front}}\ndata: {a: \"1\"}\nextra: [*l, *l, *l]\n";
        let mut r = LoadResult::default();
        Loader::new().load_text("ok.yaml", legit, false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.objects[0].raw["extra"][2]["tier"], "front");
    }

    #[test]
    fn a_compacting_loader_holds_only_judged_objects_as_text_and_gives_them_back_whole() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a, labels: {x: \"1\"}}\nspec: {replicas: 2}\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n";
        let mut plain = LoadResult::default();
        Loader::new().load_text("f.yaml", text, false, &mut plain);
        let mut compact = LoadResult::default();
        Loader::new()
            .compacting()
            .load_text("f.yaml", text, false, &mut compact);
        assert_eq!(compact.objects.len(), 3);
        for (p, c) in plain.objects.iter().zip(&compact.objects) {
            // Only the Deployment shapes nothing else's judgement.
            assert_eq!(c.compact.is_some(), c.kind == "Deployment", "{}", c.kind);
            assert_eq!(c.raw.is_null(), c.kind == "Deployment");
            assert_eq!(*c.value().unwrap(), p.raw, "{}", c.kind);
            assert!(p.compact.is_none());
        }
    }

    #[test]
    fn json_files_and_namespaced_objects_of_our_kinds() {
        let loader = Loader::new();
        let mut r = LoadResult::default();
        let text = r#"{"apiVersion": "digital.gov.kh/v1alpha1", "kind": "DataClass", "metadata": {"name": "x", "namespace": "default"}, "spec": {}}"#;
        loader.load_text("x.json", text, true, &mut r);
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0].message.contains("cluster-scoped"),
            "{}",
            r.errors[0]
        );
        let mut r = LoadResult::default();
        loader.load_text("y.json", "{not json", true, &mut r);
        assert!(
            r.errors[0].message.starts_with("invalid JSON"),
            "{}",
            r.errors[0]
        );
    }

    #[test]
    fn an_unserved_version_of_our_group_is_named() {
        let loader = Loader::new();
        let mut r = LoadResult::default();
        loader.load_text(
            "v.yaml",
            "apiVersion: digital.gov.kh/v1\nkind: Ministry\nmetadata: {name: m}\n",
            false,
            &mut r,
        );
        assert_eq!(
            r.errors[0].message,
            "apiVersion digital.gov.kh/v1 is not served: use digital.gov.kh/v1alpha1"
        );
    }
}
