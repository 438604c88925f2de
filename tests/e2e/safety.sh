#!/usr/bin/env bash
# End-to-end: data safety at the command level (issue 15) -- what tests/bad/ cannot see
# (files left behind, signals, stdout):
#   1. `run` on a study checks every point before the first run: a bad third point leaves
#      no database at all (it used to complete runs 0 and 1 first).
#   2. A `merge` refused for mixed studies leaves no output file.
#   3. An output that is an input is refused before anything is touched: the scenario and
#      the trace keep their bytes (run, sweep, check -o); merge into one of its inputs.
#   4. `check` removes its temporary database on SIGINT and on SIGTERM.
#   5. Write errors on stdout exit non-zero: keys, sweep --dry-run, trace check > /dev/full.
#   6. check --update-fingerprints through a symlink edits the target (the link stays), keeps
#      its mode, every comment (inline ones on the fingerprint line too), its spacing and
#      CRLF line ends: the file is the old one with the value replaced, byte for byte; through
#      a hard link, every name sees the edit (same inode).
#   7. trace generate never writes over its input trace (same path, symlink, hard link) nor
#      into a Bitbrains input directory: exit 2, the input unchanged, no new file.
#   8. plot: no file it writes (the figure, STEM.EXT.gp, its data files) is the input database
#      or its -wal (same path, hard link, symlink): exit 2 before anything is written, the
#      database unchanged, no new file; a data file another figure would write is no
#      obstacle.  `-o -.png` (and other names that start with '-', which gnuplot reads as
#      options) draws the figure; gnuplot exiting 0 without drawing is an error.  A plot,
#      refused or not, leaves no -wal/-shm beside its input database.
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

# merge: OUT is one of its inputs (same path, hard link, symlink): refused, the input unchanged
ln "$T/m1.db" "$T/m1-hard.db"; ln -s m1.db "$T/m1-sym.db"
sum0=$(md5sum < "$T/m1.db")
for out in "$T/m1.db" "$T/m1-hard.db" "$T/m1-sym.db"; do
  expect_status 2 "$B" merge "$out" "$T/m1.db" --quiet
  expect_msg "is the output database itself"
done
[ "$(md5sum < "$T/m1.db")" = "$sum0" ] && ok "merge into its own input: the input is unchanged" || bad "merge changed its input"
ls "$T"/m1*-wal "$T"/m1*-shm "$T"/m1*-journal >/dev/null 2>&1 && bad "merge refused but left: $(ls "$T"/m1*)" \
  || ok "merge refused: no -wal/-shm left"

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

# 6. --update-fingerprints: symlink, mode, comments, CRLF, hard link
src=tests/regression/esx-idle-tax.ini
want=$(awk '/^fingerprint ==/ {print $3}' "$src")
mkdir -p "$T/fp/real"
# the pinned line indented, with odd spacing and an inline comment; CRLF line ends
sed 's/^fingerprint == .*/  fingerprint   ==  0123456789abcdef   ; pinned on purpose (issue 15)/' "$src" \
  | sed 's/$/\r/' > "$T/fp/real/s.ini"
sed "s/0123456789abcdef/$want/" "$T/fp/real/s.ini" > "$T/fp/expected"
chmod 640 "$T/fp/real/s.ini"
ln -s real/s.ini "$T/fp/link.ini"
"$B" check --quiet --update-fingerprints "$T/fp/link.ini" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && ok "update through a symlink: exit 0" || bad "update through a symlink: exit $rc: $(head -c 300 "$T/err")"
[ -L "$T/fp/link.ini" ] && [ "$(readlink "$T/fp/link.ini")" = real/s.ini ] && ok "the symlink is still a symlink to its target" \
  || bad "the symlink was replaced: $(ls -l "$T/fp")"
cmp -s "$T/fp/real/s.ini" "$T/fp/expected" && ok "the target is the old text with the value replaced (comments, spacing, CRLF kept)" \
  || bad "the target differs: $(diff "$T/fp/expected" "$T/fp/real/s.ini" | cat -A | head -c 400)"
