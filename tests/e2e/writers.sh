#!/usr/bin/env bash
# End-to-end: one writer per database (issue 15; docs/database.md "One writer at a time").
#
# Every command that writes a database -- run, sweep, check -o, merge -- holds the writer
# lock (flock on the database file) for its whole duration; a second writer waits for it
# (10 s at most, then exit 2 naming the file), and Ctrl-C during the wait is honoured at
# once.  The pairs of the issue, each started while the first still writes:
#   1. run + run on one -o            2. run during sweep -j 1 into the same file
#   3. run + merge into its database (merge waits, naming the input it waits for)
#   4. check -o + run
# After each: the second command waited (its message), then ran (exit 0) or, if the first
# outlasted its 10 s wait, was refused (exit 2); the first exited 0; no sample is
# duplicated (count(*) = count(DISTINCT host_id-time_ns) in host_samples), every run is
# complete once, and PRAGMA integrity_check = ok.  Then, with flock(1) holding the lock:
# a writer gives up after 10 s with exit 2; SIGINT during the wait ends it at once (130);
# merge's message names the input that is held, not OUT.
# Durations are scaled down (dc-small for 2 simulated days: a few seconds a run).
source "$(dirname "$0")/lib.bash"
private_binary
command -v sqlite3 >/dev/null || { echo "FAIL sqlite3 is needed"; exit 1; }
S=scenarios/bench/dc-small.ini
LONG=(--set simulation.duration=2d --set simulation.sample_interval=600s --set simulation.output=host)

# db_sane DB WHAT: no duplicated sample, integrity ok, no run twice, none left running
db_sane() {
  local db=$1 what=$2
  local ic dup runs
  ic=$(q "$db" "PRAGMA integrity_check")
  dup=$(q "$db" "SELECT count(*) - count(DISTINCT run_id||'-'||host_id||'-'||time_ns) FROM host_samples")
  runs=$(q "$db" "SELECT count(*) - count(DISTINCT study_key||'-'||run_index) + sum(status != 'complete') FROM runs")
  [ "$ic" = ok ] && ok "$what: integrity_check ok" || bad "$what: integrity_check: $ic"
  [ "$dup" = 0 ] && ok "$what: no duplicated sample" || bad "$what: $dup duplicated samples"
  [ "$runs" = 0 ] && ok "$what: every run complete, once" || bad "$what: runs: $(q "$db" "SELECT run_id, run_index, status FROM runs" | tr '\n' ' ')"
  # within one run, one sample per host and time (the issue's query, per run)
  local per; per=$(q "$db" "SELECT count(*) FROM (SELECT run_id FROM host_samples GROUP BY run_id
      HAVING count(*) != count(DISTINCT host_id||'-'||time_ns))")
  [ "$per" = 0 ] || bad "$what: $per run(s) with duplicated samples"
}

# wait_locked DB PID: until the first writer has created DB (it holds the lock from then on)
wait_started() {
  for _ in $(seq 200); do [ -e "$1" ] && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.05; done
  return 1
}

# pair NAME DB FIRST... -- SECOND...: start FIRST, then SECOND while FIRST holds DB
pair() {
  local name=$1 db=$2; shift 2
  local first=() second=()
  while [ "$1" != -- ]; do first+=("$1"); shift; done; shift; second=("$@")
  "${first[@]}" >"$T/first.out" 2>"$T/first.err" &
  local pid=$!
  if ! wait_started "$db" "$pid"; then bad "$name: the first writer did not start: $(head -c 300 "$T/first.err")"; wait "$pid"; return; fi
  sleep 0.3
  local alive=1; kill -0 "$pid" 2>/dev/null || alive=0
  "${second[@]}" >"$T/second.out" 2>"$T/second.err"; local rc2=$?
  wait "$pid"; local rc1=$?
  [ "$rc1" = 0 ] && ok "$name: first writer exit 0" || bad "$name: first writer exit $rc1: $(head -c 300 "$T/first.err")"
  # the second writer runs after the first (exit 0), or, when the first took longer than
  # the 10 s wait (a slow machine), is refused with exit 2 and the lock message
  if [ "$rc2" = 0 ]; then ok "$name: second writer exit 0 (after waiting)"
  elif [ "$rc2" = 2 ] && grep -q "is writing this database" "$T/second.err"; then
    ok "$name: second writer refused after its 10 s wait (exit 2)"
  else bad "$name: second writer exit $rc2: $(head -c 300 "$T/second.err")"; fi
  if [ "$alive" = 1 ]; then
    grep -q "is being written by another balloonsim command; waiting" "$T/second.err" \
      && ok "$name: the second writer waited for the first" \
      || bad "$name: the second writer did not wait: $(head -c 300 "$T/second.err")"
  else
    echo "     ($name: the first writer had finished before the second started: no wait to see)"
  fi
  db_sane "$db" "$name"
}

