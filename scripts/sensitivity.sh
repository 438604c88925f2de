#!/usr/bin/env bash
# scripts/sensitivity.sh -- docs/sensitivity.md (`make sensitivity`; issue 23).
#
#   bash scripts/sensitivity.sh [./balloonsim] [JOBS]
#
# Sweeps scenarios/sensitivity/default.ini and bitbrains.ini (the grid storage preset x access
# rate x Zipf alpha x reclaim rule, every policy of each file, repetitions with common random
# numbers) with `balloonsim sweep -j JOBS` into results/sensitivity/, draws mean slowdown
# against access rate with `balloonsim plot --figure sweep` (PNG, and the .dat it computes:
# mean, 95% CI half-width (Student t), n per point), and writes docs/sensitivity.md from those
# .dat files: the ranking at every grid point and what holds across the grid.
set -euo pipefail
B="${1:-./balloonsim}"
JOBS="${2:-2}"
OUT=results/sensitivity
DOC=docs/sensitivity.md
mkdir -p "$OUT"
[ -x "$B" ] || { echo "sensitivity: no binary $B (run make)" >&2; exit 2; }

# SENS_REUSE=1 keeps the databases of an earlier run (to redo the tables only), but only
# those whose runs were all made by this build (runs.version = `balloonsim --version`, which
# carries the model digest; docs/database.md "Builds do not mix"): another one's are swept
# afresh, so the page never shows results of an older model.
V=$("$B" --version | awk '{ print $2 }')
rm -f "$OUT"/*.dat "$OUT"/*.gp "$OUT"/*.png
for name in default bitbrains; do
  db="$OUT/$name.db"
  reuse=
  if [ -n "${SENS_REUSE:-}" ] && [ -s "$db" ]; then
    if [ "$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE version IS NOT '$V'" 2>/dev/null)" = 0 ]; then
      reuse=1
    else
      echo "sensitivity: $db holds runs of another build (this one: $V): sweeping it afresh"
    fi
  fi
  if [ -z "$reuse" ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    start=$(date +%s)
    "$B" sweep "scenarios/sensitivity/$name.ini" -j "$JOBS" -o "$db" --quiet
    echo "sensitivity: $name swept in $(( $(date +%s) - start )) s"
  fi
  "$B" plot "$db" --figure sweep --x rate --metric mean_slowdown --log x --quiet -o "$OUT/$name-rate.png"
  # paired differences A - B for every policy B (same repetition, same other axes: the
  # pairing of table point_diff), mean and 95% half-width of the differences
  for pol in $(sqlite3 "$db" "SELECT DISTINCT policy FROM runs ORDER BY run_id"); do
    "$B" plot "$db" --figure sweep --x rate --metric mean_slowdown --paired "$pol" --script-only --quiet \
      -o "$OUT/$name-vs-$pol.png"
  done
  # not comparable: a policy that refused or left waiting a VM start ran fewer VMs
  sqlite3 -separator ' ' "$db" "SELECT DISTINCT r.policy, r.storage, r.alpha, r.reclaim,
      CAST(r.rate / 1048576 AS INTEGER) || 'MiB/s' FROM v_runs r
      WHERE r.requests_refused + r.requests_pending > 0" > "$OUT/$name-nc.txt"
done

# table NAME: the markdown of one scenario from its .dat files (blocks
# "policy__storage=..__alpha=..__reclaim=..", rows "x mean ci95 n sd x_text"): NAME-rate.dat
# has each policy's mean, NAME-vs-B.dat the paired difference of each policy to B.
table() {
  local files=("$OUT/$1-nc.txt" "$OUT/$1-rate.png.dat")
  for f in "$OUT/$1"-vs-*.png.dat; do files+=("$f"); done
  awk -v name="$1" '
    function label(line,   lab, n, f, i, kv, key) {
      match(line, /"[^"]*"/); lab = substr(line, RSTART + 1, RLENGTH - 2)
      n = split(lab, f, "__"); pol = f[1]; key = ""
      for (i = 2; i <= n; i++) { split(f[i], kv, "="); key = key (i > 2 ? " " : "") kv[2] }
      return key }
    FNR == 1 { fi++; vs = ""; if (match(FILENAME, /-vs-[^\/]*\.png\.dat$/)) vs = substr(FILENAME, RSTART + 4, RLENGTH - 12) }
    # grid values are compared as numbers where they are numbers (the database gives 1,
    # the figure labels 1.0)
    function normkey(k,   parts, n, i, out) {
      n = split(k, parts, " "); out = ""
      for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") (parts[i] ~ /^[0-9.]+$/ ? sprintf("%g", parts[i]) : parts[i])
      return out }
    FILENAME ~ /-nc\.txt$/ { nc[$1, normkey($2 " " $3 " " $4 " " $5)] = 1; next }
    /^# block/ { key = label($0)
                 if (vs == "" && !(pol in seenp)) { seenp[pol] = 1; pols[++np] = pol }
                 next }
    /^#/ || NF == 0 { next }
    { x = $NF; gsub(/"/, "", x); k = key " " x
      if (vs == "") { if (!(k in seenk)) { seenk[k] = 1; keys[++nk] = k }
                      m[k, pol] = $2; c[k, pol] = $3; nn = $4 }
      else { d[k, pol, vs] = $2; dc[k, pol, vs] = $3; hasd[k, pol, vs] = 1 } }
    # A beats B at point k: the paired difference A - B and its whole 95% interval below 0
    function beats(k, A, B) { return ((k, A, B) in hasd) && d[k, A, B] + dc[k, A, B] < 0 }
    END {
      printf "| storage | α | reclaim | rate |"
      for (j = 1; j <= np; j++) printf " %s |", pols[j]
      printf " ranking (best first; < where the paired difference is below 0 with 95%% confidence, ≈ where not) |\n|---|---|---|---|"
      for (j = 1; j <= np; j++) printf "---|"
      printf "---|\n"
      for (i = 1; i <= nk; i++) {
        k = keys[i]; split(k, a, " ")
        printf "| %s | %s | %s | %s |", a[1], a[2], a[3], a[4]
        no = 0; ncl = ""
        for (j = 1; j <= np; j++) {
          P = pols[j]
          if ((P, normkey(k)) in nc) { printf " %.3f ± %.3f (n/c) |", m[k, P], c[k, P]; ncl = ncl (ncl ? ", " : "") P; ncpol[P]++; continue }
          printf " %.3f ± %.3f |", m[k, P], c[k, P]
          o[++no] = P }
        for (j = 2; j <= no; j++) { t = o[j]; l = j - 1
          while (l >= 1 && m[k, o[l]] > m[k, t]) { o[l + 1] = o[l]; l-- } o[l + 1] = t }
        s = o[1]
        for (j = 2; j <= no; j++) s = s (beats(k, o[j-1], o[j]) ? " < " : " ≈ ") o[j]
        if (ncl) s = s " (not comparable: " ncl ")"
        printf " %s |\n", s
        best = o[1]; if (best == "oracle") best = o[2]
        bestn[best]++
        for (j = 1; j <= no; j++) { rank[o[j]] += j; ranked[o[j]]++ }
        for (p = 1; p <= no; p++) for (q = 1; q <= no; q++) if (p != q && beats(k, o[p], o[q])) win[o[p], o[q]]++
        for (p = 1; p <= no; p++) for (q = 1; q <= no; q++) if (p != q) both[o[p], o[q]]++
        for (j = 1; j <= np; j++) { v = m[k, pols[j]]
          if (!(pols[j] in lo) || v < lo[pols[j]]) lo[pols[j]] = v
          if (!(pols[j] in hi) || v > hi[pols[j]]) hi[pols[j]] = v }
        # which non-oracle policy wins, per point, keyed without each axis (dependence)
        for (ax = 1; ax <= 4; ax++) { kk = ""; for (z = 1; z <= 4; z++) if (z != ax) kk = kk a[z] "/"
          if ((ax, kk) in wset) { if (wset[ax, kk] != best) dep[ax, kk] = 1 } else wset[ax, kk] = best
          groups[ax, kk] = 1 }
      }
      printf "\n%d grid points, %d repetitions each (n per point). (n/c): not comparable, the policy refused or left waiting a VM start (it ran fewer VMs), so it is left out of the ranking and the counts below at that point.\n\n", nk, nn
      printf "| policy | mean rank (1 = best) | best non-oracle policy at | not comparable at | mean slowdown, lowest .. highest over the grid |\n|---|---|---|---|---|\n"
      for (j = 1; j <= np; j++) { P = pols[j]
        printf "| %s | %s | %d of %d points | %d | %.3f .. %.3f |\n", P, ranked[P] ? sprintf("%.2f", rank[P] / ranked[P]) : "—", bestn[P], nk, ncpol[P] + 0, lo[P], hi[P] }
      printf "\nPairs (A beats B: the paired difference A − B, same repetition and grid point, is below 0 with 95%% confidence), over the points where both are comparable:\n\n"
      printf "| A \\\\ B |"; for (q = 1; q <= np; q++) printf " %s |", pols[q]; printf "\n|---|"; for (q = 1; q <= np; q++) printf "---|"; printf "\n"
      for (p = 1; p <= np; p++) { printf "| %s |", pols[p]
        for (q = 1; q <= np; q++) printf " %s |", p == q ? "—" : (win[pols[p], pols[q]] + 0) "/" (both[pols[p], pols[q]] + 0)
        printf "\n" }
      split("storage preset,Zipf α,reclaim rule,access rate", axn, ",")
      printf "\nDoes the best non-oracle policy depend on one parameter, the other three held fixed?\n\n| parameter | combinations of the others where changing it changes the winner |\n|---|---|\n"
      for (ax = 1; ax <= 4; ax++) { t = 0; dd = 0
        for (g in groups) { split(g, gg, SUBSEP); if (gg[1] == ax) { t++; if (dep[gg[1], gg[2]]) dd++ } }
        printf "| %s | %d of %d |\n", axn[ax], dd, t }
      printf "\nWhat holds across the grid, and what depends on a parameter (from the pairs above):\n\n"
      for (p = 1; p <= np; p++) for (q = p + 1; q <= np; q++) {
        P = pols[p]; Q = pols[q]; a1 = win[P, Q] + 0; b1 = win[Q, P] + 0; nb = both[P, Q] + 0
        if (nb == 0) printf "* %s and %s are never comparable (VM starts refused).\n", P, Q
        else if (a1 == nb) printf "* **holds**: %s beats %s at every point where both are comparable (%d).\n", P, Q, nb
        else if (b1 == nb) printf "* **holds**: %s beats %s at every point where both are comparable (%d).\n", Q, P, nb
        else if (a1 > 0 && b1 > 0) printf "* **depends**: %s beats %s at %d points, %s beats %s at %d, no clear order at %d.\n", P, Q, a1, Q, P, b1, nb - a1 - b1
        else if (a1 > 0) printf "* mostly: %s beats %s at %d of %d points, never the reverse (no clear order at the rest).\n", P, Q, a1, nb
        else if (b1 > 0) printf "* mostly: %s beats %s at %d of %d points, never the reverse (no clear order at the rest).\n", Q, P, b1, nb
        else printf "* no clear order between %s and %s anywhere (paired intervals include 0).\n", P, Q }
    }' "${files[@]}"
}

{
  cat <<'EOF'
# Sensitivity of the policy comparison to the memory model's parameters

Generated by `make sensitivity` (scripts/sensitivity.sh; do not edit by hand). It sweeps
`scenarios/sensitivity/default.ini` (the default scenario: 4 VMs of 4 GiB on a 12 GiB host,
2 h, 3 repetitions) and `scenarios/sensitivity/bitbrains.ini` (the 12 Bitbrains GWA-T-12 Rnd
VMs on a 24 GiB host, 3 h, 2 repetitions) with `balloonsim sweep` over the grid

* storage preset `nvme`, `ssd`, `hdd` (host swap device and guest disks; docs/models.md, Devices),
* access rate 16, 64, 256 MiB/s (`workload.access_rate`, a parameter to sweep: docs/models.md),
* Zipf α 0.6, 0.8, 1.0 (Breslau et al. 1999 report 0.64–0.83),
* reclaim rule `cache-first`, `linux` (docs/models.md, Reclaim),

with the other defaults of `memory_model = v2`. Repetition *r* of every point sees the same
workloads (common random numbers); the Bitbrains traces are deterministic, so their intervals
are 0 where a policy draws no random numbers. Means and 95 % confidence half-widths (Student t)
are those `balloonsim plot --figure sweep` computes; a comparison of two policies is paired
(`plot --figure sweep --paired B`: the difference A − B within each repetition and grid
point, and its 95 % interval) (results/sensitivity/*-rate.png.dat; figures
results/sensitivity/*-rate.png: mean slowdown against access rate, one line per policy and
grid point).

EOF
  echo "## Default scenario"; echo
  table default
  echo; echo "## Bitbrains scenario"; echo
  table bitbrains
  echo
  cat <<'EOF'
## Reading the tables

* The oracle (docs/policies.md) is a bound over the guest-side costs it plans with: it never
  plans host swapping.  Where a policy beats it, the cause is the catalogue's "host swapping
  of cold pages": the winner lets the host swap pages no guest touches again (an idle VM's
  freed memory, or the large provisioned-but-unused memory of the Bitbrains VMs), while the
  oracle balloons that memory and the guests swap instead.  Compare `host_swap_out_bytes`
  and `guest_swap_out_bytes` of the two in results/sensitivity/*.db (`v_runs`).
* A policy marked n/c refused or left waiting VM starts (hyperv-dm and squeezed admit a VM
  only when the host can give it its startup memory): it ran fewer VMs, so its mean slowdown
  is over other VMs and is not ranked.  On the default grid hyperv-dm cannot give the fourth
  4 GiB VM its startup memory on the 12 GiB host in any run; squeezed cannot free it within
  the 60 s `[host] start_deadline` (an assumption, docs/models.md) in the first repetition,
  and can within 120 s: the grid gives every policy the same `vmware` driver, which takes
  pages the guest must swap at 8 MiB/s (`pressure_rate`, docs/models.md).
* Storage dominates the magnitude: on `hdd` every policy's slowdown is 10 to 1,000 times that
  on `nvme`, while the order of the policies changes in few combinations (the "depends"
  table above); the Bitbrains replays are deterministic, so their intervals are 0 and small
  differences count as wins.

EOF
  cat "$OUT/conclusions.md" 2>/dev/null || true
} > "$DOC"
echo "sensitivity: wrote $DOC"
