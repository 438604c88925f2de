#!/usr/bin/env bash
# The documentation: the key reference in docs/scenarios.md matches the key tables, every
# relative link and image in README.md and docs/*.md resolves (and the link checker does
# fail on a broken link or anchor), README.md stays a front door (at most 300 lines, the
# two commands), and every command it lists exists.
source "$(dirname "$0")/lib.bash"
check "the key reference in docs/scenarios.md matches the key tables" \
  env BALLOONSIM="$B" bash scripts/docs-keys.sh --check
check "every relative link and image in README.md and docs/*.md resolves" bash scripts/check-links.sh

# The checker itself can fail: a broken file link, a broken anchor, a broken image.
mkdir -p "$T/docs/sub"
printf '# Top\n\n## A section\n\n[ok](sub/b.md#b-title) [ok2](#a-section) `[not a link](nowhere.md)`\n' > "$T/docs/a.md"
printf '# B title\n' > "$T/docs/sub/b.md"
mkdir -p "$T/scripts" && cp scripts/check-links.sh "$T/scripts/"
( cd "$T" && bash scripts/check-links.sh docs/a.md >/dev/null ) && ok "check-links: a good file passes" || bad "check-links: a good file fails"
printf 'see [gone](missing.md)\n' >> "$T/docs/a.md"
expect_status 1 bash -c "cd '$T' && bash scripts/check-links.sh docs/a.md"
grep -q 'missing.md: no such file' "$T/out" && ok "check-links names the missing file" || bad "check-links: $(cat "$T/out")"
printf '# Top\n\n[x](sub/b.md#no-such-heading)\n' > "$T/docs/a.md"
expect_status 1 bash -c "cd '$T' && bash scripts/check-links.sh docs/a.md"
grep -q 'no heading with anchor #no-such-heading' "$T/out" && ok "check-links names the missing anchor" || bad "check-links: $(cat "$T/out")"
printf '# Top\n\n![fig](img/none.png)\n' > "$T/docs/a.md"
expect_status 1 bash -c "cd '$T' && bash scripts/check-links.sh docs/a.md"

lines=$(wc -l < README.md)
[ "$lines" -le 300 ] && ok "README.md has $lines lines (<= 300)" || bad "README.md has $lines lines (> 300)"
for c in run validate sweep capacity check plot merge policies keys columns trace; do
  check "balloonsim help $c" "$B" help "$c"
done
check "README names the two commands" grep -q "make run" README.md
check "README names make test" grep -q "make test" README.md
check "README embeds no ignored results/ figure" bash -c '! grep -n "](results/" README.md docs/*.md'
e2e_done readme
