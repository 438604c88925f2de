#!/usr/bin/env bash
# tests/e2e/examples_pins.sh -- the table of the shipped examples in docs/policies.md ("The
# examples and what they measure") is generated, not typed: scripts/examples-docs.sh --check
# reruns every row (`balloonsim run FILE [--set ...]`, the scenario's seed: identical results)
# and fails when any published cell differs from the fresh run.  Then the check is shown to
# fail: on a copy of the page with one cell changed, with a row missing, and without markers.
source "$(dirname "$0")/lib.bash"
private_binary
check "docs/policies.md's examples table is up to date (make examples-docs)" \
  bash scripts/examples-docs.sh "$B" --check

# expect_check WANT WHAT: --check on $T/doc.md exits WANT (stderr in $T/err)
expect_check() {
  EXAMPLES_DOC="$T/doc.md" bash scripts/examples-docs.sh "$B" --check >/dev/null 2>"$T/err"; local rc=$?
  [ "$rc" = "$1" ] && ok "$2: --check exits $1" || { head -c 600 "$T/err"; bad "$2: --check exited $rc (want $1)"; }
}
# One cell moved: the mean slowdown of the esx row (the 6th cell, as the page prints it).
awk -F' \\| ' '/^\| `scenarios\/examples\/esx.ini`/ && !done { sub(/ [0-9]+\.[0-9]+ \| [0-9]+ \|$/, " 9.999 | " $NF); done = 1 } { print }' \
  docs/policies.md > "$T/doc.md"
grep -q '^| `scenarios/examples/esx.ini`.* 9\.999 |' "$T/doc.md" || bad "the test could not change a cell of the esx row"
expect_check 1 "one changed cell (esx mean slowdown)"
grep -q '^-| `scenarios/examples/esx.ini`.*9\.999' "$T/err" && grep -q '^+| `scenarios/examples/esx.ini`' "$T/err" \
  && ok "the diff names the moved row" || { head -c 600 "$T/err"; bad "the diff does not show the esx row"; }
grep -q 'run make examples-docs' "$T/err" && ok "the message says how to regenerate" || bad "no 'run make examples-docs' in the message"

# A row missing.
grep -v '^| `scenarios/examples/mom.ini`' docs/policies.md > "$T/doc.md"
expect_check 1 "a missing row (mom)"

# No markers: a usage error naming them.
grep -v 'examples-docs table -->' docs/policies.md > "$T/doc.md"
expect_check 2 "no markers"
grep -q 'BEGIN examples-docs table' "$T/err" && ok "the message names the marker" || bad "no marker named: $(cat "$T/err")"

# Regenerating the page with a stale cell puts back the page's table.
awk '/^\| `scenarios\/examples\/hyperv.ini`/ { sub(/ \| 12 GiB \| /, " | 99 GiB | ") } { print }' docs/policies.md > "$T/doc.md"
grep -q '^| `scenarios/examples/hyperv.ini` | 99 GiB |' "$T/doc.md" || bad "the test could not change the hyperv row's host"
EXAMPLES_DOC="$T/doc.md" bash scripts/examples-docs.sh "$B" 2>"$T/err" \
  && cmp -s "$T/doc.md" docs/policies.md && ok "make examples-docs rewrites the stale cell, and nothing else" \
  || { diff docs/policies.md "$T/doc.md" | head; bad "regeneration did not restore the page"; }
e2e_done examples_pins
