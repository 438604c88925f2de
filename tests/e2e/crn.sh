#!/usr/bin/env bash
# tests/e2e/crn.sh -- common random numbers (issue 17, part 1): every stream that describes
# the world is seeded from (base seed, repetition, entity name), never from the run index.
#
# Checks, each printed as it runs:
#   1. A study with the policy as its axis over every registered policy, 2 repetitions,
#      random generators (diurnal with noise, onoff, spikes, ou), a trace replay with a
#      phase, driver outages and refusals: for every VM, the anon_demand and file-set series
#      are identical across policies within a repetition and differ between repetitions;
#      so are the driver outages (events balloon_unresponsive).
#   2. A VM keeps its stream when its group's count changes: web/1 and ou/0 replay the same
#      series with 2 or 4 web VMs.
#   3. seeds = per-run restores independent runs: the same VM's series then differ between
#      policies; --dry-run lists one seed per repetition by default, one per run with per-run.
#   4. A bad seeds value, or seeds as an axis, is refused (exit 2, names the key).
source "$(dirname "$0")/lib.bash"
private_binary
S="$T/crn.ini"
cat > "$S" <<INI
[simulation]
duration = 20min
seed = 7
repeat = 2
sample_interval = 1min
[host]
memory = 14GiB                ; 7 VMs of 3 GiB: overcommitted, but all start (7 x 1792 MiB)
[vm web]
count = 2
memory = 3GiB
startup = 1792MiB
workload = diurnal
workload.mean = 1500MiB
workload.amplitude = 500MiB
workload.period = 20min
workload.noise = 100MiB
workload.file_set = 512MiB
[vm batch]
memory = 3GiB
startup = 1792MiB
workload = onoff
workload.mean = 1GiB
workload.amplitude = 1GiB
workload.on_time = 2min
workload.off_time = 2min
[vm spiky]
memory = 3GiB
startup = 1792MiB
workload = spikes
workload.mean = 1GiB
workload.spike_interval = 2min
[vm ou]
memory = 3GiB
startup = 1792MiB
workload = ou
workload.mean = 1GiB
workload.noise = 200MiB
[vm replay]
count = 2
memory = 3GiB
startup = 1792MiB
workload = trace
workload.file = $PWD/scenarios/traces/ou-6h.csv
workload.phase = 30min
[balloon]
mtbf = 3min
unresponsive_mean = 20s
refuse_probability = 10%
[policy]
name = static
INI
POLICIES=$("$B" policies | grep -E '^[a-z]' | awk '{print $1}' | paste -sd, -)
npol=$(echo "$POLICIES" | tr , '\n' | wc -l)
check "every registered policy is on the axis ($npol: $POLICIES)" [ "$npol" -ge 7 ]
"$B" sweep "$S" -o "$T/a.db" --quiet -j 2 --set "policy.name=\${$POLICIES}" >"$T/out" 2>"$T/err" ||
  bad "sweep over the policies: $(head -c 300 "$T/err")"
check "sweep wrote $((npol * 2)) complete runs" \
  [ "$(q "$T/a.db" "SELECT count(*) FROM runs WHERE status = 'complete'")" = $((npol * 2)) ]
