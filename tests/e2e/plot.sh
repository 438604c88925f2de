#!/usr/bin/env bash
# tests/e2e/plot.sh -- end-to-end test of `balloonsim plot` (cli/cmd_plot.c, issue 7).
# Run from the repository root; BALLOONSIM names the binary.
#
# Checks, each printed as it runs:
#   1. every figure (timeline, allocation, sweep by category and by number, cdf, balloon-ops
#      scatter and cdf) exits 0 with an empty stderr (gnuplot warned about nothing), writes a
#      PNG of exactly the --size asked (PNG header bytes 16-23), and its FILE.png.gp re-runs in
#      gnuplot from its directory with nothing on stderr;
#   2. the data files hold one row per database row they claim to plot (compared with a
#      sqlite3 count), and what they hold is right: allocation stacks add up to the configured
#      size, CDFs end at 1, the sweep's mean and 95% CI equal a recomputation with Student's t;
#   3. pdf, svg and tex (cairolatex: FILE.tex + FILE.pdf) outputs, and --style slides (16:9);
#   4. hostile names (quote, backquote, %, _) reach the script as text, never as commands;
#   5. every error case exits 2 with one message naming the problem: missing, non-SQLite and
#      foreign databases (none is created), unknown run, no samples (output = summary),
#      unknown figure and metric (listed), raw SQL in --where, bad -o, gnuplot missing,
#      gnuplot failing (its message shown).
# Simulations are short (20 min, 30 s samples), so the script takes a few seconds.
source "$(dirname "$0")/lib.bash"
private_binary
for tool in gnuplot sqlite3 od awk; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
F=scenarios/default.ini
SHORT=(--quiet --set simulation.duration=20min --set simulation.sample_interval=30s)
rows() { awk '!/^#/ && NF {n++} END {print n+0}' "$1"; }
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'; }

# A figure that must succeed: plot it at 640x400, then rerun its script by hand.
#   figure NAME DB ARGS...  -> $T/out/NAME.png, NAME.png.gp, its data NAME.png[.PART].dat
figure() {
  local name="$1" db="$2"; shift 2
  local out="$T/out/$name.png"
  "$B" plot "$db" "$@" --size 640x400 --quiet -o "$out" 2>"$T/err"
  local rc=$?
  if [ "$rc" != 0 ]; then
    bad "$name: exit $rc ($(head -n1 "$T/err"))"; return 1
  fi
  [ -s "$T/err" ] && bad "$name: stderr not empty: $(head -n1 "$T/err")"
  [ "$(png_size "$out")" = 640x400 ] || bad "$name: PNG is $(png_size "$out"), asked 640x400"
  rm -f "$out"
  (cd "$T/out" && gnuplot "$name.png.gp") 2>"$T/err2"
  if [ -s "$T/err2" ] || [ ! -s "$out" ]; then
    bad "$name: gnuplot $name.png.gp by hand: $(head -n1 "$T/err2")"; return 1
  fi
  ok "$name: exit 0, no warnings, 640x400 PNG, script reruns cleanly"
}

BAL=esx-share                    # the ballooning policy of the figures
echo "policies: static and $BAL"

"$B" run "$F" -o "$T/one.db" "${SHORT[@]}" --set "policy.name=$BAL" || { echo "FAIL: run"; exit 1; }
"$B" run "$F" -o "$T/cmp.db" "${SHORT[@]}" --set "policy.name=\${static, $BAL}" \
  --set 'host.memory=${10GiB, 14GiB}' --set simulation.repeat=3 || { echo "FAIL: study run"; exit 1; }
"$B" run "$F" -o "$T/summ.db" "${SHORT[@]}" --set simulation.output=summary || { echo "FAIL: run"; exit 1; }
mkdir -p "$T/out"
R=$(q "$T/one.db" "SELECT min(run_id) FROM runs")      # the database's id, for SQL
RI=$(q "$T/one.db" "SELECT run_index FROM runs WHERE run_id = $R")   # what --run takes

