# bench/lib.sh: shared pieces of the benchmark scripts (sourced).
# Starts what a benchmark needs on loopback and measures with wrk; every
# figure is reported next to a baseline measured in the same invocation.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_TMP=$(mktemp -d /tmp/gh-bench.XXXXXX)
chmod 755 "$BENCH_TMP"
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for f in "$BENCH_TMP"/nginx-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$BENCH_TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# start_gatehouse VAR: starts build/gatehouse on a throwaway cluster; sets
# GH_PORT and GH_URL. Rate limits off, or $BENCH_RATE_LIMITS.
start_gatehouse() {
  export GATEHOUSE_PG_DIR="$ROOT/var/bench-pg" GATEHOUSE_PG_FAST=1
  "$ROOT/scripts/pg.sh" start >/dev/null
  GH_DB_URL=$("$ROOT/scripts/pg.sh" url)
  GH_PORT=$(free_port)
  DATABASE_URL="$GH_DB_URL" GATEHOUSE_LISTEN="127.0.0.1:$GH_PORT" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" \
    GATEHOUSE_RATE_LIMITS="${BENCH_RATE_LIMITS:-off}" "$ROOT/build/gatehouse" serve 2>"$BENCH_TMP/gatehouse.log" &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GH_PORT/healthz" >/dev/null && break; sleep 0.1; done
  GH_URL="http://127.0.0.1:$GH_PORT"
}

# nginx_up NAME HTTP_BODY: starts nginx with the settings every benchmark
# shares (workers = cores, no access log, unlimited keep-alive, pid, logs and
# temp files under $BENCH_TMP) and HTTP_BODY inside its http {} block; waits
# for nothing (callers poll their own URL). cleanup stops it.
nginx_up() {
  local name=$1 body=$2
  cat >"$BENCH_TMP/nginx-$name.conf" <<NGX
worker_processes auto;
pid $BENCH_TMP/nginx-$name.pid;
error_log $BENCH_TMP/nginx-$name-error.log;
daemon on;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $BENCH_TMP/ngx-body; proxy_temp_path $BENCH_TMP/ngx-proxy;
  fastcgi_temp_path $BENCH_TMP/ngx-fcgi; uwsgi_temp_path $BENCH_TMP/ngx-uwsgi; scgi_temp_path $BENCH_TMP/ngx-scgi;
$body
}
NGX
  nginx -c "$BENCH_TMP/nginx-$name.conf" -e "$BENCH_TMP/nginx-$name-error.log"
}
# nginx_workers NAME: the worker processes of nginx NAME.
nginx_workers() { pgrep -P "$(cat "$BENCH_TMP/nginx-$1.pid")" | tr '\n' ' '; }

# start_nginx: nginx returning a fixed tiny JSON body with keep-alive; sets
# NGINX_URL.
start_nginx() {
  local port; port=$(free_port)
  nginx_up plain "  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; return 200 '{\"status\":\"ok\"}'; }
  }"
  NGINX_URL="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -sf "$NGINX_URL/" >/dev/null && break; sleep 0.1; done
}

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
