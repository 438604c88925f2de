#!/usr/bin/env bash
# End-to-end: the catalogue of bad input, tests/bad/ (issue 10).
#
# One directory per case, tests/bad/NNN-name/, holding:
#   cmd       the arguments after `balloonsim`, one line in shell syntax (quotes allowed);
#             it runs in a scratch copy of the case directory, so file names are relative
#   status    the expected exit status (2 for bad input, 1 for a failed expectation)
#   message   a fragment the output must contain (fixed text, one line): stderr, or stdout
#             for a failed expectation (status 1), which `check` reports there
#   setup     optional: shell commands run first in the scratch copy (they build the
#             databases with sqlite3, so the catalogue holds text, not binary files)
#   ...       the input files the command names (scenarios, traces, ...)
# Every case must also: finish within 20 s, print its message on stderr when the status
# is 2, write nothing that looks like a crash (sanitizer report, assertion, "internal
# error") nor a raw control byte (a message escapes them as \xNN), and exit with the
# status given.  BALLOONSIM names the binary (make test and make sanitize set it).
# Prints one line per case and exits non-zero when any case fails.
set -u
cd "$(dirname "$0")/../.."
B=${BALLOONSIM:-./balloonsim}
case $B in /*) ;; *) B=$PWD/$B ;; esac
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
CTRL=$(printf '[\001-\010\013-\037\177]')   # control bytes but tab and newline
for dir in tests/bad/[0-9]*/; do
  name=$(basename "$dir")
  for f in cmd status message; do
    if [ ! -f "$dir/$f" ]; then
      echo "FAIL $name: no $f file"; fail=$((fail+1)); continue 2
    fi
  done
  want=$(tr -d ' \n' < "$dir/status"); frag=$(head -n1 "$dir/message"); args=$(head -n1 "$dir/cmd")
  w="$T/$name"; rm -rf "$w"; cp -r "$dir" "$w"
  if [ -f "$w/setup" ] && ! (cd "$w" && bash ./setup >"$T/setup.out" 2>&1); then
    echo "FAIL $name: setup failed: $(head -c 200 "$T/setup.out")"; fail=$((fail+1)); continue
  fi
  (cd "$w" && eval "timeout 20 \"\$B\" $args") </dev/null >"$T/out" 2>"$T/err"
  got=$?
  why=
  if [ "$got" = 124 ]; then why="timed out after 20 s"
  elif [ "$got" != "$want" ]; then why="exit $got, expected $want"
  elif ! cat "$T/err" "$T/out" | grep -qF -- "$frag"; then why="output lacks '$frag'"
  elif [ "$want" = 2 ] && [ ! -s "$T/err" ]; then why="nothing on stderr"
  elif grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|Assertion|internal error' "$T/err"; then
    why="crash report on stderr"
  elif LC_ALL=C grep -q "$CTRL" "$T/err"; then
    why="raw control byte on stderr (escape it as \\xNN)"
  fi
  if [ -z "$why" ]; then
    echo "ok   $name: exit $got: $(cat "$T/err" "$T/out" | head -n1 | cut -c1-150)"; pass=$((pass+1))
  else
    echo "FAIL $name: $why"; echo "     balloonsim $args"; sed 's/^/     | /' "$T/err" | head -5
    fail=$((fail+1))
  fi
done
echo "bad input: $pass passed, $fail failed"
[ "$pass" -ge 1 ] && [ "$fail" -eq 0 ]
