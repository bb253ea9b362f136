#!/usr/bin/env bash
# bench/tls.sh: the cost of serving TLS ourselves (issue 9's targets).
#  1. GET /v1/me by API key over TLS with keep-alive, against the same over
#     plain HTTP, same database and key, two rounds interleaved.
#     Target: TLS / plain >= 0.85.
#     Reference: nginx's own TLS / plain ratio on the same machine, same
#     settings (3. below), to show what the target asks of a server here.
#  2. TLS handshakes per second (a new connection per request: wrk with
#     "Connection: close") on /healthz, against nginx terminating TLS with
#     the same certificate and key. Target: Gatehouse / nginx >= 0.8.
# Certificate: a throwaway ECDSA P-256 one made here with openssl.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$BENCH_TMP/tls.key" \
  -out "$BENCH_TMP/tls.crt" -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

start_gatehouse
TLS_PORT=$(free_port)
DATABASE_URL="$GH_DB_URL" GATEHOUSE_LISTEN="127.0.0.1:$TLS_PORT" GATEHOUSE_STATE_DIR="$BENCH_TMP/state" \
  GATEHOUSE_RATE_LIMITS=off GATEHOUSE_TLS_CERT="$BENCH_TMP/tls.crt" GATEHOUSE_TLS_KEY="$BENCH_TMP/tls.key" \
  "$ROOT/build/gatehouse" serve 2>"$BENCH_TMP/gatehouse-tls.log" &
echo $! >>"$BENCH_TMP/extra.pids"
TLS_URL="https://127.0.0.1:$TLS_PORT"
for _ in $(seq 100); do curl -sfk "$TLS_URL/healthz" >/dev/null && break; sleep 0.1; done

# nginx terminating TLS with the same pair, fixed JSON.
NGX_PORT=$(free_port)
nginx_up tls "  server {
    listen 127.0.0.1:$NGX_PORT ssl;
    ssl_certificate $BENCH_TMP/tls.crt;
    ssl_certificate_key $BENCH_TMP/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / { default_type application/json; return 200 '{\"status\":\"ok\"}'; }
  }"
NGX_URL="https://127.0.0.1:$NGX_PORT"
for _ in $(seq 50); do curl -sfk "$NGX_URL/" >/dev/null && break; sleep 0.1; done

SECRET=$(gh_api_key "$GH_URL" '["read:applications"]')
AUTH="Authorization: Bearer $SECRET"
for u in "$GH_URL" "$TLS_URL"; do
  code=$(curl -sk -o /dev/null -w '%{http_code}' -H "$AUTH" "$u/v1/me")
  [ "$code" = 200 ] || { echo "GET $u/v1/me answered $code" >&2; exit 1; }
  wrk -t1 -c"$CONNS" -d1s -H "$AUTH" "$u/v1/me" >/dev/null
done

echo "1. GET /v1/me by API key, keep-alive: TLS vs plain HTTP, wrk -t1 -c$CONNS -d${DURATION}s, two rounds"
for round in 1 2; do
  wrk_run "plain_$round" "$GH_URL/v1/me" -H "$AUTH"
  wrk_run "tls_$round" "$TLS_URL/v1/me" -H "$AUTH"
done
r=$(ratio "$(best "$RPS_tls_1" "$RPS_tls_2")" "$(best "$RPS_plain_1" "$RPS_plain_2")")
echo "ratio TLS / plain (best of 2 each): $r  (target >= 0.85: $(verdict "$r" '>=' 0.85))"

echo "2. TLS handshakes/s (Connection: close, one handshake per request) on /healthz vs nginx, same certificate"
for round in 1 2; do
  wrk_run "ngx_hs_$round" "$NGX_URL/" -H "Connection: close"
  wrk_run "gh_hs_$round" "$TLS_URL/healthz" -H "Connection: close"
done
r=$(ratio "$(best "$RPS_gh_hs_1" "$RPS_gh_hs_2")" "$(best "$RPS_ngx_hs_1" "$RPS_ngx_hs_2")")
echo "ratio Gatehouse / nginx handshakes (best of 2 each): $r  (target >= 0.8: $(verdict "$r" '>=' 0.8))"

echo "3. Reference: nginx's own keep-alive TLS vs plain HTTP (fixed JSON), same wrk settings, two rounds"
start_nginx
for round in 1 2; do
  wrk_run "ngx_plain_$round" "$NGINX_URL/"
  wrk_run "ngx_tls_$round" "$NGX_URL/"
done
echo "nginx TLS / plain (best of 2 each): $(ratio "$(best "$RPS_ngx_tls_1" "$RPS_ngx_tls_2")" "$(best "$RPS_ngx_plain_1" "$RPS_ngx_plain_2")")"
