#!/usr/bin/env bash
# tests/e2e/capacity.sh -- `balloonsim capacity` (issue 20, docs/capacity.md):
#   1. a scenario whose answer is computed here from its keys: static VMs of known need on
#      one host swap as soon as free memory drops below `hard`, so with
#      budget host_swap_out_bytes == 0 the most VMs are floor(C (1 - hard) / (overhead + need));
#      capacity finds it, the bracket and the table agree, probes are within the bound;
#   2. the same host searched downward over host.memory for a fixed count;
#   3. a budget no load meets: "no passing value"; 4. a range whose top passes: it says so;
#   5. bad budgets and options: exit 2, the message lists the metrics;
#   `--policies all` (and the default) searches the policies compared, `balloonsim policies
#      --compared`: not the sample `example`, which runs when named;
#   6. interrupted and rerun: the same table as an uninterrupted search, no run twice, and
#      a rerun of a finished search runs nothing.
source "$(dirname "$0")/lib.bash"
private_binary

C_MIB=4096; OVER_MIB=32; NEED_MIB=256; HARD=0.02
cat > "$T/hand.ini" <<EOF
[simulation]
duration = 10min
sample_interval = 1min
output = summary
[host]
memory = ${C_MIB}MiB
vm_overhead = ${OVER_MIB}MiB
hard = 2%
[vm a]
count = 1
memory = 512MiB
kernel = 0B
workload = constant
workload.mean = ${NEED_MIB}MiB
workload.file_set = 0B
[policy]
name = static
EOF
want=$(awk -v c=$C_MIB -v h=$HARD -v o=$OVER_MIB -v n=$NEED_MIB 'BEGIN { print int(c * (1 - h) / (o + n)) }')

# 1. upward over vm a.count
expect_status 0 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --range 1..40 --budget 'host_swap_out_bytes == 0' \
  --policies static --repeat 2 -j 2 -o "$T/hand.db"
cp "$T/out" "$T/hand.out"
check "the estimated database size is printed first" grep -q '^# estimated database growth: at most' "$T/hand.out"
row=$(q "$T/hand.db" "SELECT pass_value, fail_value, outcome, repetitions FROM capacity WHERE policy = 'static'")
check "capacity finds the hand-computed maximum ($want VMs): $row" [ "$row" = "$want.0|$((want + 1)).0|bracketed|2" ]
check "the printed table gives $want VMs per host" grep -Eq "^static +\| +$want +\|" "$T/hand.out"
check "the table's header is the issue's" grep -q 'policy.*| max VMs per host | overcommit | slowdown at max' "$T/hand.out"
probes=$(q "$T/hand.db" "SELECT probes FROM capacity")
bound=$(awk 'BEGIN { l = log(40) / log(2); print 2 * (l == int(l) ? l : int(l) + 1) + 2 }')
check "probes ($probes) within 2 ceil(log2 40) + 2 = $bound" [ "$probes" -le "$bound" ]
runs=$(q "$T/hand.db" "SELECT count(*) FROM runs WHERE status = 'complete'")
check "each probe is its repetitions: $runs runs = $probes probes x 2" [ "$runs" -eq $((probes * 2)) ]
check "the printed probe count is the table's" grep -q "^capacity: $probes probes" "$T/hand.out"
oc=$(q "$T/hand.db" "SELECT round(pass_overcommit, 6) = round($want * 512.0 / $C_MIB, 6) FROM capacity")
check "overcommit at the maximum is $want x 512 MiB / $C_MIB MiB" [ "$oc" = 1 ]
check "the probes are ordinary runs in v_runs with the claims metrics" \
  [ "$(q "$T/hand.db" "SELECT count(*) FROM v_runs WHERE host_utilisation_mean > 0 AND memory_wait_p95_s IS NOT NULL")" -eq "$runs" ]

# the figure: the bar at the passing overcommit, the bracket up to the failing one
expect_status 0 "$B" plot "$T/hand.db" --figure capacity -o "$T/cap.pdf" --script-only
row=$(awk '!/^#/ { print $2, $3, $4, $5 }' "$T/cap.pdf.dat")
check "figure data: static from $want to $((want + 1)) x 512 MiB / $C_MIB MiB ($row)" \
  [ "$row" = "$(awk -v a=$want -v c=$C_MIB 'BEGIN { printf "\"static\" %.6g %.6g 0", a * 512 / c, (a + 1) * 512 / c }')" ]
check "the script plots boxes with the bracket as error bars" grep -q 'yerrorbars' "$T/cap.pdf.gp"

# 2. downward over host.memory: the smallest host (64 MiB steps from 1 GiB) that holds 8 VMs
n=8
wantmem=$(awk -v h=$HARD -v o=$OVER_MIB -v need=$NEED_MIB -v n=$n 'BEGIN {
  c = n * (o + need) / (1 - h); k = int((c - 1024) / 64); if (1024 + 64 * k < c) k++; print 1024 + 64 * k }')