echo "-- 1, 2: figures and their data"
if figure timeline "$T/one.db" --figure timeline; then
  check "timeline: host rows = host_samples" \
    [ "$(rows "$T/out/timeline.png.host.dat")" = "$(q "$T/one.db" "SELECT count(*) FROM host_samples WHERE run_id=$R")" ]
  check "timeline: VM rows = vm_samples" \
    [ "$(rows "$T/out/timeline.png.vms.dat")" = "$(q "$T/one.db" "SELECT count(*) FROM vm_samples WHERE run_id=$R")" ]
  check "timeline: one block per VM" \
    [ "$(grep -c '^# block' "$T/out/timeline.png.vms.dat")" = "$(q "$T/one.db" "SELECT count(*) FROM vms WHERE run_id=$R")" ]
fi
"$B" run "$F" -o "$T/big.db" "${SHORT[@]}" --set "policy.name=$BAL" --set host.count=5 --set 'vm web.count=12' ||
  { echo "FAIL: run"; exit 1; }
if figure timeline-big "$T/big.db" --figure timeline; then
  check "timeline, 5 hosts: one row per sample time (mean, min, max over hosts)" \
    [ "$(rows "$T/out/timeline-big.png.host.dat")" = "$(q "$T/big.db" "SELECT count(DISTINCT time_ns) FROM host_samples")" ]
  check "timeline, 15 VMs (more than 12): one panel per group" [ "$(grep -c '^# block' "$T/out/timeline-big.png.vms.dat")" = 3 ]
  check "timeline, 15 VMs: one row per group and sample time" \
    [ "$(rows "$T/out/timeline-big.png.vms.dat")" = "$(q "$T/big.db" "SELECT count(*) FROM (SELECT DISTINCT v.grp, s.time_ns FROM vm_samples s JOIN vms v USING(run_id, vm_id))")" ]
  check "timeline, group web: the mean of its 12 VMs at the last sample" [ "$(awk '/^# block 0/ {b=1} /^# block 1/ {b=0} b && !/^#/ && NF {u=$2} END {printf "%.4g", u}' "$T/out/timeline-big.png.vms.dat")" = \
    "$(q "$T/big.db" "SELECT printf('%.4g', avg(usable_bytes) / 1048576.0) FROM vm_samples s JOIN vms v USING(run_id, vm_id) WHERE v.grp='web' AND time_ns=(SELECT max(time_ns) FROM vm_samples)")" ]
fi
if figure allocation "$T/one.db" --figure allocation --at 300; then
  check "allocation: one row per VM" \
    [ "$(rows "$T/out/allocation.png.dat")" = "$(q "$T/one.db" "SELECT count(DISTINCT vm_id) FROM vm_samples WHERE run_id=$R")" ]
  check "allocation: --at 300 takes the samples at 300 s" \
    awk '!/^#/ && NF && $11 != 300 {exit 1}' "$T/out/allocation.png.dat"
  check "allocation: kernel+anon+cache+free+balloon+unassigned = configured" \
    awk '!/^#/ && NF { s = $3+$4+$5+$6+$7+$8; if (s - $10 > 0.01 || $10 - s > 0.01) exit 1 }' "$T/out/allocation.png.dat"
fi
if figure sweep-policy "$T/cmp.db" --figure sweep --metric stall_s --x policy.name; then
  check "sweep by policy: one row per sweep point" \
    [ "$(rows "$T/out/sweep-policy.png.dat")" = "$(q "$T/cmp.db" "SELECT count(DISTINCT point_index) FROM runs WHERE status='complete'")" ]
  check "sweep by policy: the other axis (host.memory) splits the lines" \
    [ "$(grep -c '^# block' "$T/out/sweep-policy.png.dat")" = 2 ]
fi
# a sweep writes point_summary; a run added afterwards must be drawn too (plot aggregates
# run_summary itself, so the figure never lags the runs)
"$B" sweep "$F" -o "$T/ps.db" "${SHORT[@]}" --set "policy.name=\${static, $BAL}" -j 1 --quiet >/dev/null &&
  "$B" run "$F" -o "$T/ps.db" "${SHORT[@]}" --set "policy.name=$BAL" --set simulation.seed=77 --quiet >/dev/null ||
  { echo "FAIL: sweep then run"; exit 1; }
if figure sweep-after-run "$T/ps.db" --figure sweep --metric stall_s --x policy.name; then
  check "sweep figure after a later run: n counts every complete run" \
    [ "$(awk '!/^#/ && NF {n += $4} END {print n}' "$T/out/sweep-after-run.png.dat")" = "$(q "$T/ps.db" "SELECT count(*) FROM runs WHERE status='complete'")" ]
