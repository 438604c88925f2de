#!/usr/bin/env bash
# tests/e2e/options.sh -- every command parses its options with getopt_long
# (cli_getopt, cli/common.c): short options with attached or separate values (-j2, -j 2),
# long ones with separate or attached values (--jobs 2, --jobs=2), one message for an
# unknown option or a missing value.  Also `balloonsim columns` (the sample tables'
# columns: the listing equals the database's) and `balloonsim policies --names`.
source "$(dirname "$0")/lib.bash"

F=scenarios/default.ini
SMALL=(--set simulation.duration=10min --set simulation.repeat=2)

echo "== -j2, -j 2, --jobs 2 and --jobs=2 are the same option"
for form in "-j2" "-j 2" "--jobs 2" "--jobs=2"; do
  # shellcheck disable=SC2086
  "$B" sweep "$F" --dry-run "${SMALL[@]}" $form > "$T/dry" 2>&1
  check "sweep $form: workers: 2" grep -q '^# workers: 2 ' "$T/dry"
done
"$B" sweep "$F" --dry-run "${SMALL[@]}" --jobs=3 > "$T/dry" 2>&1
check "sweep --jobs=3: workers: 3 (the value is read, not a default)" grep -q '^# workers: 3 ' "$T/dry"
expect_status 2 "$B" sweep "$F" --dry-run --jobs=0
expect_msg "-j 0: expected a number of workers from 1 to 1024"
expect_status 2 "$B" sweep "$F" --dry-run --jobs
expect_msg "option --jobs needs a value"
expect_status 2 "$B" sweep "$F" -x
expect_msg "unknown option '-x'"

echo "== --set K=V and --set=K=V; --seed N and --seed=N"
"$B" sweep "$F" --dry-run --set simulation.repeat=3 --seed 5 > "$T/a" 2>&1
"$B" sweep "$F" --dry-run --set=simulation.repeat=3 --seed=5 > "$T/b" 2>&1
check "the same runs and seeds either way" cmp -s "$T/a" "$T/b"
check "three repetitions" [ "$(grep -vc '^#' "$T/a")" -eq 3 ]
expect_status 0 "$B" run "$F" --quiet -o"$T/r.db" --set=simulation.duration=5min
check "-oFILE writes FILE" [ -s "$T/r.db" ]
expect_status 0 "$B" validate --quiet -- "$F"
expect_status 2 "$B" run "$F" --qiet
expect_msg "unknown option '--qiet'"

echo "== plot, merge, trace, keys, policies, columns"
expect_status 2 "$B" plot "$T/r.db" --figure=nope -o "$T/f.png"
expect_msg "unknown figure 'nope'"
expect_status 2 "$B" plot "$T/r.db" --figure
expect_msg "option --figure needs a value"
expect_status 0 "$B" merge -q "$T/m.db" "$T/r.db"
expect_status 2 "$B" merge --bogus "$T/m.db" "$T/r.db"
expect_msg "unknown option '--bogus'"
"$B" trace generate --duration 1h --step=600s --seed 3 > "$T/t1" 2>&1
"$B" trace generate --duration=1h --step 600s --seed=3 > "$T/t2" 2>&1
check "trace generate: --duration=1h --step 600s is --duration 1h --step=600s" cmp -s "$T/t1" "$T/t2"
check "trace generate: 6 rows" [ "$(grep -vc '^#\|^time_s' "$T/t1")" -eq 6 ]
expect_status 2 "$B" trace generate --step
expect_msg "option --step needs a value"
expect_status 2 "$B" trace check --bogus
expect_msg "unknown option '--bogus'"
expect_status 0 "$B" keys --markdown
expect_status 2 "$B" keys --bogus
expect_msg "unknown option '--bogus'"

# policies --names is the registry, one name a line, as `policies` lists them
"$B" policies --names > "$T/names"
"$B" policies | awk '/^[a-z]/ {print $1}' > "$T/listed"
check "policies --names lists the registry" cmp -s "$T/names" "$T/listed"
check "policies --names: more than one policy" [ "$(wc -l < "$T/names")" -gt 1 ]
# policies --compared (the set `all` stands for) is the registry in its order less the sample
"$B" policies --compared > "$T/compared"
check "policies --compared is --names without the sample example" \
  cmp -s "$T/compared" <(grep -vx example "$T/names")
check "policies --compared with --names is --compared" cmp -s "$T/compared" <("$B" policies --names --compared)
expect_status 2 "$B" policies --compared extra
expect_msg "unexpected argument"

# columns: the listing is the database's columns, in order, for both sample tables
for t in host_samples vm_samples; do
  db_cols=$(q "$T/r.db" "SELECT name FROM pragma_table_info('$t')" | tail -n +4 | tr '\n' ' ')
  listed=$("$B" columns | awk -v t="$t" '/^[a-z_]+\(/ {cur = ($0 ~ "^" t "\\(")} cur && /^  / {print $1}' | tr '\n' ' ')
  check "columns lists every column of $t in order ($listed)" test -n "$listed" -a "$db_cols" = "$listed"
done
expect_status 0 "$B" columns --markdown
n=$(q "$T/r.db" "SELECT (SELECT count(*) FROM pragma_table_info('vm_samples'))
                      + (SELECT count(*) FROM pragma_table_info('host_samples')) - 6")
check "columns --markdown: a table row per sample column ($n)" [ "$(grep -c '^| `' "$T/out")" -eq "$n" ]

e2e_done options
