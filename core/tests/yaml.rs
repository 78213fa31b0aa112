//! The fast YAML reading (`govkh_core::loading::yaml`) against serde-saphyr's: on every YAML file of the
//! repository (examples, samples, broken fixtures, CRDs, the chart, the fuzz corpus), on the
//! benchmarks' generated Deployments and on documents chosen to sit on each edge the fast
//! reading must either read exactly as serde-saphyr does or leave to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use govkh_core::{loading::manifest::split_documents, loading::yaml};
use serde_json::{Value, json};

#[path = "../benches/support/workloads.rs"]
mod workloads;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Whether the fast reading took `doc`; panics if what it read is not serde-saphyr's reading,
/// or if `from_str` differs from serde-saphyr's in value or error.
fn agrees(doc: &str, what: &str) -> bool {
    let slow = yaml::slow(doc);
    assert_eq!(
        yaml::from_str(doc),
        slow,
        "from_str differs on {what}:\n{doc}"
    );
    match yaml::fast(doc) {
        Some(v) => {
            assert_eq!(Ok(v), slow, "the fast reading differs on {what}:\n{doc}");
            true
        }
        None => false,
    }
}

#[test]
fn every_yaml_file_in_the_repository_reads_as_serde_saphyr_reads_it() {
    let mut all = Vec::new();
    for dir in [
        "examples",
        "policies",
        "crds",
        "charts",
        "tests/fixtures",
        "fuzz/corpus",
    ] {
        files(&root().join(dir), &mut all);
    }
    let (mut docs, mut fast) = (0, 0);
    let mut slow_but_valid = Vec::new();
    for path in &all {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let yaml_file = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        // The fuzz corpus's inputs have no extension: all are read as YAML.
        let fuzz = path.to_string_lossy().contains("fuzz/corpus");
        if !yaml_file && !fuzz {
            continue;
        }
        for (line, doc) in split_documents(&text) {
            docs += 1;
            let place = format!("{}:{line}", path.display());
            let took = agrees(&doc, &place);
            fast += usize::from(took);
            // Outside the fuzz corpus's oddities, every valid document is common YAML (the
            // chart's templates are not YAML until rendered, the broken fixtures not at all).
            if !took && !fuzz && yaml::slow(&doc).is_ok() {
                slow_but_valid.push(place);
            }
        }
    }
    assert!(docs > 500, "{docs} documents");
    assert!(fast > 100, "only {fast} of {docs} documents read fast");
    assert!(slow_but_valid.is_empty(), "read slowly: {slow_but_valid:?}");
}

#[test]
fn generated_deployments_all_read_fast_and_the_same() {
    for i in 0..300 {
        let yaml = serde_saphyr::to_string(&workloads::workload(i)).unwrap();
        assert!(
            agrees(&yaml, &format!("workload {i}")),
            "workload {i} read slowly"
        );
        assert_eq!(yaml::fast(&yaml).unwrap(), workloads::workload(i));
    }
}

