#!/usr/bin/env bash
# tests/e2e/layers.sh -- the layers of the tree (scripts/layers.sh, docs/design.md): cli/
# above models/ above sim/, no include cycle among headers.  The checker is also run on
# copies of the tree with one planted violation each, so that it is known to fail.
source "$(dirname "$0")/lib.bash"

check "the tree keeps its layers" bash scripts/layers.sh .

# plant TEXT FILE: a copy of the tree with TEXT prepended to FILE; the checker must fail.
plant() {
  local what=$1 text=$2 file=$3
  rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r sim models cli "$T/tree/"
  { printf '%s\n' "$text"; cat "$T/tree/$file"; } >"$T/tree/$file.new" && mv "$T/tree/$file.new" "$T/tree/$file"
  if bash scripts/layers.sh "$T/tree" >"$T/out" 2>&1; then
    bad "$what: not detected"
  elif grep -q "$4" "$T/out"; then
    ok "$what: detected"
  else
    bad "$what: wrong message: $(head -c 300 "$T/out")"
  fi
}
plant "sim/ including models/" '#include "models/vm.h"' sim/engine.c "sim/engine.c:1:"
plant "sim/ including cli/" '#include "cli/common.h"' sim/units.h "sim/units.h:1:"
plant "models/ including cli/" '#include "cli/stats.h"' models/balloon.c "models/balloon.c:1:"
plant "a header cycle" '#include "models/host.h"' models/balloon.h "cycle"

e2e_done layers
