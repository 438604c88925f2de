#!/usr/bin/env bash
# Regenerate the key reference in docs/scenarios.md (between the keys markers) from the
# program's key tables (`balloonsim keys --markdown`), so the documentation cannot rot.
# With --check, exit 1 (and show the difference) if docs/scenarios.md is out of date.
# BALLOONSIM names the binary (default ./balloonsim); DOC names another file to update.
set -eu
B=${BALLOONSIM:-./balloonsim}
DOC=${DOC:-docs/scenarios.md}
grep -q '<!-- keys:begin -->' "$DOC" && grep -q '<!-- keys:end -->' "$DOC" || {
  echo "docs-keys: $DOC has no <!-- keys:begin --> / <!-- keys:end --> markers" >&2; exit 2; }
keys=$("$B" keys --markdown) || { echo "docs-keys: $B keys --markdown failed" >&2; exit 2; }
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
awk -v keys="$keys" '
  /<!-- keys:begin -->/ { print; print keys; skip = 1; next }
  /<!-- keys:end -->/   { skip = 0 }
  !skip { print }' "$DOC" > "$tmp"
if [ "${1:-}" = --check ]; then
  if cmp -s "$tmp" "$DOC"; then echo "docs-keys: key reference in $DOC up to date"; exit 0; fi
  echo "docs-keys: the key reference in $DOC is out of date: run bash scripts/docs-keys.sh" >&2
  diff <(grep -v '^$' "$DOC") <(grep -v '^$' "$tmp") | head -20 >&2
  exit 1
fi
cp "$tmp" "$DOC"
