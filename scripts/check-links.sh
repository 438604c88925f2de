#!/usr/bin/env bash
# Check that every relative link and image in Markdown files resolves: the file or
# directory it names exists (relative to the Markdown file), and a #fragment names a
# heading of the target file (GitHub's anchors: lower case, punctuation dropped, spaces
# to '-', repeats numbered -1, -2, ...).  Links with a scheme (http:, https:, mailto:)
# are not followed.  Links inside fenced code blocks and `code spans` are ignored.
#
#   bash scripts/check-links.sh [FILE.md...]     default: README.md docs/*.md
#
# Prints one line per broken link (FILE:LINE: target: why) and exits 1 if there is any,
# 0 otherwise, 2 if a named file does not exist.  Needs only bash and awk.
set -u
cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- README.md docs/*.md
for f in "$@"; do [ -f "$f" ] || { echo "check-links: $f: no such file" >&2; exit 2; }; done

# anchors FILE: the GitHub anchors of FILE's headings, one per line
anchors() {
  awk '
    /^```/ { fence = !fence; next }
    fence { next }
    /^#+[ \t]/ {
      h = $0; sub(/^#+[ \t]+/, "", h); sub(/[ \t]+#*[ \t]*$/, "", h)
      h = tolower(h)
      gsub(/\[|\]|\(|\)|`|\*|\.|,|:|;|!|\?|'"'"'|"|\/|=|\+|&|<|>|\||\{|\}|\$|%|@|~|\^/, "", h)
      gsub(/ /, "-", h)
      n = seen[h]++
      print (n ? h "-" n : h)
    }' "$1"
}

bad=0
for f in "$@"; do
  dir=$(dirname "$f")
  # FILE-relative targets of [text](target) and ![alt](target), with their line numbers
  while IFS=$'\t' read -r line target; do
    [ -n "$target" ] || continue
    case "$target" in
      *://*|mailto:*) continue ;;
    esac
    path=${target%%#*}
    frag=
    case "$target" in *'#'*) frag=${target#*#} ;; esac
    if [ -z "$path" ]; then tfile=$f; else tfile=$dir/$path; fi
    if [ ! -e "$tfile" ]; then
      echo "$f:$line: $target: no such file or directory ($tfile)"; bad=1; continue
    fi
    if [ -n "$frag" ]; then
      case "$tfile" in
        *.md)
          if ! anchors "$tfile" | grep -qxF -- "$frag"; then
            echo "$f:$line: $target: no heading with anchor #$frag in $tfile"; bad=1
          fi ;;
      esac
    fi
  done < <(awk '
    /^```/ { fence = !fence; next }
    fence { next }
    {
      s = $0
      gsub(/``[^`]*``/, "", s); gsub(/`[^`]*`/, "", s)
      while (match(s, /\]\([^)[:space:]]+\)/)) {
        t = substr(s, RSTART + 2, RLENGTH - 3)
        sub(/^</, "", t); sub(/>$/, "", t)
        print NR "\t" t
        s = substr(s, RSTART + RLENGTH)
      }
    }' "$f")
done
[ "$bad" -eq 0 ] && echo "check-links: every relative link resolves ($*)"
exit "$bad"
