#!/usr/bin/env bash
# Installs what Gatehouse needs on a Debian machine, and nothing when all is
# present: Debian packages (compiler libraries, PostgreSQL server and pgTAP,
# benchmark and browser tools) and the npm packages of the test tooling.
# Idempotent: `make run` and `make test` call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential pkg-config
  libmicrohttpd-dev libgnutls28-dev nettle-dev libpq-dev libsodium-dev libjansson-dev libcurl4-openssl-dev
  libhiredis-dev libcmocka-dev
  postgresql-15 postgresql-contrib postgresql-server-dev-15 postgresql-15-pgtap
  libtap-parser-sourcehandler-pgtap-perl
  clang-format xxd util-linux
)
# Node.js may come from elsewhere than Debian (the machine image has its
# own); only ask apt for it when there is none at all.
command -v node >/dev/null 2>&1 || DEB_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || DEB_PACKAGES+=(npm)
# Python likewise: the benchmarks' arithmetic, and the BLAKE2b-256 (hashlib)
# with which the end-to-end suite makes API keys of valid checksum.
command -v python3 >/dev/null 2>&1 || DEB_PACKAGES+=(python3)
# Extra packages only the test and benchmark suites use (chromium: the
# browser tests of tests/browser/, driven by the npm playwright-core;
# redis-server, with redis-cli from its dependency redis-tools: the shared
# rate limits of tests/e2e/76-redis and bench/ratelimit.sh; openssl, curl
# and iproute2: the transport tests of tests/e2e/15-transport).
[ "${GATEHOUSE_DEPS_MINIMAL:-}" = 1 ] || DEB_PACKAGES+=(clang wrk nginx-light redis-server chromium openssl curl iproute2)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists yet; refresh them once if an
  # install fails for want of them.
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi

# npm packages of the test tooling (package.json); skipped when the lock
# file is unchanged since the last install.
if [ -f package.json ]; then
  stamp=node_modules/.gatehouse-deps-stamp
  want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "deps: installing npm packages"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error
    else npm install --no-audit --no-fund --loglevel=error; fi
    mkdir -p node_modules && echo "$want" > "$stamp"
  fi
fi
