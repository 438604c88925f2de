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

for name in default bitbrains; do
  db="$OUT/$name.db"
  rm -f "$db" "$db-wal" "$db-shm"
  start=$(date +%s)
  "$B" sweep "scenarios/sensitivity/$name.ini" -j "$JOBS" -o "$db" --quiet
  echo "sensitivity: $name swept in $(( $(date +%s) - start )) s"
  "$B" plot "$db" --figure sweep --x rate --metric mean_slowdown --log x --quiet -o "$OUT/$name-rate.png"
done

# table NAME: the markdown of one scenario from its .dat (blocks "policy__storage=..__alpha=..__reclaim=..")
table() {
  awk -v name="$1" '
    /^# block/ { match($0, /"[^"]*"/); lab = substr($0, RSTART + 1, RLENGTH - 2)
                 n = split(lab, f, "__"); pol = f[1]; key = ""
                 for (i = 2; i <= n; i++) { split(f[i], kv, "="); key = key (i > 2 ? " " : "") kv[2] }
                 if (!(pol in seenp)) { seenp[pol] = 1; pols[++np] = pol }
                 next }
    /^#/ || NF == 0 { next }
    { x = $NF; gsub(/"/, "", x); k = key " " x
      if (!(k in seenk)) { seenk[k] = 1; keys[++nk] = k }
      m[k, pol] = $2; c[k, pol] = $3; nn = $4 }
    END {
      printf "| storage | α | reclaim | rate |"
      for (j = 1; j <= np; j++) printf " %s |", pols[j]
      printf " ranking (best first; ≈ where 95%% CIs overlap) |\n|---|---|---|---|"
      for (j = 1; j <= np; j++) printf "---|"
      printf "---|\n"
      for (i = 1; i <= nk; i++) {
        k = keys[i]; split(k, a, " ")
        printf "| %s | %s | %s | %s |", a[1], a[2], a[3], a[4]
        for (j = 1; j <= np; j++) printf " %.3f ± %.3f |", m[k, pols[j]], c[k, pols[j]]
        # rank: insertion sort by mean
        for (j = 1; j <= np; j++) o[j] = pols[j]
        for (j = 2; j <= np; j++) { t = o[j]; l = j - 1
          while (l >= 1 && m[k, o[l]] > m[k, t]) { o[l + 1] = o[l]; l-- } o[l + 1] = t }
        s = o[1]
        for (j = 2; j <= np; j++)
          s = s ((m[k, o[j]] - c[k, o[j]] <= m[k, o[j-1]] + c[k, o[j-1]]) ? " ≈ " : " < ") o[j]
        printf " %s |\n", s
        best = o[1]; if (best == "oracle") best = o[2]
        bestn[best]++
        for (j = 1; j <= np; j++) rank[o[j]] += j
        for (p = 1; p <= np; p++) for (q = 1; q <= np; q++) if (p != q) {
          P = pols[p]; Q = pols[q]
          if (m[k, P] + c[k, P] < m[k, Q] - c[k, Q]) win[P, Q]++ }
        for (j = 1; j <= np; j++) { v = m[k, pols[j]]
          if (!(pols[j] in lo) || v < lo[pols[j]]) lo[pols[j]] = v
          if (!(pols[j] in hi) || v > hi[pols[j]]) hi[pols[j]] = v }
        # which non-oracle policy wins, per point, keyed without each axis (dependence)
        for (ax = 1; ax <= 4; ax++) { kk = ""; for (z = 1; z <= 4; z++) if (z != ax) kk = kk a[z] "/"
          if ((ax, kk) in wset) { if (wset[ax, kk] != best) dep[ax, kk] = 1 } else wset[ax, kk] = best
          groups[ax, kk] = 1 }
      }
      printf "\n%d grid points, %d repetitions each (n per point).\n\n", nk, nn
      printf "| policy | mean rank (1 = best) | best non-oracle policy at | mean slowdown, lowest .. highest over the grid |\n|---|---|---|---|\n"
      for (j = 1; j <= np; j++) printf "| %s | %.2f | %d of %d points | %.3f .. %.3f |\n", pols[j], rank[pols[j]] / nk, bestn[pols[j]], nk, lo[pols[j]], hi[pols[j]]
      printf "\nPairs (A beats B: A'"'"'s mean slowdown lower with 95%% CIs apart), over the %d points:\n\n", nk
      printf "| A \\\\ B |"; for (q = 1; q <= np; q++) printf " %s |", pols[q]; printf "\n|---|"; for (q = 1; q <= np; q++) printf "---|"; printf "\n"
      for (p = 1; p <= np; p++) { printf "| %s |", pols[p]
        for (q = 1; q <= np; q++) printf " %s |", p == q ? "—" : (win[pols[p], pols[q]] + 0)
        printf "\n" }
      split("storage preset,Zipf α,reclaim rule,access rate", axn, ",")
      printf "\nDoes the best non-oracle policy depend on one parameter, the other three held fixed?\n\n| parameter | combinations of the others where changing it changes the winner |\n|---|---|\n"
      for (ax = 1; ax <= 4; ax++) { t = 0; d = 0
        for (g in groups) { split(g, gg, SUBSEP); if (gg[1] == ax) { t++; if (dep[gg[1], gg[2]]) d++ } }
        printf "| %s | %d of %d |\n", axn[ax], d, t }
      printf "\nWhat holds across the grid, and what depends on a parameter (from the pairs above):\n\n"
      for (p = 1; p <= np; p++) for (q = p + 1; q <= np; q++) {
        P = pols[p]; Q = pols[q]; a1 = win[P, Q] + 0; b1 = win[Q, P] + 0
        if (a1 == nk) printf "* **holds**: %s beats %s at every point.\n", P, Q
        else if (b1 == nk) printf "* **holds**: %s beats %s at every point.\n", Q, P
        else if (a1 > 0 && b1 > 0) printf "* **depends**: %s beats %s at %d points, %s beats %s at %d, no clear order at %d.\n", P, Q, a1, Q, P, b1, nk - a1 - b1
        else if (a1 > 0) printf "* mostly: %s beats %s at %d of %d points, never the reverse (no clear order at the rest).\n", P, Q, a1, nk
        else if (b1 > 0) printf "* mostly: %s beats %s at %d of %d points, never the reverse (no clear order at the rest).\n", Q, P, b1, nk
        else printf "* no clear order between %s and %s anywhere (CIs overlap).\n", P, Q }
    }' "$OUT/$1-rate.dat"
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
are those `balloonsim plot --figure sweep` computes (results/sensitivity/*-rate.dat; figures
results/sensitivity/*-rate.png: mean slowdown against access rate, one line per policy and
grid point).

EOF
  echo "## Default scenario"; echo
  table default
  echo; echo "## Bitbrains scenario"; echo
  table bitbrains
  echo
  cat "$OUT/conclusions.md" 2>/dev/null || true
} > "$DOC"
echo "sensitivity: wrote $DOC"
