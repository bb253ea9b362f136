#!/usr/bin/env bash
# bench/run.sh: every benchmark, one after the other (see README.md).
set -euo pipefail
cd "$(dirname "$0")"
for b in healthz.sh; do
  echo "=== $b"
  ./"$b"
done