expect_status 0 "$B" capacity "$T/hand.ini" --axis host.memory --range '1GiB..8GiB step 64MiB' \
  --budget 'host_swap_out_bytes == 0' --policies static --repeat 2 -j 2 -o "$T/mem.db" --set "vm a.count=$n"
row=$(q "$T/mem.db" "SELECT direction, pass_value / 1048576, fail_value / 1048576, outcome FROM capacity")
check "host.memory searched downward: smallest passing ${wantmem} MiB ($row)" \
  [ "$row" = "down|$wantmem.0|$((wantmem - 64)).0|bracketed" ]

# 3. a budget no load meets (slowdown is never below 1)
expect_status 0 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --range 1..40 --budget 'mean_slowdown < 1' \
  --policies static --repeat 2 -o "$T/none.db"
check "no passing value is printed" grep -q '^static: no passing value: even vm a.count = 1 fails' "$T/out"
check "no passing value in the table, after one probe" \
  [ "$(q "$T/none.db" "SELECT outcome, pass_value IS NULL, probes FROM capacity")" = "no passing value|1|1" ]

# 4. a range whose top passes
expect_status 0 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --range 1..5 --budget 'host_swap_out_bytes == 0' \
  --policies static --repeat 2 -o "$T/top.db"
check "top of range passes is printed" grep -q '^static: top of range passes: vm a.count = 5' "$T/out"
check "top of range in the table" \
  [ "$(q "$T/top.db" "SELECT outcome, pass_value, fail_value IS NULL FROM capacity")" = "top of range passes|5.0|1" ]

# `all`: the policies `balloonsim policies --compared` lists, in its order, never the sample
# `example` (short runs: the outcome does not matter here, only which policies are searched)
short=(--axis 'vm a.count' --range 1..2 --budget 'host_swap_out_bytes == 0' --repeat 2 -j 2
       --set simulation.duration=2min)
expect_status 0 "$B" capacity "$T/hand.ini" "${short[@]}" --policies all -o "$T/all.db"
searched=$(q "$T/all.db" "SELECT policy FROM capacity ORDER BY rowid" | tr '\n' ' ')
compared=$("$B" policies --compared | tr '\n' ' ')
check "--policies all searches the policies compared ($searched)" test -n "$compared" -a "$searched" = "$compared"
check "--policies all: no row for the sample example" \
  [ "$(q "$T/all.db" "SELECT count(*) FROM capacity WHERE policy = 'example'")" = 0 ]
check "--policies all: no run of example" [ "$(q "$T/all.db" "SELECT count(*) FROM runs WHERE policy = 'example'")" = 0 ]
check "--policies all: the printed table has no example row" bash -c "! grep -q '^example ' '$T/out'"
expect_status 0 "$B" capacity "$T/hand.ini" "${short[@]}" -o "$T/default.db"
check "no --policies is --policies all" \
  [ "$(q "$T/default.db" "SELECT policy FROM capacity ORDER BY rowid" | tr '\n' ' ')" = "$compared" ]
expect_status 0 "$B" capacity "$T/hand.ini" "${short[@]}" --policies example -o "$T/example.db"
check "the sample runs when named" [ "$(q "$T/example.db" "SELECT policy FROM capacity")" = example ]

# 5. bad budgets and options: exit 2 with the metrics listed, nothing written
for b in 'mean_slowdwn <= 1.1' 'mean_slowdown 1.1' 'p95(vm.slowdwn) <= 1' 'host_swap_out_bytes <= fast' \
         'mean_slowdown <= 1.1 and'; do
  expect_status 2 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --budget "$b" -o "$T/bad.db"
  expect_msg "run metrics:"
  expect_msg "slowdown_mean"
done
check "a bad budget writes no database" [ ! -e "$T/bad.db" ]
expect_status 2 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --budget 'oom_kills == 0' --policies static,nope
expect_msg "unknown policy 'nope'"
expect_status 2 "$B" capacity "$T/hand.ini" --axis 'vm b.count' --budget 'oom_kills == 0' -o "$T/bad.db"
expect_msg "no section \[vm b\]"
expect_status 2 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --range 5..1 --budget 'oom_kills == 0'
expect_msg "LO <= HI"
expect_status 2 "$B" capacity "$T/hand.ini" --budget 'oom_kills == 0'
expect_msg "--axis and --budget are required"
expect_status 2 "$B" capacity "$T/hand.ini" --axis 'vm a.count' --budget 'oom_kills == 0' --set 'vm a.count=${1, 2}'
expect_msg "capacity searches one axis"

cp "$T/mem.db" "$T/two.db"
"$B" capacity "$T/hand.ini" --axis 'vm a.count' --range 1..5 --budget 'host_swap_out_bytes == 0' --policies static \
  --repeat 2 -o "$T/two.db" > /dev/null
expect_status 2 "$B" plot "$T/two.db" --figure capacity -o "$T/two.pdf" --script-only
expect_msg "pick one with --study KEY"

