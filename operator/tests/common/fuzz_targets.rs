//! The bodies of the fuzz targets, shared by the coverage-guided fuzzers in `fuzz/` (nightly,
//! `cargo fuzz`) and by `operator/tests/fuzz_corpus.rs`, which replays every saved input on the stable
//! toolchain in CI. Each takes arbitrary bytes through one door where govkh reads input —
//! manifests, CRD schema validation, an AdmissionReview body, the report's renderers — and
//! checks what must hold whatever the bytes: no panic, and every problem said with its place.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use govkh_core::{
    admission::Snapshot,
    evaluate::{Evaluation, evaluate},
    inventory::Inventory,
    loading::manifest::{LoadResult, Loader, MAX_OBJECT_BYTES, split_documents},
    loading::schema::SchemaSet,
    loading::yaml,
    policy::Library,
};
use k8s_openapi::jiff::Timestamp;

fn now() -> Timestamp {
    "2026-11-26T03:00:00Z".parse().unwrap()
}

fn library() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| Library::builtin().unwrap().with_threads(1))
}

/// The examples, loaded once: the national context the targets judge against.
fn examples() -> &'static (Inventory, Evaluation) {
    static EXAMPLES: OnceLock<(Inventory, Evaluation)> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let loaded = Loader::new().load_paths(&[dir], &mut std::io::empty());
        let (inv, _) = Inventory::build(loaded.objects);
        let eval = evaluate(&inv, library(), now());
        (inv, eval)
    })
}

/// Manifests: any bytes as a YAML file and as a JSON file. Every problem names the file and
/// says what is wrong on one line; every object loaded has a kind and a name.
pub fn load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One loader for every input: its schema set (CRDs, CEL programs) is built once.
    static LOADER: OnceLock<Loader> = OnceLock::new();
    let loader = LOADER.get_or_init(|| Loader::new().compacting());
    // The fast YAML reading may only ever return what serde-saphyr returns.
    for (_, doc) in split_documents(text) {
        if doc.len() <= MAX_OBJECT_BYTES
            && let Some(value) = yaml::fast(&doc)
        {
            assert_eq!(
                Ok(value),
                yaml::slow(&doc),
                "the fast reading differs:\n{doc}"
            );
        }
    }
    for (file, json) in [("fuzz.yaml", false), ("fuzz.json", true)] {
        let mut result = LoadResult::default();
        loader.load_text(file, text, json, &mut result);
        for e in &result.errors {
            assert_eq!(e.source.file, file);
            assert!(!e.message.trim().is_empty(), "an empty message");
            assert!(!e.message.contains('\n'), "a message on several lines: {e}");
        }
        for o in &result.objects {
            assert!(!o.kind.is_empty() && !o.name.is_empty(), "{}", o.id());
            // What is held compactly decodes back.
            o.value().unwrap();
        }
    }
}

/// CRD schema validation (structure, then CEL) of any JSON value, as each of our kinds.
pub fn validate(data: &[u8]) {
    static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(SchemaSet::generated);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let kinds: Vec<String> = schemas.kinds().map(str::to_string).collect();
    for kind in kinds {
        for problem in schemas.validate(&kind, &value) {
            assert!(!problem.to_string().is_empty());
        }
    }
}

/// An AdmissionReview body, judged against the examples: refused as not a review (the server
/// answers 400), or answered for the request's own uid.
pub fn admission(data: &[u8]) {
    let (inv, eval) = examples();
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    let snapshot = SNAPSHOT.get_or_init(|| {
        Snapshot::new(
            now(),
            std::sync::Arc::new(inv.clone()),
            eval.tenancies.clone(),
        )
    });
    if let Ok((review, _)) = govkh::webhook::admit(data, Some(snapshot), library(), now()) {
        let response = review
            .response
            .expect("a review answered carries a response");
        // A body may be accepted that a generic JSON reader refuses (an invalid escape in a
        // field the review does not read, found by the fuzzer): compare when it can be read.
        if let Ok(sent) = serde_json::from_slice::<serde_json::Value>(data) {
            assert_eq!(
                serde_json::Value::from(response.uid),
                sent["request"]["uid"],
                "answered for another request"
            );
        }
    }
}

/// The report's four renderers with any text as a finding's message and an object's name:
/// markup in it never reaches the HTML as markup (it appears no more often than in the report
/// of the examples as they are, which has its own `<script>`).
pub fn report(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (inv, eval) = examples();
    static PLAIN: OnceLock<String> = OnceLock::new();
    let plain = PLAIN.get_or_init(|| {
        govkh_core::render::report::html(&govkh_core::render::report::build(inv, eval, library()))
    });
    let mut eval = eval.clone();
    let Some(first) = eval.findings.first_mut() else {
        return;
    };
    first.message = text.to_string();
    first.resource.name = Some(text.to_string());
    let r = govkh_core::render::report::build(inv, &eval, library());
    let html = govkh_core::render::report::html(&r);
    if text.contains("<script") {
        assert!(
            html.matches(text).count() <= plain.matches(text).count(),
            "the text reached the HTML unescaped"
        );
    }
    govkh_core::render::report::markdown(&r);
    govkh_core::render::report::csv(&r);
    govkh_core::render::report::json(&r).unwrap();
}