fi
if figure sweep-memory "$T/cmp.db" --figure sweep --metric mean_slowdown --x host.memory; then
  check "sweep by memory: one line per policy" [ "$(grep -c '^# block' "$T/out/sweep-memory.png.dat")" = 2 ]
  check "sweep by memory: x in GiB (10, 14)" awk '!/^#/ && NF && $1 != 10 && $1 != 14 {exit 1}' "$T/out/sweep-memory.png.dat"
  # mean and CI of static at 10 GiB, recomputed: t(0.975, 2) = 4.302653
  want=$(q "$T/cmp.db" "SELECT s.value FROM run_summary s JOIN runs r USING(run_id) JOIN run_params p USING(run_id)
         WHERE s.metric='mean_slowdown' AND r.policy='static' AND p.section='host' AND p.key='memory' AND p.value='10GiB'" |
         awk '{x[NR]=$1; m+=$1} END {m/=NR; for(i=1;i<=NR;i++) v+=(x[i]-m)^2; sd=sqrt(v/(NR-1)); printf "%.5g %.5g %d", m, 4.302653*sd/sqrt(NR), NR}')
  got=$(awk '/^# block/ {b=$0} b ~ /"static"/ && !/^#/ && NF && $1 == 10 {printf "%.5g %.5g %d", $2*1, $3*1, $4}' "$T/out/sweep-memory.png.dat")
  check "sweep: static at 10 GiB: mean, ci95, n = $want (got $got)" [ "$want" = "$got" ]
fi
if figure cdf "$T/cmp.db" --figure cdf --metric slowdown_mean; then
  check "cdf: one row per VM of every complete run" \
    [ "$(rows "$T/out/cdf.png.dat")" = "$(q "$T/cmp.db" "SELECT count(*) FROM vm_summary s JOIN runs r USING(run_id) WHERE r.status='complete' AND s.metric='slowdown_mean'")" ]
  check "cdf: every curve ends at 1 and never decreases" \
    awk '/^# block/ {if (n && last != 1) exit 1; prev=0; n=0} !/^#/ && NF {if ($2 < prev) exit 1; prev=$2; last=$2; n++} END {if (last != 1) exit 1}' "$T/out/cdf.png.dat"
fi
nops=$(q "$T/one.db" "SELECT count(*) FROM balloon_ops WHERE run_id=$R AND finished_ns IS NOT NULL AND finished_ns >= issued_ns")
if [ "$nops" -gt 0 ]; then
  figure ops "$T/one.db" --figure balloon-ops --run "$RI" &&
    check "balloon-ops: one row per finished operation ($nops)" [ "$(rows "$T/out/ops.png.dat")" = "$nops" ]
  figure ops-cdf "$T/one.db" --figure balloon-ops --run "$RI" --as cdf &&
    check "balloon-ops cdf: one row per finished operation" [ "$(rows "$T/out/ops-cdf.png.dat")" = "$nops" ]
else
  bad "policy $BAL made no balloon operations in 20 min of the default scenario"
fi

echo "-- 3: formats and styles"
"$B" plot "$T/one.db" --figure timeline --quiet -o "$T/out/f.pdf" 2>"$T/err" && [ ! -s "$T/err" ] &&
  [ "$(head -c 4 "$T/out/f.pdf")" = "%PDF" ] && ok "pdf" || bad "pdf: $(head -n1 "$T/err")"
"$B" plot "$T/one.db" --figure allocation --quiet -o "$T/out/f.svg" 2>"$T/err" && [ ! -s "$T/err" ] &&
  grep -q '<svg' "$T/out/f.svg" && ok "svg" || bad "svg: $(head -n1 "$T/err")"
rm -f "$T/out/f.pdf"      # the pdf case above wrote one: the tex case must write its own
"$B" plot "$T/cmp.db" --figure sweep --metric stall_s --quiet -o "$T/out/f.tex" 2>"$T/err" && [ ! -s "$T/err" ] &&
  grep -q 'includegraphics' "$T/out/f.tex" && [ "$(head -c 4 "$T/out/f.pdf")" = "%PDF" ] &&
  ok "tex (cairolatex: f.tex + f.pdf)" || bad "tex: $(head -n1 "$T/err")"
