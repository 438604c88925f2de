#!/usr/bin/env bash
# A pinned fingerprint catches any change of behaviour; --update-fingerprints accepts it.
source "$(dirname "$0")/lib.bash"
src=tests/regression/esx-idle-tax.ini
want=$(grep '^fingerprint ==' "$src" | awk '{print $3}')
[ -n "$want" ] && ok "$src pins fingerprint $want" || bad "$src pins no fingerprint"
sed 's/^fingerprint == .*/fingerprint == 0123456789abcdef/' "$src" > "$T/s.ini"
"$B" check --quiet "$T/s.ini" > "$T/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "fingerprint == 0123456789abcdef: actual $want" "$T/out" \
  && ok "a wrong fingerprint fails with the actual one (exit 1)" || bad "wrong fingerprint: exit $rc: $(cat "$T/out")"
"$B" check --quiet --update-fingerprints "$T/s.ini" > "$T/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^fingerprint == $want\$" "$T/s.ini" && ok "--update-fingerprints writes $want" \
  || bad "update: exit $rc, file has $(grep '^fingerprint' "$T/s.ini")"
"$B" check --quiet "$T/s.ini" > /dev/null 2>&1 && ok "the updated file passes" || bad "updated file fails"
# a different seed is a different behaviour
"$B" check --quiet --seed 99 "$T/s.ini" > /dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "another seed changes the fingerprint" || bad "seed 99: exit $rc"
e2e_done fingerprint
