#!/usr/bin/env bash
# Run each fuzz target for SECONDS (default 30) with cargo-fuzz (libFuzzer). With a nightly
# toolchain installed, on it with AddressSanitizer; otherwise on the default (stable) toolchain
# with no sanitizer (`--sanitizer none`: cargo-fuzz needs nightly only for the sanitizers, and
# govkh has no unsafe code for one to watch: what is looked for is a panic, an abort, a hang or
# runaway memory, which libFuzzer catches either way). Inputs that reach new code are added to
# fuzz/corpus/<target>/; minimise with `cargo fuzz cmin <target>` before committing them. A
# crash leaves its input in fuzz/artifacts/<target>/: copy it into the corpus with the fix, and
# operator/tests/fuzz_corpus.rs replays it on stable from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# Asked of rustup's list, not by running `cargo +nightly`: a missing toolchain is never fetched.
if command -v rustup >/dev/null && rustup toolchain list | grep -c '^nightly' >/dev/null; then
  toolchain=(+nightly)
  sanitizer=address
else
  toolchain=()
  sanitizer=none
fi
echo "fuzzing with ${toolchain[*]:-the default toolchain}, sanitizer: $sanitizer"
for target in load validate admission report; do
  echo "== fuzz $target for ${secs}s"
  cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$target" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -max_len=65536 -timeout=20
done
