#!/usr/bin/env bash
# tests/e2e/sweep.sh -- end-to-end test of `balloonsim sweep` and `balloonsim merge`
# (cli/cmd_sweep.c, cli/cmd_merge.c, issue 6).  Run from the repository root; BALLOONSIM names the binary.
#
# Checks, each printed as it runs:
#   1. --dry-run: run numbering (run = point * repeat + rep), one seed per repetition
#      (common random numbers, tests/e2e/crn.sh) that repeats across invocations and follow --seed, --runs and --shard selection, no database written;
#      the seeds stored by a real sweep equal the listed ones.
#   2. -j 2 gives the same rows as -j 1 (runs, run_summary, vm_summary, balloon_ops, sample
#      counts, fingerprints, point_summary; by run_index, run ids and wall times aside);
#      rerunning a finished sweep runs nothing and changes nothing.
#   3. SIGKILL of the whole sweep mid-way (-j 2: workers copy finished runs from scratch
#      databases; -j 1: the worker records straight into the database), then a rerun, equals
#      the uninterrupted sweep; so does SIGKILL of one worker (the sweep reports the run
#      failed, exit 1); no scratch database is left behind.
#   4. SIGTERM / SIGINT: exit 143 / 130, no run left 'running'; a rerun completes to the
#      same rows.  A sweep of some --runs completed later by the full sweep equals it too.
#   5. shards 0/2 and 1/2 merged equal the single-machine sweep; merging again changes
#      nothing; merge order does not matter.
#   6. merge refuses (exit 2, OUT untouched) a non-balloonsim database, a text file, another
#      schema version, another study (unless --allow-mixed); sweep refuses bad --runs.
# Durations are short (20 min simulated; 48 h with coarse samples for the kill tests) so the
# whole script takes well under a minute on two cores.
source "$(dirname "$0")/lib.bash"
private_binary
F=scenarios/default.ini
# 3 points x 2 repetitions = 6 runs
SMALL=(--set simulation.duration=20min --set simulation.repeat=2 --set 'host.memory=${10GiB,12GiB,14GiB}'
       --set policy.name=esx-share)
# 4 points x 2 repetitions = 8 longer runs, for the kill tests
LONG=(--set simulation.duration=720h --set simulation.sample_interval=5min --set simulation.repeat=2
      --set 'host.memory=${9GiB,10GiB,11GiB,12GiB}' --set policy.name=esx-share)

# Everything that must not depend on -j, shards, merge or interruptions, by run_index.
dump() {
  sqlite3 "$1" <<'SQL'
.mode list
SELECT 'run', run_index, point_index, repetition, seed, axes, policy, status, fingerprint FROM runs ORDER BY run_index;
SELECT 'rs', r.run_index, s.metric, printf('%.17g', s.value) FROM run_summary s JOIN runs r USING(run_id) ORDER BY 2, 3;
SELECT 'vs', r.run_index, s.vm_id, s.metric, printf('%.17g', s.value) FROM vm_summary s JOIN runs r USING(run_id) ORDER BY 2, 3, 4;
SELECT 'op', r.run_index, o.vm_id, o.op, o.kind, o.issued_ns, o.started_ns, o.finished_ns, o.asked_bytes, o.moved_bytes, o.outcome
  FROM balloon_ops o JOIN runs r USING(run_id) ORDER BY 2, 3, 4, 6, 5, 7, 8, 9, 10, 11;
SELECT 'n', r.run_index, (SELECT count(*) FROM vm_samples v WHERE v.run_id = r.run_id),
  (SELECT count(*) FROM host_samples h WHERE h.run_id = r.run_id), (SELECT count(*) FROM events e WHERE e.run_id = r.run_id),
  (SELECT count(*) FROM run_params p WHERE p.run_id = r.run_id), (SELECT count(*) FROM vms p WHERE p.run_id = r.run_id)
  FROM runs r ORDER BY 2;
SELECT 'ps', study_key, point_index, axes, policy, metric, n, printf('%.17g', mean), printf('%.17g', sd), printf('%.17g', ci95)
  FROM point_summary ORDER BY 2, 3, 6;
SQL
}
same_db() {   # same_db A B: the dumps are equal and non-trivial
  dump "$1" > "$T/dump.a"; dump "$2" > "$T/dump.b"
  [ -s "$T/dump.a" ] && cmp -s "$T/dump.a" "$T/dump.b" && return 0
  echo "    $1 and $2 differ:"; diff "$T/dump.a" "$T/dump.b" | head -5 | sed 's/^/    /'; return 1
}
count() { sqlite3 -cmd ".timeout 5000" "$1" "$2"; }
# wait_sql DB SQL PID: wait (at most 60 s) until SQL (one value) gives 1 on DB while PID still runs
wait_sql() {
  local i
  for i in $(seq 1 1200); do
    kill -0 "$3" 2>/dev/null || return 1
    [ -e "$1" ] && [ "$(count "$1" "$2" 2>/dev/null || echo 0)" = 1 ] && return 0
    sleep 0.05
  done
  return 1
}
# wait_runs DB N PID: until DB holds N complete runs
wait_runs() { wait_sql "$1" "SELECT count(*) >= $2 FROM runs WHERE status='complete'" "$3"; }
rc_says() { [ "$1" -eq "$2" ] && grep -q "$3" "$4"; }   # rc_says RC WANT TEXT FILE

