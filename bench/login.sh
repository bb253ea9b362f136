#!/usr/bin/env bash
# bench/login.sh: password logins, measured three ways in one run.
#  1. Login throughput (POST /v1/auth/login, right password, wrk -c16)
#     against the raw cost of the same Argon2id verification on every core
#     (bench/argon2_raw.c). Target: >= 0.9.
#  2. GET /v1/me by API key: p99 alone, then while a login flood (wrk -c48,
#     about the hashing queue's size) keeps the hashing pool saturated.
#     Target: the flood raises it by <= 2x.
#  3. A burst of more logins than the hashing queue holds: the excess is
#     answered at once (503 + Retry-After), not queued.
# Runs with GATEHOUSE_RATE_LIMITS=off: the login limits (100 attempts per
# address per minute) are not what is measured here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/common.sh"
trap common_cleanup EXIT
start_gatehouse
cc -O2 -o "$BENCH_TMP/argon2_raw" "$ROOT/bench/argon2_raw.c" -lsodium -lpthread

EMAIL="login-$(date +%s%N)@example.com"
curl -sf -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"correct horse battery staple\",\"org_name\":\"Bench\"}" \
  "$GH_URL/v1/signup" >/dev/null
cat > "$BENCH_TMP/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email":"$EMAIL","password":"correct horse battery staple"}'
wrk.headers["Content-Type"] = "application/json"
LUA
KEY=$(gh_api_key "$GH_URL" '["read:leads"]')

echo "1. login throughput vs raw Argon2id (m=19 MiB, t=2) on $(nproc) cores, ${DURATION}s each"
RAW=$("$BENCH_TMP/argon2_raw" "$DURATION" "$(nproc)")
printf '%-28s %10s hashes/s\n' raw_argon2id "$RAW"
CONNS=16 wrk_run login "$GH_URL/v1/auth/login" -s "$BENCH_TMP/login.lua"
echo "ratio logins/raw: $(ratio "$RPS_login" "$RAW") (target >= 0.9)"

echo "2. GET /v1/me by API key, alone and under a login flood"
CONNS=16 wrk_run me_alone "$GH_URL/v1/me" -H "Authorization: Bearer $KEY"
wrk -t1 -c48 -d"$((DURATION + 2))s" -s "$BENCH_TMP/login.lua" "$GH_URL/v1/auth/login" >"$BENCH_TMP/flood.txt" &
FLOOD=$!
sleep 1
CONNS=16 wrk_run me_flood "$GH_URL/v1/me" -H "Authorization: Bearer $KEY"
wait "$FLOOD"
echo "p99 under flood / alone: $(python3 -c "print(f'{$P99MS_me_flood/$P99MS_me_alone:.2f}')") (target <= 2)"
echo "   the flood: $(grep -E "Requests/sec" "$BENCH_TMP/flood.txt" | awk '{print $2}') logins/s, $(grep -E "Non-2xx" "$BENCH_TMP/flood.txt" | awk '{print $NF}') refused"
echo "3. more logins at once than the hashing queue holds (c=200 for 3 s): the excess is refused at once"
wrk -t1 -c200 -d3s --latency -s "$BENCH_TMP/login.lua" "$GH_URL/v1/auth/login" >"$BENCH_TMP/burst.txt"
grep -E "requests in|Non-2xx|Latency|50%|99%" "$BENCH_TMP/burst.txt" | sed 's/^/   /'
code=$(curl -s -o /dev/null -D - -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"correct horse battery staple\"}" "$GH_URL/v1/auth/login" | tr -d '\r' | grep -iE "^HTTP|^retry-after" | tr '\n' ' ')
echo "   after the burst: $code"
