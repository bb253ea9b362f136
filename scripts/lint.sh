#!/usr/bin/env bash
# lint.sh: formatting (clang-format, .clang-format at the root) and a scan
# for C functions banned in this codebase (unbounded copies and formats).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files --cached --others --exclude-standard 'src/*.[ch]' 'tests/unit/*.[ch]' 'pgext/*.[ch]' 'fuzz/*.[ch]')
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|tmpnam|mktemp)[[:space:]]*\('
if grep -nE "$banned" $files; then
  echo "lint: banned function used (see above); use the bounded alternatives (snprintf, memcpy with a length, strtol, strtok_r)"
  status=1
fi
if command -v clang-format >/dev/null 2>&1; then
  # pgext/ follows PostgreSQL's own style (pgindent), as extensions do.
  fmt=$(echo "$files" | grep -v '^pgext/' || true)
  if ! clang-format --dry-run --Werror $fmt 2>/tmp/gh-lint.$$; then
    head -40 /tmp/gh-lint.$$
    echo "lint: formatting differs from .clang-format (run: clang-format -i <files>)"
    status=1
  fi
  rm -f /tmp/gh-lint.$$
fi
[ $status = 0 ] && echo "lint: ok"
exit $status
