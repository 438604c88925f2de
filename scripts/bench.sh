#!/usr/bin/env bash
# make bench: the benchmarks of issue 9 (performance at datacenter scale).  Prints figures;
# asserts nothing.  Arguments: the benchmark binaries (build/bench/bench_*); BALLOONSIM names
# the simulator binary.  Sections:
#   1. every benchmark binary without a section of its own (bench_queue: the event queue);
#   2. the benchmark scenarios scenarios/bench/dc-{small,medium,large}.ini (24 simulated
#      hours, esx-share at its 15 s interval, workloads changing every 300 s): wall and CPU
#      time, events/s, VM-ticks/s, peak RSS, database rows and rows/s, output size
#      (bench_dc table: each run in its own process, as `balloonsim run`);
#   3. every policy at its own default interval on dc-small;
#   4. the scaling table: dc-large's shape at 1,000 .. 100,000 VMs (2 simulated hours):
#      cost per VM-tick and memory per VM (bench_dc scale);
#   5. VM-level output against the raw SQLite insert rate of the same rows (bench_sqlite):
#      dc-small with every VM sampled every 10 s (recording dominates), and as shipped;
#   6. the cost of the decisions table (issue 18): dc-small at output = vm with
#      output.decisions = no and yes, every policy's row per VM per tick.
# Runs are sequential, one core each.  BENCH_QUICK=1 skips the 100,000-VM point and the
# policy table (a few minutes less).  The whole bench takes about 10 minutes.  A benchmark
# that fails is reported and the others still run; the exit status is then the first
# failure's (2: bad input, 1: a run failed).
set -u -o pipefail
cd "$(dirname "$0")/.."
B=${BALLOONSIM:-./balloonsim}
DC= SQ= rc=0
step() {
  "$@"
  local s=$?
  if [ "$s" -ne 0 ]; then
    echo "bench.sh: exit $s: $*" >&2
    [ "$rc" -eq 0 ] && rc=$s
  fi
  return 0
}
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg), simulator $B"
for b in "$@"; do
  case $(basename "$b") in
    bench_dc) DC=$b ;;
    bench_sqlite) SQ=$b ;;
    *) echo "== $b"; step "$b" ;;
  esac
done
[ -n "$DC" ] && [ -n "$SQ" ] || { echo "bench.sh: bench_dc and bench_sqlite are needed (make bench builds them)"; exit 2; }

echo
echo "== benchmark scenarios: 24 h simulated, esx-share (15 s), traces at 300 s"
echo "   command: $DC table scenarios/bench/dc-small.ini scenarios/bench/dc-medium.ini scenarios/bench/dc-large.ini"
step "$DC" table scenarios/bench/dc-small.ini scenarios/bench/dc-medium.ini scenarios/bench/dc-large.ini

if [ "${BENCH_QUICK:-0}" != 1 ]; then
  echo
  echo "== every policy at its own default interval: dc-small, 24 h simulated"
  policy_row() { "$DC" table scenarios/bench/dc-small.ini --set policy.name="$1" | tail -n +2; }
  # the policies compared: every policy of the registry but the sample `example`
  mapfile -t POLICIES < <("$B" policies --compared)
  [ "${#POLICIES[@]}" -gt 0 ] || { echo "bench.sh: 'balloonsim policies --compared' lists no policy"; exit 2; }
  for p in "${POLICIES[@]}"; do
    echo "-- policy $p"
    step policy_row "$p"
  done
fi

echo
echo "== scaling: dc-large's shape (20 VMs per host), 2 h simulated, output = host at 60 s"
N="1000 10000 100000"
[ "${BENCH_QUICK:-0}" = 1 ] && N="1000 10000"
echo "   command: $DC scale scenarios/bench/dc-large.ini $N --set simulation.duration=2h"
# shellcheck disable=SC2086
step "$DC" scale scenarios/bench/dc-large.ini $N --set simulation.duration=2h

echo
echo "== VM-level output vs raw SQLite (same rows, same schema)"
echo "   command: $SQ scenarios/bench/dc-small.ini --set simulation.sample_interval=10s"
step "$SQ" scenarios/bench/dc-small.ini --set simulation.sample_interval=10s
echo "   command: $SQ scenarios/bench/dc-small.ini"
step "$SQ" scenarios/bench/dc-small.ini

echo
echo "== the decisions table: dc-small, output = vm, without and with it (esx-share, 15 s)"
for d in no yes; do
  echo "   command: $DC table scenarios/bench/dc-small.ini --set simulation.output=vm --set simulation.output.decisions=$d"
  step "$DC" table scenarios/bench/dc-small.ini --set simulation.output=vm --set simulation.output.decisions=$d
done
exit "$rc"
