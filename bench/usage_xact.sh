#!/usr/bin/env bash
# bench/usage_xact.sh: what usage counting costs the database. During a
# wrk -t1 -c64 run of GET /v1/me by one API key (every request counted in
# memory, docs/decisions.md 50), reads pg_stat_database.xact_commit of the
# server's database before and after, and compares the delta with the same
# span idle (heartbeats only). Usage is flushed every 2 s in one call, so
# the delta must be tens of commits (flushes + the key's last-use batches +
# heartbeats), not one per request. Also checks that the counters written
# the requests wrk made (nothing lost, nothing doubled).
#
# BENCH_COMPARE_BIN=<a gatehouse built without usage counting> adds two
# interleaved rounds of the same wrk run against that binary (on database
# gatehouse_nousage of the same cluster) and reports the req/s ratio.
# Rate limits are set far above what the run can reach (the limiter runs,
# as in production, but never refuses).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"
LIMITS='key=1000000/1000000,session=1000000/1000000'
BENCH_RATE_LIMITS=$LIMITS start_gatehouse
SECRET=$(gh_api_key "$GH_URL" '["read:applications"]')
AUTH="Authorization: Bearer $SECRET"
KEY_ID=$(curl -sf -H "$AUTH" "$GH_URL/v1/me" | jq -er .api_key_id)
DB=gatehouse
SETTLE=4 # > one flush interval (2 s) + the listener's tick + stats flush (1 s)

counted() { pg_psql -d "$DB" -tAc "SELECT coalesce(sum(requests), 0) FROM gh.api_key_usage WHERE key_id = '$KEY_ID'"; }
# wrk_total URL: runs wrk, prints "<requests> <req/s of 2xx> <non-2xx>".
wrk_total() {
  local out total secs non2xx
  out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "$AUTH" "$1")
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  secs=$(echo "$out" | awk '/requests in/ {gsub("s,","",$4); print $4}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}'); non2xx=${non2xx:-0}
  echo "$total $(python3 -c "print(round(($total-$non2xx)/$secs))") $non2xx"
}

# Warm-up (key cache), then let its counts reach the database.
wrk -t1 -c"$CONNS" -d1s -H "$AUTH" "$GH_URL/v1/me" >/dev/null
sleep "$SETTLE"

echo "GET /v1/me by API key, wrk -t1 -c$CONNS -d${DURATION}s; commits of database $DB (pg_stat_database.xact_commit)"
x0=$(xact_commits "$DB"); sleep "$DURATION"; sleep "$SETTLE"; x1=$(xact_commits "$DB")
idle=$(( x1 - x0 )) # (xact_commits reads from database postgres)
printf '%-28s %10s commits in %s s (+%s s settle)\n' "idle" "$idle" "$DURATION" "$SETTLE"

curl -sf "$GH_URL/healthz" >/dev/null || { echo "gatehouse died:" >&2; grep -v "\"msg\":\"request\"" "$BENCH_TMP/gatehouse.log" | tail -20 >&2; exit 1; }
c0=$(counted); x0=$(xact_commits "$DB")
read -r total rps non2xx < <(wrk_total "$GH_URL/v1/me")
sleep "$SETTLE"
x1=$(xact_commits "$DB"); c1=$(counted)
busy=$(( x1 - x0 )) # counted() ran outside the window
printf '%-28s %10s commits in %s s (+%s s settle) for %s requests (%s req/s, non-2xx %s)\n' \
  "under load" "$busy" "$DURATION" "$SETTLE" "$total" "$rps" "$non2xx"
echo "commits caused by the load: $(( busy - idle )) (per 1000 requests: $(python3 -c "print(round(($busy - $idle) * 1000 / $total, 3))"))"
# wrk counts the answers it read; the server also answered (and counted) the
# requests in flight on each connection when wrk stopped: at most $CONNS more.
extra=$(( c1 - c0 - total ))
echo "requests counted in gh.api_key_usage: $(( c1 - c0 )) for $total answers read by wrk (+$extra in flight at its end; target: 0..$CONNS)"
[ "$extra" -ge 0 ] && [ "$extra" -le "$CONNS" ] || echo "MISMATCH: counted $(( c1 - c0 )), wrk read $total" >&2

if [ -n "${BENCH_COMPARE_BIN:-}" ]; then
  pg_ensure_db gatehouse_nousage
  port=$(free_port)
  DATABASE_URL=$(printf '%s' "$GH_DB_URL" | sed "s#@/gatehouse?#@/gatehouse_nousage?#") \
    GATEHOUSE_LISTEN="127.0.0.1:$port" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" GATEHOUSE_RATE_LIMITS=$LIMITS \
    "$BENCH_COMPARE_BIN" serve >/dev/null 2>"$BENCH_TMP/gatehouse-nousage.log" &
  BASE_PID=$!
  echo "$BASE_PID" >>"$BENCH_TMP/extra.pids"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  BASE_URL="http://127.0.0.1:$port"
  BASE_SECRET=$(gh_api_key "$BASE_URL" '["read:applications"]')
  wrk -t1 -c"$CONNS" -d1s -H "Authorization: Bearer $BASE_SECRET" "$BASE_URL/v1/me" >/dev/null
  GH_PID=$(gh_pid "$GH_URL")
  echo "req/s and server CPU per request vs $BENCH_COMPARE_BIN (no usage counting), two rounds interleaved"
  # cpu_run NAME PID URL AUTH: wrk_run plus the server's CPU µs per 2xx answer
  # (steadier than req/s when other work shares the cores).
  cpu_run() { WRK_CPU_PIDS=$2 wrk_run "$1" "$3" -H "$4"; }
  for round in 1 2; do
    cpu_run "counting_$round" "$GH_PID" "$GH_URL/v1/me" "$AUTH"
    cpu_run "without_$round" "$BASE_PID" "$BASE_URL/v1/me" "Authorization: Bearer $BASE_SECRET"
  done
  echo "req/s with / without usage counting (best of 2 each):" \
    "$(ratio "$(best "$RPS_counting_1" "$RPS_counting_2")" "$(best "$RPS_without_1" "$RPS_without_2")")"
  cpu_c=$(lo "$CPU_counting_1" "$CPU_counting_2")
  cpu_w=$(lo "$CPU_without_1" "$CPU_without_2")
  echo "server CPU per request with / without (lower of 2 each): $cpu_c / $cpu_w µs = $(ratio "$cpu_c" "$cpu_w")"
fi
