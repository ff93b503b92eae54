#!/usr/bin/env bash
# Tests of `baton test` through the real binary: the trip-booking saga's
# scenario files pass (exact summary line), deliberately failing scenarios
# (tests/test-scenarios/) exit 1 with the path side by side and the
# unsettled job named, --junit writes JUnit XML that python3 parses
# (escaped names included), the coverage table has the exact numbers of
# the saga and --coverage-min fails below them, and usage errors exit 2.
#
#   test_cli_test.sh PATH/TO/baton SOURCE_ROOT
set -eu

BATON=${1:?usage: test_cli_test.sh PATH/TO/baton SOURCE_ROOT}
ROOT=${2:?usage: test_cli_test.sh PATH/TO/baton SOURCE_ROOT}
OUT=$(mktemp)
XML=$(mktemp)
trap 'rm -f "$OUT" "$XML"' EXIT

fail() { echo "FAIL: $*"; cat "$OUT"; exit 1; }

# The examples pass, one line per case and the summary.
"$BATON" test "$ROOT/examples/trip-booking/tests" >"$OUT" || fail "examples: exit $?"
grep -qx "4 passed, 0 failed" "$OUT" || fail "examples: summary"
[ "$(grep -c '^ok ' "$OUT")" -eq 4 ] || fail "examples: ok lines"

# A wrong path and a forgotten job fail with what differs.
rc=0
"$BATON" test "$ROOT/tests/test-scenarios" >"$OUT" || rc=$?
[ $rc -eq 1 ] || fail "failing scenarios: exit $rc, expected 1"
grep -qx "0 passed, 2 failed" "$OUT" || fail "failing: summary"
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

# Coverage of the saga: of its 14 flow nodes the two cases reach all but
# BookFlight_Compensation and CancelFlight, and all 6 flows: 18/20.
"$BATON" test "$ROOT/examples/trip-booking/tests" >"$OUT" || fail "coverage run"
grep -Eq '^PROCESS +ELEMENTS +FLOWS +COVERAGE$' "$OUT" || fail "coverage header"
grep -Eq '^TripBookingSaga +12/14 +6/6 +90\.0%$' "$OUT" || fail "coverage row"
grep -Eq '^FlightTimeout +9/9 +8/8 +100\.0%$' "$OUT" ||
    fail "coverage row of the timeout model"
"$BATON" test --coverage-min 90 "$ROOT/examples/trip-booking/tests" \
    >"$OUT" || fail "--coverage-min 90: exit $?"
rc=0
"$BATON" test --coverage-min 91 "$ROOT/examples/trip-booking/tests" \
    >"$OUT" || rc=$?
[ $rc -eq 1 ] || fail "--coverage-min 91: exit $rc, expected 1"
grep -qx 'coverage of TripBookingSaga is below 91%' "$OUT" ||
    fail "--coverage-min names the process"
grep -qx "4 passed, 0 failed" "$OUT" || fail "--coverage-min summary"
for bad in 101 -1 x ''; do
    rc=0; "$BATON" test --coverage-min "$bad" >"$OUT" 2>&1 || rc=$?
    [ $rc -eq 2 ] || fail "--coverage-min '$bad': exit $rc"
done
rc=0; "$BATON" test --junit >"$OUT" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--junit without FILE: exit $rc"

# JUnit XML: a suite per file, a failure's message, an escaped name.
rc=0
"$BATON" test --junit "$XML" "$ROOT/tests/test-scenarios" \
    "$ROOT/tests/test-scenarios-junit" \
    "$ROOT/examples/trip-booking/tests/saga.test.json" \
    >"$OUT" || rc=$?
[ $rc -eq 1 ] || fail "junit run: exit $rc"
python3 - "$XML" <<'PY' || fail "junit XML"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
assert root.get("tests") == "5" and root.get("failures") == "3", root.attrib
float(root.get("time"))
suites = root.findall("testsuite")
names = [s.get("name").rsplit("/", 2)[-2] + "/" + s.get("name").rsplit("/", 1)[-1]
         for s in suites]
assert names == ["test-scenarios/forgotten-job.test.json",
                 "test-scenarios/wrong-path.test.json",
                 "test-scenarios-junit/escaped.test.json",
                 "tests/saga.test.json"], names
counts = [(s.get("tests"), s.get("failures")) for s in suites]
assert counts == [("1", "1"), ("1", "1"), ("1", "1"), ("2", "0")], counts
cases = root.findall("./testsuite/testcase")
assert [c.get("name") for c in cases] == [
    "a job nobody settles", "a deliberately wrong expectation",
    'odd <&"> name', "happy path: car, hotel and flight booked",
    "flight fails: the hotel, then the car cancelled"], cases
for c in cases:
    assert c.get("classname") == c.get("classname").strip()
    float(c.get("time"))
f = cases[1].find("failure")
assert f.get("message") == "path differs:", f.get("message")
assert "! BookFlight" in f.text, f.text
f = cases[2].find("failure")
assert f.get("message").startswith("state: expected completed, actual "
                                   "waiting"), f.get("message")
assert cases[3].find("failure") is None
PY
rc=0; "$BATON" test --junit /no/such/dir/x.xml \
    "$ROOT/examples/trip-booking/tests" >"$OUT" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "unwritable --junit: exit $rc"
grep -q 'cannot write the JUnit report' "$OUT" || fail "unwritable message"
echo "ok"
