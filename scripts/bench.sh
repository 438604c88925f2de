#!/usr/bin/env bash
# make bench: runs every benchmark binary given as arguments, then times the default
# scenario.  Prints figures; asserts nothing.
set -u
B=${BALLOONSIM:-./balloonsim}
for b in "$@"; do echo "== $b"; "$b"; done
echo "== default scenario, 24 h simulated, esx-share"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$B" run scenarios/default.ini -o "$T/b.db" --set simulation.duration=24h
