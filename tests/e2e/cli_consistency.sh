#!/usr/bin/env bash
# tests/e2e/cli_consistency.sh -- command-line consistency (issue 21, cli/common.c,
# models/scenario.c, sim/keys.c):
#   1. --set on a [vm NAME] section the file lacks is refused (exit 2) with the nearest
#      section; the '+' form adds it; sections with defaults (balloon, ...) may be added;
#   2. --set KEY=V without a section names --set once and suggests SECTION.KEY;
#   3. a key of another policy names the policy that owns it;
#   4. `keys` prints each section heading once;
#   5. sweep prints its estimated database growth and refuses (exit 2, no database) above
#      --max-db-size (default 2 GiB); 'none' and a larger limit let it pass.
source "$(dirname "$0")/lib.bash"
private_binary
F=scenarios/default.ini

echo "== 1. --set on a missing section"
expect_status 2 "$B" validate "$F" --set 'vm wbe.count=3'
expect_msg "no section \[vm wbe\]"
expect_msg "did you mean \[vm web\]"
expect_msg "+vm wbe.count=3"
expect_status 0 "$B" validate "$F" --set '+vm db.count=1' --set 'vm db.memory=1GiB'
expect_status 0 "$B" validate "$F" --set 'vm web.count=3'
expect_status 0 "$B" validate "$F" --set 'balloon.preset=virtio'
expect_status 0 "$B" run "$F" -o "$T/a.db" --quiet --set simulation.duration=5min --set '+vm db.count=1' --set 'vm db.memory=1GiB'
check "the '+' form adds the group (5 VMs)" [ "$(sqlite3 "$T/a.db" "SELECT count(*) FROM vms WHERE grp = 'db'")" = 1 ]

echo "== 2. --set KEY=V without a section"
expect_status 2 "$B" run "$F" --set duration=1h -o "$T/b.db"
check "--set is named once" [ "$(grep -o -- "--set" "$T/err" | wc -l)" = 2 ]   # the message and the suggestion
expect_msg "did you mean --set 'simulation.duration=1h'"
expect_status 2 "$B" validate "$F" --set idle_tax=50%
expect_msg "policy.idle_tax=50%"

echo "== 3. a key of another policy"
expect_status 2 "$B" validate "$F" --set policy.name=mom --set policy.idle_tax=50%
expect_msg "unknown key for policy 'mom': 'idle_tax' is a key of policy esx-share"
expect_status 2 "$B" validate "$F" --set policy.name=static --set policy.interval=5s
expect_msg "is a key of policies"

echo "== 4. keys"
"$B" keys > "$T/keys"
check "each section heading once" [ -z "$(grep '^\[' "$T/keys" | sort | uniq -d)" ]
check "every [policy] section is listed" [ "$(grep -c '^\[policy\] name = ' "$T/keys")" = "$("$B" policies | grep -c '^[a-z]')" ]

echo "== 5. sweep: estimated database size and its limit"
BIG=(--set simulation.repeat=20 --set simulation.duration=30d --set 'policy.name=${pol=esx-share, mom, static}')
expect_status 2 "$B" sweep "$F" -o "$T/big.db" "${BIG[@]}"
expect_msg "more than the limit of 2.00GiB"
expect_msg "max-db-size"
check "the estimate is printed before" grep -q "estimated database growth: at least 2.61GiB for 60 runs" "$T/out"
check "no database is created" [ ! -e "$T/big.db" ]
expect_status 0 "$B" sweep "$F" -o "$T/big.db" "${BIG[@]}" --max-db-size none --dry-run
check "--max-db-size none: no refusal in the dry run" [ -z "$(grep 'would stop' "$T/out")" ]
expect_status 0 "$B" sweep "$F" -o "$T/big.db" "${BIG[@]}" --max-db-size 3GiB --dry-run
check "a limit above the estimate passes" [ -z "$(grep 'would stop' "$T/out")" ]
expect_status 0 "$B" sweep "$F" -o "$T/big.db" "${BIG[@]}" --dry-run
check "the dry run says a sweep would stop" grep -q "would stop here" "$T/out"
expect_status 2 "$B" sweep "$F" --max-db-size 1x --dry-run
expect_msg "expected a size such as 10GiB"
expect_status 2 "$B" sweep "$F" -o "$T/small.db" --set simulation.duration=10min --max-db-size 1KiB
expect_msg "more than the limit of 1.00KiB"
e2e_done cli_consistency
