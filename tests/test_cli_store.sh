#!/usr/bin/env bash
# Tests of the `baton` tool's commands over a store (deploy, start,
# publish, signal, worker, jobs, instances, instance, incidents, resolve,
# cancel), driven through the real binary: on a fresh SQLite file, and on
# a fresh schema of PostgreSQL when BATON_TEST_PG is set (meson runs this
# under tests/pg/with_pg.sh, which sets it).
#
#   test_cli_store.sh PATH/TO/baton MODELS_DIR
#
# Needs python3 (to read JSON), and psql for the PostgreSQL half.
set -eu

BATON=${1:?usage: test_cli_store.sh PATH/TO/baton MODELS_DIR}
MODELS=${2:?usage: test_cli_store.sh PATH/TO/baton MODELS_DIR}
case $BATON in
    /*) ;;
    *) BATON=$PWD/$BATON ;;
esac
case $MODELS in
    /*) ;;
    *) MODELS=$PWD/$MODELS ;;
esac
SAGA=$MODELS/trip-booking-saga.bpmn
RECEIVE=$MODELS/events-flight-receive.bpmn
STARTS=$MODELS/host-starts.bpmn

tmp=$(mktemp -d)
bg_pid=
cleanup() {
    if [ -n "$bg_pid" ]; then
        kill -KILL "$bg_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
unset BATON_STORE

. "$(dirname "$0")/cli_checks.sh"

# bs ARGS...: the same with --store of the current suite.
bs() {
    local cmd=$1
    shift
    if [ "$cmd" = jobs ] && [ $# -gt 0 ]; then
        local sub=$1
        shift
        baton jobs "$sub" --store "$URI" "$@"
    else
        baton "$cmd" --store "$URI" "$@"
    fi
}

# The whole of stdout.
expect_out() {
    local got
    got=$(cat "$tmp/out")
    if [ "$got" = "$1" ]; then ok; else fail "stdout: want '$1'"; fi
}

expect_empty_out() {
    if [ ! -s "$tmp/out" ]; then ok; else fail "stdout is not empty"; fi
}

expect_err() {
    local got
    got=$(cat "$tmp/err")
    if [ "$got" = "$1" ]; then ok; else fail "stderr: want '$1'"; fi
}

expect_err_lacks() {
    if grep -qF -- "$1" "$tmp/err"; then fail "stderr has '$1'"; else ok; fi
}

# py EXPR: evaluates a Python expression over d, the JSON of stdout (or,
# for JSON lines, lines: the list of objects), and prints it.
py() {
    python3 - "$tmp/out" "$1" <<'PY'
import json, sys

text = open(sys.argv[1], encoding="utf-8").read()
lines = [json.loads(l) for l in text.splitlines() if l.strip()]
d = lines[0] if len(lines) == 1 else lines

def tasks(kind="SERVICE_TASK", intent="ELEMENT_COMPLETED"):
    return " ".join(h["record"]["value"]["elementId"] for h in d["history"]
                    if h["record"]["intent"] == intent
                    and h["record"]["value"].get("bpmnElementType") == kind)

r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True))
PY
}

expect_py() {
    local got
    got=$(py "$1" 2>&1) || true
    if [ "$got" = "$2" ]; then ok; else fail "$1: got '$got', want '$2'"; fi
}

expect_key() {
    if grep -qxE '[1-9][0-9]*' "$tmp/out"; then ok; else fail "stdout is not a key"; fi
}

# start PROCESS [ARGS...]: starts an instance, sets $key.
start() {
    bs start "$@"
    expect_status 0
    expect_key
    key=$(cat "$tmp/out")
}

# The state of instance $1.
expect_state() {
    bs instance "$1" --json
    expect_status 0
    expect_py 'd["state"]' "$2"
}

# activate TYPE: activates one job of TYPE as the shell worker, sets $job
# (empty when there was none).
activate() {
    bs jobs activate "$1" --worker shell --max 1 --lock PT1M
    expect_status 0
    job=
    if [ -s "$tmp/out" ]; then
        job=$(py 'd["key"]')
    fi
}

suite() {
    local kind=$1
    URI=$2

    # ---- Deploy -------------------------------------------------------
    current="$kind deploy"
    bs deploy "$SAGA"
    expect_status 0
    expect_out "TripBookingSaga version 1 (new)"
    bs deploy "$SAGA"
    expect_status 0
    expect_out "TripBookingSaga version 1 (unchanged)"
    bs deploy --json "$RECEIVE"
    expect_status 0
    expect_out '[{"processId":"FlightReceive","version":1,"new":true}]'
    bs deploy "$tmp/missing.bpmn"
    expect_status 1
    expect_err "$tmp/missing.bpmn: cannot read: No such file or directory"
    printf '<definitions>' >"$tmp/bad.bpmn"
    bs deploy "$tmp/bad.bpmn"
    expect_status 1
    expect_err_has "baton: cannot deploy: $tmp/bad.bpmn:1:"

    # ---- An external worker in other processes: jobs activate and jobs
    # complete from the shell carry a saga through its compensation. ------
    current="$kind external jobs"
    start TripBookingSaga --vars '{"trip":"T-1"}' --business-key trip-1
    local k1=$key
    activate ReserveCar
    expect_py 'd["processInstanceKey"]' "$k1"
    expect_py 'd["variables"]' '{"trip": "T-1"}'
    expect_py 'sorted(d)' '["customHeaders", "deadline", "elementId", "key", "processId", "processInstanceKey", "retries", "type", "variables"]'
    local j=$job
    # Locked: another worker gets nothing.
    activate ReserveCar
    expect_empty_out
    bs jobs complete "$j" --vars '{"car":"C-7"}'
    expect_status 0
    expect_empty_out
    # Completed once: again is refused.
    bs jobs complete "$j"
    expect_status 1
    expect_err_has "baton: job $j is not waiting"
    activate BookHotel
    bs jobs complete "$job" --vars @- <<<'{"hotel":"H-1"}'
    expect_status 0
    activate BookFlight
    bs jobs error "$job" --code FLIGHT_BOOKING_FAILED --message "no seats"
    expect_status 0
    # Compensation in reverse order: the hotel first, the car after.
    activate CancelCar
    expect_empty_out
    activate CancelHotel
    [ -n "$job" ] && ok || fail "no CancelHotel job"
    bs jobs complete "$job"
    expect_status 0
    activate CancelCar
    [ -n "$job" ] && ok || fail "no CancelCar job"
    bs jobs complete "$job"
    expect_status 0
    bs instance "$k1" --json
    expect_status 0
    expect_py 'd["state"]' COMPLETED
    expect_py 'd["businessKey"]' trip-1
    expect_py 'd["variables"]' '{"car": "C-7", "hotel": "H-1", "trip": "T-1"}'
    expect_py 'tasks()' "ReserveCar BookHotel CancelHotel CancelCar"
    bs instance "$k1"
    expect_status 0
    if grep -qE '^state +COMPLETED$' "$tmp/out"; then ok; else fail "no state line"; fi
    if grep -qE '^business key +trip-1$' "$tmp/out"; then ok; else fail "no business key line"; fi

    # ---- worker --exec: commands complete jobs and throw a BPMN error ----
    current="$kind worker --exec"
    start TripBookingSaga --vars '{"trip":"T-2"}'
    local k2=$key
    echo '{"trip":"T-3","fail":true}' >"$tmp/vars3.json"
    start TripBookingSaga --vars "@$tmp/vars3.json"
    local k3=$key
    : >"$tmp/env.log"
    bs worker --until-idle --concurrency 2 --lease PT30S \
        --exec 'ReserveCar=printf "{\"car\":\"C-%s\"}" "$BATON_ELEMENT_ID"' \
        --exec 'BookHotel=python3 -c "import json,sys; v=json.load(sys.stdin); print(json.dumps({\"hotel\": \"H-\" + v[\"trip\"]}))"' \
        --exec 'BookFlight=if grep -q "\"fail\":true"; then echo "{\"bpmnError\": {\"code\": \"FLIGHT_BOOKING_FAILED\", \"message\": \"no seats\"}}"; else echo "  {\"flight\":\"F-1\"}  "; fi' \
        --exec "CancelHotel=echo \"\$BATON_JOB_TYPE \$BATON_ELEMENT_ID \$BATON_PROCESS_INSTANCE_KEY \$BATON_JOB_RETRIES \$BATON_JOB_HEADERS\" >>'$tmp/env.log'" \
        --exec "CancelCar=echo \"\$BATON_JOB_TYPE \$BATON_ELEMENT_ID \$BATON_PROCESS_INSTANCE_KEY \$BATON_JOB_RETRIES \$BATON_JOB_HEADERS\" >>'$tmp/env.log'; echo '   '"
    expect_status 0
    expect_empty_out
    bs instance "$k2" --json
    expect_py 'd["state"]' COMPLETED
    expect_py 'tasks()' "ReserveCar BookHotel BookFlight"
    expect_py 'd["variables"]' '{"car": "C-ReserveCar", "flight": "F-1", "hotel": "H-T-2", "trip": "T-2"}'
    bs instance "$k3" --json
    expect_py 'd["state"]' COMPLETED
    expect_py 'tasks()' "ReserveCar BookHotel CancelHotel CancelCar"
    expect_py 'tasks("SERVICE_TASK", "ELEMENT_ACTIVATED")' "ReserveCar BookHotel BookFlight CancelHotel CancelCar"
    expect_py 'tasks("BOUNDARY_EVENT", "ELEMENT_COMPLETED")' "BookFlight_Error BookHotel_Compensation ReserveCar_Compensation"
    expect_py 'tasks("END_EVENT", "ELEMENT_COMPLETED")' "EndEvent_TripCancelled"
    local envlog
    envlog=$(cat "$tmp/env.log")
    if [ "$envlog" = "CancelHotel CancelHotel $k3 3 {}
CancelCar CancelCar $k3 3 {}" ]; then ok; else
        fail "the commands' environment: $envlog"; fi

    # ---- Incidents: a job failed with no retries left, then resolved ----
    current="$kind incidents"
    start TripBookingSaga
    local k4=$key
    activate ReserveCar
    bs jobs fail "$job" --retries 0 --message "car service down"
    expect_status 0
    expect_state "$k4" INCIDENT
    bs incidents --json
    expect_status 0
    expect_py 'len(d)' 1
    expect_py '[d[0]["instanceKey"], d[0]["type"], d[0]["elementId"], d[0]["jobKey"]]' "[$k4, \"JOB_NO_RETRIES\", \"ReserveCar\", $job]"
    expect_py 'd[0]["message"]' "the job failed with no retries left: car service down"
    local inc
    inc=$(py 'd[0]["key"]')
    bs incidents
    expect_status 0
    if head -n 1 "$tmp/out" | grep -qE '^KEY +INSTANCE +TYPE +ELEMENT +JOB +CREATED +MESSAGE$'; then ok; else fail "incidents header"; fi
    if grep -qE "^$inc +$k4 +JOB_NO_RETRIES +ReserveCar +$job +[0-9T:-]+Z +the job failed with no retries left: car service down\$" "$tmp/out"; then ok; else fail "incidents row"; fi
    bs resolve "$inc"
    expect_status 0
    expect_empty_out
    bs resolve "$inc"
    expect_status 1
    expect_err_has "baton: "
    expect_state "$k4" WAITING
    bs incidents --json
    expect_out "[]"
    activate ReserveCar
    [ -n "$job" ] && ok || fail "no ReserveCar job after resolve"

    # A command that fails: its retries count down (a non-zero status with
    # standard error, output that is no JSON object), then an incident.
    current="$kind worker failures"
    start TripBookingSaga
    local k5=$key
    bs worker --until-idle --exec 'ReserveCar=case $BATON_JOB_RETRIES in 3) echo "not json";; 2) echo "[1, 2]";; *) printf "  car service\n down  \n" >&2; exit 3;; esac'
    expect_status 0
    expect_err_has "(job retries left: 2): the command's output is not a JSON object: invalid JSON at line 1"
    expect_err_has "(job retries left: 1): the command's output is not a JSON object"
    expect_state "$k5" INCIDENT
    bs instance "$k5" --json
    expect_py 'd["incidents"][0]["message"]' "the job failed with no retries left: car service
 down"

    # ---- Cancel -----------------------------------------------------------
    current="$kind cancel"
    bs cancel "$k5"
    expect_status 0
    expect_empty_out
    expect_state "$k5" TERMINATED
    bs cancel "$k5"
    expect_status 1
    expect_err_has "already ended"
    bs cancel 99999999999
    expect_status 1
    expect_err "baton: no instance 99999999999"

    # ---- Listing instances -------------------------------------------------
    current="$kind instances"
    bs instances --state COMPLETED --json
    expect_status 0
    expect_py '[i["key"] for i in d]' "[$k3, $k2, $k1]"
    expect_py 'sorted(set(i["state"] for i in d))' '["COMPLETED"]'
    bs instances --state terminated --json
    expect_py '[i["key"] for i in d]' "[$k5]"
    bs instances --json
    expect_py '[i["key"] for i in d]' "[$k5, $k4, $k3, $k2, $k1]"
    bs instances --state COMPLETED
    expect_status 0
    if head -n 1 "$tmp/out" | grep -qE '^KEY +PROCESS +VERSION +STATE +INCIDENTS +UPDATED +BUSINESS_KEY$'; then ok; else fail "instances header"; fi
    if grep -qE "^$k1 +TripBookingSaga +1 +COMPLETED +0 +[0-9T:-]+Z +trip-1\$" "$tmp/out"; then ok; else fail "instances row"; fi
    if [ "$(wc -l <"$tmp/out")" -eq 4 ]; then ok; else fail "not 4 lines"; fi
    bs instances --limit 2 --json
    expect_py '[i["key"] for i in d]' "[$k5, $k4]"
    # The store from the environment.
    BATON_STORE=$URI baton instances --state WAITING --json
    expect_status 0
    expect_py '[i["key"] for i in d]' "[$k4]"

    # ---- Messages: kept with a time to live, unique by id -------------------
    current="$kind publish"
    bs publish airline-callback --key B-1 --vars '{"seat":"12A"}' --ttl PT1M --id cb-1
    expect_status 0
    expect_empty_out
    bs publish airline-callback --key B-1 --ttl PT1M --id cb-1
    expect_status 1
    expect_err_has "baton: "
    expect_err_has "cb-1"
    start FlightReceive --vars '{"bookingId":"B-1"}'
    local ka=$key
    start FlightReceive --vars '{"bookingId":"B-2"}'
    local kb=$key
    bs worker --until-idle --exec 'book-flight=exit 0' --exec 'confirm-trip=cat >/dev/null'
    expect_status 0
    # a took the kept message when it began to wait; b still waits.
    bs instance "$ka" --json
    expect_py 'd["state"]' COMPLETED
    expect_py 'd["variables"]' '{"bookingId": "B-1", "seat": "12A"}'
    bs instance "$kb" --json
    expect_py 'd["state"]' WAITING
    expect_py '[(s["elementId"], s["name"], s["correlationKey"]) for s in d["messageSubscriptions"]]' '[["WaitForAirline", "airline-callback", "B-2"]]'
    bs instance "$kb"
    if grep -qE '^  message +WaitForAirline +airline-callback +B-2$' "$tmp/out"; then ok; else fail "no subscription line"; fi
    bs publish airline-callback --key B-2 --vars '{"seat":"3C"}'
    expect_status 0
    expect_out "correlated $kb"
    bs publish airline-callback --key B-404 --json
    expect_status 0
    expect_py '[d["correlated"], d["started"], isinstance(d["messageKey"], int)]' '[[], [], true]'
    bs worker --until-idle --exec 'confirm-trip=cat >/dev/null'
    expect_state "$kb" COMPLETED

    # ---- Signals and start events ------------------------------------------
    current="$kind signal"
    bs deploy "$STARTS"
    expect_status 0
    expect_out "Hourly version 1 (new)
OnOrder version 1 (new)
OnAlarm version 1 (new)
AllClear version 1 (new)"
    bs signal alarm
    expect_status 0
    expect_out 1
    bs signal nobody-listens --json
    expect_status 0
    expect_out '{"instances":0}'
    bs instances --state WAITING --process OnAlarm --json
    expect_py 'len(d)' 1
    local kalarm
    kalarm=$(py 'd[0]["key"]')
    bs signal all-clear --vars '{"clear":true}'
    expect_out 1
    bs worker --until-idle
    expect_status 0
    expect_state "$kalarm" COMPLETED
    bs publish order-placed --vars '{"order":7}'
    expect_status 0
    if grep -qxE 'started [1-9][0-9]*' "$tmp/out"; then ok; else fail "publish did not start"; fi

    # ---- Large variables through a command's pipes --------------------------
    current="$kind large"
    python3 -c 'import json; print(json.dumps({"blob": "x" * 3000000, "n": 1}))' >"$tmp/big.json"
    start TripBookingSaga --vars "@$tmp/big.json"
    local k6=$key
    bs worker --until-idle --concurrency 4 \
        --exec 'ReserveCar=python3 -c "import json,sys; v=json.load(sys.stdin); v[\"n\"]=len(v[\"blob\"]); print(json.dumps(v)); sys.stderr.write(\"e\" * 3000000)"'
    expect_status 0
    bs instance "$k6" --json
    expect_py '[d["state"], d["variables"]["n"], len(d["variables"]["blob"])]' '["WAITING", 3000000, 3000000]'
    expect_py '[j["type"] for j in d["jobs"]]' '["BookHotel"]'
    bs cancel "$k6"
    expect_status 0

    # ---- SIGTERM: the running command finishes, its result is kept ---------
    current="$kind SIGTERM"
    start TripBookingSaga
    local k7=$key
    rm -f "$tmp/started"
    "$BATON" worker --store "$URI" \
        --exec "ReserveCar=touch '$tmp/started'; sleep 1; echo '{\"slept\":true}'" \
        >"$tmp/wout" 2>"$tmp/werr" &
    bg_pid=$!
    local waited=0
    while [ ! -e "$tmp/started" ] && [ $waited -lt 200 ]; do
        sleep 0.05
        waited=$((waited + 1))
    done
    kill -TERM "$bg_pid"
    status=0
    wait "$bg_pid" || status=$?
    bg_pid=
    last_args="worker (SIGTERM)"
    expect_status 0
    bs instance "$k7" --json
    expect_py '[d["variables"], [j["type"] for j in d["jobs"]]]' '[{"slept": true}, ["BookHotel"]]'
    bs cancel "$k7"
    expect_status 0

    # ---- Usage errors: exit status 2, nothing done -------------------------
    current="$kind usage"
    for args in "start" "start a b" "instances --state RUNNING" \
                "instances extra" "instance abc" "instance" "cancel 0" \
                "resolve -1" "jobs activate ReserveCar" \
                "jobs activate ReserveCar --worker w --max 0" \
                "jobs activate ReserveCar --worker w --lock P1M" \
                "jobs complete" "jobs complete 12x" "jobs fail 5" \
                "jobs fail 5 --retries -1" "jobs fail 5 --retries 1 --backoff PT" \
                "jobs error 5" "jobs frobnicate" "jobs" \
                "publish" "publish m --ttl P1Y" "publish m --ttl 1.5" \
                "publish m --ttl PT1H30" "publish m --nope" \
                "worker --exec ReserveCar" "worker --exec =x" \
                "worker --exec a=x --exec a=y" "worker --concurrency 0" \
                "worker --lease PT0S" "worker --until-idle=1" \
                "deploy" "signal" "incidents x"; do
        # shellcheck disable=SC2086
        bs $args
        expect_status 2
        expect_err_has "try 'baton"
    done
    baton frobnicate
    expect_status 2
    baton start --store "mysql://u:pw@host/db" P
    expect_status 2
    expect_err_lacks "pw"
    BATON_STORE=nonsense baton instances
    expect_status 2
    expect_err_has "BATON_STORE: unknown kind of store"
    # Nothing was done by the refused commands.
    bs instances --json
    expect_py 'len(d)' 11
}

# ---- Once: the default store, and a password never printed ---------------
current="default store"
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$BATON" deploy "$SAGA" >"$tmp/out" 2>"$tmp/err") && status=0 || status=$?
last_args="deploy (in an empty folder)"
expect_status 0
[ -f "$tmp/cwd/baton.db" ] && ok || fail "no baton.db in the working folder"
current="password"
baton instances --store 'postgresql://someone:s3cret-pw@127.0.0.1:1/db?connect_timeout=2'
expect_status 1
expect_err_has "baton: "
expect_err_lacks "s3cret"
baton --help
expect_status 0
if grep -q "baton worker" "$tmp/out"; then ok; else fail "--help lacks the worker"; fi
baton worker --help
expect_status 0
if grep -q "BATON_JOB_HEADERS" "$tmp/out"; then ok; else fail "worker --help"; fi

suite sqlite "sqlite:$tmp/store.db"

if [ -n "${BATON_TEST_PG:-}" ]; then
    if command -v psql >/dev/null 2>&1; then
        schema="cli_store_$$_$RANDOM"
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
