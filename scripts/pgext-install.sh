#!/usr/bin/env bash
# Builds pgext/ (the gatehouse_ctx PostgreSQL extension) and installs it into
# the local PostgreSQL when the installed copy differs from this build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d pgext ] || exit 0
make -s -C pgext >/dev/null
libdir=$(pg_config --pkglibdir)
if cmp -s pgext/gatehouse_ctx.so "$libdir/gatehouse_ctx.so" \
   && cmp -s pgext/gatehouse_ctx--1.0.sql "$(pg_config --sharedir)/extension/gatehouse_ctx--1.0.sql"; then
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "pgext: installing gatehouse_ctx into $libdir"
$SUDO make -s -C pgext install >/dev/null
