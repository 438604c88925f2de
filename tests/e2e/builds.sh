#!/usr/bin/env bash
# tests/e2e/builds.sh -- builds do not mix (docs/database.md "Builds do not mix"): every run
# records runs.version = "0.1.0+model.DIGEST" (the Makefile's model digest, sim/version.h),
# and no command resumes or merges complete runs of one study made by another build.
# An older build is faked by rewriting runs.version of complete runs with sqlite3.
#   1. --version prints the version every run records; it has the form 0.1.0+model.<12 hex>,
#      the digest computed here from sim/ and models/ as the Makefile does.
#   2. sweep: a stale run makes the resume exit 2 before running anything (every table's
#      row count and the run ids unchanged) with a message naming the database, the count,
#      both versions, -o and --force; --force with the stale run outside --runs exits 2 too;
#      --force deletes it with all its rows and redoes it: every run then carries this build.
#   3. run -o into that database: the same refusal, then --force.
#   4. capacity: the same refusal on a stale run of its study; --force redoes the search
#      to the same table.
#   5. merge: a stale shard beside a current one (into a new OUT: refused, no file left;
#      into an OUT holding current runs: refused, OUT unchanged, --allow-mixed too); the
#      stale shard alone into a new OUT is one build: merged.
#   6. check -o refuses a database whose runs of its study are stale.
source "$(dirname "$0")/lib.bash"
private_binary
OLD=0.1.0+model.000000000000
F=scenarios/default.ini
# 2 points x 2 repetitions = 4 runs of 20 simulated minutes
S=(--set simulation.duration=20min --set simulation.repeat=2 --set 'host.memory=${10GiB,12GiB}'
   --set policy.name=esx-share)

# counts DB: every table's row count, and the run ids (nothing new written when they agree)
counts() {
  local t
  for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
    echo "$t $(sqlite3 "$1" "SELECT count(*) FROM \"$t\"")"
  done
  sqlite3 "$1" "SELECT group_concat(run_id || ':' || version) FROM (SELECT * FROM runs ORDER BY run_id)"
}
# versions DB: the distinct versions of its runs
versions() { sqlite3 "$1" "SELECT DISTINCT version FROM runs ORDER BY 1"; }
# orphans DB: rows of any run_id-keyed table whose run is not in runs
orphans() {
  local t n=0
  for t in $(sqlite3 "$1" "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name != 'runs'
             AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'run_id')"); do
    n=$((n + $(sqlite3 "$1" "SELECT count(*) FROM \"$t\" WHERE run_id NOT IN (SELECT run_id FROM runs)")))
  done
  echo "$n"
}
# refused DB: the last command's message names DB, the count, both versions and the ways out
refused() {
  expect_msg "$1"; expect_msg "$2 complete run"; expect_msg "$OLD"; expect_msg "$V"; expect_msg "-o NEW.db"
  expect_msg "--force"
}

