#!/usr/bin/env bash
# tests/e2e/paired.sh -- paired differences to a baseline policy (issue 17, part 2): table
# point_diff and the sweep's summary table, against a hand computation.
#
# A study of 2 policies x 2 host sizes x 3 repetitions (random workloads, so the
# repetitions differ).  For every point and metric, point_diff holds the mean of the
# per-repetition differences run - baseline run (same host size, same repetition), their
# sample standard deviation and the 95% half-width t(0.975, n - 1) sd / sqrt(n); here n = 3
# and t(0.975, 2) = 4.302652729749464 (Student t, written out: the test does not ask GSL).
# Checked: every value against awk over run_summary; the baseline's own rows are 0; with
# baseline = mom the signs flip; the summary table printed by sweep shows the column.
source "$(dirname "$0")/lib.bash"
private_binary
S="$T/p.ini"
cat > "$S" <<'INI'
[simulation]
duration = 20min
repeat = 3
sample_interval = 5min
output = summary
[host]
memory = ${5GiB, 8GiB}
[vm a]
count = 3
memory = 2GiB
workload = ou
workload.mean = 1GiB
workload.noise = 300MiB
workload.file_set = 256MiB
[policy]
name = ${static, mom}
INI
"$B" sweep "$S" -o "$T/p.db" -j 2 > "$T/out" 2>"$T/err" || bad "sweep: $(head -c 300 "$T/err")"
check "the sweep's table has the paired column" grep -q "slowdown_minus_baseline" "$T/out"
check "... and names the baseline" grep -q "(n 3, static)" "$T/out"
nd=$(q "$T/p.db" "SELECT count(*) FROM point_diff")
nm=$(q "$T/p.db" "SELECT count(*) FROM point_summary")
check "point_diff has a row per point and metric ($nd = $nm)" [ "$nd" = "$nm" -a "$nd" -gt 0 ]
check "the baseline's own differences are 0 with n = 3" \
  [ "$(q "$T/p.db" "SELECT count(*) FROM point_diff WHERE policy = 'static' AND (mean <> 0 OR sd <> 0 OR ci95 <> 0 OR n <> 3)")" = 0 ]
# hand computation: x_r = value(mom, r) - value(static, r) at the same host size
q "$T/p.db" "SELECT m.point_index, s.metric, sm.value - ss.value
             FROM runs m JOIN runs b ON b.repetition = m.repetition AND b.policy = 'static'
               AND substr(b.axes, 1, instr(b.axes, ',')) = substr(m.axes, 1, instr(m.axes, ','))
             JOIN run_summary sm ON sm.run_id = m.run_id JOIN run_summary ss ON ss.run_id = b.run_id
             JOIN (SELECT DISTINCT metric FROM run_summary) s ON s.metric = sm.metric AND s.metric = ss.metric
             WHERE m.policy = 'mom' ORDER BY m.point_index, s.metric, m.run_index" > "$T/x"
awk -F'|' '{ k = $1 "|" $2; n[k]++; x[k, n[k]] = $3 }
  END { for (k in n) { m = 0; for (i = 1; i <= n[k]; i++) m += x[k, i]; m /= n[k]
          v = 0; for (i = 1; i <= n[k]; i++) v += (x[k, i] - m) ^ 2; sd = sqrt(v / (n[k] - 1))
          printf "%s|%d|%.17g|%.17g|%.17g\n", k, n[k], m, sd, 4.302652729749464 * sd / sqrt(n[k]) } }' "$T/x" | sort > "$T/hand"
q "$T/p.db" "SELECT point_index, metric, n, printf('%.17g', mean), printf('%.17g', sd), printf('%.17g', ci95)
             FROM point_diff WHERE policy = 'mom'" | sort > "$T/table"
check "hand computation covers every mom point and metric ($(wc -l < "$T/hand") rows)" \
  [ "$(wc -l < "$T/hand")" = "$(wc -l < "$T/table")" -a "$(wc -l < "$T/hand")" -gt 20 ]
