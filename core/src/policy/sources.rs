//! Where policies come from: the built-in library embedded at build time, and users' directories
//! (`--policies DIR`), read as files with their paths, tests apart.

use std::path::{Path, PathBuf};

use super::*;

pub(crate) mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// A Rego source file: path (for messages) and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Path shown in messages.
    pub path: String,
    /// Rego text.
    pub text: String,
}

/// The built-in library's files.
pub fn builtin_sources() -> Vec<SourceFile> {
    builtin::BUILTIN
        .iter()
        .map(|(p, t)| SourceFile {
            path: format!("policies/{p}"),
            text: (*t).to_string(),
        })
        .collect()
}

/// Every `.rego` file below `dir`, in path order.
pub fn dir_sources(dir: &Path) -> Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    collect(dir, &mut std::collections::HashSet::new(), &mut files)?;
    // A policy directory with nothing in it would silently apply nothing.
    if !files.iter().any(|p| !is_test(&p.display().to_string())) {
        return Err(Error::Metadata {
            file: dir.display().to_string(),
            message:
                "holds no policy (.rego file other than *_test.rego): nothing would be applied"
                    .into(),
        });
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let path = p.display().to_string();
            std::fs::read_to_string(&p)
                .map(|text| SourceFile {
                    path: path.clone(),
                    text,
                })
                .map_err(|source| Error::Read { file: path, source })
        })
        .collect()
}

pub(crate) fn collect(
    dir: &Path,
    visited: &mut std::collections::HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    // Each real directory once: a link back up the tree is no loop.
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(real) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        file: dir.display().to_string(),
        source,
    })?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, visited, out)?;
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p);
        }
    }
    Ok(())
}

pub(crate) fn is_test(path: &str) -> bool {
    path.ends_with("_test.rego")
}
