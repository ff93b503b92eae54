#!/usr/bin/env bash
# Tests of `baton migrate` through the real binary: sagas of the trip
# saga's version 1 moved to version 2 (tests/models/trip-booking-saga-v2.bpmn:
# BookHotel renamed ReserveHotel, ConfirmTrip added) with a plan file, a
# dry run, a refused plan (exit status 1 with the reasons), the batch
# form --all, and usage errors; on a fresh SQLite file, and on a fresh
# schema of PostgreSQL when BATON_TEST_PG is set (meson runs this under
# tests/pg/with_pg.sh).
#
#   test_cli_migrate.sh PATH/TO/baton MODELS_DIR
#
# Needs python3 (to read JSON), and psql for the PostgreSQL half.
set -eu

BATON=${1:?usage: test_cli_migrate.sh PATH/TO/baton MODELS_DIR}
MODELS=${2:?usage: test_cli_migrate.sh PATH/TO/baton MODELS_DIR}
case $BATON in
    /*) ;;
    *) BATON=$PWD/$BATON ;;
esac
case $MODELS in
    /*) ;;
    *) MODELS=$PWD/$MODELS ;;
esac
V1=$MODELS/trip-booking-saga.bpmn
V2=$MODELS/trip-booking-saga-v2.bpmn
USERTASK=$MODELS/trip-booking-saga-usertask.bpmn

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset BATON_STORE

. "$(dirname "$0")/cli_checks.sh"

bs() {
    local cmd=$1
    shift
    if [ "$cmd" = jobs ]; then
        local sub=$1
        shift
        baton jobs "$sub" --store "$URI" "$@"
    else
        baton "$cmd" --store "$URI" "$@"
    fi
}

# py EXPR: a Python expression over d, the JSON of stdout.
py() {
    python3 - "$tmp/out" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
print(eval(sys.argv[2]))
PY
}

expect_py() {
    local got
    got=$(py "$1" 2>&1) || true
    if [ "$got" = "$2" ]; then ok; else fail "$1: got '$got', want '$2'"; fi
}

expect_out_has() {
    if grep -qF -- "$1" "$tmp/out"; then ok; else fail "stdout lacks '$1'"; fi
}

# The instance's version and the element of its one job, as "V ELEMENT".
expect_at() {
    bs instance "$1" --json
    expect_status 0
    expect_py '"%d %s" % (d["version"], " ".join(j["elementId"] for j in d["jobs"]))' "$2"
}

# Completes the one job of instance $1.
complete_job() {
    bs instance "$1" --json
    local j
    j=$(py 'd["jobs"][0]["key"]')
    bs jobs complete "$j"
    expect_status 0
}

start() {
    bs start TripBookingSaga --vars '{"tripId": "T"}'
    expect_status 0
    key=$(cat "$tmp/out")
}

cat >"$tmp/plan.json" <<'JSON'
{"mappings": [{"sourceElementId": "BookHotel", "targetElementId": "ReserveHotel"}]}
JSON
echo '[1, 2]' >"$tmp/array.json"
echo '{"mappings": ' >"$tmp/broken.json"

suite() {
    local kind=$1
    URI=$2

    current="$kind setup"
    bs deploy "$V1"
    expect_status 0
    start; a=$key
    start; b=$key
    start; c=$key
    complete_job "$a"
    complete_job "$b"
    expect_at "$a" "1 BookHotel"
    bs deploy "$V2"
    expect_status 0
    expect_out_has "TripBookingSaga version 2 (new)"

    # ---- One instance: refused, dry run, moved ---------------------------
    current="$kind refused"
    bs migrate "$a" TripBookingSaga 2
    expect_status 1
    expect_err_has "baton: instance $a cannot move to TripBookingSaga version 2:"
    expect_err_has "  BookHotel: "
    expect_at "$a" "1 BookHotel"
    bs migrate "$a" TripBookingSaga 2 --json
    expect_status 1
    expect_py '[r["elementId"] for r in d["refused"]]' "['BookHotel']"

    current="$kind dry run"
    bs migrate "$a" TripBookingSaga 2 --plan "$tmp/plan.json" --dry-run
    expect_status 0
    expect_out_has "TripBookingSaga version 1 -> TripBookingSaga version 2 (dry run: nothing changed)"
    expect_out_has "  BookHotel -> ReserveHotel"
    expect_at "$a" "1 BookHotel"

    current="$kind migrate"
    bs migrate "$a" TripBookingSaga 2 --plan "$tmp/plan.json" --json
    expect_status 0
    expect_py '[(m["sourceElementId"], m["targetElementId"]) for m in d["moved"] if m["sourceElementId"] == "BookHotel"]' "[('BookHotel', 'ReserveHotel')]"
    expect_at "$a" "2 ReserveHotel"
    # The plan from standard input: migrating again to the same version
    # moves by id; BookHotel is no element of version 2 to map any more.
    echo '{"mappings": []}' | "$BATON" migrate --store "$URI" "$a" \
        TripBookingSaga 2 --plan - >"$tmp/out" 2>"$tmp/err" && status=0 || status=$?
    last_args="migrate $a TripBookingSaga 2 --plan -"
    expect_status 0
    expect_at "$a" "2 ReserveHotel"
    complete_job "$a"
    complete_job "$a"
    expect_at "$a" "2 ConfirmTrip"
    complete_job "$a"
    bs instance "$a" --json
    expect_py 'd["state"]' COMPLETED
    expect_py 'any(e["record"]["intent"] == "MIGRATED" for e in d["history"])' True

    # Another kind where the saga waits: refused whatever the plan.
    current="$kind other kind"
    bs deploy "$USERTASK"
    expect_status 0
    bs migrate "$b" TripBookingSaga 3
    expect_status 1
    expect_err_has "BookHotel"
    expect_at "$b" "1 BookHotel"

    # ---- The batch -------------------------------------------------------
    current="$kind --all"
    bs migrate --all TripBookingSaga 1 2 --dry-run
    expect_status 1
    expect_out_has "would migrate $c"
    expect_out_has "refused $b"
    expect_out_has "  BookHotel: "
    expect_at "$c" "1 ReserveCar"
    bs migrate --all TripBookingSaga 1 2 --plan "$tmp/plan.json" --json
    expect_status 0
    expect_py 'sorted(d["migrated"]) == sorted([int(k) for k in "'"$b $c"'".split()]) and d["refused"] == []' True
    expect_at "$b" "2 ReserveHotel"
    expect_at "$c" "2 ReserveCar"
    bs migrate --all TripBookingSaga 1 2
    expect_status 0
    if [ ! -s "$tmp/out" ]; then ok; else fail "nothing was left to move"; fi

    # ---- What can be dropped: version 1 runs nothing now ------------------
    current="$kind deployments"
    bs deployments
    expect_status 0
    expect_out_has "DROPPABLE"
    bs deployments --json
    expect_status 0
    expect_py '[(x["version"], x["droppable"]) for x in sorted(d, key=lambda x: x["version"])]' \
        "[(1, True), (2, False), (3, False)]"

    # ---- Errors ----------------------------------------------------------
    current="$kind errors"
    bs migrate "$b" TripBookingSaga 9
    expect_status 1
    expect_err_has "version 9"
    bs migrate "$b" TripBookingSaga 2 --plan "$tmp/array.json"
    expect_status 1
    expect_err_has "not a JSON object"
    bs migrate "$b" TripBookingSaga 2 --plan "$tmp/broken.json"
    expect_status 1
    bs migrate "$b" TripBookingSaga 2 --plan "$tmp/missing.json"
    expect_status 1
    expect_err_has "missing.json"
    bs migrate 99999999999 TripBookingSaga 2
    expect_status 1
    expect_at "$b" "2 ReserveHotel"
    for args in "migrate" "migrate 1" "migrate 1 P" "migrate x P 2" \
                "migrate 1 P 0" "migrate 1 P two" "migrate 1 P 2 extra" \
                "migrate --all P 1" "migrate --all P x 2" \
                "migrate 1 P 2 --plan" "migrate 1 P 2 --dry-run=1"; do
        # shellcheck disable=SC2086
        bs $args
        expect_status 2
        expect_err_has "try 'baton"
    done
}

current="help"
baton migrate --help
expect_status 0
expect_out_has "--dry-run"
baton --help
expect_status 0
expect_out_has "baton migrate KEY PROCESS_ID VERSION"

suite sqlite "sqlite:$tmp/store.db"

if [ -n "${BATON_TEST_PG:-}" ]; then
    if command -v psql >/dev/null 2>&1; then
        schema="cli_migrate_$$_$RANDOM"
        if psql -q -v ON_ERROR_STOP=1 "$BATON_TEST_PG" \
                -c "CREATE SCHEMA $schema" >/dev/null; then
            case $BATON_TEST_PG in
                *\?*) pg_uri="$BATON_TEST_PG&options=-csearch_path%3D$schema" ;;
                *) pg_uri="$BATON_TEST_PG?options=-csearch_path%3D$schema" ;;
            esac
            suite postgresql "$pg_uri"
            psql -q "$BATON_TEST_PG" -c "DROP SCHEMA $schema CASCADE" \
                >/dev/null 2>&1 || true
        else
            failures=$((failures + 1))
            echo "FAIL cannot create a schema in BATON_TEST_PG" >&2
        fi
    else
        echo "psql not found: the PostgreSQL half is skipped" >&2
    fi
else
    echo "BATON_TEST_PG is not set: the PostgreSQL half is skipped" >&2
fi

finish