# one series per (repetition, policy, VM): the series, in time order
series() {   # series DB COLUMNS -> lines "rep|policy|vm|series" (the series in time order)
  sqlite3 "$1" "SELECT r.repetition, r.policy, v.name, group_concat(s.time_ns || ':' || $2, ',')
                FROM (SELECT * FROM vm_samples ORDER BY run_id, vm_id, time_ns) s
                JOIN runs r USING(run_id) JOIN vms v USING(run_id, vm_id)
                GROUP BY r.run_id, s.vm_id"
}
series "$T/a.db" "s.anon_demand_bytes || '/' || s.file_set_bytes" > "$T/dig"
nvm=$(q "$T/a.db" "SELECT count(DISTINCT name) FROM vms")
check "series for every run and VM ($(wc -l < "$T/dig") = $npol x 2 x $nvm)" [ "$(wc -l < "$T/dig")" = $((npol * 2 * nvm)) ]
# within a repetition: one digest per VM whatever the policy
within=$(awk -F'|' '{ k = $1 "|" $3; if (!(k in d)) d[k] = $4; else if (d[k] != $4) bad[k] = 1 }
                    END { n = 0; for (k in bad) n++; print n }' "$T/dig")
check "anon_demand and file-set series identical across the $npol policies within each repetition (VMs differing: $within)" \
  [ "$within" = 0 ]
# between repetitions: every VM with a random generator differs (trace replays are deterministic)
between=$(awk -F'|' '$2 == "static" && $3 !~ /^replay/ { d[$1 "|" $3] = $4; vm[$3] = 1 }
                     END { n = 0; for (v in vm) if (d["0|" v] == d["1|" v]) n++; print n }' "$T/dig")
check "the series differ between repetitions for every randomly generated VM (VMs equal: $between)" [ "$between" = 0 ]
check "trace replays are the same in both repetitions" \
  [ "$(awk -F'|' '$3 ~ /^replay/ {print $3 "|" $4}' "$T/dig" | sort -u | wc -l)" = 2 ]
nout=$(q "$T/a.db" "SELECT count(*) FROM events WHERE what = 'balloon_unresponsive'")
outages=$(q "$T/a.db" "SELECT count(*) FROM (SELECT r.repetition, e.vm_id, group_concat(e.time_ns, ',') g
            FROM (SELECT * FROM events WHERE what = 'balloon_unresponsive' ORDER BY run_id, vm_id, time_ns) e
            JOIN runs r USING(run_id) GROUP BY r.repetition, r.run_id, e.vm_id) GROUP BY repetition, vm_id
            HAVING count(DISTINCT g) > 1")
check "driver outages ($nout events) at the same times across policies within a repetition" \
  [ "$nout" -gt 0 -a -z "$outages" ]

# 2. the group's count does not move a VM's stream
"$B" sweep "$S" -o "$T/b.db" --quiet -j 2 --set 'policy.name=${static,esx-share}' --set 'vm web.count=4' \
  >"$T/out" 2>"$T/err" || bad "sweep with 4 web VMs: $(head -c 300 "$T/err")"
series "$T/b.db" "s.anon_demand_bytes || '/' || s.file_set_bytes" > "$T/dig4"
for vm in web/1 ou/0 batch/0; do
  check "$vm replays the same series with 2 or 4 web VMs" \
    cmp -s <(awk -F'|' -v v=$vm '$3 == v && ($2 == "static" || $2 == "esx-share") {print $1, $2, $4}' "$T/dig" | sort) \
           <(awk -F'|' -v v=$vm '$3 == v {print $1, $2, $4}' "$T/dig4" | sort)
done
check "web/3 exists with 4 web VMs" grep -q '|web/3|' "$T/dig4"

# 3. seeds = per-run: independent runs
"$B" sweep "$S" -o "$T/c.db" --quiet -j 2 --set 'policy.name=${static,esx-share}' --set simulation.seeds=per-run \
  >"$T/out" 2>"$T/err" || bad "sweep with seeds = per-run: $(head -c 300 "$T/err")"
series "$T/c.db" "s.anon_demand_bytes" > "$T/digr"
check "seeds = per-run: web/0's series differs between static and esx-share" \
  [ "$(awk -F'|' '$1 == 0 && $3 == "web/0" {print $4}' "$T/digr" | sort -u | wc -l)" = 2 ]
"$B" sweep "$S" --dry-run --set 'policy.name=${static,esx-share}' > "$T/dry"
check "--dry-run: 4 runs, one seed per repetition" \
  [ "$(grep -vc '^#' "$T/dry")" = 4 -a "$(grep -v '^#' "$T/dry" | awk '{print $3, $4}' | sort -u | wc -l)" = 2 ]
check "--dry-run seeds are the seeds the sweep stored, by repetition" \
  cmp -s <(grep -v '^#' "$T/dry" | awk '{print $3, $4}' | sort -u) \
         <(q "$T/a.db" "SELECT DISTINCT repetition, seed FROM runs" | while IFS='|' read -r r s; do
             printf '%s %s\n' "$r" "$s"; done | sort -u)    # one representation: signed 64-bit (issue 21)
"$B" sweep "$S" --dry-run --set 'policy.name=${static,esx-share}' --set simulation.seeds=per-run > "$T/dryr"
check "--dry-run with seeds = per-run: 4 distinct seeds" \
  [ "$(grep -v '^#' "$T/dryr" | awk '{print $4}' | sort -u | wc -l)" = 4 ]
check "stored seeds: one per repetition" \
  [ "$(q "$T/a.db" "SELECT count(DISTINCT seed) FROM runs")" = 2 ]

# 4. bad input
expect_status 2 "$B" validate "$S" --set simulation.seeds=sometimes
expect_msg "seeds"
expect_status 2 "$B" validate "$S" --set 'simulation.seeds=${per-run,per-repetition}'
expect_msg "cannot be an axis"
expect_status 2 "$B" validate "$S" --set simulation.baseline=nosuch
expect_msg "baseline"
e2e_done crn
