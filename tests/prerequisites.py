#!/usr/bin/env python3
"""What the README's test command needs is what the README says it needs.

`bash tests/all.sh` must work on a fresh machine with only what the README names. This check
reads three things and holds them to each other:

- the README's list of what a fresh machine needs (the line after "On a fresh machine");
- tests/all.sh's PACKAGES (the Debian packages it checks for, and installs when it may);
- every external program the suites run: `Command::new("...")` in the Rust tests,
  `subprocess.run(["..."` in tests/*.py, and the commands of the shell scripts the suites call
  (controlplane/*.sh, tests/all.sh).

A program the suites run must be built by them (kubectl, kube-apiserver, etcd, govkh), be part
of the base system every Debian has (coreutils, bash, grep, sed, awk, procps's kill), come with a
tool the README names (cargo, go, python3), or be in tests/all.sh's PACKAGES — and every package
there must be named by the README. A new dependency that nobody wrote down fails here, not on a
newcomer's machine ten minutes into the run.

Prints one line per test and a summary in the form cargo prints, and exits 1 on any failure.
"""

import os
import re
import sys

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the suites build themselves (controlplane/, cargo).
BUILT = {"kubectl", "kube-apiserver", "kube-controller-manager", "etcd", "govkh"}
# What every Debian has (essential packages: coreutils, bash, grep, sed, gawk/mawk, findutils,
# util-linux, procps's kill is in procps but `kill` is a bash builtin too).
BASE = {
    "bash", "sh", "env", "cat", "cp", "mv", "rm", "mkdir", "mktemp", "ln", "ls", "chmod",
    "head", "tail", "cut", "sort", "uniq", "tee", "tr", "wc", "seq", "sleep", "date", "dirname",
    "basename", "readlink", "realpath", "printf", "echo", "true", "false", "test", "kill",
    "nohup", "sha256sum", "grep", "sed", "awk", "find", "xargs", "id", "uname", "timeout",
}
# What comes with the tools the README names.
NAMED_TOOLS = {"cargo", "rustc", "go", "python3", "pip"}
# What tests/all.sh uses only when present (to install missing packages), never needs.
OPTIONAL = {"sudo", "apt-get"}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def readme_prerequisites():
    """The README's fresh-machine paragraph, lower-cased, its lines joined."""
    text = read("README.md")
    start = text.index("On a fresh machine")
    return " ".join(text[start:text.index("```", start)].lower().split())


def packages():
    """tests/all.sh's PACKAGES: {command: package}."""
    text = read("tests/all.sh")
    block = text[text.index("PACKAGES=("):]
    block = block[:block.index("\n)")]
    return dict(re.findall(r'"([a-z0-9_-]+):([a-z0-9.+-]+)"', block))


def programs_run():
    """Every external program the suites run, with where."""
    found = {}
    for base, _, files in os.walk(os.path.join(ROOT, "operator", "tests")):
        for f in files:
            if f.endswith(".rs"):
                path = os.path.join(base, f)
                for name in re.findall(r'Command::new\("([^"]+)"\)', open(path, encoding="utf-8").read()):
                    found.setdefault(name, os.path.relpath(path, ROOT))
    for base, _, files in os.walk(os.path.join(ROOT, "core", "tests")):
        for f in files:
            if f.endswith(".rs"):
                path = os.path.join(base, f)
                for name in re.findall(r'Command::new\("([^"]+)"\)', open(path, encoding="utf-8").read()):
                    found.setdefault(name, os.path.relpath(path, ROOT))
    for f in sorted(os.listdir(os.path.join(ROOT, "tests"))):
        if f.endswith(".py") and f != "prerequisites.py":
            for name in re.findall(r'subprocess\.\w+\(\s*\[\s*"([^"]+)"', read(os.path.join("tests", f))):
                found.setdefault(name, f"tests/{f}")
    # The shell scripts: the first word of each command (after `|`, `&&`, `$(`, a line start),
    # of the words that name a program (not a builtin, keyword, variable or function).
    for script in ["tests/all.sh"] + sorted(
        os.path.join("controlplane", f) for f in os.listdir(os.path.join(ROOT, "controlplane")) if f.endswith(".sh")
    ):
        text = read(script)
        functions = set(re.findall(r"^\s*([a-z_][a-z0-9_]*)\s*\(\)", text, re.M))
        for line in code_lines(text):
            for m in re.finditer(r"(?:^|\||&&|\$\(|;|\bthen\b|\bdo\b|\belse\b)\s*([a-z][a-z0-9_.-]*)(?=\s|$)", line):
                word = m.group(1)
                if word in functions or word in SHELL_WORDS:
                    continue
                found.setdefault(word, script)
    return found


def code_lines(text):
    """The lines of a shell script that are commands: without comments, here-documents (another
    program's text) or quoted text (words, or another program's: `python3 -c '...'`), which may
    run over several lines. A heuristic for the project's own scripts, not a shell parser."""
    kept, heredoc = [], None
    for line in text.splitlines():
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        opened = re.search(r"<<-?\s*['\"]?([A-Za-z_]+)['\"]?", line)
        if opened:
            heredoc = opened.group(1)
        if line.lstrip().startswith("#"):
            continue
        # An inline comment: a ` #` with the quotes before it balanced.
        for m in re.finditer(r"\s#", line):
            head = line[: m.start()]
            if head.count("'") % 2 == 0 and head.count('"') % 2 == 0:
                line = head
                break
        kept.append(line)
    code = "\n".join(kept)
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', code)
    code = re.sub(r"'[^']*'", "''", code)
    return code.splitlines()


SHELL_WORDS = {
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "function", "return", "exit", "local", "export", "set", "unset", "shift", "trap",
    "wait", "read", "cd", "source", "exec", "eval", "break", "continue", "command", "declare",
    "mapfile", "type", "builtin", "pwd", "umask", "disown", "jobs", "let", "shopt", "getopts",
}


def test_every_package_all_sh_needs_is_named_by_the_readme():
    named = readme_prerequisites()
    absent = [p for p in sorted(set(packages().values())) if p not in named]
    assert not absent, f"README.md does not name {absent}, which tests/all.sh needs"
    for tool in ("rust", "go 1.26", "python 3", "pip"):
        assert tool in named, f"README.md does not name {tool}"


def test_every_program_the_suites_run_is_accounted_for():
    pkgs = packages()
    unaccounted = {
        name: where
        for name, where in programs_run().items()
        if name not in BUILT | BASE | NAMED_TOOLS | OPTIONAL and name not in pkgs
    }
    assert not unaccounted, (
        "programs the suites run that the README and tests/all.sh do not account for "
        f"(add them to tests/all.sh's PACKAGES and the README): {unaccounted}"
    )


def test_the_check_would_see_a_program_nobody_wrote_down():
    # The scan is not vacuous: it finds what the suites are known to run.
    found = programs_run()
    for known in ("haproxy", "openssl", "curl", "go", "kubectl"):
        assert known in found, f"the scan missed {known}: {sorted(found)}"


def main():
    return harness.run("prerequisites", globals())


if __name__ == "__main__":
    sys.exit(main())
