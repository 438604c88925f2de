#!/usr/bin/env bash
# tests/e2e/traces.sh -- real traces as they are (issue 19): the trace warnings once per
# file in `run` and `sweep`, none for a clean file, and the Bitbrains mapping's cap counted
# in the summaries (workload.mapping = fit against legacy).  The warnings' text and exit
# status, one case per warning, are in tests/bad/100-108.
source "$(dirname "$0")/lib.bash"
private_binary
H=$'Timestamp [ms];\tCPU cores;\tMemory capacity provisioned [KB];\tMemory usage [KB]'
# a 20-minute trace whose first row uses 12 GiB of 1.89 GiB provisioned (the Rnd file of
# issue 19), 5 of its 7 rows missing: three warnings
{ echo "$H"
  printf '1376314846;\t1;\t1983000;\t12582912\n1376315146;\t1;\t1983000;\t0\n1376315446;\t1;\t0;\t0\n'
  printf '1376315746;\t1;\t0;\t0\n1376316046;\t1;\t1983000;\t1000\n1376316346;\t1;\t0;\t0\n1376316646;\t1;\t0;\t0\n'
} > "$T/short.csv"
{ echo "$H"; for i in $(seq 0 24); do printf '%d;\t1;\t2097152;\t%d\n' $((1376314846+i*300)) $((400000+i*1000)); done; } > "$T/clean.csv"
cat > "$T/r.ini" <<INI
[simulation]
duration = 2h
output = summary
[host]
memory = 8GiB
[vm a]
count = 3
workload = bitbrains
workload.file = $T/short.csv
[vm b]
workload = bitbrains
workload.file = $T/clean.csv
INI
"$B" run "$T/r.ini" -o "$T/fit.db" --quiet 2>"$T/err" || bad "run: $(head -c 300 "$T/err")"
for w in "rows dropped" "less than an hour" "above the provisioned memory"; do
  check "run: '$w' printed once for 3 VMs replaying the file" [ "$(grep -c "balloonsim run: warning: .*short.csv: .*$w" "$T/err")" = 1 ]
done
check "run: no warning for the clean file" [ "$(grep -c 'clean.csv' "$T/err")" = 0 ]
check "run: three warnings in all" [ "$(grep -c 'warning' "$T/err")" = 3 ]
"$B" sweep "$T/r.ini" -o "$T/sw.db" --quiet -j 2 --set 'simulation.duration=${1h, 2h}' --set simulation.repeat=2 2>"$T/err" ||
  bad "sweep: $(head -c 300 "$T/err")"
check "sweep: each warning once over 2 points x 2 repetitions" [ "$(grep -c 'balloonsim sweep: warning' "$T/err")" = 3 ]
"$B" trace check --strict "$T/clean.csv" >/dev/null 2>"$T/err"
check "trace check --strict: a clean file exits 0 without warnings" [ $? = 0 ] && check "  and stderr is empty" [ ! -s "$T/err" ]

# fit caps the 12 GiB row (the VM's memory less kernel, watermark and file set) and counts it
capped() { q "$1" "SELECT value FROM run_summary WHERE metric = '$2'"; }
check "fit: the 3 VMs of the file are counted as capped" [ "$(capped "$T/fit.db" vms_usage_capped)" = 3.0 ]
# the usage row holds 20 of every 40 min (two rows, looped): 60 min capped per VM in 2 h
check "fit: 3 x 3600 s capped" [ "$(capped "$T/fit.db" usage_capped_s)" = 10800.0 ]
check "fit: the clean VM is never capped" \
  [ "$(q "$T/fit.db" "SELECT value FROM vm_summary JOIN vms USING(run_id, vm_id) WHERE grp = 'b' AND metric = 'usage_capped_s'")" = 0.0 ]
check "fit: no guest swap-out, no OOM kill" [ "$(capped "$T/fit.db" guest_swap_out_bytes)$(capped "$T/fit.db" oom_kills)" = 0.00.0 ]
"$B" run "$T/r.ini" -o "$T/legacy.db" --quiet --set 'vm a.workload.mapping=legacy' 2>/dev/null || bad "legacy run"
check "legacy: nothing capped" [ "$(capped "$T/legacy.db" vms_usage_capped)" = 0.0 ]
check "legacy: the 12 GiB row swaps and ends in OOM kills" \
  [ "$(q "$T/legacy.db" "SELECT (SELECT value FROM run_summary WHERE metric = 'oom_kills') > 0 AND
                                (SELECT value FROM run_summary WHERE metric = 'guest_swap_out_bytes') > 0")" = 1 ]
e2e_done traces