echo "== 1. dry run: numbering, seeds, selection"
"$B" sweep "$F" --dry-run "${SMALL[@]}" > "$T/dry1" 2>&1; rc=$?
check "dry run exits 0" [ $rc -eq 0 ]
rows=$(grep -v '^#' "$T/dry1")
check "dry run lists 6 runs numbered 0-5" [ "$(echo "$rows" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
check "point = run / 2 and repetition = run % 2" \
  [ "$(echo "$rows" | awk '$2 != int($1/2) || $3 != $1 % 2' | wc -l)" -eq 0 ]
check "axes name the swept value per point" \
  [ "$(echo "$rows" | awk '{print $2, $5}' | sort -u | tr '\n' ' ')" = "0 host.memory=10GiB 1 host.memory=12GiB 2 host.memory=14GiB " ]
# common random numbers (issue 17): one seed per repetition, the same at every point
check "one seed per repetition, 2 distinct" \
  [ "$(echo "$rows" | awk '{print $3, $4}' | sort -u | wc -l)" -eq 2 -a "$(echo "$rows" | awk '{print $4}' | sort -u | wc -l)" -eq 2 ]
"$B" sweep "$F" --dry-run "${SMALL[@]}" > "$T/dry2" 2>&1
check "the same study lists the same seeds" cmp -s "$T/dry1" "$T/dry2"
"$B" sweep "$F" --dry-run "${SMALL[@]}" --seed 7 > "$T/dry3" 2>&1
check "--seed changes every seed" \
  [ "$(paste <(grep -v '^#' "$T/dry1" | awk '{print $4}') <(grep -v '^#' "$T/dry3" | awk '{print $4}') | awk '$1 == $2' | wc -l)" -eq 0 ]
check "--runs 1,3-4 selects runs 1 3 4" \
  [ "$("$B" sweep "$F" --dry-run "${SMALL[@]}" --runs 1,3-4 | grep -v '^#' | awk '{print $1}' | tr '\n' ' ')" = "1 3 4 " ]
check "--shard 1/2 selects runs 1 3 5" \
  [ "$("$B" sweep "$F" --dry-run "${SMALL[@]}" --shard 1/2 | grep -v '^#' | awk '{print $1}' | tr '\n' ' ')" = "1 3 5 " ]
check "--runs and --shard combine (0-3 and 0/2: 0 2)" \
  [ "$("$B" sweep "$F" --dry-run "${SMALL[@]}" --runs 0-3 --shard 0/2 | grep -v '^#' | awk '{print $1}' | tr '\n' ' ')" = "0 2 " ]
"$B" sweep "$F" --dry-run "${SMALL[@]}" -o "$T/dry.db" > /dev/null
check "dry run writes no database" [ ! -e "$T/dry.db" ]

echo "== 2. -j 1 and -j 2 give the same rows; a rerun does nothing"
"$B" sweep "$F" -j 1 -o "$T/j1.db" --quiet "${SMALL[@]}"; rc=$?
check "sweep -j 1 exits 0" [ $rc -eq 0 ]
"$B" sweep "$F" -j 2 -o "$T/j2.db" "${SMALL[@]}" > "$T/j2.out"; rc=$?
check "sweep -j 2 exits 0" [ $rc -eq 0 ]
check "6 complete runs" [ "$(count "$T/j2.db" "SELECT count(*) FROM runs WHERE status='complete'")" -eq 6 ]
check "point_summary has n = 2 for every row of the 3 points" \
  [ "$(count "$T/j2.db" "SELECT count(DISTINCT point_index) || ' ' || min(n) || ' ' || max(n) FROM point_summary")" = "3 2 2" ]
check "the summary table is printed" grep -q "host.memory=14GiB" "$T/j2.out"
check "-j 2 equals -j 1" same_db "$T/j1.db" "$T/j2.db"
idx="SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('host_samples_run', 'vm_samples_run')"
check "both sweep databases have the sample indexes (workers' scratch copies have none)" \
  [ "$(count "$T/j1.db" "$idx") $(count "$T/j2.db" "$idx")" = "2 2" ]
dbseeds=$(count "$T/j2.db" "SELECT seed FROM runs ORDER BY run_index" | tr '\n' ' ')
check "stored seeds equal the dry-run seeds, printed the same (signed 64-bit)" [ "$dbseeds" = "$(echo "$rows" | awk '{print $4}' | tr '\n' ' ')" ]
"$B" sweep "$F" -j 2 -o "$T/j2.db" "${SMALL[@]}" > "$T/rerun.out"; rc=$?
check "rerun exits 0 and runs nothing" grep -q "0 run now, 6 already complete" "$T/rerun.out"
check "rerun changes no row" same_db "$T/j1.db" "$T/j2.db"
check "rerun keeps one row per run" [ "$(count "$T/j2.db" "SELECT count(*) FROM runs")" -eq 6 ]

"$B" sweep "$F" -j 2 -o "$T/part.db" --quiet --runs 4,0-1 "${SMALL[@]}"; rc=$?
check "--runs 4,0-1 runs 3 runs (exit $rc)" test $rc -eq 0 -a "$(count "$T/part.db" "SELECT group_concat(run_index) FROM (SELECT run_index FROM runs ORDER BY 1)")" = "0,1,4"
"$B" sweep "$F" -j 2 -o "$T/part.db" "${SMALL[@]}" > "$T/part.out"; rc=$?
check "the full sweep then runs the other 3" grep -q "3 run now, 3 already complete" "$T/part.out"
check "... and equals the one-go sweep" same_db "$T/j1.db" "$T/part.db"

echo "== 3. SIGKILL mid-way, then rerun"
"$B" sweep "$F" -j 2 -o "$T/ref.db" --quiet "${LONG[@]}"; rc=$?
check "reference sweep (8 long runs) exits 0" [ $rc -eq 0 ]
"$B" sweep "$F" -j 2 -o "$T/kill.db" --quiet "${LONG[@]}" & pid=$!
check "the sweep is running with 3 runs complete" wait_runs "$T/kill.db" 3 $pid
workers=$(pgrep -P $pid)   # before the kill: afterwards orphans belong to init
kill -KILL $pid; wait $pid 2>/dev/null
sleep 0.2
n_done=$(count "$T/kill.db" "SELECT count(*) FROM runs WHERE status='complete'")
n_open=$(count "$T/kill.db" "SELECT count(*) FROM runs WHERE status!='complete'")
check "killed with $n_done of 8 runs complete, $n_open left incomplete (mid-way)" [ "$n_done" -lt 8 ]
# gone = no such process, or a zombie (dead, waiting for a reaper that may never come)
workers_gone() {
  for w in $workers; do
    [ -r "/proc/$w/stat" ] && [ "$(awk '{print $3}' "/proc/$w/stat" 2>/dev/null)" != Z ] && return 1
  done
  return 0
}
check "the sweep had workers ($(echo $workers | wc -w))" [ -n "$workers" ]
check "no worker survives its sweep" workers_gone
"$B" sweep "$F" -j 2 -o "$T/kill.db" --quiet "${LONG[@]}"; rc=$?
check "rerun after SIGKILL exits 0" [ $rc -eq 0 ]
check "rerun after SIGKILL equals the uninterrupted sweep" same_db "$T/ref.db" "$T/kill.db"

"$B" sweep "$F" -j 1 -o "$T/kill1.db" --quiet "${LONG[@]}" & pid=$!
check "a one-worker sweep (recording straight into its database) is in its 4th run" \
  wait_sql "$T/kill1.db" "SELECT count(*) = 4 FROM runs WHERE status IN ('complete','running')
                          AND EXISTS (SELECT 1 FROM runs WHERE status='running')" $pid
kill -KILL $pid; wait $pid 2>/dev/null
sleep 0.2
n_open=$(count "$T/kill1.db" "SELECT count(*) FROM runs WHERE status!='complete'")
"$B" sweep "$F" -j 1 -o "$T/kill1.db" --quiet "${LONG[@]}"; rc=$?
check "rerun after SIGKILL of the one-worker sweep ($n_open run left incomplete) exits 0" [ $rc -eq 0 ]
check "... and equals the uninterrupted sweep" same_db "$T/ref.db" "$T/kill1.db"

"$B" sweep "$F" -j 2 -o "$T/wkill.db" --quiet "${LONG[@]}" 2> "$T/wkill.err" & pid=$!
wait_runs "$T/wkill.db" 2 $pid
victim=$(pgrep -P $pid | head -1)
check "a worker to kill (pid ${victim:-none})" [ -n "$victim" ]
[ -n "$victim" ] && kill -KILL "$victim"
wait $pid; rc=$?
check "SIGKILL of a worker: the sweep goes on and exits 1 (rc $rc)" [ $rc -eq 1 ]
check "the lost run is reported" grep -q "killed by signal 9" "$T/wkill.err"
lost=$(grep -c "killed by signal 9" "$T/wkill.err")
# a worker killed after its run was copied but before it reported back loses nothing
check "every other run completed ($lost reported lost)" [ "$(count "$T/wkill.db" "SELECT count(*) FROM runs WHERE status='complete'")" -ge $((8 - lost)) ]
"$B" sweep "$F" -j 2 -o "$T/wkill.db" --quiet "${LONG[@]}"; rc=$?
check "rerun after a worker kill exits 0" [ $rc -eq 0 ]
check "rerun after a worker kill equals the uninterrupted sweep" same_db "$T/ref.db" "$T/wkill.db"

echo "== 4. SIGTERM"
"$B" sweep "$F" -j 2 -o "$T/term.db" --quiet "${LONG[@]}" 2> "$T/term.err" & pid=$!
check "the sweep is running with 2 runs complete" wait_runs "$T/term.db" 2 $pid
kill -TERM $pid; wait $pid; rc=$?
check "SIGTERM: exit 143 (rc $rc)" [ $rc -eq 143 ]
check "no run left 'running' (they are 'interrupted')" \
  [ "$(count "$T/term.db" "SELECT count(*) FROM runs WHERE status='running'")" -eq 0 ]
check "interrupted runs are recorded as such" \
  [ "$(count "$T/term.db" "SELECT count(*) FROM runs WHERE status='interrupted'")" -ge 1 ]
"$B" sweep "$F" -j 2 -o "$T/term.db" --quiet "${LONG[@]}" 2> "$T/int.err" & pid=$!
check "the resumed sweep is running with 5 runs complete" wait_runs "$T/term.db" 5 $pid
kill -INT $pid; wait $pid; rc=$?
check "SIGINT: exit 130 (rc $rc)" [ $rc -eq 130 ]
check "no run left 'running' after SIGINT" \
  [ "$(count "$T/term.db" "SELECT count(*) FROM runs WHERE status='running'")" -eq 0 ]
"$B" sweep "$F" -j 2 -o "$T/term.db" --quiet "${LONG[@]}"; rc=$?
check "rerun after SIGTERM and SIGINT exits 0" [ $rc -eq 0 ]
check "rerun after SIGTERM and SIGINT equals the uninterrupted sweep" same_db "$T/ref.db" "$T/term.db"

check "no scratch database is left behind" [ -z "$(ls "$T" | grep -E '\.worker[0-9]+\.tmp')" ]

echo "== 5. shards and merge"
"$B" sweep "$F" -j 1 --shard 0/2 -o "$T/s0.db" --quiet "${SMALL[@]}" &&
"$B" sweep "$F" -j 1 --shard 1/2 -o "$T/s1.db" --quiet "${SMALL[@]}"; rc=$?
check "both shards exit 0" [ $rc -eq 0 ]
check "shard 1/2 holds runs 1 3 5" [ "$(count "$T/s1.db" "SELECT group_concat(run_index, ' ') FROM (SELECT run_index FROM runs ORDER BY 1)")" = "1 3 5" ]
"$B" merge "$T/m.db" "$T/s0.db" "$T/s1.db" --quiet; rc=$?
check "merge exits 0" [ $rc -eq 0 ]
check "merged shards equal the single-machine sweep" same_db "$T/j1.db" "$T/m.db"
"$B" merge "$T/m.db" "$T/s1.db" "$T/s0.db" > "$T/merge2.out"; rc=$?
check "merging again exits 0 and copies nothing" grep -q "0 runs copied" "$T/merge2.out"
check "merging again changes nothing" same_db "$T/j1.db" "$T/m.db"
"$B" merge "$T/new/dir/m2.db" "$T/s1.db" "$T/s0.db" --quiet
check "merge order does not matter (OUT's directories created, as run and sweep do)" same_db "$T/j1.db" "$T/new/dir/m2.db"

echo "== 6. refusals"
sqlite3 "$T/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
"$B" merge "$T/out.db" "$T/other.db" 2> "$T/err"; rc=$?
check "merge refuses a non-balloonsim database with exit 2 (rc $rc)" [ $rc -eq 2 ]
check "... says so" grep -q "not a balloonsim database" "$T/err"
check "... and writes no output" [ ! -e "$T/out.db" ]
echo "hello" > "$T/text.db"
"$B" merge "$T/out.db" "$T/text.db" 2> /dev/null; rc=$?
check "merge refuses a text file with exit 2 (rc $rc)" [ $rc -eq 2 ]
cp "$T/s0.db" "$T/v99.db"; sqlite3 "$T/v99.db" "UPDATE meta SET value='99' WHERE key='schema_version'"
"$B" merge "$T/m.db" "$T/v99.db" 2> "$T/err"; rc=$?
check "merge refuses another schema version with exit 2 (rc $rc)" rc_says $rc 2 "schema version" "$T/err"
"$B" sweep "$F" -j 1 -o "$T/d.db" --quiet --runs 0 "${SMALL[@]}" --set simulation.duration=10min
"$B" merge "$T/m.db" "$T/d.db" 2> "$T/err"; rc=$?
check "merge refuses another study with exit 2 (rc $rc)" rc_says $rc 2 "allow-mixed" "$T/err"
check "... leaving OUT unchanged" same_db "$T/j1.db" "$T/m.db"
"$B" merge "$T/m.db" "$T/d.db" --allow-mixed --quiet; rc=$?
check "--allow-mixed merges it (exit $rc, 7 runs)" test $rc -eq 0 -a "$(count "$T/m.db" "SELECT count(*) FROM runs")" -eq 7
"$B" merge "$T/m.db" "$T/m.db" 2> /dev/null; rc=$?
check "merge refuses OUT as an input (rc $rc)" [ $rc -eq 2 ]
"$B" sweep "$F" --runs 0-6 -o "$T/x.db" "${SMALL[@]}" 2> "$T/err"; rc=$?
check "sweep refuses --runs outside the study with exit 2 (rc $rc)" rc_says $rc 2 "outside the study" "$T/err"
"$B" sweep "$T/missing.ini" -o "$T/x.db" 2> /dev/null; rc=$?
check "sweep refuses a missing scenario with exit 2 (rc $rc)" [ $rc -eq 2 ]

e2e_done sweep
