#!/usr/bin/env bash
# bench/peer_better_auth.sh: API-key verification, Gatehouse against the peer
# a user would otherwise pick: better-auth (bench/peers/better-auth, pinned
# in its package-lock.json) with its API-key plugin on Node, storing in
# PostgreSQL (database `better_auth` on the same throwaway cluster, `pg`
# package, Unix socket). Same wrk settings (-t1 -c64), two rounds
# interleaved, best of 2 each:
#   better-auth  GET /verify (x-api-key)  -> auth.api.verifyApiKey
#   Gatehouse    GET /v1/me (Bearer key)
# Target: Gatehouse >= 100 x better-auth.
# Then cookie sessions: better-auth GET /api/auth/get-session (its defaults:
# no cookie cache, so a database read per call). Gatehouse's session route
# is measured against better-auth's get-session in the same run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"
PEER="$ROOT/bench/peers/better-auth"
if [ ! -d "$PEER/node_modules" ] || [ "$PEER/package-lock.json" -nt "$PEER/node_modules/.package-lock.json" ]; then
  echo "installing the peer's pinned packages (npm ci)"
  (cd "$PEER" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

start_gatehouse
GH_SECRET=$(gh_api_key "$GH_URL" '["read:applications"]')
GH_AUTH="Authorization: Bearer $GH_SECRET"

# A fresh database for the peer every run.
pg_psql -d postgres -c "DROP DATABASE IF EXISTS better_auth" >/dev/null
pg_ensure_db better_auth
BA_PORT=$(free_port)
BA_URL="http://127.0.0.1:$BA_PORT"
(cd "$PEER" && PORT=$BA_PORT PGHOST=$(pg_sock) PGUSER=postgres PGPASSWORD=$(pg_pass) PGDATABASE=better_auth \
  BETTER_AUTH_SECRET=$(head -c 32 /dev/urandom | base64) SETUP_OUT="$BENCH_TMP/peer.json" NODE_ENV=production \
  exec node server.mjs >"$BENCH_TMP/peer.log" 2>&1) &
PIDS+=($!)
for _ in $(seq 300); do [ -s "$BENCH_TMP/peer.json" ] && curl -s -o /dev/null "$BA_URL/" && break; sleep 0.1; done
[ -s "$BENCH_TMP/peer.json" ] || { cat "$BENCH_TMP/peer.log" >&2; echo "the peer did not start" >&2; exit 1; }
BA_KEY=$(jq -er .key "$BENCH_TMP/peer.json")
BA_COOKIE=$(jq -er .cookie "$BENCH_TMP/peer.json")
echo "peer: better-auth $(jq -r .version "$PEER/node_modules/better-auth/package.json")," \
  "@better-auth/api-key $(jq -r .version "$PEER/node_modules/@better-auth/api-key/package.json")," \
  "pg $(jq -r .version "$PEER/node_modules/pg/package.json"), node $(node --version), storage: PostgreSQL"

check() { # check NAME URL HEADER: must answer 200
  local code; code=$(curl -s -o "$BENCH_TMP/check.out" -w '%{http_code}' -H "$3" "$2")
  [ "$code" = 200 ] || { echo "$1: $2 answered $code: $(cat "$BENCH_TMP/check.out")" >&2; exit 1; }
}
check better-auth "$BA_URL/verify" "x-api-key: $BA_KEY"
check better-auth "$BA_URL/api/auth/get-session" "Cookie: $BA_COOKIE"
jq -e '.session.id' "$BENCH_TMP/check.out" >/dev/null || { echo "get-session returned no session" >&2; exit 1; }
check gatehouse "$GH_URL/v1/me" "$GH_AUTH"

# Warm-up: JIT, pools, caches.
wrk -t1 -c"$CONNS" -d2s -H "x-api-key: $BA_KEY" "$BA_URL/verify" >/dev/null
wrk -t1 -c"$CONNS" -d1s -H "$GH_AUTH" "$GH_URL/v1/me" >/dev/null

echo "API-key verification, wrk -t1 -c$CONNS -d${DURATION}s, two rounds interleaved"
for round in 1 2; do
  wrk_run "ba_verify_$round" "$BA_URL/verify" -H "x-api-key: $BA_KEY"
  wrk_run "gh_me_$round" "$GH_URL/v1/me" -H "$GH_AUTH"
done
BA=$(best "$RPS_ba_verify_1" "$RPS_ba_verify_2")
GH=$(best "$RPS_gh_me_1" "$RPS_gh_me_2")
[ "$BA" -gt 0 ] || { echo "better-auth answered no 2xx (see $BENCH_TMP/peer.log)" >&2; tail -5 "$BENCH_TMP/peer.log" >&2; exit 1; }
r=$(ratio "$GH" "$BA")
echo "ratio gatehouse /v1/me / better-auth verifyApiKey (best of 2 each): ${r}x" \
  "(target >= 100x: $(verdict "$r" '>=' 100))"
echo "better-auth key in the database after the run: $(pg_psql -d better_auth -tAc 'SELECT "requestCount" FROM apikey LIMIT 1' 2>/dev/null || echo '?') requests counted"

echo "Cookie session, wrk -t1 -c$CONNS -d${DURATION}s, two rounds"
GH_SESSION=$(gh_signup "$GH_URL")
GH_SESSION=${GH_SESSION%% *}
for round in 1 2; do
  wrk_run "ba_session_$round" "$BA_URL/api/auth/get-session" -H "Cookie: $BA_COOKIE"
  wrk_run "gh_session_$round" "$GH_URL/v1/auth/session" -H "Cookie: gh_session=$GH_SESSION"
done
BAS=$(best "$RPS_ba_session_1" "$RPS_ba_session_2")
GHS=$(best "$RPS_gh_session_1" "$RPS_gh_session_2")
echo "better-auth get-session (best of 2): $BAS req/s; gatehouse GET /v1/auth/session: $GHS req/s"
r=$(ratio "$GHS" "$BAS")
echo "ratio gatehouse session check / better-auth get-session: ${r}x" \
  "(target >= 100x: $(verdict "$r" '>=' 100))"
