//! Loading manifests: files, directories (recursive, `.yaml`/`.yml`/`.json`) and `-` for
//! standard input; multi-document YAML; `List` objects. Objects of our kinds are validated
//! against the generated CRD schemas (structure and CEL) and decoded into their types; every
//! other object is kept as a dynamic object with its apiVersion and kind.
//!
//! Each document is parsed on its own, so one broken document is reported (file, document
//! number, line, problem) and the others are still loaded. Nothing here reads the clock or a
//! cluster.

use std::fmt;

use serde_json::Value;

use crate::{
    api::{
        Approval, CloudTenancy, DataAccessGrant, DataClass, GovernmentCloud, Ministry,
        PrivateNetworkLink,
    },
    loading::schema::SchemaSet,
};

mod decode;
mod packed;
mod walk;

pub use decode::*;
pub use packed::Packed;
pub use walk::*;

/// Kinds whose objects shape the policies' shared context (`input.inventory`, computed once
/// and shared by every review until one of them changes): ours and Namespaces.
pub fn shapes_context(kind: &str, api_version: &str) -> bool {
    api_version == crate::api::API_VERSION || kind == "Namespace"
}

/// Kinds whose objects other objects' reviews read: those that shape the context, and the
/// volumes and snapshots a copy is judged by — looked up for that copy's review alone
/// (`input.inventory.volumes`), so thousands of claims do not make every review's context
/// grow. Held decoded; every other object is only judged, so it can be held compactly and
/// decoded when its turn comes.
pub fn read_by_others(kind: &str, api_version: &str) -> bool {
    shapes_context(kind, api_version) || matches!(kind, "PersistentVolumeClaim" | "VolumeSnapshot")
}

/// Largest manifest file read, in bytes. Larger files are refused unread.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest single object, in bytes of YAML or JSON: the API server's request limit (etcd's
/// default value size), so what passes here can also be stored.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

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
    /// The object packed (LZ4-compressed compact JSON text), in place of `raw`: how a
    /// `Loader::compacting` holds objects that are only judged (nothing else is judged by them).
    pub compact: Option<Packed>,
    /// The decoded object.
    pub object: Object,
}

impl Loaded {
    /// The object as JSON: `raw`, or decoded from its compact text.
    pub fn value(&self) -> Result<std::borrow::Cow<'_, Value>, String> {
        match &self.compact {
            None => Ok(std::borrow::Cow::Borrowed(&self.raw)),
            Some(packed) => packed.value().map(std::borrow::Cow::Owned),
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

    /// The schemas this loader validates against.
    pub fn schemas(&self) -> &SchemaSet {
        &self.schemas
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

    #[test]
    fn a_government_cloud_with_the_old_default_windows_still_reads_and_other_numbers_do_not() {
        // Written when the CRD filled in `windows` (90 days, 12 months): it still reads, and
        // the deadlines are the law's whatever it says.
        let doc = |days: u32, months: u32| {
            format!(
                "apiVersion: digital.gov.kh/v1alpha1\nkind: GovernmentCloud\nmetadata: {{name: national}}\n\
                 spec: {{establishedOn: \"2026-03-01\", operator: mptc, privateNetwork: {{cidrs: [10.80.0.0/12]}}, \
                 windows: {{applicationDays: {days}, migrationMonths: {months}}}}}\n"
            )
        };
        let loader = Loader::new();
        let mut r = LoadResult::default();
        loader.load_text("old.yaml", &doc(90, 12), false, &mut r);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.objects.len(), 1);
        let mut r = LoadResult::default();
        loader.load_text("amended.yaml", &doc(3650, 12), false, &mut r);
        assert!(r.objects.is_empty());
        assert!(
            r.errors[0]
                .message
                .contains("the windows of Art. 10 are the law's"),
            "{:?}",
            r.errors
        );
        let mut r = LoadResult::default();
        loader.load_text("amended.yaml", &doc(90, 120), false, &mut r);
        assert!(r.objects.is_empty(), "{:?}", r.objects.len());
    }
}
