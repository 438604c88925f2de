#!/usr/bin/env bash
# scripts/test-slurm.sh -- test scripts/slurm-sweep.sh on a real, single-node Slurm cluster
# started here for the purpose (Debian's slurm-wlm 22.05 and munge).
#
#   bash scripts/test-slurm.sh          (from the repository root, after make; as root or with sudo)
#
# Steps: install slurm-wlm and munge with apt-get when missing; write a minimal slurm.conf
# in a temporary directory (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
# SelectType=select/cons_tres, one node named `hostname -s` with CPUs=2, state and spool
# in the temporary directory, SlurmUser=root, AuthType=auth/munge on a private munged
# socket, private ports); start munged, slurmctld and slurmd in the foreground in the
# background; then
#   1. slurm-sweep.sh --wait runs a 2-point x 2-repetition study (10 min simulated) as a
#      2-task job array plus a dependent merge job; the merged database holds every run
#      complete and equals a local `balloonsim sweep -j 2` of the same study (runs,
#      run_summary, vm_summary, balloon_ops, point_summary; run ids and wall times aside);
#   2. a shard that fails (a wrapper binary that exits 1 for shard 1) makes --wait exit 1
#      without a merged database.
# Every wait has a time limit (daemons 60 s, the sweep 300 s).  The daemons started here
# are stopped by their pids on exit (trap), after cancelling this cluster's jobs.
# Exit 0 when everything passed, 1 when a check failed, and 0 with a "skipped" message only
# when neither root nor sudo is available to install and run the daemons.
set -u
cd "$(dirname "$0")/.."
B="${BALLOONSIM:-./balloonsim}"
say() { echo "test-slurm: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n -E BALLOONSIM="$B" bash "$0" "$@"
  fi
  say "skipped: needs root or password-less sudo to install and run slurmctld/slurmd/munged"
  exit 0
fi
[ -x "$B" ] || { say "FAIL: no binary $B (run make first)"; exit 1; }
B="$(realpath "$B")"

# ---------------------------------------------------------------- install
need=()
for c in slurmctld slurmd sbatch munged; do command -v "$c" >/dev/null 2>&1 || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  say "installing slurm-wlm and munge (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge; } > /tmp/test-slurm-apt.log 2>&1 || {
    say "FAIL: apt-get install slurm-wlm munge failed; see /tmp/test-slurm-apt.log"; tail -5 /tmp/test-slurm-apt.log; exit 1; }
fi
for c in slurmctld slurmd sbatch scontrol scancel sinfo munged munge; do
  command -v "$c" >/dev/null 2>&1 || { say "FAIL: $c not found after installing slurm-wlm and munge"; exit 1; }
done

