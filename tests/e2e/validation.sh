#!/usr/bin/env bash
# Validation against published results (docs/validation.md).
# Runs every scenario of scenarios/validation/ with `balloonsim check` (their [expect]
# lines) into one database, then makes the comparisons that span two runs or need the
# time series: the idle memory tax (Waldspurger 2002, Fig. 7), the ballooned-vs-native gap
# (Fig. 2), Hyper-V's buffer and weights, MOM's 5% step, squeezed's gamma, Senpai's settled
# size and costs and the fixed limits of the senpai README, and host swapping against
# ballooning (VMware ESX 4.1 performance study).  Prints one line per row: its kind
# (REPRO = reproduces a measurement, RULE = conforms to a documented rule), the published
# value, the simulated one and the verdict.  Exit status 1 when any check fails.
#
# Every row can fail.  A row that reproduces is checked against the published band (or the
# paper's stated error), two-sided where the publication gives a value.  A row documented in
# docs/validation.md as NOT reproducing is checked to stay where it is documented ("pinned":
# its value within a stated range), so a model change that moves it is noticed and the
# documentation is revisited.  Pins hold for the default memory model only.
#
# VALIDATION_MODEL=legacy runs the scenarios under the memory model before issue 23 (for the
# comparison column of docs/validation.md; pins are skipped unless VALIDATION_PINS=force, which
# tests/e2e/validation_pins.sh uses to show that the pins notice a change of model).  VALIDATION_ROWS=FILE appends
# one tab-separated line per row (id, kind, label, published, simulated, verdict): the input
# of scripts/validation-docs.sh.  About 5 s of runs.
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
MODEL=${VALIDATION_MODEL:-v2}
ROWS=${VALIDATION_ROWS:-}
# row ID KIND LABEL PUBLISHED SIMULATED VERDICT: one line of the published-vs-simulated table
row() {
  printf '     %-5s %-46s published %-24s simulated %s\n     %-5s %-46s -> %s\n' "$2" "$3" "$4" "$5" "" "" "$6"
  [ -z "$ROWS" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >> "$ROWS"
}
# pinned WHAT COND: a row documented as not reproducing stays where docs/validation.md says
pinned() {
  if [ "$MODEL" != v2 ] && [ "${VALIDATION_PINS:-}" != force ]; then echo "skip (pin of the default model) $1"; return; fi
  holds "$2" && ok "as documented: $1" || bad "moved from its documented value (update docs/validation.md): $1 [$2]"
}
# verdict COND REASON: "reproduces" when COND holds, else "does not reproduce: REASON"
verdict() { if holds "$1"; then echo "reproduces"; else echo "does not reproduce: $2"; fi; }
# conforms COND REASON: the same for a row that checks a documented rule
conforms() { if holds "$1"; then echo "conforms"; else echo "does not conform: $2"; fi; }
pct() { fmt "100*($1)" "${2:-1}"; }
sgn() { awk "BEGIN { printf \"%+.${2:-1}f\", 100*($1) }"; }   # a change in %, with its sign

# 0. every scenario's own [expect] lines, with page conservation checked after every event
if "$B" check --quiet -o "$DB" --set simulation.check=yes --set simulation.memory_model="$MODEL" \
     scenarios/validation/*.ini > "$T/check.out" 2>&1; then
  ok "balloonsim check scenarios/validation/*.ini (memory_model = $MODEL): every [expect] holds (conservation checked)"
else
  cat "$T/check.out"; bad "balloonsim check scenarios/validation/*.ini (memory_model = $MODEL)"
fi
[ -s "$DB" ] || { echo "FAIL no database"; exit 1; }

# 1. ESX idle memory tax (Fig. 7).  tau = 0: equal shares, equal allocations (published: both
# converge on the same 179 MB).  tau = 0.75: the settling point the paper's formula gives with
# the model's own active-fraction estimates; the busy VM's throughput gain (> 30%).
i0=$(vm "$DB" esx-fig7-tax0.ini idle usable_final_bytes); b0=$(vm "$DB" esx-fig7-tax0.ini busy usable_final_bytes)
i75=$(vm "$DB" esx-fig7-tax75.ini idle usable_final_bytes); b75=$(vm "$DB" esx-fig7-tax75.ini busy usable_final_bytes)
s0=$(vm "$DB" esx-fig7-tax0.ini busy slowdown_mean); s75=$(vm "$DB" esx-fig7-tax75.ini busy slowdown_mean)
gain=$(fmt "$s0 / $s75 - 1" 4)
split=$(verdict "($i0 - $b0)^2 < (2*$MiB)^2" "the two VMs differ by more than 2 MiB")
row f7-tau0 REPRO "ESX Fig. 7, tau=0: VM1 / VM2 (MiB)" "same, 179 / 179" "$(fmt "$i0/$MiB" 1) / $(fmt "$b0/$MiB" 1)" \
  "$split (the split; the absolute value follows the host, derived from 179 MB: sweep)"
holds "($i0 - $b0)^2 < (2*$MiB)^2" && ok "tau = 0: equal shares give equal memory (within 2 MiB)" || bad "tau = 0: idle $i0 busy $b0"
# the model's active-fraction estimates over the last 30 min (policy log, what = active)
fest() { q "$DB" "SELECT avg(p.value) FROM policy_log p JOIN runs r USING(run_id) JOIN vms v USING(run_id, vm_id)
                  WHERE r.scenario_path LIKE '%/esx-fig7-tax75.ini' AND p.what = 'active' AND v.grp = '$1' AND p.time_ns >= 1800e9"; }
fi_=$(fest idle); fb_=$(fest busy)
# min-funding revocation: equal rho = S / (P (f + k (1 - f))), k = 4, over M = 2 x 179 MiB; the
# busy VM cannot hold more than its 256 MiB, the rest goes to the idle VM
exp_i=$(awk -v fi="$fi_" -v fb="$fb_" 'BEGIN { k = 4; M = 358; ci = fi + k*(1-fi); cb = fb + k*(1-fb)
  pi = M*cb/(ci+cb); if (M - pi > 256) pi = M - 256; printf "%.1f", pi }')
exp_b=$(fmt "358 - $exp_i" 1)
near=$(verdict "($i75/$MiB - $exp_i)^2 <= 14^2 && $b75/$MiB >= $exp_b - 14" "more than 14 MiB from the formula's point")
row f7-tau75 REPRO "ESX Fig. 7, tau=0.75: VM1 / VM2 (MiB)" "idle -> active" "$(fmt "$i75/$MiB" 1) / $(fmt "$b75/$MiB" 1)" \
  "$near: formula $exp_i / $exp_b (f = $(fmt "$fi_" 2) / $(fmt "$fb_" 2), M = 2 x 179 MiB, +-14 MiB)"
holds "($i75/$MiB - $exp_i)^2 <= 14^2 && $b75/$MiB >= $exp_b - 14" \
  && ok "tau = 0.75: the idle VM settles within 14 MiB of the formula's $exp_i MiB ($(fmt "$i75/$MiB" 1)), the busy one >= $exp_b - 14" \
  || bad "tau = 0.75: idle $(fmt "$i75/$MiB" 1) busy $(fmt "$b75/$MiB" 1) MiB, formula $exp_i / $exp_b"
holds "$b75 > $b0 + 32*$MiB && $i75 < $i0 - 32*$MiB" && ok "tau = 0.75 moves the idle VM's memory to the busy one" \
  || bad "tau = 0.75: idle $i75 busy $b75"
# The gain cannot exceed the stall dbench has at tau = 0: s0 - 1 (all of it removed).
row f7-gain REPRO "ESX Fig. 7, VM2 throughput gain" "> +30% (a bound)" "$(sgn "$gain" 0)% (tau=0 slowdown $(fmt "$s0" 3))" \
  "$(verdict "$gain > 0.30" "dbench's whole stall at tau = 0 is +$(pct "$s0 - 1" 0)% (ssd, 77 us per miss), so no allocation can gain 30%")"
if holds "$gain > 0.30"; then ok "throughput gain > 30%"; else
  pinned "gain +$(pct "$gain" 0)% in +6..+16%, below dbench's whole stall +$(pct "$s0 - 1" 0)%" "$gain >= 0.06 && $gain <= 0.16 && $gain < $s0 - 1"
fi

# 2. ESX ballooned vs natively sized VM (Fig. 2): published 1.4% .. 4.4% slower, two-sided
gaps=""; inband=0
for x in 128 160 192 224; do
  sb=$(vm "$DB" esx-fig2-ballooned.ini b$x slowdown_mean); sn=$(vm "$DB" esx-fig2-ballooned.ini n$x slowdown_mean)
  g=$(fmt "$sb / $sn - 1" 5); gaps="$gaps $x:$(pct "$g")%"
  if holds "$g >= 0.014 && $g <= 0.044"; then ok "ballooned to $x MiB: $(pct "$g" 2)% slower than native (in 1.4..4.4%)"; inband=$((inband+1))
  else pinned "ballooned to $x MiB: $(pct "$g" 2)% slower than native, below the band (0 <= gap < 1.4%)" "$g >= 0 && $g < 0.014"; fi
done
row f2-gap REPRO "ESX Fig. 2, ballooned vs native gap" "1.4% .. 4.4%" "${gaps# }" \
  "$([ $inband = 4 ] && echo reproduces || echo "does not reproduce: $((4-inband)) of 4 points below the band (guest structures sized by configured memory: only the mem_map is modelled)")"

# 3. Hyper-V (rules): 1000 MB committed + 20% buffer; the weight decides, whichever VM has it
u20=$(vm "$DB" hyperv-buffer-1000.ini dm20 usable_final_bytes)
row hv-buffer RULE "Hyper-V, 1000 MB committed, buffer 20%" "~1200 MB" "$(fmt "$u20/$MiB" 1) MiB" "$(conforms "$u20 >= 1196*$MiB && $u20 <= 1202*$MiB" "not committed + 20%")"
holds "$u20 >= 1196*$MiB && $u20 <= 1202*$MiB" && ok "Hyper-V buffer: 1000 -> 1200 MiB" || bad "Hyper-V buffer: $u20"
g1=$(vm "$DB" hyperv-weight.ini gold usable_final_bytes); r1=$(vm "$DB" hyperv-weight.ini bronze usable_final_bytes)
"$B" run scenarios/validation/hyperv-weight.ini -o "$T/w.db" --quiet --set simulation.memory_model="$MODEL" --set 'vm gold.weight=2000' --set 'vm bronze.weight=8000' \
  || bad "hyperv-weight.ini with swapped weights did not run"
g2=$(vm "$T/w.db" hyperv-weight.ini gold usable_final_bytes); r2=$(vm "$T/w.db" hyperv-weight.ini bronze usable_final_bytes)
row hv-weight RULE "Hyper-V weight 8000 vs 2000 (MiB)" "higher weight keeps" "gold $(fmt "$g1/$MiB" 0), bronze $(fmt "$r1/$MiB" 0); swapped: gold $(fmt "$g2/$MiB" 0), bronze $(fmt "$r2/$MiB" 0)" "$(conforms "$r2 >= 2624*$MiB && $g2 < 2400*$MiB && ($r2 - $g1)^2 < (4*$MiB)^2 && ($g2 - $r1)^2 < (4*$MiB)^2" "the weight does not decide")"
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
# the rule: memory = demand (committed, no page cache) + buffer.  So a 20% buffer leaves the
# cache-heavy VMs less cache than a 200% one, and 200% is within 7% of static.
room_ok="$r20 > $r200 + 0.01 && $r200 < $rst * 1.07"
row hv-room RULE "Hyper-V, free host, buffer 20% / 200%" "demand + buffer" "slowdown $(fmt "$r20" 3) / $(fmt "$r200" 3) (static $(fmt "$rst" 3))" \
  "$(conforms "$room_ok" "the buffer does not decide the cache")"
holds "$room_ok" && ok "Hyper-V with room: the 20% buffer squeezes the cache (> +1 point over 200%), 200% is within 7% of static" \
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
row mom RULE "MOM largest balloon shrink per 10 s" "5% of the guest" "$(fmt "100*$down" 2)% ($n moves; samples $(fmt "100*$smin" 2)%; largest grow +$(fmt "100*$up" 2)%, to the floor)" "$(conforms "$over == 0 && $sover == 0 && $down < -0.049 && $gap_ns >= 10e9" "a shrink beyond 5%, or the limit never binds")"
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
row squeezed RULE "squeezed gamma (4 domains)" "$gam (formula)" "$glo .. $ghi (worst $worst MiB off)" "$(conforms "$worst <= 6" "a domain more than 6 MiB off")"
holds "$worst <= 6" && ok "squeezed: each domain within 6 MiB of min + gamma (max - min)" || bad "squeezed: $worst MiB off"

# 6. Senpai (senpai README).  The settled limit CONFORMS: the 350 MiB hot set is an input
# (bracketed by the README's fixed limits), so finding it tests Senpai's loop; 340..400 MiB,
# the mean of the last 30 min and its lowest point.  The costs REPRODUCE (or not) the README's
# times, which are to the second: +-0.4 points.
sq() { q "$DB" "SELECT $1 FROM vm_samples s JOIN runs r USING(run_id)
                WHERE r.scenario_path LIKE '%/senpai-kbuild.ini' AND s.time_ns >= 5400e9"; }
set_mib=$(sq "min(s.usable_bytes) / $MiB - 64"); mean_mib=$(sq "avg(s.usable_bytes) / $MiB - 64")
max_mib=$(sq "max(s.usable_bytes) / $MiB - 64")
reach=$(q "$DB" "SELECT min(s.time_ns) / 60e9 FROM vm_samples s JOIN runs r USING(run_id)
                 WHERE r.scenario_path LIKE '%/senpai-kbuild.ini' AND s.usable_bytes <= 470 * $MiB")
ssd=$(vm "$DB" senpai-kbuild.ini build slowdown_mean)
size_ok="$set_mib >= 340 && $set_mib <= 400 && $mean_mib >= 340 && $mean_mib <= 400"
row senpai-size RULE "Senpai kernel build: limit (MiB)" "~340 (knee 300..400)" \
  "low $(fmt "$set_mib" 0), mean $(fmt "$mean_mib" 0), high $(fmt "$max_mib" 0) after $(fmt "$reach" 0) min" \
  "$(conforms "$size_ok" "the limit leaves 340..400 MiB") (Senpai finds the 350 MiB hot set, an input)"
holds "$size_ok" && ok "Senpai's limit settles at $(fmt "$mean_mib" 0) MiB, low $(fmt "$set_mib" 0) (340..400)" \
  || bad "Senpai's limit: mean $mean_mib, low $set_mib MiB (want 340..400)"
row senpai-cost REPRO "Senpai kernel build: run time" "+4.8% (+-0.4)" "$(sgn "$ssd - 1")% (slowdown_mean)" \
  "$(verdict "$ssd >= 1.044 && $ssd <= 1.052" "Senpai comes from above and never stalls the hot set; the README's run grew from 100M through stalls with a 1 ms target")"
if holds "$ssd >= 1.044 && $ssd <= 1.052"; then ok "Senpai: +4.8% +-0.4 run time"; else
  pinned "Senpai costs +$(pct "$ssd - 1")% (0..+1%)" "$ssd >= 1 && $ssd < 1.01"; fi
limit_run() { # memory -> slowdown_mean of the hot set alone under static policy
  # the same build without senpai's key, under static (a fixed limit)
  [ -e "$T/senpai-kbuild.ini" ] || grep -v '^max_backoff' scenarios/validation/senpai-kbuild.ini > "$T/senpai-kbuild.ini"
  "$B" run "$T/senpai-kbuild.ini" -o "$T/l$1.db" --quiet --set simulation.memory_model="$MODEL" --set policy.name=static \
    --set "vm build.memory=$1" --set 'vm build.workload=constant' --set 'vm build.workload.mean=200MiB' \
    --set simulation.duration=30min || { bad "limit run $1"; echo 0; return; }
  vm "$T/l$1.db" senpai-kbuild.ini build slowdown_mean
}
base=$(limit_run 1GiB); l600=$(limit_run 664MiB); l400=$(limit_run 464MiB); l300=$(limit_run 364MiB)
c600=$(fmt "$l600/$base - 1" 5); c400=$(fmt "$l400/$base - 1" 5); c300=$(fmt "$l300/$base - 1" 5)
lim_ok="$c600 >= 0.007 && $c600 <= 0.015 && $c400 >= 0.018 && $c400 <= 0.026 && $c300 >= 1.31"
row senpai-limits REPRO "kernel build under memory.high 600/400/300M" "+1.1 / +2.2 / >= +131% (+-0.4)" \
  "$(sgn "$c600")% / $(sgn "$c400")% / $(sgn "$c300" 0)%" \
  "$(verdict "$lim_ok" "nothing above the 350 MiB hot set is ever read again, so 600M and 400M cost nothing; at 300M the 50 MiB that do not fit are the cold anonymous pages first, and an ssd miss costs 77 us")"
if holds "$lim_ok"; then ok "fixed limits: +1.1 / +2.2 / >= +131% within +-0.4 points"; else
  pinned "fixed limits cost +$(pct "$c600" 2)% / +$(pct "$c400" 2)% (both < 0.5%), +$(pct "$c300")% at 300M (+2..+8%)" \
    "$c600 >= 0 && $c600 < 0.005 && $c400 >= 0 && $c400 < 0.005 && $c300 >= 0.02 && $c300 <= 0.08"
fi

# 7. Host swapping vs ballooning on the same overcommitted host (qualitative: direction, factor)
fs=$(run_metric "$DB" swap-static.ini major_faults); fb=$(run_metric "$DB" swap-balloon.ini major_faults)
ss=$(run_metric "$DB" swap-static.ini mean_slowdown); sb=$(run_metric "$DB" swap-balloon.ini mean_slowdown)
hs=$(q "$DB" "SELECT avg(t) FROM (SELECT h.time_ns, sum(h.host_swapped_bytes) AS t FROM host_samples h JOIN runs r USING(run_id)
              WHERE r.scenario_path LIKE '%/swap-static.ini' AND h.time_ns >= 1800e9 GROUP BY h.time_ns)")
bl=$(q "$DB" "SELECT avg(t) FROM (SELECT h.time_ns, sum(h.balloon_bytes) AS t FROM host_samples h JOIN runs r USING(run_id)
              WHERE r.scenario_path LIKE '%/swap-balloon.ini' AND h.time_ns >= 1800e9 GROUP BY h.time_ns)")
sw_ok="$fs > 1.5 * $fb && $ss > $sb"
row swap REPRO "host swap vs balloon: faults, slowdown" "much less with the balloon" \
  "$(fmt "$fs/1e6" 1)M vs $(fmt "$fb/1e6" 1)M faults (x$(fmt "$fs/$fb" 1)); slowdown $(fmt "$ss" 2) vs $(fmt "$sb" 2); $(fmt "$hs/$MiB" 0) MiB swapped vs $(fmt "$bl/$MiB" 0) ballooned" \
  "$(verdict "$sw_ok" "host swapping is not the costlier") (direction and factor > 1.5)"
holds "$sw_ok" && ok "host swapping costs more faults (> 1.5x) and more slowdown than ballooning" \
  || bad "swap faults $fs balloon $fb, slowdown $ss vs $sb"

e2e_done validation
