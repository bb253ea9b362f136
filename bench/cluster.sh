#!/usr/bin/env bash
# bench/cluster.sh: three nodes behind nginx (TLS terminated at nginx,
# upstream keep-alive) against one node reached directly over plain HTTP;
# GET /v1/me by API key, wrk -t1 -c64, two rounds interleaved. Issue 9 asks
# for the ratio and where the time goes, not for a target: on a 2-core
# machine four processes (nginx and three nodes) share the same two cores,
# and every request crosses one more process, one more TCP hop and TLS.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$BENCH_TMP/tls.key" \
  -out "$BENCH_TMP/tls.crt" -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

start_gatehouse
PORTS=("$GH_PORT")
for i in 2 3; do
  p=$(free_port)
  DATABASE_URL="$GH_DB_URL" GATEHOUSE_LISTEN="127.0.0.1:$p" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" \
    GATEHOUSE_RATE_LIMITS=off GATEHOUSE_TRUSTED_PROXIES=127.0.0.1/32 "$ROOT/build/gatehouse" serve \
    2>"$BENCH_TMP/gatehouse-$i.log" &
  echo $! >>"$BENCH_TMP/extra.pids"
  PORTS+=("$p")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
done

NGX_PORT=$(free_port)
nginx_up cluster "  upstream gh { $(for p in "${PORTS[@]}"; do printf 'server 127.0.0.1:%s; ' "$p"; done) keepalive 64; }
  server {
    listen 127.0.0.1:$NGX_PORT ssl; ssl_certificate $BENCH_TMP/tls.crt; ssl_certificate_key $BENCH_TMP/tls.key;
    location / {
      proxy_pass http://gh; proxy_http_version 1.1; proxy_set_header Connection \"\";
      proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }"
CLUSTER_URL="https://127.0.0.1:$NGX_PORT"
for _ in $(seq 50); do curl -sfk "$CLUSTER_URL/healthz" >/dev/null && break; sleep 0.1; done

SECRET=$(gh_api_key "$GH_URL" '["read:applications"]')
AUTH="Authorization: Bearer $SECRET"
for u in "$GH_URL" "$CLUSTER_URL"; do
  code=$(curl -sk -o /dev/null -w '%{http_code}' -H "$AUTH" "$u/v1/me")
  [ "$code" = 200 ] || { echo "GET $u/v1/me answered $code" >&2; exit 1; }
  wrk -t1 -c"$CONNS" -d1s -H "$AUTH" "$u/v1/me" >/dev/null
done
echo "GET /v1/me by API key: one node direct (plain HTTP) vs three nodes behind nginx (TLS), wrk -t1 -c$CONNS -d${DURATION}s"
# CPU per request of each process group, from /proc (utime+stime ticks).
ngx_pids() { nginx_workers cluster; }
gh_pids() { for p in "${PORTS[@]}"; do gh_pid "http://127.0.0.1:$p"; done; }
for round in 1 2; do
  wrk_run "one_node_$round" "$GH_URL/v1/me" -H "$AUTH"
  n0=$(sum_ticks $(ngx_pids)); g0=$(sum_ticks $(gh_pids))
  wrk_run "three_nginx_$round" "$CLUSTER_URL/v1/me" -H "$AUTH"
  n1=$(sum_ticks $(ngx_pids)); g1=$(sum_ticks $(gh_pids))
  reqs=$(( $(eval echo "\$RPS_three_nginx_$round") * DURATION ))
  NGX_US=$(per_req_us "$n0" "$n1" "$reqs"); GH_US=$(per_req_us "$g0" "$g1" "$reqs")
done
echo "CPU per request behind nginx (last round): nginx $NGX_US us (TLS and proxying), the three nodes together $GH_US us"
echo "ratio three nodes behind nginx / one node direct (best of 2 each):" \
  "$(ratio "$(best "$RPS_three_nginx_1" "$RPS_three_nginx_2")" "$(best "$RPS_one_node_1" "$RPS_one_node_2")")"