# ---------------------------------------------------------------- cluster
T="$(mktemp -d /tmp/balloonsim-slurm.XXXXXX)"
chmod 755 "$T"
pids=()
passed=0 failed=0
cleanup() {
  if [ -n "${SLURM_CONF:-}" ] && [ ${#pids[@]} -gt 0 ]; then
    timeout 10 scancel --user=root >/dev/null 2>&1
  fi
  local p i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p="${pids[$i]}"
    kill -TERM "$p" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ "$failed" -eq 0 ] && [ "${keep:-0}" -eq 0 ]; then rm -rf "$T"; else say "logs kept in $T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
keep="${KEEP_SLURM_TEST:-0}"   # 1: keep the temporary directory (logs, databases)
fail_now() { say "FAIL: $*"; failed=$((failed + 1)); keep=1; for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done; exit 1; }
check() { local what="$1"; shift; if "$@"; then say "ok: $what"; passed=$((passed + 1)); else say "FAIL: $what"; failed=$((failed + 1)); keep=1; fi; }
# wait_for SECONDS WHAT CMD...: poll CMD every 0.5 s until it succeeds
wait_for() {
  local limit="$1" what="$2"; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || fail_now "$what did not happen within ${limit}s"
    sleep 0.5
  done
}

host="$(hostname -s)"
mkdir -p "$T/munge" "$T/state" "$T/spool"
chmod 711 "$T/munge"
if [ -r /etc/munge/munge.key ]; then cp /etc/munge/munge.key "$T/munge.key"
else head -c 1024 /dev/urandom > "$T/munge.key"; fi
chown root:root "$T/munge.key"; chmod 600 "$T/munge.key"
sock="$T/munge/munge.sock"
munged -F -f --socket="$sock" --key-file="$T/munge.key" --pid-file="$T/munged.pid" \
  --seed-file="$T/munged.seed" --log-file="$T/munged.log" > "$T/munged.log" 2>&1 &
pids+=($!)
wait_for 30 "munged answering on $sock" bash -c "munge -n -S '$sock' | unmunge -S '$sock'"
say "munged up (pid ${pids[0]})"

port=$(( 20000 + RANDOM % 9000 ))
cat > "$T/slurm.conf" <<EOF
# minimal single-node cluster for scripts/test-slurm.sh
ClusterName=bsimtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
DependencyParameters=kill_invalid_depend
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
slurmctld -D -f "$SLURM_CONF" > "$T/slurmctld.out.log" 2>&1 &
pids+=($!)
wait_for 60 "slurmctld answering (scontrol ping)" bash -c "scontrol ping | grep -q UP"
slurmd -D -f "$SLURM_CONF" -N "$host" > "$T/slurmd.out.log" 2>&1 &
pids+=($!)
wait_for 60 "node $host idle" bash -c "sinfo -h -n '$host' -o %t | grep -q idle"
say "slurmctld and slurmd up on $host (ports $port, $((port + 1)))"

# ---------------------------------------------------------------- 1. sweep on the cluster
cp scenarios/default.ini "$T/study.ini"
SETS=(--set simulation.duration=10min --set simulation.repeat=2 --set 'host.memory=${10GiB,12GiB}')
BALLOONSIM="$B" timeout 360 bash scripts/slurm-sweep.sh --wait --timeout 300 "$T/study.ini" "$T/out/cluster.db" 2 \
  -- "${SETS[@]}"; rc=$?
check "slurm-sweep.sh --wait exits 0 (rc $rc)" [ $rc -eq 0 ]
check "shard databases cluster.shard0.db and cluster.shard1.db exist" test -s "$T/out/cluster.shard0.db" -a -s "$T/out/cluster.shard1.db"
n=$(sqlite3 "$T/out/cluster.db" "SELECT count(*) FROM runs WHERE status='complete'" 2>/dev/null || echo 0)
check "the merged database holds 4 complete runs ($n)" [ "$n" -eq 4 ]
"$B" sweep "$T/study.ini" -j 2 -o "$T/local.db" --quiet "${SETS[@]}"; rc=$?
check "local sweep exits 0" [ $rc -eq 0 ]
dump() {
  sqlite3 "$1" <<'SQL'
SELECT 'run', study_key, run_index, point_index, repetition, seed, axes, policy, status, fingerprint FROM runs ORDER BY run_index;
SELECT 'rs', r.run_index, s.metric, printf('%.17g', s.value) FROM run_summary s JOIN runs r USING(run_id) ORDER BY 2, 3;
SELECT 'vs', r.run_index, s.vm_id, s.metric, printf('%.17g', s.value) FROM vm_summary s JOIN runs r USING(run_id) ORDER BY 2, 3, 4;
SELECT 'op', r.run_index, o.vm_id, o.op, o.kind, o.issued_ns, o.started_ns, o.finished_ns, o.asked_bytes, o.moved_bytes, o.outcome
  FROM balloon_ops o JOIN runs r USING(run_id) ORDER BY 2, 3, 4, 6, 5, 7, 8, 9, 10, 11;
SELECT 'ps', study_key, point_index, axes, policy, metric, n, printf('%.17g', mean), printf('%.17g', sd), printf('%.17g', ci95)
  FROM point_summary ORDER BY 2, 3, 6;
SQL
}
dump "$T/out/cluster.db" > "$T/cluster.dump" 2>&1
dump "$T/local.db" > "$T/local.dump" 2>&1
check "the merged database equals the local sweep ($(wc -l < "$T/local.dump") rows compared)" \
  cmp -s "$T/cluster.dump" "$T/local.dump"
cmp -s "$T/cluster.dump" "$T/local.dump" || diff "$T/cluster.dump" "$T/local.dump" | head -5

# ---------------------------------------------------------------- 2. a failing shard
cat > "$T/failing-balloonsim" <<EOF
#!/bin/sh
case " \$* " in *" --shard 1/2 "*) echo "injected failure of shard 1" >&2; exit 1 ;; esac
exec "$B" "\$@"
EOF
chmod +x "$T/failing-balloonsim"
BALLOONSIM="$T/failing-balloonsim" timeout 200 bash scripts/slurm-sweep.sh --wait --timeout 150 "$T/study.ini" \
  "$T/out2/fail.db" 2 -- "${SETS[@]}" > "$T/fail.out" 2>&1; rc=$?
check "a failing shard makes --wait exit 1 (rc $rc)" [ $rc -eq 1 ]
check "... with no merged database" [ ! -e "$T/out2/fail.db" ]

say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
