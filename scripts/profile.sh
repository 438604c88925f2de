#!/usr/bin/env bash
# make profile: where a benchmark scenario spends its time (issue 9 asks for the top of the
# profile before and after a change).  Not part of `make test`; prints, asserts nothing.
#
#   make profile                                   dc-large, 24 simulated hours (about 1 min)
#   make profile PROFILE_SCENARIO=scenarios/bench/dc-medium.ini PROFILE_SET=simulation.duration=6h
#
# With perf (linux-perf): `perf record` of build/bench/bench_dc (the same run as
# `make bench`), then the 25 functions with the most samples, self time.  Without perf, or
# where perf may not read the counters (a container without perf_event access), callgrind
# on `balloonsim run` of the same scenario for 1 simulated hour (valgrind is much slower),
# top 25 by instructions.  The raw data stays in build/profile/ for perf report /
# callgrind_annotate.  Arguments: the bench_dc binary; BALLOONSIM names the simulator.
set -u
cd "$(dirname "$0")/.."
DC=${1:-build/bench/bench_dc}
SCN=${PROFILE_SCENARIO:-scenarios/bench/dc-large.ini}
SET=${PROFILE_SET:-}
OUT=build/profile
mkdir -p "$OUT"
[ -x "$DC" ] || { echo "profile.sh: $DC is missing (make profile builds it)"; exit 2; }
[ -f "$SCN" ] || { echo "profile.sh: $SCN: no such scenario"; exit 2; }
args=(table "$SCN")
[ -n "$SET" ] && args+=(--set "$SET")

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
perf_ok() { perf record -q -o "$OUT/probe.data" true >/dev/null 2>&1; local s=$?; rm -f "$OUT/probe.data"; return $s; }
if command -v perf >/dev/null 2>&1 && perf_ok; then
  echo "== perf record: $DC ${args[*]}"
  perf record -q -o "$OUT/perf.data" "$DC" "${args[@]}" || exit 1
  echo "== top of the profile (self time; perf report -i $OUT/perf.data --no-children for all)"
  perf report -i "$OUT/perf.data" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
elif command -v valgrind >/dev/null 2>&1; then
  B=${BALLOONSIM:-./balloonsim}
  run=("$B" run "$SCN" -o "$OUT/profile.db" --force --quiet --set simulation.duration=1h)
  [ -n "$SET" ] && run+=(--set "$SET")
  echo "== perf is not usable here: callgrind on ${run[*]}"
  valgrind -q --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "${run[@]}" || exit 1
  echo "== top of the profile (instructions; callgrind_annotate $OUT/callgrind.out for all)"
  callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -25
else
  echo "profile.sh: neither perf nor valgrind is installed (apt-get install linux-perf valgrind)"
  exit 2
fi
