#!/usr/bin/env bash
# The README's key reference matches the key tables, and every command it lists exists.
source "$(dirname "$0")/lib.bash"
check "the key reference in README.md matches the key tables" env BALLOONSIM="$B" bash scripts/readme-keys.sh --check
for c in run validate sweep check plot merge policies keys trace; do
  check "balloonsim help $c" "$B" help "$c"
done
check "README names the two commands" grep -q "make run" README.md
check "README names make test" grep -q "make test" README.md
e2e_done readme
