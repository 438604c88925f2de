#!/usr/bin/env bash
# scripts/figures.sh -- regenerate every figure the README shows (`make figures`).
#
#   bash scripts/figures.sh [./balloonsim]
#
# Runs scenarios of the repository into fresh databases under results/figures/ and draws
# from them with `balloonsim plot`, each figure as PNG (for the README) and PDF (for a
# paper), with its gnuplot script and data beside it:
#   default-timeline       scenarios/default.ini: host free memory, memory of each VM
#   default-allocation     the same run at its end: where each VM's memory is
#   default-balloon-ops    the same run: latency against size of its balloon operations
#   policies-slowdown      every policy `balloonsim policies --compared` lists on the default scenario,
#   policies-host-swap     5 repetitions each: mean and 95% CI of a summary metric (bars)
#   policies-slowdown-vs-static  the same runs: mean paired difference of the slowdown to
#                          static's run of the same repetition (common random numbers), 95% CI
#   policies-vm-slowdown   static, oracle, esx-share, hyperv-dm (those listed), 5 repetitions:
#                          CDF of the mean slowdown of each VM
#   overcommit-stall       the same policies at host memory 10..16 GiB (3 repetitions, 1 h):
#                          memory stall time against host memory, one line per policy
# Policies still being written by others join the comparison as soon as they are listed
# by `balloonsim policies --compared` (all but `example`, the how-to-write-a-policy sample
# of docs/policies.md: the set `all` stands for, as in `balloonsim capacity`).
set -euo pipefail
B="${1:-./balloonsim}"
OUT=results/figures
SCN=scenarios/default.ini
mkdir -p "$OUT"
[ -x "$B" ] || { echo "figures: no binary $B (run make)" >&2; exit 2; }

# Every listed policy, as a sweep axis: ${static, oracle, esx-share, ...}
mapfile -t POLICIES < <("$B" policies --compared)
[ "${#POLICIES[@]}" -gt 0 ] || { echo "figures: 'balloonsim policies' lists no policy" >&2; exit 2; }
AXIS=$(IFS=,; echo "${POLICIES[*]}" | sed 's/,/, /g')
# Line figures stay readable with the four reference policies (those that are listed).
MAIN=()
for p in static oracle esx-share hyperv-dm; do
  for have in "${POLICIES[@]}"; do [ "$p" = "$have" ] && MAIN+=("$p"); done
done
MAIN_AXIS=$(IFS=,; echo "${MAIN[*]}" | sed 's/,/, /g')
echo "figures: policies: $AXIS (lines: $MAIN_AXIS)"

# fresh DB NAME: remove an old database so that a rebuilt simulator redraws everything
fresh() { rm -f "$OUT/$1.db" "$OUT/$1.db-wal" "$OUT/$1.db-shm"; echo "$OUT/$1.db"; }
# both NAME ARGS...: draw one figure as PNG and PDF
both() {
  local name="$1"; shift
  "$B" plot "$@" --quiet -o "$OUT/$name.png"
  "$B" plot "$@" --quiet -o "$OUT/$name.pdf"
  echo "figures: $OUT/$name.png, .pdf"
}

db=$(fresh default)
"$B" run "$SCN" -o "$db" --quiet
both default-timeline "$db" --figure timeline
both default-allocation "$db" --figure allocation
if [ "$(sqlite3 "$db" 'SELECT count(*) FROM balloon_ops' 2>/dev/null || echo 1)" != 0 ]; then
  both default-balloon-ops "$db" --figure balloon-ops
fi

db=$(fresh policies)
"$B" run "$SCN" -o "$db" --quiet --set "policy.name=\${$AXIS}" --set simulation.repeat=5
both policies-slowdown "$db" --figure sweep --x policy.name --metric mean_slowdown
both policies-slowdown-vs-static "$db" --figure sweep --x policy.name --metric mean_slowdown --paired static
both policies-host-swap "$db" --figure sweep --x policy.name --metric host_swap_out_bytes

db=$(fresh main)
"$B" run "$SCN" -o "$db" --quiet --set "policy.name=\${$MAIN_AXIS}" --set simulation.repeat=5
both policies-vm-slowdown "$db" --figure cdf --metric slowdown_mean

db=$(fresh overcommit)
"$B" run "$SCN" -o "$db" --quiet --set "policy.name=\${$MAIN_AXIS}" \
  --set 'host.memory=${10GiB, 12GiB, 14GiB, 16GiB}' --set simulation.repeat=3 --set simulation.duration=1h
both overcommit-stall "$db" --figure sweep --x host.memory --metric stall_s
echo "figures: done ($OUT)"
