#!/usr/bin/env bash
# bench/healthz.sh: GET /healthz on Gatehouse against nginx returning a fixed
# tiny JSON body, same wrk settings (-t1 -c64, keep-alive), loopback.
# Target (issue 3): Gatehouse >= 0.8 x nginx.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"
start_nginx
start_gatehouse
echo "GET /healthz, wrk -t1 -c$CONNS -d${DURATION}s, two rounds interleaved"
for round in 1 2; do
  wrk_run "nginx_$round" "$NGINX_URL/"
  wrk_run "gatehouse_$round" "$GH_URL/healthz"
done
r=$(ratio "$(best "$RPS_gatehouse_1" "$RPS_gatehouse_2")" "$(best "$RPS_nginx_1" "$RPS_nginx_2")")
echo "ratio gatehouse/nginx (best of 2 each): $r  (target >= 0.8: $(verdict "$r" '>=' 0.8))"
