#!/usr/bin/env bash
# Regenerate the scenario key reference in README.md (between the keys markers) from
# `balloonsim keys --markdown`.  With --check, exit 1 if README.md is out of date.
set -eu
B=${BALLOONSIM:-./balloonsim}
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
awk -v keys="$("$B" keys --markdown)" '
  /<!-- keys:begin -->/ { print; print keys; skip = 1; next }
  /<!-- keys:end -->/   { skip = 0 }
  !skip { print }' README.md > "$tmp"
if [ "${1:-}" = --check ]; then
  if cmp -s "$tmp" README.md; then echo "readme: key reference up to date"; exit 0; fi
  echo "readme: the key reference in README.md is out of date: run bash scripts/readme-keys.sh" >&2
  diff <(grep -v '^$' README.md) <(grep -v '^$' "$tmp") | head -20 >&2
  exit 1
fi
cp "$tmp" README.md