# 1. two runs on one -o
pair "run + run" "$T/a.db" "$B" run $S -o "$T/a.db" --quiet "${LONG[@]}" -- \
  "$B" run $S -o "$T/a.db" --quiet --force "${LONG[@]}"
[ "$(q "$T/a.db" "SELECT count(*) FROM runs")" = 1 ] && ok "run + run: one run row" || bad "run + run: $(q "$T/a.db" "SELECT count(*) FROM runs") run rows"

# 2. a run during sweep -j 1 into the same file (a study of 3 runs)
pair "sweep -j 1 + run" "$T/b.db" "$B" sweep $S -j 1 -o "$T/b.db" --quiet "${LONG[@]}" --set simulation.repeat=3 -- \
  "$B" run $S -o "$T/b.db" --quiet "${LONG[@]}" --set simulation.repeat=3
[ "$(q "$T/b.db" "SELECT count(*) FROM runs")" = 3 ] && ok "sweep + run: 3 runs" || bad "sweep + run: $(q "$T/b.db" "SELECT count(*) FROM runs") runs"

# 3. merge the database a run is writing into another one
pair "run + merge" "$T/c.db" "$B" run $S -o "$T/c.db" --quiet "${LONG[@]}" -- \
  "$B" merge "$T/cm.db" "$T/c.db" --quiet
grep -q "$T/c.db is being written" "$T/second.err" && ok "run + merge: merge names the input it waits for" \
  || bad "run + merge: $(head -c 300 "$T/second.err")"
db_sane "$T/cm.db" "run + merge (output)"
[ "$(q "$T/cm.db" "SELECT count(*) FROM runs WHERE status='complete'")" = 1 ] && ok "run + merge: the complete run merged" \
  || bad "run + merge: $(q "$T/cm.db" "SELECT count(*) FROM runs") runs merged"

# 4. check -o against run
pair "check -o + run" "$T/d.db" "$B" check $S -o "$T/d.db" --quiet "${LONG[@]}" -- \
  "$B" run $S -o "$T/d.db" --quiet --force "${LONG[@]}"

# ---------------------------------------------------------------- a holder that never lets go
SHORT=(--set simulation.duration=1h --set simulation.output=summary)
touch "$T/held.db"
flock -x "$T/held.db" sleep 30 &
holder=$!
sleep 0.3
t0=$(date +%s%3N)
expect_status 2 "$B" run $S -o "$T/held.db" --quiet "${SHORT[@]}"
waited=$(( $(date +%s%3N) - t0 ))
expect_msg "another balloonsim command (run, sweep, check -o or merge) is writing this database"
[ "$waited" -ge 9500 ] && [ "$waited" -le 20000 ] && ok "held database: refused after $waited ms (10 s)" \
  || bad "held database: refused after $waited ms (want about 10 s)"
# Ctrl-C during the wait: at once
"$B" run $S -o "$T/held.db" --quiet "${SHORT[@]}" >"$T/out" 2>"$T/err" &
pid=$!
sleep 1
t0=$(date +%s%3N); kill -INT "$pid"; wait "$pid"; rc=$?
ms=$(( $(date +%s%3N) - t0 ))
[ "$rc" = 130 ] && ok "SIGINT while waiting: exit 130" || bad "SIGINT while waiting: exit $rc: $(head -c 300 "$T/err")"
[ "$ms" -le 1000 ] && ok "SIGINT while waiting: ended after $ms ms" || bad "SIGINT while waiting: took $ms ms"
# merge: the input is held -> the message names the input
"$B" run $S -o "$T/in.db" --quiet "${SHORT[@]}" || bad "merge input run failed"
flock -x "$T/in.db" sleep 30 &
holder2=$!
sleep 0.3
"$B" merge "$T/mout.db" "$T/in.db" --quiet >"$T/out" 2>"$T/err" &
pid=$!
sleep 1; kill -INT "$pid"; wait "$pid"; rc=$?
[ "$rc" = 130 ] && ok "merge waiting for a held input: SIGINT exit 130" || bad "merge: exit $rc: $(head -c 300 "$T/err")"
grep -q "merge: $T/in.db is being written" "$T/err" && ok "merge names the held input" \
  || bad "merge's lock message: $(head -c 300 "$T/err")"
[ ! -e "$T/mout.db" ] && ok "merge interrupted: no output file left" || bad "merge interrupted: $T/mout.db left behind"
kill "$holder" "$holder2" 2>/dev/null; wait "$holder" "$holder2" 2>/dev/null

e2e_done writers