#[test]
fn edge_documents_are_read_as_serde_saphyr_reads_them_or_left_to_it() {
    // (document, whether the fast reading must take it)
    let cases: &[(&str, bool)] = &[
        (
            "a: b\nc: 1\nd: -2\ne: 0\nf: true\ng: ~\nh: [x, 'y', \"z\"]\n",
            true,
        ),
        (
            "cpu: 500m\nmemory: 128Mi\nport: 8080\ntime: 10:30\nv: 1.2.3-beta\n",
            true,
        ),
        ("yes: 1\n", true),
        ("a: yes\nb: No\nc: ON\nd: off\ne: y\nf: N\n", true),
        (
            "a: 'yes'\nb: \"0755\"\nc: |\n  text\nd: >\n  folded\n  line\n",
            true,
        ),
        ("80: http\n'1': one\n\"true\": t\n", true),
        (
            "a: inf\nb: nan\nc: Infinity\nd: e5\ne: /data\nf: -x\ng: =y\nh: +inf\n",
            true,
        ),
        (
            "a:\n  - b: [1, 2, {c: d}]\n  - - nested\n    - list\n",
            true,
        ),
        ("plain: multi\n  line scalar\n", true),
        ("# a comment\na: b # another\n", true),
        ("---\na: b\n...\n", true),
        ("{a: b, c: [d, e]}\n", true),
        ("just a string\n", true),
        ("- 1\n- two\n", true),
        ("a: 12345678901234567\nb: -123456789012345678\n", true),
        // Left to serde-saphyr: numbers of other forms, and YAML's rarer features.
        ("a: 0755\n", false),
        ("a: 1_000\n", false),
        ("a: 1.5\nb: -0.25\nc: 65535.0\nd: 0.0\n", true),
        ("a: 01.5\n", false),
        ("a: 1.\n", false),
        ("a: +1.5\n", false),
        ("a: .inf\n", false),
        ("a: -.inf\n", false),
        ("a: 0x1F\n", false),
        ("a: +1\n", false),
        ("a: 1e3\n", false),
        (
            "a: 1.2.3\nb: 2026-11-26\nc: 0.1.0\nd: .spec.name\ne: 1-2\n",
            true,
        ),
        ("a: 1e-3\n", false),
        ("a: .5\n", false),
        ("a: .Inf\n", false),
        ("a: 123456789012345678901234567890\n", false),
        ("a: -0\n", false),
        ("a: &x 1\nb: *x\n", false),
        ("a: !!str 1\n", false),
        ("a: !custom x\n", false),
        ("base: &b {x: 1}\nd:\n  <<: *b\n", false),
        ("<<: {x: 1}\n", false),
        ("a: 1\na: 2\n", false),
        ("a: 1\n'a': 2\n", false),
        ("~: 1\n", false),
        ("null: 1\n", false),
        (": 1\n", false),
        ("? [a, b]\n: c\n", false),
        ("? {a: b}\n: c\n", false),
        ("%YAML 1.2\n---\na: b\n", false),
        ("%TAG !e! tag:example.com,2000:\n---\na: !e!x b\n", false),
        ("", false),
        ("# only a comment\n", false),
        ("a: [b\n", false),
        ("a: b\n  c: d\n", false),
        ("a: 'unterminated\n", false),
        (
            "a: /data\nb: .hidden.x\nc: -x\nd: '*'\ne: =x\nf: -inf\ng: -.nan\n",
            false,
        ),
        ("a: \"\\x\"\n", false),
    ];
    for (doc, fast) in cases {
        assert_eq!(
            agrees(doc, "an edge case"),
            *fast,
            "fast reading of:\n{doc}"
        );
    }
    // Whichever reading takes these, the value (or error) is serde-saphyr's.
    for doc in [
        "\u{feff}a: b\n",
        "a: b\r\nc: 1\r\n",
        "a:\tb\n",
        "ក្រសួង: ឌីជីថល\nname: \"\\u17a0\"\n",
        "a: |-\n  x\n  y\n",
        "a: >+\n  x\n\n",
        "a: |2\n    indented\n",
        "a: []\nb: {}\nc: [{}, []]\n",
        "- {a: 1, b: [2, {c: 3}]}\n- [x, y]\n",
        "'a b': 1\n\"c\\td\": 2\n",
        "a: 'it''s'\nb: \"line\\nbreak\"\n",
        "a: b # comment\n# end\n",
        "a:\n- b\n- c\n",
        "? a\n: b\n",
        "a: !!int 1\n",
        "a: 9223372036854775807\nb: -9223372036854775808\nc: 18446744073709551615\n",
        "a: true\nTrue: 1\n",
        "a: -\n",
        "a: - b\n",
        "a: b: c\n",
        "key: value\n---\nother: doc\n",
        "a: 1\n...\n",
    ] {
        agrees(doc, "an agreement case");
    }
    // The values the fast reading builds, spelled out.
    assert_eq!(
        yaml::fast("a: yes\nb: 500m\nc: -7\nd: \"8\"\ne:\nf: 18446744073709551\n"),
        Some(
            json!({"a": true, "b": "500m", "c": -7, "d": "8", "e": null, "f": 18446744073709551u64})
        )
    );
}

#[test]
fn deep_and_large_documents_are_left_to_serde_saphyrs_budget() {
    // Deeper than the fast reading goes but within serde-saphyr's depth: read, the same.
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    assert!(!agrees(&deep(50), "50 levels"));
    assert!(yaml::slow(&deep(50)).is_ok());
    // Past serde-saphyr's budget: its error, which the fast reading must not pre-empt.
    assert!(!agrees(&deep(300), "300 levels"));
    assert!(yaml::from_str(&deep(300)).is_err());
    // More nodes than the fast reading takes: left to serde-saphyr, the same value.
    let many = format!("[{}]", vec!["1"; 120_000].join(","));
    assert!(!agrees(&many, "120,000 items"));
    let some = format!("[{}]", vec!["1"; 20_000].join(","));
    assert!(agrees(&some, "20,000 items"));
    assert_eq!(
        yaml::fast(&some).unwrap(),
        Value::Array(vec![json!(1); 20_000])
    );
}

/// The fast path reads serde-saphyr's own parser with the options serde-saphyr derives from its
/// defaults, and keeps well inside its budget (depth 48 of 64, 100,000 nodes of 250,000,
/// 400,000 events of a million): it was checked against these values (serde-saphyr 2.2). An
/// update that changes them fails here; check the fast path against the tests above before
/// moving the numbers.
#[test]
fn serde_saphyrs_defaults_are_those_the_fast_path_was_checked_against() {
    let o = serde_saphyr::Options::default();
    assert!(o.emit_comments, "comments are read");
    assert!(!o.strict_indentation, "indentation is lenient");
    assert!(!o.bom_inside_document_as_content);
    let b = o.budget.unwrap_or_default();
    assert_eq!(
        (
            b.max_depth,
            b.max_nodes,
            b.max_events,
            b.simple_key_max_lookahead,
            b.flow_nesting_limit,
            b.max_buffered_comment_events
        ),
        (64, 250_000, 1_000_000, 1024, 255, 32)
    );
}
