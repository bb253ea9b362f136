#!/usr/bin/env bash
# bench/run.sh: every benchmark, one after the other (see README.md).
set -euo pipefail
cd "$(dirname "$0")"
for b in healthz.sh me.sh ratelimit.sh usage_xact.sh rls_read.sh peer_better_auth.sh keycache_memory.sh login.sh tls.sh cluster.sh webhooks.sh; do
  echo "=== $b"
  ./"$b"
done
