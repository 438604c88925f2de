#!/usr/bin/env bash
# End-to-end: data safety at the command level (issue 15) -- what tests/bad/ cannot see
# (files left behind, signals, stdout):
#   1. `run` on a study checks every point before the first run: a bad third point leaves
#      no database at all (it used to complete runs 0 and 1 first).
#   2. A `merge` refused for mixed studies leaves no output file.
#   3. An output that is an input is refused before anything is touched: the scenario and
#      the trace keep their bytes.
#   4. `check` removes its temporary database on SIGINT and on SIGTERM.
#   5. Write errors on stdout exit non-zero: keys, sweep --dry-run, trace check > /dev/full.
source "$(dirname "$0")/lib.bash"
private_binary
S=scenarios/default.ini
SHORT=(--set simulation.duration=10min --set simulation.output=summary)

# 1. every point before the first run
cat > "$T/study.ini" <<'EOF'
[simulation]
duration = 10min
output = summary
[host]
memory = 8GiB
[vm a]
memory = 2GiB
[policy]
name = esx-share
idle_tax = ${0.5, 0.6, 2}
EOF
expect_status 2 "$B" run "$T/study.ini" -o "$T/study.db" --quiet
expect_msg "idle_tax"
[ ! -e "$T/study.db" ] && ok "a study with a bad point: no run made, no database created" \
  || bad "a study with a bad point: $(sqlite3 "$T/study.db" "SELECT count(*) FROM runs") runs made before the refusal"

# 2. merge refused for mixed studies: no output left
"$B" run $S -o "$T/m1.db" --quiet "${SHORT[@]}" || bad "merge input 1"
"$B" run $S -o "$T/m2.db" --quiet "${SHORT[@]}" --set simulation.seed=5 || bad "merge input 2"
expect_status 2 "$B" merge "$T/mixed.db" "$T/m1.db" "$T/m2.db" --quiet
expect_msg "runs of different studies"
[ ! -e "$T/mixed.db" ] && ok "merge refused for mixed studies: no output file" || bad "merge refused: $T/mixed.db left behind"

# 3. an output that is an input: refused, inputs unchanged
cp $S "$T/s.ini"; printf 'time_s,anon_mib\n0,100\n60,200\n' > "$T/t.csv"
printf '[vm t]\nmemory = 1GiB\nworkload = trace\nworkload.file = %s\n' "$T/t.csv" >> "$T/s.ini"
ln -s "$T/t.csv" "$T/t-link.db"; ln "$T/s.ini" "$T/s-hard.db"
sum0=$(cat "$T/s.ini" "$T/t.csv" | md5sum)
for out in "$T/s.ini" "$T/s-hard.db" "$T/t-link.db"; do
  for cmd in run sweep check; do
    extra=(); [ $cmd = sweep ] && extra=(-j 1)
    expect_status 2 "$B" $cmd "$T/s.ini" -o "$out" --quiet "${SHORT[@]}" "${extra[@]}"
    expect_msg "is the same file as the"
  done
done
[ "$(cat "$T/s.ini" "$T/t.csv" | md5sum)" = "$sum0" ] && ok "the scenario and the trace are unchanged" \
  || bad "an input was changed"
ls "$T"/s.ini-* "$T"/s-hard.db-* "$T"/t-link.db-* "$T"/t.csv-* >/dev/null 2>&1 \
  && bad "a refused command left files: $(ls "$T")" || ok "no -wal/-shm left by the refusals"

# 4. check's temporary database on SIGINT and SIGTERM
mkdir -p "$T/tmp"
for sig in INT TERM; do
  TMPDIR="$T/tmp" "$B" check $S --quiet --set simulation.duration=30d >/dev/null 2>"$T/err" &
  pid=$!
  for _ in $(seq 100); do ls "$T/tmp"/balloonsim-check-* >/dev/null 2>&1 && break; sleep 0.05; done
  sleep 0.5
  kill -$sig $pid; wait $pid; rc=$?
  want=130; [ $sig = TERM ] && want=143
  [ "$rc" = $want ] && ok "check on SIG$sig: exit $rc" || bad "check on SIG$sig: exit $rc (want $want): $(head -c 200 "$T/err")"
  left=$(ls "$T/tmp" | wc -l)
  [ "$left" = 0 ] && ok "check on SIG$sig: its temporary database is removed" || bad "check on SIG$sig left: $(ls "$T/tmp")"
done

# 5. stdout write errors
if [ -w /dev/full ]; then
  for args in "keys" "sweep $S --dry-run" "trace check scenarios/traces/diurnal-24h.csv" "policies"; do
    # shellcheck disable=SC2086
    "$B" $args >/dev/full 2>"$T/err"; rc=$?
    [ "$rc" != 0 ] && grep -q "cannot write to standard output" "$T/err" && ok "$args > /dev/full: exit $rc" \
      || bad "$args > /dev/full: exit $rc: $(head -c 200 "$T/err")"
  done
else
  echo "skip /dev/full: not writable here"
fi

e2e_done safety
