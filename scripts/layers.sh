#!/usr/bin/env bash
# scripts/layers.sh [ROOT] -- check the layers of the source tree (docs/design.md, "Layers
# and modules"): the engine sim/ includes nothing from models/ or cli/; the models in
# models/ include nothing from cli/; and the include graph of the headers of the three
# folders has no cycle.  Prints every violation ("FILE:LINE: ...", or the cycle tsort
# reports) and exits 1 if there is one; exits 0 with "layers: ok" otherwise.
# Run by tests/e2e/layers.sh (make e2e, make test).
set -u
root=${1:-.}
cd "$root" || exit 2
status=0
# layer FOLDER FORBIDDEN-REGEX: FOLDER's files may not include a header matching it.
layer() {
  local dir=$1 forbidden=$2 hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"($forbidden)/" "$dir" --include='*.c' --include='*.h' || true)
  if [ -n "$hits" ]; then
    printf '%s\n' "$hits" | sed "s/\$/  <- $dir\/ may not include ($forbidden)\//"
    status=1
  fi
}
layer sim 'models|cli'
layer models 'cli'
# Edges header -> included header (quoted includes, paths from the root), for tsort.
edges=$(for h in $(find sim models cli -name '*.h' 2>/dev/null | sort); do
  echo "$h $h"
  sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$h" | while read -r inc; do
    echo "$h $inc"
  done
done)
if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
  printf 'include cycle among headers:\n%s\n' "$out"
  status=1
fi
[ "$status" -eq 0 ] && echo "layers: ok"
exit "$status"
