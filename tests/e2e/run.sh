#!/usr/bin/env bash
# Runs every end-to-end test script tests/e2e/*.sh (except this one) and prints
# a closing "N passed, N failed" line.  BALLOONSIM names the binary.
set -u
cd "$(dirname "$0")/../.."
export BALLOONSIM="${BALLOONSIM:-./balloonsim}"
pass=0; fail=0; failed=()
for t in tests/e2e/*.sh; do
  [ "$(basename "$t")" = run.sh ] && continue
  echo "== $t"
  if bash "$t"; then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$t"); fi
done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