# 1. the version
V=$("$B" --version | awk '{ print $2 }')
[[ $V =~ ^0\.1\.0\+model\.[0-9a-f]{12}$ ]] && ok "--version: $V" || bad "--version prints '$("$B" --version)'"
# the digest is the one of these sources, computed as the Makefile does (sorted byte-wise)
src=$(ls sim/*.[ch] models/*.[ch] models/policies/*.[ch] | LC_ALL=C sort)
digest=$(sha256sum $src | sha256sum | cut -c1-12)
check "the model digest is the SHA-256 of sim/ and models/ ($digest)" [ "$V" = "0.1.0+model.$digest" ]
db=$T/sweep.db
expect_status 0 "$B" sweep "$F" "${S[@]}" -j 2 -o "$db" --quiet
check "every run records --version's version" [ "$(versions "$db")" = "$V" ]
check "4 complete runs" [ "$(q "$db" "SELECT count(*) FROM runs WHERE status = 'complete'")" = 4 ]

# 2. sweep
q "$db" "UPDATE runs SET version = '$OLD' WHERE run_index = 1"
stale_id=$(q "$db" "SELECT run_id FROM runs WHERE run_index = 1")
before=$(counts "$db")
expect_status 2 "$B" sweep "$F" "${S[@]}" -j 2 -o "$db" --quiet
refused "$db" 1
check "refused sweep writes nothing" [ "$(counts "$db")" = "$before" ]
expect_status 2 "$B" sweep "$F" "${S[@]}" -j 1 -o "$db" --quiet --runs 0,2-3 --force
expect_msg "outside --runs/--shard"
check "refused --force with the stale run unselected writes nothing" [ "$(counts "$db")" = "$before" ]
expect_status 0 "$B" sweep "$F" "${S[@]}" -j 2 -o "$db" --force
expect_msg "deleting 1 complete run of this study made by balloonsim $OLD"
check "--force: every run carries this build" [ "$(versions "$db")" = "$V" ]
check "--force: 4 complete runs" [ "$(q "$db" "SELECT count(*) FROM runs WHERE status = 'complete'")" = 4 ]
check "--force: the stale run is gone with all its rows" \
  [ "$(q "$db" "SELECT count(*) FROM runs WHERE run_id = $stale_id")" = 0 -a "$(orphans "$db")" = 0 ]
before=$(counts "$db")
expect_status 0 "$B" sweep "$F" "${S[@]}" -j 2 -o "$db" --quiet
check "a current database still resumes (nothing run)" [ "$(counts "$db")" = "$before" ]

# 3. run -o
q "$db" "UPDATE runs SET version = '$OLD' WHERE run_index IN (0, 3)"
before=$(counts "$db")
expect_status 2 "$B" run "$F" "${S[@]}" -o "$db" --quiet
refused "$db" 2
check "refused run writes nothing" [ "$(counts "$db")" = "$before" ]
expect_status 0 "$B" run "$F" "${S[@]}" -o "$db" --quiet --force
check "run --force: every run carries this build" [ "$(versions "$db")" = "$V" ]
check "run --force: 4 complete runs, no orphan rows" \
  [ "$(q "$db" "SELECT count(*) FROM runs WHERE status = 'complete'")" = 4 -a "$(orphans "$db")" = 0 ]

# 4. capacity
cat > "$T/cap.ini" <<EOF
[simulation]
duration = 10min
sample_interval = 1min
output = summary
[host]
memory = 4GiB
vm_overhead = 32MiB
hard = 2%
[vm a]
count = 1
memory = 512MiB
kernel = 0B
workload = constant
workload.mean = 256MiB
workload.file_set = 0B
[policy]
name = static
EOF
CAP=(capacity "$T/cap.ini" --axis 'vm a.count' --range 1..20 --budget 'host_swap_out_bytes == 0'
     --policies static --repeat 2 -j 2)
cdb=$T/cap.db
expect_status 0 "$B" "${CAP[@]}" -o "$cdb"
table() { q "$1" "SELECT policy, outcome, pass_text, fail_text, probes FROM capacity ORDER BY policy"; }
want=$(table "$cdb")
check "capacity: every run carries this build" [ "$(versions "$cdb")" = "$V" ]
q "$cdb" "UPDATE runs SET version = '$OLD' WHERE run_id = (SELECT max(run_id) FROM runs)"
before=$(counts "$cdb")
expect_status 2 "$B" "${CAP[@]}" -o "$cdb"
refused "$cdb" 1
check "refused capacity writes nothing" [ "$(counts "$cdb")" = "$before" ]
expect_status 0 "$B" "${CAP[@]}" -o "$cdb" --force
check "capacity --force: every run carries this build, no orphan rows" \
  [ "$(versions "$cdb")" = "$V" -a "$(orphans "$cdb")" = 0 ]
check "capacity --force: the same table" [ "$(table "$cdb")" = "$want" ]

# 5. merge
for i in 0 1; do expect_status 0 "$B" sweep "$F" "${S[@]}" -j 1 --shard $i/2 -o "$T/s$i.db" --quiet; done
q "$T/s1.db" "UPDATE runs SET version = '$OLD'"
expect_status 2 "$B" merge "$T/m.db" "$T/s0.db" "$T/s1.db" --quiet
expect_msg "$T/s0.db"; expect_msg "$T/s1.db"; expect_msg "2 complete runs"; expect_msg "$OLD"; expect_msg "$V"
check "refused merge leaves no OUT" [ ! -e "$T/m.db" ]
expect_status 0 "$B" merge "$T/m.db" "$T/s0.db" --quiet
before=$(counts "$T/m.db")
expect_status 2 "$B" merge "$T/m.db" "$T/s1.db" --quiet
expect_msg "2 complete runs in $T/m.db by balloonsim $V"; expect_msg "$T/s1.db by balloonsim $OLD"
check "refused merge leaves OUT unchanged" [ "$(counts "$T/m.db")" = "$before" ]
expect_status 2 "$B" merge "$T/m.db" "$T/s1.db" --quiet --allow-mixed
check "--allow-mixed does not mix builds" [ "$(counts "$T/m.db")" = "$before" ]
expect_status 0 "$B" merge "$T/old.db" "$T/s1.db" --quiet
check "one older build alone merges" [ "$(versions "$T/old.db")" = "$OLD" ]

# 6. check -o (its study: the scenario without overrides)
cdb2=$T/check.db
expect_status 0 "$B" run tests/regression/$(ls tests/regression | head -1) -o "$cdb2" --quiet
q "$cdb2" "UPDATE runs SET version = '$OLD'"
before=$(counts "$cdb2")
expect_status 2 "$B" check tests/regression/$(ls tests/regression | head -1) -o "$cdb2" --quiet
refused "$cdb2" "$(q "$cdb2" "SELECT count(*) FROM runs")"
check "refused check writes nothing" [ "$(counts "$cdb2")" = "$before" ]

e2e_done builds
