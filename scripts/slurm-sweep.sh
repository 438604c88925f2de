#!/usr/bin/env bash
# scripts/slurm-sweep.sh -- run a balloonsim parameter sweep on a Slurm cluster.
#
# usage: scripts/slurm-sweep.sh [OPTIONS] FILE OUT.db [N_SHARDS] [-- SWEEP_ARGS...]
#
# Submits a job array of N_SHARDS tasks (default 4); task ID runs
#     balloonsim sweep FILE --shard ID/N_SHARDS -j CPUS -o OUT.shardID.db --quiet SWEEP_ARGS
# (OUT.shardID.db is OUT.db with ".db" replaced by ".shardID.db"), then a merge job that
# starts only when every task succeeded (--dependency=afterok) and runs
#     balloonsim merge OUT.db OUT.shard0.db ... OUT.shard{N-1}.db
# Shards are deterministic (run % N == ID) and resumable: resubmitting the same command
# after a failure redoes only the runs that are not complete, and the merge skips runs
# OUT.db already holds.  A shard task exits 1 when one of its runs failed; the merge job
# then never starts (Slurm reports DependencyNeverSatisfied) and --wait says so.
#
# Options:
#   --wait          block until the merge job ends; exit 0 when it completed, 1 when a
#                   shard or the merge failed (the merge job is cancelled), 3 on --timeout
#   --timeout S     with --wait: give up after S seconds (jobs keep running; exit 3)
#   --cpus N        CPUs per shard task, passed as sweep -j N (default 1)
#   --sbatch OPT    one extra sbatch option for every job, repeatable
#                   (e.g. --sbatch --partition=long --sbatch --time=04:00:00)
#   --logs DIR      directory for the jobs' output (default: OUT's directory/slurm-logs)
#   -h, --help
# Environment: BALLOONSIM names the binary (default ./balloonsim when it exists, else
# balloonsim on PATH); every path is made absolute, since jobs may start elsewhere.
# The shard databases must be on a file system where SQLite WAL works (local, or a
# cluster file system with POSIX locks); each shard is written by one node only.
# Prints the job ids; exit status 2 on bad usage.
set -u

