#!/usr/bin/env bash
# bench/ratelimit.sh: what the per-key rate limit costs on GET /v1/me by API
# key, in three configurations measured in the same invocation, against the
# same database and key: limits off (GATEHOUSE_RATE_LIMITS=off), the
# in-process limiter, and the Redis store (a local redis-server, REDIS_URL).
# The limiter-on nodes run with key=1000000/1000000 so the limiter runs its
# whole path (look-up, GCRA, both RateLimit headers) but never refuses.
# wrk -t1 -c64, keep-alive, loopback; two rounds interleaved, best of 2 for
# throughput, worse of 2 for p99.
# Target: in-process >= 0.95 x off. Redis/off is reported (one Redis round
# trip per request, on the same two cores). Also the CPU each request cost
# the node (utime+stime of its process, /proc) and, for the Redis node, the
# redis-server: steadier than req/s on a machine shared with other work.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"
ON_LIMITS='key=1000000/1000000,session=1000000/1000000'

# start_redis: a throwaway redis-server on a free port; sets REDIS_PORT.
start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$BENCH_TMP" \
    >"$BENCH_TMP/redis.log" 2>&1 &
  PIDS+=($!)
  REDIS_PID=$!
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return; sleep 0.1; done
  echo "redis-server did not start" >&2
  cat "$BENCH_TMP/redis.log" >&2
  return 1
}

# start_node NAME ENV...: another node on start_gatehouse's database (so the
# same key works), with ENV; prints its URL. Its pid goes to extra.pids.
start_node() {
  local name=$1; shift
  local port; port=$(free_port)
  env DATABASE_URL="$GH_DB_URL" GATEHOUSE_LISTEN="127.0.0.1:$port" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" "$@" \
    "$ROOT/build/gatehouse" serve >/dev/null 2>"$BENCH_TMP/gatehouse-$name.log" &
  echo $! >>"$BENCH_TMP/extra.pids"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$BENCH_TMP/gatehouse-$name.log" >&2; return 1; }
  echo "http://127.0.0.1:$port"
}

start_redis
start_gatehouse
OFF_URL=$GH_URL
LOCAL_URL=$(start_node local GATEHOUSE_RATE_LIMITS="$ON_LIMITS")
RED_URL=$(start_node redis GATEHOUSE_RATE_LIMITS="$ON_LIMITS" REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0")
SECRET=$(gh_api_key "$OFF_URL" '["read:applications"]')
AUTH="Authorization: Bearer $SECRET"
for u in "$OFF_URL" "$LOCAL_URL" "$RED_URL"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$u/v1/me")
  [ "$code" = 200 ] || { echo "GET $u/v1/me by API key answered $code" >&2; exit 1; }
done
curl -s -D - -o /dev/null -H "$AUTH" "$RED_URL/v1/me" | grep -qi '^ratelimit:' \
  || { echo "no RateLimit header from the Redis node" >&2; exit 1; }
# Warm-up: key caches, Redis connections of every HTTP thread.
for u in "$OFF_URL" "$LOCAL_URL" "$RED_URL"; do wrk -t1 -c"$CONNS" -d1s -H "$AUTH" "$u/v1/me" >/dev/null; done

echo "GET /v1/me by API key: limits off / in-process limiter / Redis store, wrk -t1 -c$CONNS -d${DURATION}s, two rounds interleaved"
calls_before=$(redis-cli -p "$REDIS_PORT" info commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p')
OFF_PID=$(gh_pid "$OFF_URL"); LOCAL_PID=$(gh_pid "$LOCAL_URL"); RED_PID=$(gh_pid "$RED_URL")
# measure NAME URL PID: wrk_run, then CPU_<NAME> (µs of the node per
# request) and RCPU_<NAME> (µs of redis-server per request).
measure() {
  local name=$1 url=$2 pid=$3 r0 r1
  r0=$(cpu_ticks "$REDIS_PID")
  WRK_CPU_PIDS=$pid wrk_run "$name" "$url/v1/me" -H "$AUTH"
  r1=$(cpu_ticks "$REDIS_PID")
  eval "RCPU_$name=$(per_req_us "$r0" "$r1" $(($(eval "echo \$RPS_$name") * DURATION)))"
}
for round in 1 2; do
  measure "off_$round" "$OFF_URL" "$OFF_PID"
  measure "local_$round" "$LOCAL_URL" "$LOCAL_PID"
  measure "redis_$round" "$RED_URL" "$RED_PID"
done
calls_after=$(redis-cli -p "$REDIS_PORT" info commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p')
redis_metrics=$(curl -s "$RED_URL/metrics" | grep -E '^gatehouse_ratelimit_redis_(up|errors_total|fallbacks_total) ' | tr '\n' ' ')

off=$(best "$RPS_off_1" "$RPS_off_2")
loc=$(best "$RPS_local_1" "$RPS_local_2")
red=$(best "$RPS_redis_1" "$RPS_redis_2")
r_local=$(ratio "$loc" "$off")
r_redis=$(ratio "$red" "$off")
echo "best of 2: off $off req/s, in-process $loc req/s, Redis $red req/s"
echo "p99 (worse of 2): off $(worse "$P99MS_off_1" "$P99MS_off_2") ms, in-process $(worse "$P99MS_local_1" "$P99MS_local_2") ms, Redis $(worse "$P99MS_redis_1" "$P99MS_redis_2") ms"
echo "node CPU per request (lower of 2): off $(lo "$CPU_off_1" "$CPU_off_2") µs, in-process $(lo "$CPU_local_1" "$CPU_local_2") µs, Redis $(lo "$CPU_redis_1" "$CPU_redis_2") µs + redis-server $(lo "$RCPU_redis_1" "$RCPU_redis_2") µs"
echo "ratio in-process / off: $r_local  (target >= 0.95: $(verdict "$r_local" '>=' 0.95))"
echo "ratio Redis / off: $r_redis"
echo "refused (non-2xx) with limits on: $((NON2XX_local_1 + NON2XX_local_2 + NON2XX_redis_1 + NON2XX_redis_2)) (must be 0)"
echo "Redis EVALSHA calls during the rounds: $((${calls_after:-0} - ${calls_before:-0})); Redis node: $redis_metrics"
