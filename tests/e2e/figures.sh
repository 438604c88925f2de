#!/usr/bin/env bash
# tests/e2e/figures.sh -- the figure controls of `balloonsim plot` (issue 21, cli/plot.c,
# cli/fig_*.c), checked on what they write: the data files against the database (through
# sqlite3 and the typed view v_runs, not through plot's own code), and the gnuplot script.
#   1. --where AXIS=VALUE selects exactly the matching runs, on a named axis, numerically
#      in one unit (12GiB == 12288MiB), OR on one axis, AND across axes; bad filters exit 2
#      naming the values or axes there are;
#   2. a policy swept as a named axis (${pol=...}) draws bars per policy category like
#      --x policy.name (the same data); --x overcommit takes v_runs.overcommit;
#   3. --xlabel, --ylabel, --yrange, --hline reach the script, and gnuplot draws it without
#      a warning; a log axis ranges over the data (not to 0.1 or 1);
#   4. a PNG and a PDF of one name keep their own script and data; the PDF embeds the font
#      its script names (pdffonts);
#   5. the timeline with many VMs: at most 12 panels, grouped by VM group with the right
#      "mean of N VMs" counts, --normalise divides by the configured size, --yscale panel,
#      and --as heatmap (VMs x time, colour usable / anon demand) against vm_samples.
source "$(dirname "$0")/lib.bash"
private_binary
for tool in gnuplot sqlite3 pdffonts awk; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps.sh installs it)"; exit 1; }
done
F=scenarios/default.ini
O="$T/fig"; mkdir -p "$O"
rows() { awk '!/^#/ && NF {n++} END {print n+0}' "$1"; }
# draw NAME ARGS...: plot -o $O/NAME.png (or NAME with its extension), exit 0, no warning
draw() {
  local name="$1"; shift
  case "$name" in *.*) ;; *) name="$name.png" ;; esac
  "$B" plot "$@" --quiet -o "$O/$name" 2>"$T/err"
  local rc=$?
  if [ "$rc" = 0 ] && [ ! -s "$T/err" ]; then ok "plot -o $name: exit 0, no warning"; return 0; fi
  bad "plot -o $name: exit $rc: $(head -n1 "$T/err")"; return 1
}

"$B" run "$F" -o "$T/s.db" --quiet --set simulation.duration=20min --set simulation.sample_interval=60s \
  --set 'host.memory=${mem=10GiB, 12GiB}' --set 'policy.name=${pol=static, esx-share}' --set simulation.repeat=2 ||
  { echo "FAIL: study run"; exit 1; }
G12=$((12 * 1024 * 1024 * 1024))

echo "== 1. --where"
if draw w-cdf "$T/s.db" --figure cdf --metric slowdown_mean --where mem=12288MiB; then
  check "cdf --where mem=12288MiB: one value per VM of the runs at 12 GiB (v_runs.mem)" \
    [ "$(rows "$O/w-cdf.png.dat")" = "$(q "$T/s.db" "SELECT count(*) FROM vm_summary s JOIN v_runs r USING(run_id) WHERE r.mem = $G12 AND s.metric = 'slowdown_mean'")" ]
  check "... and not all of them" [ "$(rows "$O/w-cdf.png.dat")" -lt "$(q "$T/s.db" "SELECT count(*) FROM vm_summary WHERE metric = 'slowdown_mean'")" ]
fi
if draw w-sweep "$T/s.db" --figure sweep --x mem --where pol=esx-share --metric mean_slowdown; then
  check "sweep --where pol=esx-share: one line, one point per memory" \
    [ "$(grep -c '^# block' "$O/w-sweep.png.dat")/$(rows "$O/w-sweep.png.dat")" = 1/2 ]
  want=$(q "$T/s.db" "SELECT avg(mean_slowdown) FROM v_runs WHERE pol = 'esx-share' AND mem = $G12")
  # the .dat holds 6 significant digits: equal within 1e-5 relative (not by re-rounding)
  check "... its mean at 12 GiB is v_runs' ($want)" \
    awk -v w="$want" '!/^#/ && NF && $1 == 12 { d = $2 - w; if (d < 0) d = -d; ok = w != "" && d <= 1e-5 * w }
                      END { exit !ok }' "$O/w-sweep.png.dat"
fi
if draw w-and "$T/s.db" --figure sweep --x mem --where pol=static --where pol=esx-share --where mem=10GiB; then
  check "same axis OR, other axis AND: two lines of one point" \
    [ "$(grep -c '^# block' "$O/w-and.png.dat")/$(rows "$O/w-and.png.dat")" = 2/2 ]