[ "$(stat -c %a "$T/fp/real/s.ini")" = 640 ] && ok "the target keeps its mode 640" || bad "mode now $(stat -c %a "$T/fp/real/s.ini")"
ls -A "$T/fp" "$T/fp/real" | grep -q '^\.' && bad "a temporary file was left: $(ls -A "$T/fp/real")" || ok "no temporary file left"
sed "s/$want/0123456789abcdef/" "$T/fp/expected" > "$T/fp/real/s.ini"
ln "$T/fp/real/s.ini" "$T/fp/hard.ini"
ino=$(stat -c %i "$T/fp/real/s.ini")
"$B" check --quiet --update-fingerprints "$T/fp/hard.ini" >"$T/out" 2>"$T/err" || bad "update through a hard link: $(head -c 300 "$T/err")"
cmp -s "$T/fp/real/s.ini" "$T/fp/expected" && [ "$(stat -c %i "$T/fp/real/s.ini")" = "$ino" ] \
  && ok "update through a hard link: both names see the edit (same inode)" || bad "hard link: the other name kept the old text"
sed "s/$want/0123456789abcdef/" "$T/fp/expected" > "$T/fp/plain.ini"; chmod 600 "$T/fp/plain.ini"
"$B" check --quiet --update-fingerprints "$T/fp/plain.ini" >"$T/out" 2>"$T/err" || bad "update of a plain file: $(head -c 300 "$T/err")"
cmp -s "$T/fp/plain.ini" "$T/fp/expected" && [ "$(stat -c %a "$T/fp/plain.ini")" = 600 ] \
  && ok "update of a plain file: text as expected, mode 600 kept" || bad "plain file: mode $(stat -c %a "$T/fp/plain.ini")"

# 7. trace generate vs its input trace
mkdir -p "$T/tg/bb"
printf 'time_s,anon_mib\n0,100\n60,200\n' > "$T/tg/t.csv"
cp scenarios/traces/bitbrains/1.csv "$T/tg/bb/1.csv"
ln -s t.csv "$T/tg/sym.csv"; ln "$T/tg/t.csv" "$T/tg/hard.csv"
sum0=$(cat "$T/tg/t.csv" "$T/tg/bb/1.csv" | md5sum)
for out in "$T/tg/t.csv" "$T/tg/sym.csv" "$T/tg/hard.csv" "$T/tg/./t.csv"; do
  expect_status 2 "$B" trace generate --set workload=trace --set workload.file="$T/tg/t.csv" --duration 2min --step 60s -o "$out"
  expect_msg "is the same file as the trace"
done
for out in "$T/tg/bb/1.csv" "$T/tg/bb/new.csv"; do
  expect_status 2 "$B" trace generate --set workload=bitbrains --set workload.file="$T/tg/bb" --duration 2min --step 60s -o "$out"
  expect_msg "is in the Bitbrains directory"
done
[ "$(cat "$T/tg/t.csv" "$T/tg/bb/1.csv" | md5sum)" = "$sum0" ] && ok "trace generate: the input traces are unchanged" \
  || bad "trace generate wrote over its input"
[ ! -e "$T/tg/bb/new.csv" ] && ok "trace generate refused: no new file" || bad "trace generate refused but left $T/tg/bb/new.csv"
"$B" trace generate --set workload=trace --set workload.file="$T/tg/t.csv" --duration 2min --step 60s -o "$T/tg/copy.csv" 2>"$T/err" \
  && [ -s "$T/tg/copy.csv" ] && ok "trace generate into another file works" || bad "trace generate to another file: $(head -c 300 "$T/err")"

