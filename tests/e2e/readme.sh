#!/usr/bin/env bash
# The README's key reference matches the key tables, and every command it lists exists.
set -u
B=${BALLOONSIM:-./balloonsim}
fails=0
BALLOONSIM=$B bash scripts/readme-keys.sh --check || fails=$((fails+1))
for c in run validate sweep check plot merge policies keys trace; do
  if "$B" help "$c" >/dev/null 2>&1; then echo "ok   balloonsim help $c"; else echo "FAIL balloonsim help $c"; fails=$((fails+1)); fi
done
grep -q "make run" README.md && grep -q "make test" README.md || { echo "FAIL README lacks the two commands"; fails=$((fails+1)); }
echo "readme: $((fails==0)) passed, $((fails>0)) failed"
[ $fails -eq 0 ]
