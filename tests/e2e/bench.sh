#!/usr/bin/env bash
# End-to-end: the benchmarks of `make bench` (issue 9) print every figure they promise --
# wall and CPU time, events/s, VM-ticks/s, peak memory, rows and rows/s, output size; the
# scaling table's cost per VM-tick and memory per VM; the SQLite ratio -- on tiny runs, and
# refuse bad input with exit 2 before running anything.  Speed is never asserted (that is
# what the benchmarks are for); only that the figures are there and plausible.
# BENCH names the directory of bench_dc and bench_sqlite (make passes $(BUILD)/bench).
source "$(dirname "$0")/lib.bash"
DC=$BENCH/bench_dc SQ=$BENCH/bench_sqlite
for b in "$DC" "$SQ"; do [ -x "$b" ] || { echo "FAIL $b is missing (make builds it)"; exit 1; }; done

# 1. the table: one row per scenario under the named columns, every figure a positive number
expect_status 0 "$DC" table scenarios/bench/dc-small.ini --set simulation.duration=20min
for col in "wall s" "CPU s" "events/s" "VM-ticks/s" "RSS MiB" "rows/s" "out MiB"; do
  head -1 "$T/out" | grep -q -- "$col" && ok "table column '$col'" || bad "table lacks column '$col': $(head -1 "$T/out")"
done
row=$(grep '^dc-small ' "$T/out")
set -- $row
[ "$#" = 13 ] && [ "$2" = 200 ] && [ "$3" = 10 ] && ok "dc-small row: 200 VMs on 10 hosts" || bad "dc-small row: '$row'"
shift 3
positive=1
for v in "$@"; do awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }' || positive=0; done
[ "$positive" = 1 ] && ok "every figure of the row is positive" || bad "a zero or missing figure: '$row'"

# 2. the scaling table: a row per size, cost per VM-tick and memory per VM at the end
expect_status 0 "$DC" scale scenarios/bench/dc-large.ini 200 400 --set simulation.duration=10min
[ "$(grep -cE '^ +(200|400) ' "$T/out")" = 2 ] && ok "scale: a row for 200 and 400 VMs" || bad "scale rows: $(cat "$T/out")"
grep -qE '^cost per VM-tick \(CPU\): [0-9.]+ ns at 200 VMs, [0-9.]+ ns at 400 VMs' "$T/out" &&
  ok "scale: cost per VM-tick" || bad "scale: no cost line: $(tail -2 "$T/out")"
grep -qE '^marginal cost per VM-tick .*: -?[0-9.]+ to -?[0-9.]+ ns' "$T/out" && ok "scale: marginal cost per VM-tick" \
  || bad "scale: no marginal cost line: $(tail -3 "$T/out")"
grep -qE '^memory per VM .*: -?[0-9]+ bytes' "$T/out" && ok "scale: memory per VM" || bad "scale: no memory line"

# a group without a count key (count 1 by default) is scaled with the others
cat >"$T/shape.ini" <<'EOF2'
[simulation]
duration = 10min
output = summary
[host]
count = 2
memory = 16GiB
[vm a]
memory = 1GiB
[vm b]
count = 3
memory = 1GiB
EOF2
expect_status 0 "$DC" scale "$T/shape.ini" 4 8
grep -qE '^ +8 +4 ' "$T/out" && ok "scale: 8 VMs on 4 hosts (the count-less group scaled too)" || bad "scale shape: $(cat "$T/out")"

# 3. the SQLite comparison: simulator and raw rates, and their ratio
expect_status 0 "$SQ" scenarios/bench/dc-small.ini --set simulation.duration=10min --reps 1
grep -qE '^  simulator +[0-9.]+ s +[0-9]+ rows/s' "$T/out" && ok "sqlite: simulator rate" || bad "sqlite: $(cat "$T/out")"
grep -qE '^  raw SQLite +[0-9.]+ s +[0-9]+ rows/s' "$T/out" && ok "sqlite: raw rate" || bad "sqlite: no raw rate"
grep -qE '^  ratio simulator / raw SQLite: [0-9]+%' "$T/out" && ok "sqlite: ratio" || bad "sqlite: no ratio"

# 4. bad input: exit 2, one message naming the problem, no table printed
expect_status 2 "$DC" table "$T/missing.ini"
expect_msg "cannot open scenario"
[ ! -s "$T/out" ] && ok "nothing printed on stdout" || bad "printed: $(head -2 "$T/out")"
expect_status 2 "$DC" table scenarios/bench/dc-small.ini --set policy.name=nope
expect_msg "unknown policy 'nope'"
# a trace that cannot be opened is found only when the run starts: still exit 2
sed 's|^workload.file = scenarios/traces/diurnal-24h.csv|workload.file = '"$T"'/no-such.csv|' scenarios/bench/dc-small.ini > "$T/notrace.ini"
expect_status 2 "$DC" table "$T/notrace.ini" --set simulation.duration=10min
expect_msg "no-such.csv: cannot open"
expect_status 2 "$DC" scale scenarios/bench/dc-small.ini 0
expect_msg "'0' is not a VM count"
expect_status 2 "$DC" frobnicate scenarios/bench/dc-small.ini
expect_status 2 "$SQ" "$T/missing.ini"
expect_msg "cannot open scenario"
expect_status 2 "$SQ" scenarios/bench/dc-small.ini --reps 0
expect_msg "reps needs a whole number"
expect_status 2 "$SQ" scenarios/bench/dc-small.ini --set host.memory=-1GiB
expect_msg "\[host\] memory"
# the scripts behind make bench and make profile parse
bash -n scripts/bench.sh && bash -n scripts/profile.sh && ok "bench.sh and profile.sh parse" || bad "a script does not parse"

# 5. the queue and page-cache benchmarks print their figures (tiny sizes)
expect_status 0 "$BENCH/bench_queue" 1000 1
[ "$(grep -cE '^sim_queue +pending +[0-9]+ +events +1000 .* M events/s' "$T/out")" = 3 ] \
  && ok "bench_queue: events/s at three queue sizes" || bad "bench_queue: $(cat "$T/out")"
expect_status 0 "$BENCH/bench_cache"
[ "$(grep -cE '^cache_mrc_create .* ms per build' "$T/out")" = 3 ] && ok "bench_cache: three build times" \
  || bad "bench_cache: $(cat "$T/out")"

# 6. make bench fails when a benchmark fails (and still runs the others)
mkdir -p "$T/fake"
printf '#!/bin/sh\necho "bench_dc: x.ini: bad" >&2\nexit 2\n' > "$T/fake/bench_dc"
printf '#!/bin/sh\necho "sqlite ran"\n' > "$T/fake/bench_sqlite"
chmod +x "$T/fake/bench_dc" "$T/fake/bench_sqlite"
BENCH_QUICK=1 expect_status 2 bash scripts/bench.sh "$T/fake/bench_dc" "$T/fake/bench_sqlite"
expect_msg "bench.sh: exit 2: $T/fake/bench_dc table"
grep -q "sqlite ran" "$T/out" && ok "the other benchmarks still ran" || bad "bench.sh stopped early: $(cat "$T/out")"

e2e_done bench
