//! Walking what the user named: files, directories (recursive, bounded in depth and count, links
//! not followed out of the tree) and `-` for standard input, each file read whole within its
//! size limit.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use super::*;

/// Deepest directory nesting read below a path named on the command line.
pub const MAX_DEPTH: usize = 32;

/// Most files read in one run.
pub const MAX_FILES: usize = 100_000;

/// One walk of the paths named on the command line: each real directory is visited once (a
/// symbolic link back up the tree is not followed again), at most `MAX_DEPTH` deep, at most
/// `MAX_FILES` files.
#[derive(Default)]
pub(crate) struct Walk {
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
pub(crate) enum Step {
    /// Read and parse this file (shown as the `String`); `-` is standard input.
    File(PathBuf, String),
    /// A problem found while walking.
    Problem(LoadError),
}

/// Standard input's text, read through the file cap.
pub(crate) fn read_stdin(stdin: &mut dyn Read) -> Result<String, LoadError> {
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

pub(crate) fn file_error(file: &str, message: String) -> LoadError {
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

pub(crate) fn is_manifest(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
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

impl Loader {
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

    pub(crate) fn walk_path(&self, path: &Path, depth: usize, walk: &mut Walk) {
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
    pub(crate) fn load_file(&self, path: &Path, shown: &str) -> LoadResult {
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
}
