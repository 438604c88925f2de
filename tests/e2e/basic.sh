#!/usr/bin/env bash
# End-to-end: the default scenario runs, records what it implies, is deterministic, and
# bad input exits 2 with a message naming file, section and key.
source "$(dirname "$0")/lib.bash"

# 1. a short run of the default scenario, with the conservation check on
expect_status 0 "$B" run scenarios/default.ini -o "$T/a.db" --quiet --check --set simulation.duration=30min --set policy.name=static
[ "$(q "$T/a.db" "SELECT status FROM runs")" = complete ] && ok "run complete" || bad "run not complete"
n=$(q "$T/a.db" "SELECT count(DISTINCT time_ns) FROM host_samples")
[ "$n" = 61 ] && ok "61 host samples (30 min every 30 s, both ends)" || bad "host samples: $n"
nv=$(q "$T/a.db" "SELECT count(*) FROM vms")
[ "$nv" = 4 ] && ok "4 VMs" || bad "vms: $nv"
cap=$(q "$T/a.db" "SELECT capacity_bytes FROM hosts")
[ "$cap" = $((12*1024*1024*1024)) ] && ok "host capacity 12 GiB" || bad "capacity $cap"
# the idle VM's demand is constant at 2 GiB: every sample shows it
d=$(q "$T/a.db" "SELECT min(anon_demand_bytes)=max(anon_demand_bytes) AND max(anon_demand_bytes)=2147483648 FROM v_vm_samples WHERE grp='idle'")
[ "$d" = 1 ] && ok "idle demand constant 2 GiB" || bad "idle demand: $d"
# static policy: no balloon moves at all
m=$(q "$T/a.db" "SELECT count(*) FROM balloon_ops"); :
[ "$m" = 0 ] && ok "static policy: no balloon operations" || bad "static balloon ops: $m"
# parameters stored
p=$(q "$T/a.db" "SELECT value FROM run_params WHERE section='host' AND key='memory'")
[ "$p" = 12GiB ] && ok "resolved parameters stored" || bad "run_params host.memory = $p"

# 2. determinism: same seed, identical rows; different seed differs
"$B" run scenarios/default.ini -o "$T/b.db" --quiet --set simulation.duration=30min --set policy.name=static
dump() { for t in host_samples vm_samples balloon_ops run_summary vm_summary events targets; do
  sqlite3 "$1" "SELECT * FROM $t ORDER BY 1,2,3" ; done | grep -v '^$' | md5sum; }
[ "$(dump "$T/a.db")" = "$(dump "$T/b.db")" ] && ok "same seed: identical rows" || bad "same seed differs"
"$B" run scenarios/default.ini -o "$T/c.db" --quiet --seed 7 --set simulation.duration=30min --set policy.name=static
[ "$(dump "$T/a.db")" != "$(dump "$T/c.db")" ] && ok "different seed: rows differ" || bad "different seed identical"
f1=$(q "$T/a.db" "SELECT fingerprint FROM runs"); f2=$(q "$T/b.db" "SELECT fingerprint FROM runs")
[ -n "$f1" ] && [ "$f1" = "$f2" ] && ok "fingerprints equal" || bad "fingerprints $f1 $f2"

# 3. a second run into the same database is skipped as complete
"$B" run scenarios/default.ini -o "$T/a.db" --set simulation.duration=30min --set policy.name=static >"$T/out" 2>&1
grep -q "already complete" "$T/out" && ok "complete run skipped" || bad "rerun not skipped"

# 4. bad input: exit 2, message names file, section, key
cat > "$T/typo.ini" <<'INI'
[host]
memroy = 4GiB
[vm a]
memory = 1GiB
INI
expect_status 2 "$B" run "$T/typo.ini" -o "$T/x.db"; expect_msg "typo.ini:2"; expect_msg "memroy"; expect_msg "did you mean 'memory'"
[ ! -e "$T/x.db" ] && ok "no database written for bad input" || bad "database written for bad input"
printf '[host]\nmemory = 4GiB\n[vm a]\nmemory = 8GiB\n' > "$T/big.ini"
expect_status 2 "$B" validate "$T/big.ini"; expect_msg "does not fit"
printf '[host]\nmemory = -4GiB\n[vm a]\nmemory = 1GiB\n' > "$T/neg.ini"
expect_status 2 "$B" validate "$T/neg.ini"; expect_msg "memory"
printf '[host]\nmemory = 4GiB\n[vm a]\nmemory = 1GiB\n[policy]\nname = nope\n' > "$T/pol.ini"
expect_status 2 "$B" validate "$T/pol.ini"; expect_msg "unknown policy 'nope'"
expect_status 2 "$B" run "$T/missing.ini"; expect_msg "missing.ini"
printf '[host\nmemory = 4GiB\n' > "$T/syn.ini"
expect_status 2 "$B" validate "$T/syn.ini"; expect_msg "syn.ini:1"
expect_status 2 "$B" run scenarios/default.ini --set host.nosuch=1 -o "$T/y.db"; expect_msg "nosuch"
expect_status 2 "$B" frobnicate
echo "not a database" > "$T/notdb.db"
expect_status 2 "$B" run scenarios/default.ini -o "$T/notdb.db" --set simulation.duration=1min
# 5. SIGTERM mid-run: exit 143, run marked interrupted, database opens
"$B" run scenarios/default.ini -o "$T/int.db" --quiet --set simulation.duration=2000h --set simulation.sample_interval=1s &
pid=$!; sleep 1.5; kill -TERM $pid; wait $pid; st=$?
[ "$st" = 143 ] && ok "SIGTERM: exit 143" || bad "SIGTERM exit $st"
s=$(q "$T/int.db" "SELECT status FROM runs; PRAGMA integrity_check" | tr '\n' ' ')
[ "$s" = "interrupted ok " ] && ok "interrupted run marked, integrity ok" || bad "after SIGTERM: $s"
# the sample tables' indexes, built at the end of a run into empty tables (models/record.c):
# there after the interrupted run, after a second run into the same file, and a missing
# one (a killed run) is repaired by the next run
idx() { q "$1" "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%samples_run' ORDER BY name)"; }
[ "$(idx "$T/int.db")" = "host_samples_run,vm_samples_run" ] && ok "indexes built after the interrupted run" \
  || bad "indexes after SIGTERM: $(idx "$T/int.db")"
expect_status 0 "$B" run scenarios/default.ini -o "$T/int.db" --quiet --set simulation.duration=10min
plan=$(q "$T/int.db" "EXPLAIN QUERY PLAN SELECT * FROM host_samples WHERE run_id = 2 AND host_id = 0 ORDER BY time_ns")
[ "$(idx "$T/int.db")" = "host_samples_run,vm_samples_run" ] && [[ $plan == *"USING INDEX host_samples_run"* ]] \
  && ok "a second run keeps the indexes; per-host queries use them" || bad "second run: $(idx "$T/int.db") / $plan"
q "$T/int.db" "DROP INDEX host_samples_run" >/dev/null
expect_status 0 "$B" run scenarios/default.ini -o "$T/int.db" --quiet --set simulation.duration=10min
[ "$(idx "$T/int.db")" = "host_samples_run,vm_samples_run" ] && ok "a missing index is rebuilt by the next run" \
  || bad "after a dropped index: $(idx "$T/int.db")"

e2e_done basic
