#!/usr/bin/env bash
# tests/e2e/export.sh -- results as tables and `balloonsim export` (cli/tables.c,
# cli/cmd_export.c, issue 21).  Run from the repository root; BALLOONSIM names the binary.
#
# Checks:
#   1. `run` of a study (3 named axes x repeat 2) leaves point_summary, run_axes and the
#      views; v_runs has one row per run, every axis typed in canonical units (a size in
#      bytes, a duration in ns, a policy name as text), overcommit = sum configured /
#      sum (capacity - reserve) recomputed from vms and hosts, every run_summary metric as
#      a column, the seed as runs stores it and as --dry-run prints it.
#   2. export runs|points|vms|samples as CSV read back by Python's csv module (RFC 4180)
#      equals the views row for row; TSV has the same header; every JSON Lines line is an
#      object with the view's columns.  Quoting: a VM group named a,"b" and a name holding a
#      newline survive a CSV round trip; records end in CRLF.
#   3. a database written before the views (views and run_axes dropped), read-only, exports
#      the same rows; merge leaves the views too.
#   4. a missing database, a text file, an unknown view, format or option, an unwritable
#      -o: exit 2 with a message, no file left behind.
source "$(dirname "$0")/lib.bash"
private_binary
count() { sqlite3 "$1" "$2"; }
have_py=0; command -v python3 >/dev/null && have_py=1

cat > "$T/s.ini" <<'INI'
[simulation]
duration = 10min
sample_interval = 1min
repeat = 2
[host]
memory = ${mem=6GiB, 8GiB}
reserve = 512MiB
[vm a,"b"]
count = 2
memory = 4GiB
workload = constant
workload.mean = 1GiB
[vm web]
count = 1
memory = 2GiB
workload = diurnal
workload.mean = 1GiB
workload.amplitude = 512MiB
workload.period = ${per=30min, 1h}
[policy]
name = ${pol=static, esx-share}
INI

echo "== 1. run leaves typed tables and views"
expect_status 0 "$B" run "$T/s.ini" -o "$T/s.db" --quiet
D="$T/s.db"
check "point_summary written by run: 8 points" [ "$(count "$D" "SELECT count(DISTINCT point_index) FROM point_summary")" = 8 ]
check "v_runs: one row per run (16)" [ "$(count "$D" "SELECT count(*) FROM v_runs")" = 16 ]
check "run_axes: 3 axes per run" [ "$(count "$D" "SELECT count(*) FROM run_axes")" = 48 ]
check "a size axis is bytes (integer)" \
  [ "$(count "$D" "SELECT DISTINCT typeof(mem) || ' ' || mem FROM v_runs ORDER BY mem" | tr '\n' ' ')" = "integer 6442450944 integer 8589934592 " ]
check "a duration axis is ns" \
  [ "$(count "$D" "SELECT DISTINCT per FROM v_runs ORDER BY per" | tr '\n' ' ')" = "1800000000000 3600000000000 " ]
check "the unit of each axis is recorded" \
  [ "$(count "$D" "SELECT axis || ':' || ifnull(unit, 'text') FROM run_axes GROUP BY axis ORDER BY axis" | tr '\n' ' ')" = "mem:bytes per:ns pol:text " ]
check "a policy axis is text and equals the run's policy" \
  [ "$(count "$D" "SELECT count(*) FROM v_runs WHERE typeof(pol) = 'text' AND pol = policy")" = 16 ]
oc=$(count "$D" "SELECT count(*) FROM v_runs r WHERE abs(r.overcommit - (SELECT sum(configured_bytes) FROM vms v WHERE v.run_id = r.run_id)
  * 1.0 / (SELECT sum(capacity_bytes - reserve_bytes) FROM hosts h WHERE h.run_id = r.run_id)) < 1e-12")
check "overcommit = sum configured / sum (capacity - reserve) for every run" [ "$oc" = 16 ]
check "overcommit of 10 GiB on 6 GiB - 512 MiB is 20/11" \
  [ "$(count "$D" "SELECT DISTINCT printf('%.6f', overcommit) FROM v_runs WHERE mem = 6442450944")" = "1.818182" ]
nm=$(count "$D" "SELECT count(DISTINCT metric) FROM run_summary")
nc=$(count "$D" "SELECT count(*) FROM pragma_table_info('v_runs')")
check "every run_summary metric is a column ($nm metrics + 12 others = $nc)" [ $((nm + 12)) = "$nc" ]
ms=$(count "$D" "SELECT count(*) FROM v_runs v JOIN run_summary s ON s.run_id = v.run_id AND s.metric = 'mean_slowdown' WHERE v.mean_slowdown = s.value")
check "the metric columns hold run_summary's values" [ "$ms" = 16 ]
"$B" sweep "$T/s.ini" --dry-run | grep -v '^#' | awk '{print $1, $4}' > "$T/dry.seeds"
count "$D" "SELECT run, seed FROM v_runs ORDER BY run" | tr '|' ' ' > "$T/db.seeds"
check "seed: the database and --dry-run show the same numbers" cmp -s "$T/dry.seeds" "$T/db.seeds"

echo "== 2. export: CSV, TSV, JSON Lines"
for v in runs points vms samples; do
  expect_status 0 "$B" export "$D" --view $v -o "$T/$v.csv"
  rows=$(count "$D" "SELECT count(*) FROM v_$v")
  check "$v.csv has a header and $rows rows" [ "$(tr -cd '\n' < "$T/$v.csv" | wc -c)" = $((rows + 1)) ]
