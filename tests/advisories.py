#!/usr/bin/env python3
"""vendor/advisories.py on a made-up advisory database: an advisory that applies to the vendored
regorus fails it (exit 1, named), one patched or withdrawn does not, and Cargo's requirement
forms read as Cargo reads them. (The real database is fetched by CI where it can be reached.)"""
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "vendor"))
import advisories  # noqa: E402

failed = 0
total = 0


def check(what, ok):
    global failed, total
    total += 1
    print(f"test advisories::{what} ... {'ok' if ok else 'FAILED'}")
    failed += 0 if ok else 1


def advisory(db, name, body):
    d = db / "crates" / "regorus"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.md").write_text(f"```toml\n[advisory]\nid = \"{name}\"\npackage = \"regorus\"\n"
                                  f"title = \"a made-up flaw\"\n{body}\n```\n\n# Text\n")


def run(db):
    return subprocess.run([sys.executable, str(ROOT / "vendor/advisories.py"), "--db", str(db)],
                          capture_output=True, text=True)


for version, requirement, expected in [
    ("0.14.1", ">= 0.14.2", False), ("0.14.1", ">= 0.14.1", True), ("0.14.1", "^0.14.0", True),
    ("0.14.1", "^0.13.5", False), ("0.14.1", "~0.14", True), ("0.14.1", "< 0.14.0", False),
    ("0.14.1", ">= 0.13.0, < 0.15", True), ("0.14.1", "=0.14.1", True), ("0.0.3", "^0.0.3", True),
    ("0.0.4", "^0.0.3", False), ("1.4.0", "^1.2", True), ("2.0.0", "^1.2", False),
]:
    check(f"requirement {requirement!r} of {version} is {expected}",
          advisories.matches(version, requirement) == expected)

with tempfile.TemporaryDirectory() as tmp:
    db = Path(tmp)
    (db / "crates").mkdir()
    r = run(db)
    check("an empty database passes", r.returncode == 0 and "none applies" in r.stdout)
    advisory(db, "RUSTSEC-2099-0001", '[versions]\npatched = [">= 0.14.1"]')
    advisory(db, "RUSTSEC-2099-0002", 'withdrawn = "2099-01-02"\n[versions]\npatched = [">= 9.0.0"]')
    r = run(db)
    check("patched and withdrawn advisories pass", r.returncode == 0)
    advisory(db, "RUSTSEC-2099-0003", '[versions]\npatched = [">= 0.14.2"]\nunaffected = ["< 0.10.0"]')
    r = run(db)
    check("an advisory applying to regorus 0.14.1 fails, named",
          r.returncode == 1 and "RUSTSEC-2099-0003 (regorus 0.14.1)" in r.stderr
          and "RUSTSEC-2099-0001" not in r.stderr)
    bad = Path(tmp) / "bad"
    (bad / "crates" / "regorus").mkdir(parents=True)
    (bad / "crates" / "regorus" / "RUSTSEC-2099-0009.md").write_text(
        '```toml\n[advisory]\nid = "RUSTSEC-2099-0009"\n[versions]\npatched = ["about 0.15"]\n```\n')
    r = run(bad)
    check("an advisory it cannot read is no verdict (exit 2), named",
          r.returncode == 2 and "RUSTSEC-2099-0009.md" in r.stderr and "Traceback" not in r.stderr)
    r = run(db / "nowhere")
    check("no database is no verdict (exit 2)", r.returncode == 2 and "not the RustSec database" in r.stderr)

print(f"test result: {'ok' if failed == 0 else 'FAILED'}. {total - failed} passed; {failed} failed")
sys.exit(1 if failed else 0)
