#!/bin/bash
# The harness itself: prove, as tests/run calls it, must fail a group that
# dies, one that exits early without its plan, one that prints fewer
# results than a plan it declared, and one with a "not ok"; and pass a
# group that completes.  Each case is a small group written here.
. "$(dirname "$0")/lib.sh"

h=$T_WORK/harness
mkdir -p "$h"
group() { # group NAME BODY: a group script using the real tests/lib.sh
	printf '. %q\n%s\n' "$KR_TOP/tests/lib.sh" "$2" > "$h/t-$1.sh"
}
harness() { (cd "$h" && T_WORK=$h/w prove --exec bash --verbose "t-$1.sh" >"$h/$1.out" 2>&1); }
mkdir -p "$h/w"

group good 'check "a" true; check "b" true; t_done'
check "a group that completes passes" harness good

# fails NAME DESCRIPTION BODY: the group must make prove fail.
fails() {
	local rc
	group "$1" "$3"
	harness "$1"; rc=$?
	check "$2 (prove exit $rc)" test $rc -ne 0
}
fails dies "a group that dies after a passing check fails" \
	'check "a" true; die "resolution failed"; check "b" true; t_done'
fails early "a group that exits 0 before its end fails" 'check "a" true; exit 0; t_done'
check "prove says it found no plan" grep -q 'No plan found' "$h/early.out"
fails short "a group that prints fewer results than its plan fails" \
	'echo 1..3; check "a" true; check "b" true'
fails unset "a set -u abort fails the group" 'check "a" true; echo "$undefined_variable"; t_done'
fails notok "a not ok fails the group" 'check "a" false; t_done'
check "a failing group points at its log" grep -q 'failed; the last lines of its log' "$h/notok.out"

group skipped 'skip "needs X" "X is absent"; check "a" true; t_done'
harness skipped; rc=$?
check "a skip does not fail the group (prove exit $rc)" test $rc -eq 0
check "a skip is counted as a skip, not a pass" \
	grep -q 'skipped: 1 passed, 0 failed, 1 skipped' "$h/skipped.out"
t_done
