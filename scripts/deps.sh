#!/usr/bin/env bash
# Install the Debian packages balloonsim needs, if any are missing.
# Uses apt-get as root, sudo otherwise; says clearly what to do if neither works.
# Extra package names as arguments are installed too (make valgrind: valgrind).
set -u
pkgs_needed=()
need() { dpkg -s "$1" >/dev/null 2>&1 || pkgs_needed+=("$1"); }
# procps: pgrep, used by the crash and sweep tests
# fonts-urw-base35: Nimbus Sans, the font the figures name and embed (cli/plot.c); poppler-utils:
# pdffonts, with which tests/e2e/figures.sh checks that the PDF embeds it
for p in build-essential pkg-config libgsl-dev libsqlite3-dev libinih-dev libcriterion-dev gnuplot-nox sqlite3 procps \
         fonts-urw-base35 poppler-utils "$@"; do
  need "$p"
done
[ ${#pkgs_needed[@]} -eq 0 ] && exit 0
echo "deps: installing missing Debian packages: ${pkgs_needed[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "deps: need root or sudo to install: ${pkgs_needed[*]}" >&2
  echo "deps: run as root: apt-get install -y ${pkgs_needed[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2 || { echo "deps: apt-get update failed" >&2; exit 1; }
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs_needed[@]}" >&2 || {
  echo "deps: apt-get install failed for: ${pkgs_needed[*]}" >&2; exit 1; }
