#!/usr/bin/env bash
# bench/usage_xact.sh: what usage counting costs the database. During a
# wrk -t1 -c64 run of GET /v1/me by one API key (every request counted in
# memory, docs/decisions.md 50), reads pg_stat_database.xact_commit of the
# server's database before and after, and compares the delta with the same
# span idle (heartbeats only). Usage is flushed every 2 s in one call, so
# the delta must be tens of commits (flushes + the key's last-use batches +
# heartbeats), not one per request. Also checks that the counters written
# equal the requests wrk made (nothing lost, nothing doubled).
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

c0=$(counted); x0=$(xact_commits "$DB")
read -r total rps non2xx < <(wrk_total "$GH_URL/v1/me")
sleep "$SETTLE"
x1=$(xact_commits "$DB"); c1=$(counted)
busy=$(( x1 - x0 )) # counted() ran outside the window
printf '%-28s %10s commits in %s s (+%s s settle) for %s requests (%s req/s, non-2xx %s)\n' \
  "under load" "$busy" "$DURATION" "$SETTLE" "$total" "$rps" "$non2xx"
echo "commits caused by the load: $(( busy - idle )) (per 1000 requests: $(python3 -c "print(round(($busy - $idle) * 1000 / $total, 3))"))"
echo "requests counted in gh.api_key_usage: $(( c1 - c0 )) of $total made (target: equal)"
[ $(( c1 - c0 )) -eq "$total" ] || echo "MISMATCH: counted $(( c1 - c0 )), made $total" >&2

if [ -n "${BENCH_COMPARE_BIN:-}" ]; then
  pg_ensure_db gatehouse_nousage
  port=$(free_port)
  DATABASE_URL=$(printf '%s' "$GH_DB_URL" | sed "s#@/gatehouse?#@/gatehouse_nousage?#") \
    GATEHOUSE_LISTEN="127.0.0.1:$port" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" GATEHOUSE_RATE_LIMITS=$LIMITS \
    "$BENCH_COMPARE_BIN" serve >/dev/null 2>"$BENCH_TMP/gatehouse-nousage.log" &
  echo $! >>"$BENCH_TMP/extra.pids"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  BASE_URL="http://127.0.0.1:$port"
  BASE_SECRET=$(gh_api_key "$BASE_URL" '["read:applications"]')
  wrk -t1 -c"$CONNS" -d1s -H "Authorization: Bearer $BASE_SECRET" "$BASE_URL/v1/me" >/dev/null
  echo "req/s vs $BENCH_COMPARE_BIN (no usage counting), two rounds interleaved"
  for round in 1 2; do
    wrk_run "counting_$round" "$GH_URL/v1/me" -H "$AUTH"
    wrk_run "without_$round" "$BASE_URL/v1/me" -H "Authorization: Bearer $BASE_SECRET"
  done
  best_c=$(( RPS_counting_1 > RPS_counting_2 ? RPS_counting_1 : RPS_counting_2 ))
  best_w=$(( RPS_without_1 > RPS_without_2 ? RPS_without_1 : RPS_without_2 ))
  echo "ratio with / without usage counting (best of 2 each): $(ratio "$best_c" "$best_w")"
fi
