#!/usr/bin/env bash
# bench/keycache_memory.sh: resident bytes per cached API key and single-thread
# lookups per second of the key cache (bench/keycache_memory.c), 1 000 000
# entries (BENCH_KEYCACHE_ENTRIES). Target: <= 256 B per key.
# Built with the Makefile's own CFLAGS and LDLIBS against build/libgatehouse.a.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/gh-bench-kc.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
make -s -C "$ROOT" build/libgatehouse.a >/dev/null
mkvar() { make -s -C "$ROOT" --no-print-directory --eval "print-$1: ; @echo \$($1)" "print-$1"; }
CFLAGS=$(mkvar CFLAGS); LDLIBS=$(mkvar LDLIBS); CC=$(mkvar CC)
(cd "$ROOT" && $CC $CFLAGS -o "$TMP/keycache_memory" bench/keycache_memory.c build/libgatehouse.a $LDLIBS)
echo "key cache, ${BENCH_KEYCACHE_ENTRIES:-1000000} entries"
timeout 300 "$TMP/keycache_memory" "${BENCH_KEYCACHE_ENTRIES:-1000000}"