fi
run0=$(q "$T/s.db" "SELECT min(run) FROM v_runs WHERE mem = $G12 AND pol = 'esx-share'")
if draw w-tl "$T/s.db" --figure timeline --where mem=12GiB --where pol=esx-share; then
  check "timeline --where: the first matching run (run $run0)" grep -q "^# run $run0 (study" "$O/w-tl.png.gp"
fi
expect_status 2 "$B" plot "$T/s.db" --figure sweep --where mem=11GiB -o "$O/e.png"
expect_msg "no run has mem = 11GiB (its values: 10GiB, 12GiB)"
expect_status 2 "$B" plot "$T/s.db" --figure sweep --where memory=1 -o "$O/e.png"
expect_msg "no run has 'memory' (study axes: mem, pol"
expect_status 2 "$B" plot "$T/s.db" --figure sweep --where mem -o "$O/e.png"
expect_msg "takes AXIS=VALUE"
expect_status 2 "$B" plot "$T/s.db" --figure sweep --where pol=static --where mem=10GiB --where pol=x -o "$O/e.png" --x nope
expect_msg "unknown --x 'nope'"
if draw w-pol "$T/s.db" --figure cdf --metric slowdown_mean --where policy=static --where policy=esx-share --where mem=10GiB; then
  check "--where policy=A --where policy=B: both policies (at 10 GiB)" \
    [ "$(grep -c '^# block' "$O/w-pol.png.dat")/$(rows "$O/w-pol.png.dat")" = \
      "2/$(q "$T/s.db" "SELECT count(*) FROM vm_summary s JOIN v_runs r USING(run_id) WHERE r.mem <> $G12 AND s.metric = 'slowdown_mean'")" ]
fi
if draw w-param "$T/s.db" --figure cdf --metric slowdown_mean --where host.memory=10GiB; then
  check "--where on a stored section.key (host.memory) selects the same runs as the axis" \
    [ "$(rows "$O/w-param.png.dat")" = "$(q "$T/s.db" "SELECT count(*) FROM vm_summary s JOIN v_runs r USING(run_id) WHERE r.mem <> $G12 AND s.metric = 'slowdown_mean'")" ]
fi

echo "== 2. policy as a named axis, overcommit"
if draw bars-axis "$T/s.db" --figure sweep --x pol && draw bars-name "$T/s.db" --figure sweep --x policy.name; then
  check "--x pol: one bar group per memory (2 blocks), not one per policy and memory" \
    [ "$(grep -c '^# block' "$O/bars-axis.png.dat")" = 2 ]
  check "--x pol: each bar on its policy's tick (x = category index, text = policy)" \
    awk '!/^#/ && NF { if (($1 == 0 && $6 != "\"static\"") || ($1 == 1 && $6 != "\"esx-share\"") || $1 > 1) exit 1 }' "$O/bars-axis.png.dat"
  check "--x pol and --x policy.name: the same data" \
    diff <(grep -v '^# x' "$O/bars-axis.png.dat") <(grep -v '^# x' "$O/bars-name.png.dat")
  check "--x pol: bars centred on the ticks (offsets -0.2 and +0.2)" \
    grep -q 'using (\$1-0.2):2 with boxes' "$O/bars-axis.png.gp"
fi
if draw oc "$T/s.db" --figure sweep --x overcommit --metric mean_slowdown; then
  check "--x overcommit: the x values are v_runs.overcommit" \
    [ "$(awk '!/^#/ && NF {print $1}' "$O/oc.png.dat" | sort -u | tr '\n' ' ')" = \
      "$(q "$T/s.db" "SELECT DISTINCT printf('%.4g', overcommit) FROM v_runs ORDER BY 1" | tr '\n' ' ')" ]
  check "--x overcommit: the axis says so" grep -q "set xlabel 'overcommit" "$O/oc.png.gp"
fi

echo "== 3. labels, range, reference line, log axis"
if draw lab "$T/s.db" --figure sweep --x mem --metric mean_slowdown --xlabel 'host memory (GiB)' \
     --ylabel 'slowdown' --yrange 0:9 --hline 1.10:budget --hline 2; then
  check "--xlabel in the script" grep -q "^set xlabel 'host memory (GiB)'" "$O/lab.png.gp"
  check "--ylabel in the script" grep -q "^set ylabel 'slowdown'" "$O/lab.png.gp"
  check "--yrange in the script, after the figure's own" [ "$(grep '^set yrange' "$O/lab.png.gp" | tail -n1)" = "set yrange [0:9]" ]
  check "--hline 1.10: a line across the graph at 1.1" grep -q "^set arrow 90 from graph 0, first 1.1 to graph 1, first 1.1 nohead" "$O/lab.png.gp"
  check "--hline 1.10:budget labelled" grep -q "^set label 90 'budget' at graph 0.98, first 1.1" "$O/lab.png.gp"
  check "--hline 2: a second line, no label" \
    [ "$(grep -c '^set arrow 91 from graph 0, first 2 to' "$O/lab.png.gp")/$(grep -c '^set label 91' "$O/lab.png.gp")" = 1/0 ]
