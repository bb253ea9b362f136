#!/usr/bin/env bash
# fuzz/run.sh — runs every fuzz target in DIR for SECONDS each: first the
# saved regressions (fuzz/regressions/<target>/, inputs that once crashed;
# they must pass now), then fuzzing from the seed corpus (fuzz/corpus/<target>/).
# New corpus entries go to a scratch directory, not into the repository;
# a crash is left in build-fuzz/artifacts/ and fails the run — copy it to
# fuzz/regressions/<target>/ once fixed.
#
# Usage: fuzz/run.sh DIR SECONDS
set -euo pipefail
DIR="$1"
SECONDS_EACH="$2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ART="$ROOT/build-fuzz/artifacts"
mkdir -p "$ART"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for bin in "$DIR"/fuzz_*; do
    name="$(basename "$bin")"
    reg="$ROOT/fuzz/regressions/$name"
    if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
        echo "== $name: regressions"
        "$bin" "$reg"/* >"$SCRATCH/$name.reg.log" 2>&1 || { cat "$SCRATCH/$name.reg.log"; status=1; continue; }
    fi
    echo "== $name: ${SECONDS_EACH}s"
    mkdir -p "$SCRATCH/$name"
    if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
            -print_final_stats=1 -artifact_prefix="$ART/$name-" \
            "$SCRATCH/$name" "$ROOT/fuzz/corpus/$name" >"$SCRATCH/$name.log" 2>&1; then
        tail -60 "$SCRATCH/$name.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$SCRATCH/$name.log" | tail -2
    fi
done
exit $status