"$B" plot "$T/one.db" --figure timeline --style slides --quiet -o "$T/out/s.png" 2>"$T/err" && [ ! -s "$T/err" ] &&
  [ "$(png_size "$T/out/s.png")" = 1600x900 ] && ok "slides: 1600x900 (16:9)" || bad "slides: $(png_size "$T/out/s.png")"

echo "-- 4: hostile names"
cat >"$T/evil.ini" <<'EOF'
[simulation]
duration = 5min
sample_interval = 30s
[host]
memory = 4GiB
[vm we'b`touch PWNED`_%]
count = 1
memory = 2GiB
workload = constant
workload.mean = 1GiB
[policy]
name = static
EOF
if "$B" run "$T/evil.ini" -o "$T/evil.db" --quiet 2>/dev/null; then
  for fig in timeline.png allocation.png allocation.tex; do
    "$B" plot "$T/evil.db" --figure "${fig%.*}" --quiet -o "$T/out/evil-$fig" 2>"$T/err"
    st=$?
    if [ "$st" = 0 ] && [ ! -s "$T/err" ] && [ ! -e "$T/out/PWNED" ] && [ ! -e PWNED ]; then
      ok "group name with ' \` % _ ($fig): exit 0, no warnings, no command run"
    else
      bad "group name with ' \` % _ ($fig): exit $st, $(head -n1 "$T/err")"
    fi
  done
else
  bad "the scenario with a hostile group name was refused: nothing checked"
fi

echo "-- 5: errors: exit 2 and one message"
# expect_err WORDS ARGS...: exit 2, stderr holds WORDS (a grep -E pattern), one line
expect_err() {
  local words="$1"; shift
  "$@" >/dev/null 2>"$T/err"
  local st=$?
  if [ "$st" = 2 ] && grep -qE "$words" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ]; then
    ok "exit 2: $(head -n1 "$T/err" | cut -c1-110)"
  else
    bad "expected exit 2 and /$words/, got $st: $(head -n2 "$T/err")"
  fi
}
expect_err "no such database" "$B" plot "$T/missing.db" --figure timeline -o "$T/out/e.png"
check "a missing database is not created" [ ! -e "$T/missing.db" ]
echo "not a database" >"$T/text.db"
expect_err "not a (readable SQLite|balloonsim) database" "$B" plot "$T/text.db" --figure timeline -o "$T/out/e.png"
sqlite3 "$T/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
expect_err "not a balloonsim database" "$B" plot "$T/other.db" --figure timeline -o "$T/out/e.png"
sqlite3 "$T/bare.db" "PRAGMA user_version = 1;"        # an SQLite file with no tables
sum_bare=$(md5sum <"$T/bare.db")
expect_err "not a balloonsim database \(it has no tables\)" "$B" plot "$T/bare.db" --figure timeline -o "$T/out/e.png"
check "plot left the foreign file as it was" [ "$(md5sum <"$T/bare.db")" = "$sum_bare" ]

echo "-- 6: plot only reads"
sum_one=$(md5sum <"$T/one.db")
"$B" plot "$T/one.db" --figure timeline --quiet -o "$T/out/ro.png" 2>/dev/null
check "plotting leaves the database byte for byte as it was" [ "$(md5sum <"$T/one.db")" = "$sum_one" ]
# a run recording into the same database holds SQLite's write lock for up to 10 s at a
# time; plot must read beside it, not wait for it
cp "$T/one.db" "$T/busy.db"
"$B" run scenarios/bench/dc-medium.ini -o "$T/busy.db" --quiet --set simulation.duration=12h >/dev/null 2>&1 & bg=$!
sleep 1
"$B" plot "$T/busy.db" --figure timeline --run "$RI" --study "$(q "$T/one.db" "SELECT study_key FROM runs")" --quiet \
  -o "$T/out/busy.png" 2>"$T/err"; rc=$?