done
check "CSV records end in CRLF" [ "$(head -1 "$T/runs.csv" | od -c | grep -c '\\r  \\n')" = 1 ]
check "the header of runs.csv is v_runs's columns" \
  [ "$(head -1 "$T/runs.csv" | tr -d '\r')" = "$(count "$D" "SELECT group_concat(name, ',') FROM pragma_table_info('v_runs')")" ]
if [ $have_py = 1 ]; then
  # every field of every row equals SQLite's value of the view (numbers compared as numbers)
  cmp_csv() {
    python3 - "$1" "$2" "$3" <<'PY'
import csv, sqlite3, sys, math
db, view, path = sys.argv[1:4]
con = sqlite3.connect(db)
cur = con.execute(f"SELECT * FROM {view}")
want = cur.fetchall()
with open(path, newline='') as f:
    rows = list(csv.reader(f))
head, body = rows[0], rows[1:]
assert head == [d[0] for d in cur.description], "header"
assert len(body) == len(want), f"rows {len(body)} != {len(want)}"
for got, exp in zip(body, want):
    for g, e in zip(got, exp):
        if e is None: assert g == "", (g, e)
        elif isinstance(e, (int, float)) and not isinstance(e, bool):
            assert float(g) == float(e) or (math.isnan(e) and g == "NaN"), (g, e)
        else: assert g == e, (g, e)
PY
  }
  for v in runs points vms; do check "$v.csv read by Python's csv equals v_$v" cmp_csv "$D" v_$v "$T/$v.csv"; done
  check "samples.csv equals v_samples" cmp_csv "$D" v_samples "$T/samples.csv"
  check "the VM group a,\"b\" is quoted and read back" \
    python3 -c "import csv,sys; r=list(csv.DictReader(open(sys.argv[1],newline=''))); assert {x['grp'] for x in r} == {'a,\"b\"','web'}, r[0]" "$T/vms.csv"
  # a name with a newline, a quote and a comma (written straight into a copy)
  cp "$D" "$T/nl.db"; sqlite3 "$T/nl.db" "UPDATE vms SET name = 'x, \"y\"' || char(10) || 'z' WHERE vm_id = 2"
  expect_status 0 "$B" export "$T/nl.db" --view vms -o "$T/nl.csv"
  check "a name with a newline, a quote and a comma survives the CSV" \
    python3 -c "import csv,sys; r=list(csv.DictReader(open(sys.argv[1],newline=''))); assert len(r) == 48 and sum(x['vm'] == 'x, \"y\"\nz' for x in r) == 16" "$T/nl.csv"
  expect_status 0 "$B" export "$D" --view points --format jsonl -o "$T/p.out"
  check "JSON Lines: one object per row with the view's columns, numbers as numbers" python3 - "$T/p.out" "$D" <<'PY'
import json, sqlite3, sys
lines = open(sys.argv[1]).read().splitlines()
con = sqlite3.connect(sys.argv[2])
cols = [d[1] for d in con.execute("PRAGMA table_info(v_points)")]
n = con.execute("SELECT count(*) FROM v_points").fetchone()[0]
objs = [json.loads(l) for l in lines]
assert len(objs) == n and all(list(o) == cols for o in objs)
assert all(isinstance(o['mem'], int) and isinstance(o['pol'], str) for o in objs)
PY
fi
expect_status 0 "$B" export "$D" -o "$T/r.tsv"
check "-o x.tsv writes TSV with the same header" \
  [ "$(head -1 "$T/r.tsv" | tr '\t' ',')" = "$(head -1 "$T/runs.csv" | tr -d '\r')" ]
"$B" export "$D" --format jsonl > "$T/stdout.jsonl"
check "standard output by default" [ "$(wc -l < "$T/stdout.jsonl")" = 16 ]

echo "== 3. an older database, read-only; merge"
cp "$D" "$T/old.db"
sqlite3 "$T/old.db" "DROP VIEW v_runs; DROP VIEW v_points; DROP VIEW v_vms; DROP VIEW v_samples; DROP VIEW v_run_axes; DROP TABLE run_axes; DROP TABLE point_summary"
chmod a-w "$T/old.db"
expect_status 0 "$B" export "$T/old.db" --view runs -o "$T/old.csv"
check "a database without the views, read-only, exports the same runs" cmp -s "$T/old.csv" "$T/runs.csv"
check "... and leaves it without them" [ "$(count "$T/old.db" "SELECT count(*) FROM sqlite_master WHERE name = 'v_runs'")" = 0 ]
expect_status 0 "$B" merge "$T/m.db" "$D" --quiet
check "merge leaves v_runs with every run" [ "$(count "$T/m.db" "SELECT count(*) FROM v_runs")" = 16 ]

echo "== 4. bad input: exit 2"
expect_status 2 "$B" export "$T/missing.db"
expect_msg "no such database"
check "... and creates no file" [ ! -e "$T/missing.db" ]
echo "not a database" > "$T/text.db"
expect_status 2 "$B" export "$T/text.db"
expect_msg "text.db"
expect_status 2 "$B" export "$D" --view nope
expect_msg "unknown view"
expect_status 2 "$B" export "$D" --format xml
expect_msg "unknown format"
expect_status 2 "$B" export "$D" --bogus
expect_status 2 "$B" export
expect_status 2 "$B" export "$D" -o "$T/no/such/dir/x.csv"
expect_msg "cannot write"
check "no temporary file left beside the output" [ -z "$(ls "$T" | grep '\.tmp')" ]
e2e_done export
