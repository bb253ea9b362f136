#!/usr/bin/env bash
# bench/me.sh: GET /v1/me authenticated by an API key (Authorization: Bearer;
# answered from the in-memory key cache, no database work) against nginx
# returning a fixed tiny JSON body; same wrk settings (-t1 -c64, keep-alive),
# loopback, two rounds interleaved, best of 2 each.
# Targets: Gatehouse >= 0.8 x nginx; Gatehouse p99 <= 2 ms.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"
start_nginx
start_gatehouse
SECRET=$(gh_api_key "$GH_URL" '["read:applications"]')
AUTH="Authorization: Bearer $SECRET"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$GH_URL/v1/me")
[ "$code" = 200 ] || { echo "GET /v1/me by API key answered $code" >&2; exit 1; }
# Warm-up (fills the key cache; the first request per key goes to the database).
wrk -t1 -c"$CONNS" -d1s -H "$AUTH" "$GH_URL/v1/me" >/dev/null
echo "GET /v1/me by API key vs nginx fixed JSON, wrk -t1 -c$CONNS -d${DURATION}s, two rounds interleaved"
# CPU per request of each server (nginx: its workers), to compare the work
# done apart from how the two cores were shared with wrk.
NGINX_WORKERS=$(nginx_workers plain)
for round in 1 2; do
  WRK_CPU_PIDS=$NGINX_WORKERS wrk_run "nginx_$round" "$NGINX_URL/"
  WRK_CPU_PIDS=${PIDS[0]} wrk_run "me_$round" "$GH_URL/v1/me" -H "$AUTH"
done
r=$(ratio "$(best "$RPS_me_1" "$RPS_me_2")" "$(best "$RPS_nginx_1" "$RPS_nginx_2")")
worst_p99=$(worse "$P99MS_me_1" "$P99MS_me_2")
echo "ratio /v1/me / nginx (best of 2 each): $r  (target >= 0.8: $(verdict "$r" '>=' 0.8))"
echo "/v1/me p99 (worse of 2 rounds): $worst_p99 ms  (target <= 2 ms: $(verdict "$worst_p99" '<=' 2))"
echo "CPU per request (lower of 2): nginx $(lo "$CPU_nginx_1" "$CPU_nginx_2") µs, Gatehouse $(lo "$CPU_me_1" "$CPU_me_2") µs"
