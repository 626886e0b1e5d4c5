#!/usr/bin/env bash
# Run every libFuzzer target for a bounded time (CI: a few seconds each; by hand: longer),
# starting from its checked-in corpus. New inputs go to a scratch directory, so the corpus in
# the repository stays as it is. Usage: run_bounded.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1
seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for target in "$build"/tests/fuzz/fuzz_*; do
  name=$(basename "$target")
  case "$name" in *_replay) continue ;; esac
  [ -x "$target" ] || continue
  corpus="$here/corpus/${name#fuzz_}"
  scratch=$(mktemp -d)
  echo "== $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -malloc_limit_mb=256 -artifact_prefix="$scratch/" \
      "$scratch" "$corpus" > "$scratch/log" 2>&1; then
    echo "$name failed:"; tail -40 "$scratch/log"; status=1
  else
    grep -E "^#[0-9]+.*DONE" "$scratch/log" | tail -1 || tail -2 "$scratch/log"
  fi
  rm -rf "$scratch"
done
exit $status
