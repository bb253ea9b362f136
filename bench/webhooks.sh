#!/usr/bin/env bash
# bench/webhooks.sh: webhook deliveries to a local receiver that answers 200
# at once (bench/webhook_receiver.c, libmicrohttpd).
#
#   1. paced: BENCH_WEBHOOK_RATE events/s (default 1000) for BENCH_DURATION
#      seconds (default 10), each a lead of a POST /v1/leads/import (100
#      leads every 100 ms): end-to-end latency from the API change (the
#      event's created_at, the import transaction's start) to the receiver
#      (p50, p99, max), and the delivery rate achieved;
#   2. burst: BENCH_WEBHOOK_BURST events (default 20000) created as fast as
#      the imports go (1000 per request): sustained deliveries/s from the
#      first to the last arrival, and how long the last one took.
# Both: events created vs delivered (lost = created − delivered at least
# once; duplicates counted). Target: ≥ 1000 deliveries/s, p99 < 1 s, none
# lost. Gatehouse runs with GATEHOUSE_DEV=1 (a loopback http:// receiver),
# GATEHOUSE_RATE_LIMITS=off and its default 2 webhook workers, on its own
# database of the bench cluster (recreated each run).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"

RATE=${BENCH_WEBHOOK_RATE:-1000}
BURST=${BENCH_WEBHOOK_BURST:-20000}
DB=gh_bench_webhooks

# The receiver, built against libmicrohttpd.
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$BENCH_TMP/webhook_receiver" "$ROOT/bench/webhook_receiver.c" \
  $(pkg-config --cflags --libs libmicrohttpd) -lpthread
RX_PORT=$(free_port)
"$BENCH_TMP/webhook_receiver" "$RX_PORT" "$BENCH_TMP/received.txt" 2>"$BENCH_TMP/receiver.log" &
RX_PID=$!
PIDS+=("$RX_PID")

# The cluster and a fresh database; Gatehouse on it.
export GATEHOUSE_PG_DIR="$ROOT/var/bench-pg" GATEHOUSE_PG_FAST=1
"$ROOT/scripts/pg.sh" start >/dev/null
GH_DB_URL=$("$ROOT/scripts/pg.sh" url)
pg_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
URL=$(start_gatehouse_db "$DB" GATEHOUSE_DEV=1)
GH=$(gh_pid "$URL")
q() { pg_psql -d "$DB" -tAc "$1"; }

# setup ORG_LABEL PATH: an org, an endpoint (PATH on the receiver), a
# write:leads key; prints "<org id> <key>".
setup() {
  local session csrf key org
  session=$(gh_signup "$URL")
  csrf=${session#* }
  curl -sf -H 'Content-Type: application/json' -H "Cookie: gh_session=${session%% *}" -H "X-CSRF-Token: $csrf" \
    -d "{\"url\":\"http://127.0.0.1:$RX_PORT$2\",\"events\":[\"lead.created\"]}" "$URL/v1/webhook_endpoints" \
    | jq -er .id >/dev/null || { echo "webhooks.sh: endpoint creation failed" >&2; return 1; }
  key=$(gh_new_key "$URL" "$session" '["write:leads"]')
  org=$(curl -sf -H "Authorization: Bearer $key" "$URL/v1/me" | jq -er .org_id)
  echo "$org $key"
}

# drain ORG: waits until ORG's events are all delivered (queue empty).
drain() {
  for _ in $(seq 600); do
    [ "$(q "SELECT count(*) FROM gh.webhook_queue WHERE org_id = '$1'")" = 0 ] && return 0
    sleep 0.1
  done
  echo "webhooks.sh: queue of $1 not drained after 60 s" >&2
}

read -r ORG_P KEY_P < <(setup paced /paced)
read -r ORG_B KEY_B < <(setup burst /burst)

cpu() { awk '{print $14 + $15}' "/proc/$GH/stat"; }
echo "webhooks: paced ${RATE} events/s for ${DURATION} s, then a burst of ${BURST}"
C0=$(cpu)
python3 "$ROOT/bench/webhook_load.py" paced "$URL" "$KEY_P" "$RATE" "$DURATION" >/dev/null
drain "$ORG_P"
C1=$(cpu)
python3 "$ROOT/bench/webhook_load.py" burst "$URL" "$KEY_B" "$BURST" >/dev/null
drain "$ORG_B"
C2=$(cpu)
sleep 0.5
kill -TERM "$RX_PID"
wait "$RX_PID" 2>/dev/null || true

# Events (id, org, created_at in µs) next to what arrived.
q "SELECT id, org_id, (extract(epoch from created_at) * 1000000)::bigint FROM gh.events
    WHERE type = 'lead.created' AND org_id IN ('$ORG_P', '$ORG_B')" | tr '|' ' ' >"$BENCH_TMP/events.txt"
TICKS=$(getconf CLK_TCK)
python3 - "$BENCH_TMP/events.txt" "$BENCH_TMP/received.txt" "$ORG_P" "$ORG_B" "$C0" "$C1" "$C2" "$TICKS" <<'PY'
import sys
events_f, recv_f, org_p, org_b = sys.argv[1:5]
c0, c1, c2, ticks = (float(x) for x in sys.argv[5:9])
created, org_of = {}, {}
for line in open(events_f):
    i, o, t = line.split()
    created[i], org_of[i] = int(t), o
first = {}
arrivals = {org_p: [], org_b: []}
dups = {org_p: 0, org_b: 0}
for line in open(recv_f):
    i, t = line.split()
    t = int(t)
    if i not in created:
        continue
    o = org_of[i]
    arrivals[o].append(t)
    if i in first:
        dups[o] += 1
    else:
        first[i] = t
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float('nan')
for name, o, cpu in (("paced", org_p, c1 - c0), ("burst", org_b, c2 - c1)):
    ids = [i for i in created if org_of[i] == o]
    got = [i for i in ids if i in first]
    lat = [(first[i] - created[i]) / 1000 for i in got]
    arr = sorted(arrivals[o])
    span = (arr[-1] - arr[0]) / 1e6 if len(arr) > 1 else float('nan')
    rate = len(arr) / span if span and span == span else float('nan')
    t0 = min(created[i] for i in ids) if ids else 0
    print(f"webhooks {name:5s}: events {len(ids)}, delivered {len(got)}, lost {len(ids) - len(got)}, "
          f"duplicates {dups[o]}; {rate:,.0f} deliveries/s (first to last arrival, {span:.2f} s); "
          f"latency p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, max {max(lat) if lat else float('nan'):.1f} ms; "
          f"last arrival {(arr[-1] - t0) / 1e6 if arr else float('nan'):.2f} s after the first event; "
          f"gatehouse CPU {cpu / ticks / max(len(got), 1) * 1e6:.0f} µs per delivery (requests included)")
PY