usage() { sed -n '/^# usage:/,/^# Prints/p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "slurm-sweep: $*" >&2; exit 2; }

wait_done=0 timeout_s=0 cpus=1 logs="" sbatch_extra=() pos=() sweep_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wait) wait_done=1 ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; timeout_s="$2"; shift ;;
    --cpus) [ $# -ge 2 ] || die "--cpus needs a number"; cpus="$2"; shift ;;
    --sbatch) [ $# -ge 2 ] || die "--sbatch needs an option"; sbatch_extra+=("$2"); shift ;;
    --logs) [ $# -ge 2 ] || die "--logs needs a directory"; logs="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; sweep_args=("$@"); break ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) pos+=("$1") ;;
  esac
  shift
done
[ ${#pos[@]} -ge 2 ] && [ ${#pos[@]} -le 3 ] || { usage >&2; exit 2; }
file="${pos[0]}" out="${pos[1]}" shards="${pos[2]:-4}"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "N_SHARDS '$shards' must be a positive integer"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus '$cpus' must be a positive integer"
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout '$timeout_s' must be a number of seconds"
[ -r "$file" ] || die "cannot read scenario '$file'"
[[ "$out" == *.db ]] || die "OUT '$out' must end in .db"
command -v sbatch >/dev/null 2>&1 || die "sbatch not found: is this a Slurm submit host?"

bin="${BALLOONSIM:-}"
if [ -z "$bin" ]; then
  if [ -x ./balloonsim ]; then bin=./balloonsim; else bin="$(command -v balloonsim || true)"; fi
fi
[ -n "$bin" ] && [ -x "$bin" ] || die "balloonsim binary not found (set BALLOONSIM or run make)"
bin="$(realpath "$bin")" file="$(realpath "$file")"
mkdir -p "$(dirname "$out")" || die "cannot create the directory of '$out'"
out="$(realpath -m "$out")"
base="${out%.db}"
logs="${logs:-$(dirname "$out")/slurm-logs}"
mkdir -p "$logs" || die "cannot create log directory '$logs'"
logs="$(realpath "$logs")"
# Check the scenario and the sweep arguments here, not in N failed jobs.
"$bin" sweep "$file" --dry-run "${sweep_args[@]}" > /dev/null || die "the sweep does not validate (see above)"

q() { printf '%q ' "$@"; }
extra=""
[ ${#sweep_args[@]} -gt 0 ] && extra="$(q "${sweep_args[@]}")"
shard_cmd="exec $(q "$bin" sweep "$file")--shard \"\$SLURM_ARRAY_TASK_ID/$shards\" -j $cpus \
-o $(printf '%q' "$base").shard\"\$SLURM_ARRAY_TASK_ID\".db --quiet $extra"
inputs=()
for ((i = 0; i < shards; i++)); do inputs+=("$base.shard$i.db"); done
merge_cmd="$(q "$bin" merge "$out" "${inputs[@]}") && echo 'slurm-sweep: merge ok'"

name="bsim-$(basename "$base")"
array_id=$(sbatch --parsable --job-name="$name" --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
  --chdir="$PWD" --output="$logs/$name-%A_%a.out" "${sbatch_extra[@]}" --wrap "$shard_cmd") \
  || die "sbatch of the shard array failed"
array_id="${array_id%%;*}"
merge_id=$(sbatch --parsable --job-name="$name-merge" --dependency="afterok:$array_id" --cpus-per-task=1 \
  --chdir="$PWD" --output="$logs/$name-merge-%j.out" "${sbatch_extra[@]}" --wrap "$merge_cmd") \
  || { scancel "$array_id" 2>/dev/null; die "sbatch of the merge job failed (shard array $array_id cancelled)"; }
merge_id="${merge_id%%;*}"
merge_log="$logs/$name-merge-$merge_id.out"
echo "slurm-sweep: shard array $array_id ($shards tasks), merge job $merge_id -> $out"
echo "slurm-sweep: logs in $logs"
[ "$wait_done" -eq 1 ] || exit 0

# --wait: poll the merge job (scontrol works without accounting; a job that was already
# purged from the controller is judged by its log's last line).
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p"; }
start=$(date +%s) last=""
while :; do
  info="$(scontrol show job -o "$merge_id" 2>/dev/null)"
  state="$(printf '%s\n' "$info" | field JobState)" reason="$(printf '%s\n' "$info" | field Reason)"
  if [ -z "$state" ]; then
    if grep -q 'slurm-sweep: merge ok' "$merge_log" 2>/dev/null; then state=COMPLETED; else state=GONE; fi
  fi
  [ "$state $reason" != "$last" ] && echo "slurm-sweep: merge job $merge_id: $state ($reason)" && last="$state $reason"
  if [ "$reason" = DependencyNeverSatisfied ]; then      # a shard task failed
    [ "$state" = PENDING ] && scancel "$merge_id" 2>/dev/null
    echo "slurm-sweep: a shard task failed, so the merge job $merge_id will not run; see $logs/$name-${array_id}_*.out" >&2
    echo "slurm-sweep: resubmit the same command to redo only the runs that are not complete" >&2
    exit 1
  fi
  case "$state" in
    COMPLETED)
      echo "slurm-sweep: done: $out"; exit 0 ;;
    PENDING) ;;
    RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING) ;;
    *)
      echo "slurm-sweep: merge job $merge_id ended $state; see $merge_log and $logs/$name-${array_id}_*.out" >&2
      exit 1 ;;
  esac
  if [ "$timeout_s" -gt 0 ] && [ $(( $(date +%s) - start )) -ge "$timeout_s" ]; then
    echo "slurm-sweep: gave up waiting after ${timeout_s}s (jobs $array_id, $merge_id keep running)" >&2
    exit 3
  fi
  sleep 2
done
