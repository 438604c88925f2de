#!/usr/bin/env bash
# scripts/examples-docs.sh -- the table of the shipped examples in docs/policies.md
# ("The examples and what they measure"; `make examples-docs`).
#
#   bash scripts/examples-docs.sh [./balloonsim] [--check]
#
# Runs every row exactly as its first cell names it, `balloonsim run FILE [--set K=V ...] -o DB`
# (same seed, so the same results on every machine), reads the run's summary metrics
# (run_summary, docs/database.md) and the host's capacity (hosts.capacity_bytes), and
# replaces the text between <!-- BEGIN examples-docs table --> and
# <!-- END examples-docs table --> of docs/policies.md.  Columns and units:
#   host            capacity of the (single) host, GiB = 2^30 bytes
#   host swap-out   run_summary host_swap_out_bytes, GB = 10^9 bytes
#   guest swap-out  run_summary guest_swap_out_bytes, GB
#   ballooned       run_summary balloon_inflated_bytes, GB
#   mean slowdown   run_summary mean_slowdown (mean over VMs of 1 + stall_s / duration)
#   VMs short       run_summary vms_short (stall >= 10% for at least 25% of the run)
# The memory model (run_params simulation.memory_model) is named under the table, or given a
# column when the rows disagree.  "(= `default.ini`)" follows a row whose run_summary is, metric
# for metric, that of `balloonsim run scenarios/default.ini` (the fingerprints may differ: a
# scenario that logs more policy_log rows hashes them).  About 1 s.
# --check: build the table, exit 1 when the document's differs (a model or policy change moved
# a cell: run `make examples-docs`); exit 2 on a usage error.  EXAMPLES_DOC names another
# document (the tests use it).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2
B="${1:-./balloonsim}"
MODE="${2:-}"
DOC="${EXAMPLES_DOC:-docs/policies.md}"
BEGIN='<!-- BEGIN examples-docs table -->'
END='<!-- END examples-docs table -->'
[ -x "$B" ] || { echo "examples-docs: no binary $B (run make)" >&2; exit 2; }
[ -z "$MODE" ] || [ "$MODE" = --check ] || { echo "examples-docs: unknown option $MODE (want --check)" >&2; exit 2; }
[ -f "$DOC" ] || { echo "examples-docs: no document $DOC" >&2; exit 2; }
[ "$(grep -cxF -- "$BEGIN" "$DOC")" = 1 ] && [ "$(grep -cxF -- "$END" "$DOC")" = 1 ] ||
  { echo "examples-docs: $DOC needs one line '$BEGIN' and one '$END'" >&2; exit 2; }
