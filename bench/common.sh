# bench/common.sh: helpers shared by the API-key benchmarks (sourced after
# lib.sh): a signed-up org with an API key, a second Gatehouse on another
# database of the same throwaway cluster, psql/pgbench as the superuser,
# wrk with the p99 kept in milliseconds, CPU accounting from /proc.
PGBIN=/usr/lib/postgresql/15/bin

# pg_sock / pg_pass: the throwaway cluster's socket directory and superuser
# password (valid after start_gatehouse).
pg_sock() { cat "$GATEHOUSE_PG_DIR/socket_dir"; }
pg_pass() { cat "$GATEHOUSE_PG_DIR/superuser.password"; }
pg_psql() { PGPASSWORD=$(pg_pass) PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_sock)" -U postgres "$@"; }

# pg_ensure_db NAME: creates database NAME on the cluster if missing.
pg_ensure_db() {
  if [ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" != 1 ]; then
    pg_psql -d postgres -c "CREATE DATABASE $1" >/dev/null
  fi
}

# start_gatehouse_db DB ENV...: a further Gatehouse on database DB of the
# cluster of start_gatehouse (same state dir, so the same runtime-role
# password), with extra environment ENV (e.g. GATEHOUSE_RLS_CONTEXT=sealed);
# prints its URL. Its pid is appended to $BENCH_TMP/extra.pids.
start_gatehouse_db() {
  local db=$1; shift
  pg_ensure_db "$db"
  local url port
  url=$(printf '%s' "$GH_DB_URL" | sed "s#@/gatehouse?#@/$db?#")
  port=$(free_port)
  env "$@" DATABASE_URL="$url" GATEHOUSE_LISTEN="127.0.0.1:$port" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" \
    GATEHOUSE_RATE_LIMITS=off "$ROOT/build/gatehouse" serve >/dev/null 2>"$BENCH_TMP/gatehouse-$db.log" &
  echo $! >>"$BENCH_TMP/extra.pids"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$BENCH_TMP/gatehouse-$db.log" >&2; return 1; }
  echo "http://127.0.0.1:$port"
}

# Stops what start_gatehouse_db started, then lib.sh's cleanup.
common_cleanup() {
  if [ -f "$BENCH_TMP/extra.pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done <"$BENCH_TMP/extra.pids"
  fi
  cleanup
}
trap common_cleanup EXIT

# gh_pid URL: pid of the gatehouse listening on URL's port.
gh_pid() {
  local port=${1##*:}
  ss -Htlnp "sport = :$port" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}

# gh_signup URL: signs up a fresh org on URL; prints "<gh_session token>
# <csrf token>" (a cookie-authenticated POST needs both).
gh_signup() {
  local url=$1 hdrs body session csrf
  hdrs=$(mktemp "$BENCH_TMP/hdr.XXXXXX")
  body=$(jq -nc --arg e "bench-$(date +%s%N)-$RANDOM@example.com" \
    '{email:$e, password:"correct horse battery staple", org_name:"Bench"}')
  csrf=$(curl -sf -D "$hdrs" -H 'Content-Type: application/json' -d "$body" "$url/v1/signup" | jq -er .csrf_token) \
    || { echo "gh_signup: signup failed" >&2; return 1; }
  session=$(tr -d '\r' <"$hdrs" | sed -n 's/^[Ss]et-[Cc]ookie: gh_session=\([^;]*\).*/\1/p' | head -1)
  [ -n "$session" ] || { echo "gh_signup: no gh_session cookie" >&2; return 1; }
  echo "$session $csrf"
}

# gh_new_key URL SESSION SCOPES_JSON: a live API key with SCOPES_JSON (e.g.
# '["read:applications"]') created by SESSION (within the re-authentication
# window of its sign-up); prints its secret.
gh_new_key() {
  local session=${2%% *} csrf=${2#* }
  curl -sf -H 'Content-Type: application/json' -H "Cookie: gh_session=$session" -H "X-CSRF-Token: $csrf" \
    -d "{\"name\":\"bench\",\"scopes\":$3,\"mode\":\"live\"}" "$1/v1/api_keys" | jq -er .secret \
    || { echo "gh_new_key: POST /v1/api_keys failed" >&2; return 1; }
}

# gh_api_key URL SCOPES_JSON: a fresh org and one key in it; prints the secret.
gh_api_key() {
  local session; session=$(gh_signup "$1") && gh_new_key "$1" "$session" "$2"
}

# wrk_run NAME URL [wrk args...]: one wrk run; prints a line and sets
# RPS_<NAME> (2xx answers per second: non-2xx are not counted), P99MS_<NAME>
# (milliseconds) and NON2XX_<NAME>. With WRK_CPU_PIDS set (process ids),
# also CPU_<NAME>: their CPU in µs per 2xx answer.
wrk_run() {
  local name=$1 url=$2; shift 2
  local out total secs non2xx errs p99 p99ms rps c0 c1 cpu=""
  c0=$(sum_ticks ${WRK_CPU_PIDS:-})
  out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url")
  c1=$(sum_ticks ${WRK_CPU_PIDS:-})
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  secs=$(echo "$out" | awk '/requests in/ {gsub("s,","",$4); print $4}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
  errs=$(echo "$out" | awk '/Socket errors/ {print}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  p99ms=$(python3 -c "
import re,sys; m=re.match(r'([0-9.]+)(us|ms|s|m)$', '$p99')
print(round(float(m[1])*{'us':1e-3,'ms':1,'s':1e3,'m':6e4}[m[2]],3) if m else 'nan')")
  rps=$(python3 -c "print(round(($total-$non2xx)/$secs))")
  if [ -n "${WRK_CPU_PIDS:-}" ]; then
    eval "CPU_$name=$(per_req_us "$c0" "$c1" $((total - non2xx)))"
    cpu="  CPU $(eval echo "\$CPU_$name") µs/req"
  fi
  printf '%-28s %10s req/s  p99 %8s ms  non-2xx %s%s%s\n' "$name" "$rps" "$p99ms" "$non2xx" "$cpu" "${errs:+  ($errs)}"
  eval "RPS_$name=$rps P99MS_$name=$p99ms NON2XX_$name=$non2xx"
}

# The better, worse or lower of two rounds; "met" or "MISSED" for VALUE OP
# TARGET (OP: >= or <=).
best() { echo $(($1 > $2 ? $1 : $2)); }
worse() { python3 -c "print(max($1, $2))"; }
lo() { python3 -c "print(min($1, $2))"; }
verdict() { python3 -c "print('met' if $1 $2 $3 else 'MISSED')"; }

# cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# sum_ticks PID...: the same summed over processes (0 for none).
sum_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
# per_req_us TICKS0 TICKS1 N: CPU µs per request of N requests.
per_req_us() { python3 -c "print(round(($2-$1)*1e6/$HZ/max(1,$3),1))"; }
# pg_cpu_ticks: utime+stime of every process of the cluster (postmaster and
# its children: backends, walwriter, ...), as "pid ticks" lines, plus a
# "reaped" line: the CPU of children that already exited (cutime+cstime).
pg_cpu_ticks() {
  local pm; pm=$(head -1 "$GATEHOUSE_PG_DIR/data/postmaster.pid")
  python3 - "$pm" <<'PY'
import os, sys
pm = sys.argv[1]
for p in os.listdir('/proc'):
    if not p.isdigit(): continue
    try: f = open(f'/proc/{p}/stat').read()
    except OSError: continue
    rest = f[f.rfind(')') + 2:].split()
    if p == pm or rest[1] == pm:
        print(p, int(rest[11]) + int(rest[12]))
    if p == pm:  # children that exited (and were reaped) since it started
        print('reaped', int(rest[13]) + int(rest[14]))
PY
}
# pg_cpu_delta BEFORE_FILE AFTER_FILE: ticks spent by the cluster in between
# (processes born in between count from zero; ones that exited are in
# "reaped").
pg_cpu_delta() {
  python3 - "$1" "$2" <<'PY'
import sys
b = dict(l.split() for l in open(sys.argv[1]))
a = dict(l.split() for l in open(sys.argv[2]))
print(sum(int(t) - int(b.get(p, 0)) for p, t in a.items()))
PY
}
# xact_commits DB: pg_stat_database.xact_commit of DB (stats are flushed at
# most every second or so: sleep before reading an "after" value).
xact_commits() { pg_psql -d postgres -tAc "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'"; }
HZ=$(getconf CLK_TCK)