joined=$(join -t'|' <(awk -F'|' '{print $1 "/" $2}' "$T/hand" | sort) <(awk -F'|' '{print $1 "/" $2}' "$T/table" | sort) | wc -l)
check "every hand row pairs with a table row ($joined)" [ "$joined" = "$(wc -l < "$T/hand")" ]
bad_rows=$(join -t'|' <(awk -F'|' '{print $1 "/" $2 "|" $3 "|" $4 "|" $5 "|" $6}' "$T/hand" | sort) \
                      <(awk -F'|' '{print $1 "/" $2 "|" $3 "|" $4 "|" $5 "|" $6}' "$T/table" | sort) |
  awk -F'|' 'function off(a, b) { d = a - b; if (d < 0) d = -d; s = (a < 0 ? -a : a) + (b < 0 ? -b : b); return d > 1e-9 * s + 1e-12 }
             $2 != $6 || off($3, $7) || off($4, $8) || off($5, $9) { print }' | wc -l)
check "point_diff equals the hand computation (mean, sd, ci95 with t = 4.3027; rows off: $bad_rows)" [ "$bad_rows" = 0 ]
# the figure option draws the same differences (gnuplot need not run: --script-only)
"$B" plot "$T/p.db" --figure sweep --x policy.name --metric mean_slowdown --paired static --script-only --quiet \
  -o "$T/pd.png" || bad "plot --paired"
fig=$(awk '!/^#/ && NF >= 6 {print $6, $2, $3}' "$T/pd.png.dat" | sort)
tab=$(q "$T/p.db" "SELECT '\"' || policy || '\"', printf('%.6g', mean), printf('%.6g', ci95) FROM point_diff
                   WHERE metric = 'mean_slowdown'" | tr '|' ' ' | sort)
check "plot --paired static: its data are point_diff's means and half-widths" [ -n "$fig" -a "$fig" = "$tab" ]
expect_status 2 "$B" plot "$T/p.db" --figure cdf --paired static -o "$T/x.png"
expect_msg "--paired applies to figure sweep only"
expect_status 2 "$B" plot "$T/p.db" --figure sweep --x policy.name --paired nosuch -o "$T/x.png"
expect_msg "no run of policy nosuch pairs"
# another baseline: the signs flip
"$B" sweep "$S" -o "$T/q.db" -j 2 --quiet --set simulation.baseline=mom >"$T/out" 2>"$T/err" || bad "sweep: $(head -c 300 "$T/err")"
flip=$(sqlite3 "$T/q.db" "ATTACH '$T/p.db' AS p;
  SELECT count(*) FROM point_diff q JOIN p.point_diff o ON o.metric = q.metric AND o.axes = q.axes
  WHERE q.policy = 'static' AND abs(q.mean + (SELECT m.mean FROM p.point_diff m WHERE m.metric = q.metric
    AND m.policy = 'mom' AND substr(m.axes, 1, instr(m.axes, ',')) = substr(q.axes, 1, instr(q.axes, ',')))) > 1e-9 * (1 + abs(q.mean))")
check "baseline = mom: static's differences are minus mom's against static" [ "$flip" = 0 ]
check "baseline = mom: point_diff names it" [ "$(q "$T/q.db" "SELECT DISTINCT baseline FROM point_diff")" = mom ]
# a policy axis with a name (${pol=static, mom}) pairs as policy.name=${...} does: the same
# differences, point by point (its axes read pol=mom where the other reads policy.name=mom)
sed 's/^name = \${/name = ${pol=/' "$S" > "$T/named.ini"
grep -q 'name = \${pol=' "$T/named.ini" || bad "named.ini: no named policy axis"
"$B" sweep "$T/named.ini" -o "$T/n.db" -j 2 --quiet >"$T/out" 2>"$T/err" || bad "sweep named: $(head -c 300 "$T/err")"
named=$(q "$T/n.db" "SELECT policy, metric, printf('%.9g', mean), printf('%.9g', ci95), n FROM point_diff
                     ORDER BY policy, axes, metric" | sort)
plain=$(q "$T/p.db" "SELECT policy, metric, printf('%.9g', mean), printf('%.9g', ci95), n FROM point_diff
                     ORDER BY policy, axes, metric" | sort)
check "a named policy axis pairs: point_diff as with policy.name ($(printf '%s\n' "$named" | grep -c .) rows)" \
  [ -n "$named" -a "$named" = "$plain" ]
# ... and the figure pairs them by the same rule (stats_axes_without_policy)
"$B" plot "$T/n.db" --figure sweep --x pol --metric mean_slowdown --paired static --where host.memory=5GiB \
  --script-only --quiet -o "$T/npd.png" || bad "plot --paired on a named policy axis"
"$B" plot "$T/p.db" --figure sweep --x policy.name --metric mean_slowdown --paired static --where host.memory=5GiB \
  --script-only --quiet -o "$T/ppd.png" || bad "plot --paired on policy.name"
check "plot --paired: a named policy axis draws the differences policy.name does" \
  [ -n "$(grep -v '^#' "$T/npd.png.dat")" -a "$(awk '!/^#/ && NF {print $2, $3}' "$T/npd.png.dat")" = "$(awk '!/^#/ && NF {print $2, $3}' "$T/ppd.png.dat")" ]
e2e_done paired