T=$(mktemp -d /tmp/examples-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The rows, one a line: the scenario file, then its --set assignments, separated by '|'.
ROWS='scenarios/default.ini|policy.name=static
scenarios/examples/esx.ini
scenarios/examples/hyperv.ini
scenarios/examples/mom.ini
scenarios/examples/squeezed.ini
scenarios/examples/example.ini
scenarios/examples/senpai.ini
scenarios/examples/senpai.ini|host.memory=12GiB'

# run DB FILE [SET...]: balloonsim run FILE --set SET... -o DB
run() {
  local db=$1 file=$2 args=() s
  shift 2
  for s in "$@"; do args+=(--set "$s"); done
  "$B" run "$file" "${args[@]}" -o "$db" --quiet </dev/null >/dev/null 2>"$T/err" ||
    { cat "$T/err" >&2; echo "examples-docs: balloonsim run $file ${args[*]} failed" >&2; exit 1; }
}
# cells DB: the row's cells after the first, tab-separated, from one query:
# host ("12 GiB", or "N × 12 GiB"), three byte counts ("0", "< 0.1 GB" or "12.3 GB"), the
# mean slowdown (3 decimals), VMs short, the memory model
cells() {
  sqlite3 -separator $'\t' "$1" "
    WITH s(metric, v) AS (SELECT metric, value FROM run_summary),
         gb(metric, cell) AS (SELECT metric, CASE WHEN v = 0 THEN '0' WHEN v < 0.05e9 THEN '< 0.1 GB'
                                                 ELSE printf('%.1f GB', v / 1e9) END FROM s)
    SELECT (SELECT CASE count(*) WHEN 1 THEN '' ELSE count(*) || ' × ' END ||
                   printf('%g GiB', max(capacity_bytes) / 1073741824.0) FROM hosts),
           (SELECT cell FROM gb WHERE metric = 'host_swap_out_bytes'),
           (SELECT cell FROM gb WHERE metric = 'guest_swap_out_bytes'),
           (SELECT cell FROM gb WHERE metric = 'balloon_inflated_bytes'),
           (SELECT printf('%.3f', v) FROM s WHERE metric = 'mean_slowdown'),
           (SELECT printf('%d', v) FROM s WHERE metric = 'vms_short'),
           (SELECT value FROM run_params WHERE section = 'simulation' AND key = 'memory_model')"
}
summary() { sqlite3 "$1" "SELECT metric, value FROM run_summary ORDER BY metric"; }

run "$T/default.db" scenarios/default.ini
i=0
while IFS='|' read -r -a row <&3; do
  i=$((i + 1)); db="$T/row$i.db"
  run "$db" "${row[@]}"
  label="${row[0]}"
  for s in "${row[@]:1}"; do
    case "$s" in *' '*) label="$label --set \"$s\"" ;; *) label="$label --set $s" ;; esac
  done
  same=""
  [ "${row[0]}" != scenarios/default.ini ] && [ "${#row[@]}" = 1 ] && [ "$(summary "$db")" = "$(summary "$T/default.db")" ] &&
    same=' (= `default.ini`)'
  row_cells=$(cells "$db")
  [ "$(awk -F'\t' '{ n = 0; for (k = 1; k <= NF; k++) n += $k != ""; print n }' <<< "$row_cells")" = 7 ] ||
    { echo "examples-docs: ${row[*]}: a metric is missing from run_summary/hosts/run_params: $row_cells" >&2; exit 1; }
  printf '%s\t%s\n' "\`$label\`$same" "$row_cells" >> "$T/rows.tsv"
done 3<<< "$ROWS"

models=$(cut -f8 "$T/rows.tsv" | sort -u)
{
  if [ "$(echo "$models" | wc -l)" = 1 ]; then
    echo "| scenario | host | host swap-out | guest swap-out | ballooned | mean slowdown | VMs short |"
    echo "|---|---|---|---|---|---|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$T/rows.tsv"
    echo
    echo "Memory model \`$models\` (\`simulation.memory_model\` of every run). Generated by \`make examples-docs\`"
  else
    echo "| scenario | memory model | host | host swap-out | guest swap-out | ballooned | mean slowdown | VMs short |"
    echo "|---|---|---|---|---|---|---|---|"
    awk -F'\t' '{ printf "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n", $1, $8, $2, $3, $4, $5, $6, $7 }' "$T/rows.tsv"
    echo
    echo "The memory model is each run's \`simulation.memory_model\`. Generated by \`make examples-docs\`"
  fi
  echo "(\`scripts/examples-docs.sh\`); checked by \`tests/e2e/examples_pins.sh\` (\`make test\`)."
} > "$T/table.md"

awk -v b="$BEGIN" -v e="$END" '$0 == e { on = 0 } on; $0 == b { on = 1 }' "$DOC" > "$T/doc-table.md"
if [ "$MODE" = --check ]; then
  if diff -u "$T/doc-table.md" "$T/table.md" >&2; then echo "examples-docs: the examples table of $DOC is up to date" >&2; exit 0; fi
  echo "examples-docs: the examples table of $DOC is stale (above: - the page, + now); run make examples-docs" >&2
  exit 1
fi
awk -v b="$BEGIN" -v e="$END" -v file="$T/table.md" '
  $0 == b { print; while ((getline l < file) > 0) print l; skip = 1; next }
  $0 == e { skip = 0 }
  !skip { print }' "$DOC" > "$T/doc.md"
cp "$T/doc.md" "$DOC"
echo "examples-docs: $DOC updated ($i rows)" >&2
