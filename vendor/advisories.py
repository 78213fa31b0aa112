#!/usr/bin/env python3
"""RustSec advisories for the crates govkh vendors (vendor/regorus): cargo-audit reads
Cargo.lock, where a path dependency has no version it can match, so a fork is invisible to it.
This reads the RustSec advisory database (github.com/rustsec/advisory-db: crates/<name>/*.md,
TOML front matter) and exits 1, naming each advisory, when one applies to a vendored version.

  vendor/advisories.py [--db DIR]    # a checkout of the database; else it is cloned (git)

Exit 0: none applies. 1: one or more apply (each named). 2: the database could not be read
(said out loud: no database, no verdict). `.ci/run` fails on 1; on 2 it says the check was not
made, and fails too when GOVKH_ADVISORIES=require (set it where github.com can be reached).
Its logic is tested on a made-up database by tests/advisories.py."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

DB_URL = "https://github.com/rustsec/advisory-db"
VENDORED = {"regorus": "0.14.1"}


def parse_version(text):
    """`1.2.3` (pre-release and build parts ignored) as a tuple; a missing part is 0."""
    core = re.split(r"[-+]", text.strip())[0]
    parts = [int(p) for p in core.split(".")]
    return tuple((parts + [0, 0, 0])[:3])


def matches(version, requirement):
    """Whether `version` meets a Cargo requirement (`>= 0.14.2`, `^0.13.5`, `< 0.2, >= 0.1`)."""
    v = parse_version(version)
    for comparator in requirement.split(","):
        comparator = comparator.strip()
        m = re.fullmatch(r"(>=|<=|>|<|=|\^|~)?\s*([0-9][0-9A-Za-z.+-]*)", comparator)
        if not m:
            raise ValueError(f"unreadable version requirement {comparator!r}")
        op, bound_text = m.group(1) or "^", m.group(2)
        bound = parse_version(bound_text)
        given = len(bound_text.split("."))
        if op in ("^", "~"):
            ok = bound <= v < upper_bound(op, bound, given)
        else:
            ok = {">=": v >= bound, "<=": v <= bound, ">": v > bound, "<": v < bound, "=": v == bound}[op]
        if not ok:
            return False
    return True


def upper_bound(op, bound, given):
    """The first version a caret (`^`, Cargo's default) or tilde requirement excludes."""
    major, minor, patch = bound
    if op == "~":
        return (major, minor + 1, 0) if given >= 2 else (major + 1, 0, 0)
    if major > 0 or given == 1:
        return (major + 1, 0, 0)
    if minor > 0 or given == 2:
        return (0, minor + 1, 0)
    return (0, 0, patch + 1)


def front_matter(path):
    """The TOML between the ```toml fence at the top of an advisory."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r"```toml\n(.*?)\n```", text, re.S)
    if not m:
        raise ValueError(f"{path}: no TOML front matter")
    try:
        return tomllib.loads(m.group(1))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: {e}") from e


def applying(db, crate, version):
    """The advisories of `crate` in `db` that apply to `version`: not withdrawn, and neither
    patched nor unaffected there."""
    found = []
    for path in sorted((db / "crates" / crate).glob("*.md")):
        data = front_matter(path)
        advisory, versions = data.get("advisory", {}), data.get("versions", {})
        if advisory.get("withdrawn"):
            continue
        safe = versions.get("patched", []) + versions.get("unaffected", [])
        try:
            unsafe = not any(matches(version, r) for r in safe)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e
        if unsafe:
            found.append(f"{advisory.get('id', path.stem)} ({crate} {version}): {advisory.get('title', '')}".rstrip(": "))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a checkout of the RustSec advisory database")
    args = parser.parse_args()
    db = args.db
    with tempfile.TemporaryDirectory() as tmp:
        if db is None:
            db = Path(tmp) / "advisory-db"
            clone = subprocess.run(["git", "clone", "--quiet", "--depth", "1", DB_URL, str(db)],
                                   capture_output=True, text=True, timeout=300)
            if clone.returncode != 0:
                print(f"advisories: cannot read the RustSec database ({DB_URL}): "
                      f"{clone.stderr.strip().splitlines()[-1] if clone.stderr.strip() else 'git failed'}; "
                      f"the vendored {', '.join(VENDORED)} were NOT checked", file=sys.stderr)
                return 2
        if not (db / "crates").is_dir():
            print(f"advisories: {db} is not the RustSec database (no crates/)", file=sys.stderr)
            return 2
        try:
            found = [a for crate, version in VENDORED.items() for a in applying(db, crate, version)]
        except (ValueError, OSError, tomllib.TOMLDecodeError) as e:
            # An advisory it cannot read is no verdict either: said, never taken as "none applies".
            print(f"advisories: cannot read the database at {db}: {e}", file=sys.stderr)
            return 2
    for a in found:
        print(f"advisory applies to a vendored crate: {a}", file=sys.stderr)
    if not found:
        print(f"advisories: none applies to {', '.join(f'{c} {v}' for c, v in VENDORED.items())}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