# a policy that refuses VM starts (hyperv-dm admits them as memory requests) is not credited
# with the VMs it did not run: at the failing value some VM never got its start granted,
# at the passing value every VM did
expect_status 0 "$B" capacity scenarios/capacity-bitbrains.ini --axis 'vm bb.count' --range 1..12 \
  --budget 'mean_slowdown <= 2' --policies hyperv-dm --repeat 2 -o "$T/refuse.db" --set simulation.duration=2h
check "refused starts fail the probe" grep -q 'VM starts refused or left waiting' "$T/out"
refused_at() {  # refused_at TEXT: VM starts never granted over the runs of the value
  q "$T/refuse.db" "SELECT count(*) FROM events e JOIN runs r USING(run_id) WHERE r.axes LIKE 'vm bb.count=$1%'
    AND e.vm_id >= 0 AND e.what = 'request' AND NOT EXISTS (SELECT 1 FROM events o WHERE o.run_id = e.run_id
    AND o.vm_id = e.vm_id AND o.what = 'request_ok')"
}
pv=$(q "$T/refuse.db" "SELECT pass_text FROM capacity"); fv=$(q "$T/refuse.db" "SELECT fail_text FROM capacity")
check "at the passing value ($pv) every start was granted, at the failing one ($fv) not" \
  test -n "$pv" -a "$(refused_at "$pv")" = 0 -a "$(refused_at "$fv")" -gt 0

# 6. interrupted, then rerun: the same result as one uninterrupted search, no run twice
slow=(--axis 'vm a.count' --range 1..40 --budget 'host_swap_out_bytes == 0' --policies static,oracle --repeat 3 -j 2
      --set simulation.duration=3h --set simulation.sample_interval=10s)
"$B" capacity "$T/hand.ini" "${slow[@]}" -o "$T/whole.db" > "$T/whole.out" 2>&1
"$B" capacity "$T/hand.ini" "${slow[@]}" -o "$T/cut.db" > "$T/cut1.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do        # interrupt once some probe is complete
  [ -f "$T/cut.db" ] && [ "$(sqlite3 "$T/cut.db" "SELECT count(*) FROM runs WHERE status = 'complete'" 2>/dev/null || echo 0)" -ge 6 ] && break
  sleep 0.1
done
kill -INT $pid; wait $pid; st=$?
check "the interrupted search exits 130 (or finished first: $st)" [ "$st" = 130 ] || [ "$st" = 0 ]
before=$(q "$T/cut.db" "SELECT count(*) FROM runs WHERE status = 'complete'")
expect_status 0 "$B" capacity "$T/hand.ini" "${slow[@]}" -o "$T/cut.db"
cols="policy, pass_value, fail_value, outcome, probes, repetitions"
check "the resumed table equals the uninterrupted one" \
  [ "$(q "$T/cut.db" "SELECT $cols FROM capacity ORDER BY policy")" = "$(q "$T/whole.db" "SELECT $cols FROM capacity ORDER BY policy")" ]
# the performance claim: oracle's slowdown paired against static's run of the same repetition
# at oracle's passing value (both probed it), computed here from the runs
paired=$(q "$T/whole.db" "SELECT round(avg(o.value - s.value), 9) FROM runs ro JOIN run_summary o ON o.run_id = ro.run_id
  JOIN runs rs ON rs.repetition = ro.repetition AND rs.policy = 'static' AND rs.axes = replace(ro.axes, 'oracle', 'static')
  JOIN run_summary s ON s.run_id = rs.run_id AND s.metric = 'mean_slowdown'
  WHERE ro.policy = 'oracle' AND o.metric = 'mean_slowdown'
  AND ro.axes LIKE 'vm a.count=' || (SELECT pass_text FROM capacity WHERE policy = 'oracle') || ',%'")
stored=$(q "$T/whole.db" "SELECT round(pass_slowdown_vs_static, 9) FROM capacity WHERE policy = 'oracle'")
check "oracle's slowdown paired against static at its maximum: $stored = $paired" test -n "$paired" -a "$stored" = "$paired"
check "no run twice" [ "$(q "$T/cut.db" "SELECT count(*) FROM (SELECT study_key, run_index FROM runs GROUP BY 1, 2 HAVING count(*) > 1)")" = 0 ]
total=$(q "$T/whole.db" "SELECT count(*) FROM runs WHERE status = 'complete'")
check "the resumed database holds the same $total complete runs" \
  [ "$(q "$T/cut.db" "SELECT count(*) FROM runs WHERE status = 'complete'")" = "$total" ]
check "the rerun reused the $before runs complete before" grep -Eq "runs run now, $before already complete" "$T/out"
maxid=$(q "$T/cut.db" "SELECT max(run_id) FROM runs")
expect_status 0 "$B" capacity "$T/hand.ini" "${slow[@]}" -o "$T/cut.db"
check "a finished search reruns nothing" grep -q " 0 runs run now, $total already complete" "$T/out"
check "and adds no run" [ "$(q "$T/cut.db" "SELECT max(run_id) FROM runs")" = "$maxid" ]

e2e_done capacity
