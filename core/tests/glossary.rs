//! The Khmer glossary (`message::glossary`) held to every file that holds Khmer: the messages,
//! the documents' words, the policies' Khmer, the chart's alerts. A variant of a term is
//! refused with the file and line; a term whose form is nowhere is a stale glossary.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use govkh_core::message::glossary::GLOSSARY;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every source file under `dir` ending in one of `exts`, recursively.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, exts, out);
        } else if exts.iter().any(|x| p.extension().is_some_and(|e| e == *x)) {
            out.push(p);
        }
    }
}

fn khmer_files() -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    files(&root().join("core/src"), &["rs"], &mut paths);
    files(&root().join("operator/src"), &["rs"], &mut paths);
    files(&root().join("policies"), &["rego"], &mut paths);
    files(
        &root().join("charts/govkh/templates"),
        &["yaml"],
        &mut paths,
    );
    paths
        .into_iter()
        .filter(|p| !p.ends_with("glossary.rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .filter(|(_, t)| t.chars().any(|c| ('\u{1780}'..='\u{17ff}').contains(&c)))
        .collect()
}

#[test]
fn every_khmer_text_writes_each_term_in_its_one_form() {
    let files = khmer_files();
    assert!(files.len() >= 20, "{} files with Khmer", files.len());
    let mut wrong = Vec::new();
    for (path, text) in &files {
        for (n, line) in text.lines().enumerate() {
            for term in GLOSSARY {
                for variant in term.not {
                    if line.contains(variant) {
                        wrong.push(format!(
                            "{}:{}: «{variant}» for \"{}\" — write «{}»",
                            path.strip_prefix(root()).unwrap_or(path).display(),
                            n + 1,
                            term.en,
                            term.km
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_term_of_the_glossary_is_in_use_and_no_variant_is_its_own_form() {
    let all: String = khmer_files().into_iter().map(|(_, t)| t).collect();
    for term in GLOSSARY {
        assert!(
            all.contains(term.km),
            "«{}» ({}) is written nowhere",
            term.km,
            term.en
        );
        for v in term.not {
            assert!(
                !term.km.contains(v),
                "{}: its form contains the variant «{v}»",
                term.en
            );
        }
    }
}

/// An English abbreviation in a Khmer sentence reads as a word the reader must guess: "DTU"
/// touching Khmer text (not in parentheses after the Khmer term, not in a document number like
/// `MEF/DTU/2026/041`) is refused; the glossary's Khmer term is written instead.
#[test]
fn no_khmer_sentence_says_dtu() {
    let khmer = |c: char| ('\u{1780}'..='\u{17ff}').contains(&c);
    let mut wrong = Vec::new();
    for (path, text) in khmer_files() {
        for (n, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("DTU") {
                let before = line[..at].trim_end().chars().next_back();
                let after = line[at + 3..].trim_start().chars().next();
                if before.is_some_and(khmer) || after.is_some_and(khmer) {
                    wrong.push(format!(
                        "{}:{}",
                        path.strip_prefix(root()).unwrap_or(&path).display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "write «អង្គភាពផ្លាស់ប្តូរឌីជីថល» for DTU in Khmer: {}",
        wrong.join(", ")
    );
}
