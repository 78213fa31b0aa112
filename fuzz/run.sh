#!/usr/bin/env bash
# Run each fuzz target for SECONDS (default 30) with cargo-fuzz (libFuzzer, AddressSanitizer)
# on the nightly toolchain. Inputs that reach new code are added to fuzz/corpus/<target>/;
# minimise with `cargo +nightly fuzz cmin <target>` before committing them. A crash leaves its
# input in fuzz/artifacts/<target>/: copy it into the corpus with the fix, and
# tests/fuzz_corpus.rs replays it on stable from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in load validate admission report; do
  echo "== fuzz $target for ${secs}s"
  cargo +nightly fuzz run "$target" -- -max_total_time="$secs" -rss_limit_mb=4096 \
    -max_len=65536 -timeout=20
done