# 8. plot vs its input database, and names gnuplot would misread
if command -v gnuplot >/dev/null; then
  mkdir -p "$T/pl"
  "$B" run $S -o "$T/pl/p.db" --quiet "${SHORT[@]}" --set simulation.output=vm || bad "plot input run"
  mkdir -p "$T/pl2"; cp "$T/pl/p.db" "$T/pl2/p.db"               # for the names, below
  cp "$T/pl/p.db" "$T/pl/x.png.gp"                              # a database named like the script
  ln "$T/pl/p.db" "$T/pl/hard.png"                              # the figure, a hard link
  ln -s p.db "$T/pl/sym.png.host.dat"                           # a data file, a symlink
  touch "$T/pl/p.db-wal"; ln -s p.db-wal "$T/pl/wal.svg.gp"     # the script, a symlink to the -wal
  sum0=$(cat "$T/pl/p.db" "$T/pl/x.png.gp" | md5sum); list0=$(ls "$T/pl")
  for c in "x.png.gp -o $T/pl/x.png" "p.db -o $T/pl/hard.png" "p.db -o $T/pl/sym.png" "p.db -o $T/pl/wal.svg"; do
    db=${c%% *}; out=${c##* }
    expect_status 2 "$B" plot "$T/pl/$db" --figure timeline -o "$out"
    expect_msg "is the same file as the input database"
  done
  [ "$(cat "$T/pl/p.db" "$T/pl/x.png.gp" | md5sum)" = "$sum0" ] && ok "plot: the input databases are unchanged" \
    || bad "plot wrote over its input database"
  [ "$(ls "$T/pl")" = "$list0" ] && ok "plot refused: no new file" || bad "plot refused but left: $(comm -13 <(echo "$list0") <(ls "$T/pl") | tr '\n' ' ')"
  [ "$(q "$T/pl/x.png.gp" "PRAGMA integrity_check")" = ok ] && ok "plot: x.png.gp is still an intact database" || bad "x.png.gp damaged"
  "$B" plot "$T/pl/p.db" --figure cdf --metric mean_slowdown -o "$T/pl/sym.png" --quiet 2>"$T/err" \
    && [ -s "$T/pl/sym.png" ] && ok "plot: a figure that writes no sym.png.host.dat is not refused" || bad "cdf -o sym.png: $(head -c 300 "$T/err")"
  for stem in - -e --help; do
    (cd "$T/pl2" && "$B" plot p.db --figure timeline -o "$stem.png" --quiet) 2>"$T/err"; rc=$?
    [ "$rc" = 0 ] && [ -s "$T/pl2/$stem.png" ] && [ ! -s "$T/err" ] && ok "plot -o $stem.png: drawn, no warning" \
      || bad "plot -o $stem.png: exit $rc, $(ls -s "$T/pl2/$stem.png" 2>&1): $(head -c 300 "$T/err")"
    grep -q "gnuplot ./$stem.png.gp" "$T/pl2/$stem.png.gp" && ok "$stem.png.gp says how to rerun it: gnuplot ./$stem.png.gp" \
      || bad "$stem.png.gp: rerun hint"
  done
  # a plot refused after it opened the database, and one that draws, leave nothing beside it
  list0=$(ls "$T/pl2")
  expect_status 2 "$B" plot "$T/pl2/p.db" --figure cdf --metric nope -o "$T/pl2/n.png"
  [ "$(ls "$T/pl2")" = "$list0" ] && ok "plot refused after opening the database: no new file (no -wal/-shm)" \
    || bad "plot refused after opening: left $(comm -13 <(echo "$list0") <(ls "$T/pl2") | tr '\n' ' ')"
  ls "$T/pl2"/p.db-* >/dev/null 2>&1 && bad "plot left $(ls "$T/pl2"/p.db-*) beside its input" \
    || ok "the plots left no -wal/-shm beside their input"
  mkdir -p "$T/fakegp"; printf '#!/bin/sh\nexit 0\n' > "$T/fakegp/gnuplot"; chmod +x "$T/fakegp/gnuplot"
  expect_status 2 env PATH="$T/fakegp:$PATH" "$B" plot "$T/pl2/p.db" --figure timeline -o "$T/pl2/a.png"
  expect_msg "gnuplot exited 0 but wrote no"
else
  echo "skip plot: gnuplot is not installed"
fi

e2e_done safety
