# tests/e2e/lib.bash -- sourced by every end-to-end script (not a test itself: run.sh runs
# tests/e2e/*.sh).  From the repository root whatever the caller's directory: B, the
# simulator (BALLOONSIM, default ./balloonsim); BENCH, the benchmark binaries; T, a
# temporary directory removed at exit; fails, the count of failed checks; and
#   ok WHAT / bad WHAT          report one check
#   check WHAT CMD...           ok if CMD succeeds, bad otherwise
#   e2e_done NAME               the closing line, and the script's exit status
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
B=${BALLOONSIM:-./balloonsim}
BENCH=${BENCH:-build/bench}
T=$(mktemp -d /tmp/balloonsim-e2e.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
fails=0
ok()    { echo "ok   $*"; }
bad()   { echo "FAIL $*"; fails=$((fails+1)); }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
e2e_done() {
  if [ "$fails" -eq 0 ]; then echo "$1: all checks passed"; else echo "$1: $fails check(s) failed"; fi
  [ "$fails" -eq 0 ]
}
# expect_status WANT CMD...: CMD exits WANT (its stdout in $T/out, stderr in $T/err)
expect_status() {
  local want=$1; shift; "$@" >"$T/out" 2>"$T/err"; local got=$?
  [ "$got" = "$want" ] && ok "exit $want: $*" || bad "exit $got (want $want): $* :: $(head -c 300 "$T/err")"
}
# expect_msg TEXT: the last expect_status's stderr holds TEXT
expect_msg() { grep -q -- "$1" "$T/err" && ok "message has '$1'" || bad "message lacks '$1': $(head -c 300 "$T/err")"; }
q() { sqlite3 "$1" "$2"; }
# private_binary: run a copy of $B from $T, so that a rebuild during the test cannot mix
# two builds
private_binary() {
  cp "$B" "$T/balloonsim" || { echo "FAIL: no binary $B (run make)"; exit 1; }
  B="$T/balloonsim"
}