expect_err "run $RI exists in 2 studies of .*add --study KEY" "$B" plot "$T/busy.db" --figure timeline --run "$RI" -o "$T/out/e.png"
running=0; kill -0 "$bg" 2>/dev/null && running=1
kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null
check "the writing run was still recording when plot read (else nothing was tested)" [ "$running" = 1 ]
check "plot reads a database while a run records into it (exit $rc: $(head -c 200 "$T/err"))" [ "$rc" = 0 ]
expect_err "no run 999 in .*0-based" "$B" plot "$T/one.db" --figure timeline --run 999 -o "$T/out/e.png"
# --run is the 0-based run index (issue 21): cmp.db's run 1 is its second run, whatever its id
si=$(q "$T/cmp.db" "SELECT max(run_index) FROM runs WHERE policy = 'static'")
sid=$(q "$T/cmp.db" "SELECT run_id FROM runs WHERE run_index = $si")
expect_err "no finished balloon operations in run $sid \(policy static" "$B" plot "$T/cmp.db" --figure balloon-ops --run "$si" -o "$T/out/e.png"
bi=$(q "$T/cmp.db" "SELECT min(run_index) FROM runs WHERE policy = '$BAL'")
check "--run $bi (a $BAL run by its index) draws" "$B" plot "$T/cmp.db" --figure balloon-ops --run "$bi" --quiet -o "$T/out/ri.png"
expect_err "figure cdf needs --metric NAME: over VMs \(vm_summary\): .*slowdown_mean.*over runs \(run_summary\): .*mean_slowdown" \
  "$B" plot "$T/cmp.db" --figure cdf -o "$T/out/e.png"
expect_err "no samples for run [0-9]+: was it run with output = summary" \
  "$B" plot "$T/summ.db" --figure timeline -o "$T/out/e.png"
expect_err "no VM samples for run [0-9]+: was it run with output = summary" "$B" plot "$T/summ.db" --figure allocation -o "$T/out/e.png"
expect_err "no balloon operations for run [0-9]+: it was run with output = summary \(they are recorded at output = vm\)" \
  "$B" plot "$T/summ.db" --figure balloon-ops --run "$(q "$T/summ.db" "SELECT min(run_index) FROM runs")" -o "$T/out/e.png"
expect_err "[-]-at must be between 0 and 9.2e9 s" "$B" plot "$T/one.db" --figure allocation --at 1e300 -o "$T/out/e.png"
expect_err "[-]-at must be between 0 and 9.2e9 s" "$B" plot "$T/one.db" --figure allocation --at -5 -o "$T/out/e.png"
expect_err "unknown figure 'pie' \(figures: timeline, allocation, sweep, cdf, balloon-ops, capacity\)" \
  "$B" plot "$T/one.db" --figure pie -o "$T/out/e.png"
expect_err "unknown metric 'nope' \(run_summary metrics: .*mean_slowdown" \
  "$B" plot "$T/cmp.db" --figure sweep --metric nope -o "$T/out/e.png"
expect_err "unknown metric 'nope' \(vm_summary metrics: .*slowdown_mean" \
  "$B" plot "$T/cmp.db" --figure cdf --metric nope -o "$T/out/e.png"
expect_err "unknown --x 'nope'" "$B" plot "$T/cmp.db" --figure sweep --x nope -o "$T/out/e.png"
expect_err "run index" "$B" plot "$T/one.db" --figure timeline --where "run=1 OR 1=1" -o "$T/out/e.png"
expect_err "[-]-where 1=1: no run has '1' \(study axes: none" "$B" plot "$T/one.db" --figure timeline --where "1=1" -o "$T/out/e.png"
expect_err "no VM group 'nope' in run [0-9]+ \(groups: web, batch, idle\)" \
  "$B" plot "$T/one.db" --figure timeline --group nope -o "$T/out/e.png"
expect_err "must end in .pdf, .png, .svg or .tex" "$B" plot "$T/one.db" --figure timeline -o "$T/out/e.jpg"
expect_err "gnuplot not found" env PATH=/nonexistent "$B" plot "$T/one.db" --figure timeline -o "$T/out/e.png"
mkdir -p "$T/fake"
printf '#!/bin/sh\necho "" >&2\necho "\\"$1\\" line 7: kaboom in the script" >&2\nexit 1\n' >"$T/fake/gnuplot"
chmod +x "$T/fake/gnuplot"
expect_err "gnuplot failed \(exit 1\) on .*line 7: kaboom" \
  env PATH="$T/fake:$PATH" "$B" plot "$T/one.db" --figure timeline -o "$T/out/e.png"

e2e_done plot
