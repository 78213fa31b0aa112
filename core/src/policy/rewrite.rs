//! The Rego rewriter that lets users' policies call the library's helpers: renames identifiers
//! and references to `data.lib` so a user's package and the built-in one cannot collide.

use super::*;

/// The package of the helpers every policy may import (`import data.govkh.lib`).
pub(crate) const LIB_PACKAGE: &str = "govkh.lib";

/// Rewrite the identifiers of Rego `text` outside strings and comments: `rename(previous,
/// ident)` gives the replacement of an identifier preceded by `previous` (the character before
/// it, or a space at the start), or None to keep it.
pub(crate) fn rename_idents(text: &str, rename: impl Fn(char, &str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut previous = ' ';
    while let Some(&c) = chars.get(i) {
        if c == '#' {
            while let Some(&c) = chars.get(i) {
                if c == '\n' {
                    break;
                }
                out.push(c);
                i += 1;
            }
            continue;
        }
        if c == '"' || c == '`' {
            out.push(c);
            i += 1;
            while let Some(&d) = chars.get(i) {
                out.push(d);
                i += 1;
                if d == '\\' && c == '"' {
                    if let Some(&e) = chars.get(i) {
                        out.push(e);
                        i += 1;
                    }
                } else if d == c {
                    break;
                }
            }
            previous = c;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            match rename(previous, &ident) {
                Some(r) => out.push_str(&r),
                None => out.push_str(&ident),
            }
            previous = chars[i - 1];
            continue;
        }
        out.push(c);
        previous = c;
        i += 1;
    }
    out
}

/// The rule names a Rego module defines at its top level (lines starting with a name).
pub(crate) fn rule_names(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("default ").unwrap_or(l);
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let first = name.chars().next()?;
            (first.is_ascii_alphabetic() && !["package", "import"].contains(&name.as_str()))
                .then_some(name)
        })
        .collect()
}

/// How a loaded policy reaches the shared helpers (`govkh.lib`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Helpers {
    /// As written: `import data.govkh.lib` and `lib.x`. regorus resolves such an alias into
    /// another package slowly (about 48 µs per policy and object, the whole cost of a small
    /// policy).
    AsWritten,
    /// `lib.x` written `data.govkh.lib.x` (the import dropped): the same rules, shared by
    /// every policy of an evaluation, reached by their full path.
    Qualified,
    /// The helpers copied into each policy that imports them, renamed `lib_x`.
    Copied,
}

/// The policies with their references to the shared helpers rewritten as `how` says
/// (`Helpers::AsWritten` changes nothing). Only `lib.<name>` references outside strings and
/// comments are rewritten, and each policy's lines keep their numbers (copies are appended). A
/// policy that reaches the helpers any other way, names one they do not define, or already
/// uses `lib_` names, is left as written; the helpers' own package stays loaded.
pub fn rewrite_helpers(sources: &[SourceFile], how: Helpers) -> Vec<SourceFile> {
    let lib = sources.iter().find(|s| {
        !is_test(&s.path)
            && s.text
                .lines()
                .any(|l| l.trim() == format!("package {LIB_PACKAGE}"))
    });
    let (Some(lib), false) = (lib, how == Helpers::AsWritten) else {
        return sources.to_vec();
    };
    let names = rule_names(&lib.text);
    let body: String = lib
        .text
        .lines()
        .filter(|l| !l.trim_start().starts_with("package "))
        .collect::<Vec<_>>()
        .join("\n");
    let body = rename_idents(&body, |previous, ident| {
        (previous != '.' && names.contains(ident)).then(|| format!("lib_{ident}"))
    });
    let prefix = match how {
        Helpers::Copied => "lib_".to_string(),
        _ => format!("data.{LIB_PACKAGE}."),
    };
    let import = format!("import data.{LIB_PACKAGE}");
    sources
        .iter()
        .map(|s| {
            let imports = s.text.lines().filter(|l| l.trim() == import).count() == 1;
            if is_test(&s.path)
                || !s.path.ends_with("policy.rego")
                || !imports
                || s.text.contains("lib_")
                || s.text.matches(&format!("data.{LIB_PACKAGE}")).count() != 1
            {
                return s.clone();
            }
            let mut rewritten = String::with_capacity(s.text.len() + body.len() + 64);
            let mut ok = true;
            for line in s.text.lines() {
                if line.trim() == import {
                    // The line stays, empty: the policy's lines keep their numbers.
                    rewritten.push('\n');
                    continue;
                }
                rewritten.push_str(&rewrite_lib_refs(line, &names, &prefix, &mut ok));
                rewritten.push('\n');
            }
            if !ok {
                return s.clone();
            }
            if how == Helpers::Copied {
                rewritten.push_str("\n# govkh.lib, copied in (lib.x is lib_x)\n");
                rewritten.push_str(&body);
                rewritten.push('\n');
            }
            SourceFile {
                path: s.path.clone(),
                text: rewritten,
            }
        })
        .collect()
}

/// `line` with each `lib.<name>` written `<prefix><name>`; `ok` turns false on a `lib.`
/// reference to a name the helpers do not define (left for regorus to report as written).
pub(crate) fn rewrite_lib_refs(
    line: &str,
    names: &std::collections::BTreeSet<String>,
    prefix: &str,
    ok: &mut bool,
) -> String {
    let marked = rename_idents(line, |previous, ident| {
        (previous != '.' && ident == "lib").then(|| "\u{0}".to_string())
    });
    let mut out = String::with_capacity(line.len());
    let mut parts = marked.split('\u{0}');
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        let Some(rest) = part.strip_prefix('.') else {
            *ok = false;
            out.push_str("lib");
            out.push_str(part);
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !names.contains(&name) {
            *ok = false;
        }
        out.push_str(prefix);
        out.push_str(rest);
    }
    out
}
