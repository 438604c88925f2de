#!/usr/bin/env bash
# Validation against published results (docs/validation.md).
# Runs every scenario of scenarios/validation/ with `balloonsim check` (their [expect]
# lines) into one database, then makes the comparisons that span two runs or need the
# time series: the throughput gain of the idle memory tax (Waldspurger 2002, Fig. 7), the
# ballooned-vs-native gap (Fig. 2), Hyper-V weights swapped, MOM's 5% step, squeezed's
# gamma, Senpai's settled size and the fixed limits of the senpai README, and host swapping
# against ballooning (VMware ESX 4.1 performance study).  Prints one "published |
# simulated" line per result.  Exit status 1 when any check fails.  About 2 s of runs.
source "$(dirname "$0")/lib.bash"
DB=$T/validation.db
# awk-evaluated condition and formatting: is COND true for the given variables?
holds() { awk "BEGIN { exit !($1) }"; }
fmt()   { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
# vm_summary metric, mean over a group, of the run of scenarios/validation/FILE in DB
vm() { # db file group metric
  q "$1" "SELECT avg(s.value) FROM vm_summary s JOIN runs r USING(run_id) JOIN vms v USING(run_id, vm_id)
          WHERE r.scenario_path LIKE '%/$2' AND v.grp = '$3' AND s.metric = '$4'"
}
run_metric() { # db file metric
  q "$1" "SELECT s.value FROM run_summary s JOIN runs r USING(run_id) WHERE r.scenario_path LIKE '%/$2' AND s.metric = '$3'"
}
MiB=1048576
report() { printf '     %-44s published %-22s simulated %s\n' "$1" "$2" "$3"; }

# 0. every scenario's own [expect] lines, with page conservation checked after every event
# The published rows were reproduced under the memory model before issue 23; under its new
# defaults (memory_model = v2) several no longer reproduce (docs/validation.md, "Issue 23"),
# which issue 19 takes up.  VALIDATION_MODEL=v2 runs them under the new model.
MODEL=${VALIDATION_MODEL:-legacy}
if "$B" check --quiet -o "$DB" --set simulation.check=yes --set simulation.memory_model="$MODEL" \
     scenarios/validation/*.ini > "$T/check.out" 2>&1; then
  ok "balloonsim check scenarios/validation/*.ini: every [expect] holds (conservation checked)"
else
  cat "$T/check.out"; bad "balloonsim check scenarios/validation/*.ini"
fi
[ -s "$DB" ] || { echo "FAIL no database"; exit 1; }

# 1. ESX idle memory tax (Fig. 7): equal split at tau = 0, gain > 30% at tau = 0.75
i0=$(vm "$DB" esx-fig7-tax0.ini idle usable_final_bytes); b0=$(vm "$DB" esx-fig7-tax0.ini busy usable_final_bytes)
i75=$(vm "$DB" esx-fig7-tax75.ini idle usable_final_bytes); b75=$(vm "$DB" esx-fig7-tax75.ini busy usable_final_bytes)
s0=$(vm "$DB" esx-fig7-tax0.ini busy slowdown_mean); s75=$(vm "$DB" esx-fig7-tax75.ini busy slowdown_mean)
late() { q "$DB" "SELECT avg(s.slowdown) FROM vm_samples s JOIN runs r USING(run_id) JOIN vms v USING(run_id, vm_id)
                   WHERE r.scenario_path LIKE '%/$1' AND v.grp = 'busy' AND s.time_ns >= 1800e9"; }
gain=$(fmt "$s0 / $s75 - 1"); gain_late=$(fmt "$(late esx-fig7-tax0.ini) / $(late esx-fig7-tax75.ini) - 1")
report "ESX Fig. 7, tau=0: VM1 / VM2 (MiB)" "~179 / ~179" "$(fmt "$i0/$MiB" 1) / $(fmt "$b0/$MiB" 1)"
report "ESX Fig. 7, tau=0.75: VM1 / VM2 (MiB)" "idle -> active" "$(fmt "$i75/$MiB" 1) / $(fmt "$b75/$MiB" 1)"
report "ESX Fig. 7, VM2 throughput gain" "> 30%" "+$(fmt "100*$gain" 0)% (last 30 min +$(fmt "100*$gain_late" 0)%)"
holds "($i0 - $b0)^2 < (2*$MiB)^2" && ok "tau = 0: equal shares give equal memory" || bad "tau = 0: idle $i0 busy $b0"
holds "$b75 > $b0 + 48*$MiB && $i75 < $i0 - 48*$MiB" && ok "tau = 0.75 moves the idle VM's memory to the busy one" \
  || bad "tau = 0.75: idle $i75 busy $b75"
holds "$gain > 0.30" && ok "throughput gain of the busy VM > 30% (1/slowdown_mean)" || bad "gain $gain <= 30%"

# 2. ESX ballooned vs natively sized VM (Fig. 2): within a few percent, ballooned not faster
gaps=""
for x in 128 160 192 224; do
  sb=$(vm "$DB" esx-fig2-ballooned.ini b$x slowdown_mean); sn=$(vm "$DB" esx-fig2-ballooned.ini n$x slowdown_mean)
  g=$(fmt "$sb / $sn - 1" 4); gaps="$gaps $x:$(fmt "100*$g" 1)%"
  holds "$g >= 0 && $g < 0.05" && ok "ballooned to $x MiB: $(fmt "100*$g" 2)% slower than native $x MiB (< 5%)" \
    || bad "ballooned $x: gap $g"
done
report "ESX Fig. 2, ballooned vs native gap" "1.4% .. 4.4%" "${gaps# }"

# 3. Hyper-V: 1000 MB committed + 20% buffer; the weight decides, whichever VM has it
u20=$(vm "$DB" hyperv-buffer-1000.ini dm20 usable_final_bytes)
report "Hyper-V, 1000 MB committed, buffer 20%" "~1200 MB" "$(fmt "$u20/$MiB" 1) MiB"
holds "$u20 >= 1196*$MiB && $u20 <= 1202*$MiB" && ok "Hyper-V buffer: 1000 -> 1200 MiB" || bad "Hyper-V buffer: $u20"
g1=$(vm "$DB" hyperv-weight.ini gold usable_final_bytes); r1=$(vm "$DB" hyperv-weight.ini bronze usable_final_bytes)
"$B" run scenarios/validation/hyperv-weight.ini -o "$T/w.db" --quiet --set simulation.memory_model="$MODEL" --set 'vm gold.weight=2000' --set 'vm bronze.weight=8000' \
  || bad "hyperv-weight.ini with swapped weights did not run"
g2=$(vm "$T/w.db" hyperv-weight.ini gold usable_final_bytes); r2=$(vm "$T/w.db" hyperv-weight.ini bronze usable_final_bytes)
report "Hyper-V weight 8000 vs 2000 (MiB)" "higher weight keeps" "gold $(fmt "$g1/$MiB" 0), bronze $(fmt "$r1/$MiB" 0); swapped: gold $(fmt "$g2/$MiB" 0), bronze $(fmt "$r2/$MiB" 0)"
holds "$r2 >= 2624*$MiB && $g2 < 2400*$MiB && ($r2 - $g1)^2 < (4*$MiB)^2 && ($g2 - $r1)^2 < (4*$MiB)^2" \
  && ok "Hyper-V: swapping the weights swaps who keeps memory" || bad "swapped weights: gold $g2 bronze $r2"

# 3b. Hyper-V with room to spare (tests/regression/hyperv-room.ini, 200 % buffers): a VM's
# memory is demand (committed, page cache not in it) + buffer, whatever the host holds; the
# default 20 % buffer squeezes cache-heavy VMs on a free host, a larger one avoids it
room=tests/regression/hyperv-room.ini
for b in 20 200; do
  "$B" run "$room" -o "$T/room$b.db" --quiet --set simulation.memory_model="$MODEL" --set "vm web.buffer=$b%" --set "vm batch.buffer=$b%" \
    --set "vm idle.buffer=$b%" || bad "hyperv-room.ini with buffer $b% did not run"
done
"$B" run "$room" -o "$T/roomst.db" --quiet --set simulation.memory_model="$MODEL" --set policy.name=static || bad "hyperv-room.ini static did not run"
r20=$(q "$T/room20.db" "SELECT value FROM run_summary WHERE metric = 'mean_slowdown'")
r200=$(q "$T/room200.db" "SELECT value FROM run_summary WHERE metric = 'mean_slowdown'")
rst=$(q "$T/roomst.db" "SELECT value FROM run_summary WHERE metric = 'mean_slowdown'")
report "Hyper-V, free host, buffer 20% / 200%" "demand + buffer" "slowdown $(fmt "$r20" 2) / $(fmt "$r200" 2) (static $(fmt "$rst" 2))"
holds "$r20 > 1.3 && $r200 < 1.10 && $r200 < $rst * 1.07" && ok "Hyper-V with room: the 20% buffer squeezes the cache, 200% is within 7% of static" \
  || bad "Hyper-V with room: $r20 / $r200 (static $rst)"

# 4. MOM: every shrink <= 5% of the guest's current memory per 10 s, and the limit is reached;
# grows are 5% steps or jumps to the floor used + 20% (balloon.rules grow_guest), never more
# than the floor (each grow is checked against its rule in the decisions table)
mom_file="%/mom-5pct.ini"
# a target's step is measured against the guest's usable memory when MOM set it (the 10 s
# sample at the same time is taken after the policy tick, before the driver moves: 5 ms)
steps=$(q "$DB" "WITH t AS (SELECT g.vm_id, g.time_ns, g.usable_target_bytes AS u, x.usable_bytes AS p,
                   lag(g.time_ns) OVER (PARTITION BY g.vm_id ORDER BY g.time_ns) AS pt
                 FROM targets g JOIN runs r USING(run_id)
                 JOIN vm_samples x ON x.run_id = g.run_id AND x.vm_id = g.vm_id AND x.time_ns = g.time_ns
                 WHERE r.scenario_path LIKE '$mom_file')
               SELECT count(*), max((u - p) * 1.0 / p), min((u - p) * 1.0 / p),
                      sum(p - u > 0.05 * p + 4096), min(time_ns - pt) FROM t")
IFS='|' read -r n up down over gap_ns <<< "$steps"
samp=$(q "$DB" "WITH s AS (SELECT x.usable_bytes AS u,
                   lag(x.usable_bytes) OVER (PARTITION BY x.vm_id ORDER BY x.time_ns) AS p
                 FROM vm_samples x JOIN runs r USING(run_id) WHERE r.scenario_path LIKE '$mom_file')
               SELECT sum(p - u > 0.05 * p + $MiB), min((u - p) * 1.0 / p) FROM s WHERE p IS NOT NULL")
IFS='|' read -r sover smin <<< "$samp"
report "MOM largest balloon shrink per 10 s" "5% of the guest" "$(fmt "100*$down" 2)% ($n moves; samples $(fmt "100*$smin" 2)%; largest grow +$(fmt "100*$up" 2)%, to the floor)"
[ "$over" = 0 ] && [ "$sover" = 0 ] && ok "MOM: no target shrinks by more than 5% (+1 page), no 10 s sample by more than 5% (+1 MiB driver unit)" \
  || bad "MOM: $over targets and $sover samples shrink by more than 5%"
holds "$down < -0.049 && $gap_ns >= 10e9" && ok "MOM: 5% shrink steps, at least 10 s apart" \
  || bad "MOM: steps down $down, min gap $gap_ns ns"

# 5. squeezed: every domain at the same fraction gamma of [dynamic-min, dynamic-max]
cap=$(q "$DB" "SELECT h.capacity_bytes FROM hosts h JOIN runs r USING(run_id) WHERE r.scenario_path LIKE '%/squeezed-gamma.ini'")
rows=$(q "$DB" "SELECT v.configured_bytes, CASE WHEN v.min_bytes > 0 THEN v.min_bytes ELSE v.configured_bytes / 4 END, s.value, v.grp
                FROM vms v JOIN runs r USING(run_id) JOIN vm_summary s USING(run_id, vm_id)
                WHERE r.scenario_path LIKE '%/squeezed-gamma.ini' AND s.metric = 'usable_final_bytes' ORDER BY v.vm_id")
res=$(echo "$rows" | awk -F'|' -v cap="$cap" -v mib=$MiB '
  { mx[NR]=$1; mn[NR]=$2; u[NR]=$3; smin+=$2; srange+=$1-$2 }
  END { gamma=(cap - NR*32*mib - 9*mib - smin - NR*2*4*mib)/srange; worst=0; lo=1; hi=0  # 2 x 4 MiB: compensation
        for (i=1;i<=NR;i++) { t=mn[i]+gamma*(mx[i]-mn[i]); d=u[i]-t; if (d<0) d=-d; if (d>worst) worst=d
                              g=(u[i]-mn[i])/(mx[i]-mn[i]); if (g<lo) lo=g; if (g>hi) hi=g }
        printf "%.4f %.4f %.4f %.2f", gamma, lo, hi, worst/mib }')
read -r gam glo ghi worst <<< "$res"
report "squeezed gamma (4 domains)" "$gam (formula)" "$glo .. $ghi (worst $worst MiB off)"
holds "$worst <= 6" && ok "squeezed: each domain within 6 MiB of min + gamma (max - min)" || bad "squeezed: $worst MiB off"

# 6. Senpai: the kernel build's limit settles at 340-400 MiB (usable - 64 MiB kernel) with little
# slowdown.  The scenario uses the published run's max_backoff (10%); with senpai.py's default
# (100%) the limit saw-tooths instead (README, Validation).  The mean of the last 30 min must
# lie in the band, and so must its lowest point.
set_mib=$(q "$DB" "SELECT min(s.usable_bytes) / $MiB - 64 FROM vm_samples s JOIN runs r USING(run_id)
                   WHERE r.scenario_path LIKE '%/senpai-kbuild.ini' AND s.time_ns >= 5400e9")
mean_mib=$(q "$DB" "SELECT avg(s.usable_bytes) / $MiB - 64 FROM vm_samples s JOIN runs r USING(run_id)
                   WHERE r.scenario_path LIKE '%/senpai-kbuild.ini' AND s.time_ns >= 5400e9")
range=$(q "$DB" "SELECT min(s.usable_bytes) / $MiB - 64, max(s.usable_bytes) / $MiB - 64 FROM vm_samples s JOIN runs r USING(run_id)
                 WHERE r.scenario_path LIKE '%/senpai-kbuild.ini' AND s.time_ns >= 5400e9")
reach=$(q "$DB" "SELECT min(s.time_ns) / 60e9 FROM vm_samples s JOIN runs r USING(run_id)
                 WHERE r.scenario_path LIKE '%/senpai-kbuild.ini' AND s.usable_bytes <= 470 * $MiB")
ssd=$(vm "$DB" senpai-kbuild.ini build slowdown_mean)
report "Senpai kernel build: limit (MiB)" "~340" "low $(fmt "$set_mib" 0), mean $(fmt "$mean_mib" 0) (${range/|/..}) after $(fmt "$reach" 0) min"
report "Senpai kernel build: slowdown" "+4.8% run time" "+$(fmt "100*($ssd-1)" 1)% (slowdown_mean)"
holds "$set_mib >= 340 && $set_mib <= 400 && $mean_mib >= 340 && $mean_mib <= 400" \
  && ok "Senpai's limit settles at $(fmt "$mean_mib" 0) MiB, low $(fmt "$set_mib" 0) (340..400)" \
  || bad "Senpai's limit: mean $mean_mib, low $set_mib MiB (want 340..400)"
holds "$ssd < 1.05" && ok "Senpai: little slowdown ($(fmt "$ssd" 4))" || bad "Senpai slowdown $ssd"
limit_run() { # memory -> slowdown_mean of the hot set alone under static policy
  # the same build without senpai's key, under static (a fixed limit)
  [ -e "$T/senpai-kbuild.ini" ] || grep -v '^max_backoff' scenarios/validation/senpai-kbuild.ini > "$T/senpai-kbuild.ini"
  "$B" run "$T/senpai-kbuild.ini" -o "$T/l$1.db" --quiet --set simulation.memory_model="$MODEL" --set policy.name=static \
    --set "vm build.memory=$1" --set 'vm build.workload=constant' --set 'vm build.workload.mean=200MiB' \
    --set simulation.duration=30min || { bad "limit run $1"; echo 0; return; }
  vm "$T/l$1.db" senpai-kbuild.ini build slowdown_mean
}
base=$(limit_run 1GiB); l600=$(limit_run 664MiB); l400=$(limit_run 464MiB); l300=$(limit_run 364MiB)
report "kernel build under memory.high 600/400/300M" "+1.1% / +2.2% / >= +131%" \
  "+$(fmt "100*($l600/$base-1)" 1)% / +$(fmt "100*($l400/$base-1)" 1)% / +$(fmt "100*($l300/$base-1)" 0)%"
holds "$l600 / $base < 1.03 && $l400 / $base < 1.03 && $l300 / $base > 1.5" \
  && ok "fixed limits: 600 and 400 MiB cost < 3%, 300 MiB struggles (> +50%)" || bad "fixed limits $base $l600 $l400 $l300"

# 7. Host swapping vs ballooning on the same overcommitted host
fs=$(run_metric "$DB" swap-static.ini major_faults); fb=$(run_metric "$DB" swap-balloon.ini major_faults)
ss=$(run_metric "$DB" swap-static.ini mean_slowdown); sb=$(run_metric "$DB" swap-balloon.ini mean_slowdown)
hs=$(q "$DB" "SELECT avg(t) FROM (SELECT h.time_ns, sum(h.host_swapped_bytes) AS t FROM host_samples h JOIN runs r USING(run_id)
              WHERE r.scenario_path LIKE '%/swap-static.ini' AND h.time_ns >= 1800e9 GROUP BY h.time_ns)")
bl=$(q "$DB" "SELECT avg(t) FROM (SELECT h.time_ns, sum(h.balloon_bytes) AS t FROM host_samples h JOIN runs r USING(run_id)
              WHERE r.scenario_path LIKE '%/swap-balloon.ini' AND h.time_ns >= 1800e9 GROUP BY h.time_ns)")
report "host swap vs balloon: faults (1 h)" "much smaller with balloon" "$(fmt "$fs/1e6" 1)M vs $(fmt "$fb/1e6" 1)M (x$(fmt "$fs/$fb" 1))"
report "host swap vs balloon: reclaimed (MiB)" "-" "$(fmt "$hs/$MiB" 0) swapped vs $(fmt "$bl/$MiB" 0) ballooned"
report "host swap vs balloon: slowdown_mean" "-" "$(fmt "$ss" 2) vs $(fmt "$sb" 2)"
holds "$fs > 1.5 * $fb && $ss > $sb" && ok "host swapping costs more faults and more slowdown than ballooning" \
  || bad "swap faults $fs balloon $fb, slowdown $ss vs $sb"

e2e_done validation
