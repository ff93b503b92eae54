#!/usr/bin/env bash
# Tests of `baton test` through the real binary: the trip-booking saga's
# scenario files pass (exact summary line), deliberately failing scenarios
# (tests/test-scenarios/) exit 1 with the path side by side and the
# unsettled job named, and usage errors exit 2.
#
#   test_cli_test.sh PATH/TO/baton SOURCE_ROOT
set -eu

BATON=${1:?usage: test_cli_test.sh PATH/TO/baton SOURCE_ROOT}
ROOT=${2:?usage: test_cli_test.sh PATH/TO/baton SOURCE_ROOT}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

fail() { echo "FAIL: $*"; cat "$OUT"; exit 1; }

# The examples pass, one line per case and the summary.
"$BATON" test "$ROOT/examples/trip-booking/tests" >"$OUT" || fail "examples: exit $?"
[ "$(tail -n 1 "$OUT")" = "2 passed, 0 failed" ] || fail "examples: summary"
[ "$(grep -c '^ok ' "$OUT")" -eq 2 ] || fail "examples: ok lines"

# A wrong path and a forgotten job fail with what differs.
rc=0
"$BATON" test "$ROOT/tests/test-scenarios" >"$OUT" || rc=$?
[ $rc -eq 1 ] || fail "failing scenarios: exit $rc, expected 1"
[ "$(tail -n 1 "$OUT")" = "0 passed, 2 failed" ] || fail "failing: summary"
grep -q '^FAIL .*wrong-path.test.json: a deliberately wrong expectation' \
    "$OUT" || fail "FAIL line"
grep -Eq '^  ! BookFlight +BookHotel$' "$OUT" || fail "side by side path"
grep -Eq '^  ! BookHotel +BookFlight$' "$OUT" || fail "side by side path"
grep -q 'no "state" step expects; waiting jobs: BookHotel (BookHotel)' \
    "$OUT" || fail "unsettled job"
grep -q 'last 8 records:' "$OUT" || fail "last records"

# One file given by name; usage errors.
"$BATON" test "$ROOT/examples/trip-booking/tests/saga.test.json" >"$OUT" ||
    fail "one file"
rc=0; "$BATON" test --bogus >"$OUT" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
rc=0; "$BATON" test "$ROOT/no/such/dir" >"$OUT" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "missing path: exit $rc"
echo "ok"