fi
expect_status 2 "$B" plot "$T/s.db" --figure sweep --yrange 5:1 -o "$O/e.png"
expect_msg "LO must be below HI"
expect_status 2 "$B" plot "$T/s.db" --figure sweep --hline budget -o "$O/e.png"
expect_msg "--hline takes Y or Y:LABEL"
if draw log "$T/s.db" --figure sweep --x mem --metric mean_slowdown --log y; then
  lo=$(awk '!/^#/ && NF {v = $2 - $3 > 0 ? $2 - $3 : $2; if (m == "" || v < m) m = v} END {print m}' "$O/log.png.dat")
  r=$(sed -n 's/^set yrange \[\([0-9.e+-]*\):.*/\1/p' "$O/log.png.gp")
  check "--log y: the axis starts just below the data ($r <= $lo, above $lo / 1.3)" \
    awk -v r="$r" -v lo="$lo" 'BEGIN {exit !(r != "" && r <= lo && r > lo / 1.3)}'
  check "--log y under 1.5 decades: labelled ticks" grep -q "^set ytics ('" "$O/log.png.gp"
fi

echo "== 4. png and pdf of one name; the embedded font"
if draw both.png "$T/s.db" --figure sweep --x mem && draw both.pdf "$T/s.db" --figure sweep --x mem; then
  check "both.png.gp draws the png, both.pdf.gp the pdf" \
    [ "$(grep -c "^set terminal pngcairo" "$O/both.png.gp")/$(grep -c "^set terminal pdfcairo" "$O/both.pdf.gp")" = 1/1 ]
  check "each script reads its own data" \
    [ "$(grep -c "both.png.dat" "$O/both.png.gp")" -gt 0 -a "$(grep -c "both.png.dat" "$O/both.pdf.gp")" = 0 ]
  rm -f "$O/both.png"
  (cd "$O" && gnuplot both.png.gp) 2>"$T/err"
  check "gnuplot both.png.gp by hand, after the pdf was drawn, redraws the png" [ -s "$O/both.png" ] && [ ! -s "$T/err" ]
  font=$(sed -n "s/^set terminal pdfcairo .*font '\([^,]*\),.*/\1/p" "$O/both.pdf.gp")
  check "the pdf's script names a font ($font)" [ -n "$font" ]
  embedded=$(pdffonts "$O/both.pdf" | awk 'NR > 2 {print $1, $(NF-4)}')
  check "the pdf embeds the font it names: ${font// /} ($embedded)" \
    awk -v f="${font// /}" '{sub(/^[A-Z]+\+/, "", $1)} index($1, f) == 1 && $2 == "yes" {n++} END {exit !n}' <<<"$embedded"
  check "the pdf embeds no other font" [ "$(grep -vc "${font// /}" <<<"$embedded")" = 0 ]
fi

echo "== 5. timeline with many VMs, heat map"
{ printf '[simulation]\nduration = 20min\nseed = 1\nsample_interval = 60s\n[host]\ncount = 3\nmemory = 40GiB\n'
  i=0
  for g in a b c d e f g h i j k l m n; do
    printf '[vm %s]\ncount = %d\nmemory = %dGiB\nworkload = diurnal\nworkload.mean = 1GiB\nworkload.amplitude = 512MiB\nworkload.period = 20min\n' \
      "$g" $((i % 3 + 1)) $((i % 6 + 2))
    i=$((i + 1))
  done
  printf '[policy]\nname = esx-share\n'; } >"$T/many.ini"
"$B" run "$T/many.ini" -o "$T/many.db" --quiet || { echo "FAIL: run many.ini"; exit 1; }
if draw many "$T/many.db" --figure timeline; then
  check "14 groups, 28 VMs: 12 panels (the cap)" [ "$(grep -c '^# block' "$O/many.png.vms.dat")" = 12 ]
  want=$(q "$T/many.db" "SELECT grp || '__' || CASE count(*) WHEN 1 THEN '1_VM_' ELSE 'mean_of_' || count(*) || '_VMs_' END
                          FROM vms GROUP BY grp ORDER BY min(vm_id) LIMIT 11" | tr '\n' ' ')
  got=$(sed -n 's/^# block [0-9]*: "\(.*\)"/\1/p' "$O/many.png.vms.dat" | head -n 11 | tr '\n' ' ')
  check "the first 11 panels: one group each, 'mean of N VMs' with N from vms" [ "$got" = "$want" ]
  rest=$(q "$T/many.db" "SELECT count(*) FROM vms WHERE grp IN ('l', 'm', 'n')")
  check "panel 12: '3 other groups (mean of $rest VMs)'" grep -q "^# block 11: \"3_other_groups__mean_of_${rest}_VMs_\"" "$O/many.png.vms.dat"
  check "panel 12 averages those $rest VMs (column vms)" awk -v n="$rest" '/^# block 11/ {b=1; next} b && !/^#/ && NF && $7 != n {exit 1}' "$O/many.png.vms.dat"
  check "the host line is black and thick (ls 31..33), the thresholds light and behind" \
    [ "$(grep -c 'using ($1/tdiv):($2/hdiv) with lines ls 3[123] ' "$O/many.png.gp")/$(grep -c 'nohead ls 22 back' "$O/many.png.gp")" = 3/4 ]
  check "the hosts' key is in the shared legend, none over the host panel" \
    [ "$(grep -c "^plot NaN.*'host 0 free'\|NaN with lines ls 31 title 'host 0 free'" "$O/many.png.gp")" -ge 1 ]
fi
if draw norm "$T/many.db" --figure timeline --normalise --group d --hline 1:configured; then
  want=$(q "$T/many.db" "SELECT printf('%.4g', avg(s.usable_bytes * 1.0 / v.configured_bytes)) FROM vm_samples s
                          JOIN vms v USING(run_id, vm_id) WHERE v.name = 'd/0' AND s.time_ns = 600000000000")
  check "--normalise: usable of d/0 at 10 min as a fraction of its configured size ($want)" \
    [ "$(awk '/^# block 0/ {b=1; next} /^# block/ {b=0} b && $1 == 600 {printf "%.4g", $2}' "$O/norm.png.vms.dat")" = "$want" ]
  check "--normalise: the axis says fraction" grep -q "fraction of configured" "$O/norm.png.gp"
  check "--hline in every VM panel" [ "$(grep -c '^set arrow 90 from graph 0, first 1 to' "$O/norm.png.gp")" = \
    "$(q "$T/many.db" "SELECT count(*) FROM vms WHERE grp = 'd'")" ]
fi
if draw own "$T/many.db" --figure timeline --yscale panel; then
  check "--yscale panel: the panels' y ranges differ (groups of 2 to 7 GiB)" \
    [ "$(sed -n '/^# panel/,$p' "$O/own.png.gp" | grep '^set yrange' | sort -u | wc -l)" -gt 1 ]
fi
if draw heat "$T/many.db" --figure timeline --as heatmap; then
  check "heat map: one row per VM sample" [ "$(rows "$O/heat.png.heat.dat")" = "$(q "$T/many.db" "SELECT count(*) FROM vm_samples")" ]
  check "heat map: one block per VM" [ "$(grep -c '^# block' "$O/heat.png.heat.dat")" = "$(q "$T/many.db" "SELECT count(*) FROM vms")" ]
  want=$(q "$T/many.db" "SELECT printf('%.4g', usable_bytes * 1.0 / max(anon_demand_bytes, 1048576)) FROM vm_samples
                          WHERE vm_id = 5 AND time_ns = 600000000000")
  check "heat map: usable / anon demand of VM 5 at 10 min = $want" \
    [ "$(awk '!/^#/ && NF && $1 == 600 && $2 == 5 {printf "%.4g", $5}' "$O/heat.png.heat.dat")" = "$want" ]
  check "heat map: cells coloured by the ratio on 0..2" \
    [ "$(grep -c 'with boxxyerror.*fc palette' "$O/heat.png.gp")/$(grep -c '^set cbrange \[0:2\]' "$O/heat.png.gp")" = 1/1 ]
fi
expect_status 2 "$B" plot "$T/many.db" --figure timeline --as heatmap --hline 1 -o "$O/e.png"
expect_msg "do not apply"
expect_status 2 "$B" plot "$T/many.db" --figure timeline --as pie -o "$O/e.png"
expect_msg "panels or heatmap"

e2e_done figures
