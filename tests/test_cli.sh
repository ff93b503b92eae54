#!/usr/bin/env bash
# Tests of the `baton` command-line tool: real outcomes (records, final
# state, exit status) on the seed's trip-booking model and small models.
#
#   test_cli.sh PATH/TO/baton
#
# Needs BATON_CORPUS and BATON_MODELS (set by meson test) and python3.
set -eu

BATON=${1:?usage: test_cli.sh PATH/TO/baton}
CORPUS=${BATON_CORPUS:?BATON_CORPUS is not set}
MODELS=${BATON_MODELS:?BATON_MODELS is not set}
TRIP=$CORPUS/seed/trip-booking-saga-serverless__zeebe__aws__trip-booking.bpmn
SAGA=$MODELS/trip-booking-saga.bpmn
# Still refused: message intermediate catch events.
UNSUPPORTED=$CORPUS/seed/flowing-retail__kafka__java__order-zeebe__src__main__resources__order-kafka.bpmn

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
checks=0
current=""

fail() {
    failures=$((failures + 1))
    echo "FAIL [$current] $*" >&2
    echo "  command: baton ${last_args:-}" >&2
    sed 's/^/  stdout: /' "$tmp/out" >&2 || true
    sed 's/^/  stderr: /' "$tmp/err" >&2 || true
}

ok() {
    checks=$((checks + 1))
}

# baton ARGS...: runs the tool, keeping stdout, stderr and the status.
baton() {
    last_args="$*"
    status=0
    "$BATON" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
}

# Reads the output of `baton run`: records, then the state line.
inspect() {
    python3 - "$@" "$tmp/out" <<'PY'
import json, sys

args, path = sys.argv[1:-1], sys.argv[-1]
lines = [l for l in open(path, encoding="utf-8").read().splitlines() if l]
if not lines:
    sys.exit("no output")
last = json.loads(lines[-1])
records = [json.loads(l) for l in lines[:-1]]
for r in records:
    for k in ("valueType", "intent", "key", "position", "value"):
        if k not in r:
            sys.exit("record without %r: %r" % (k, r))
mode = args[0]
if mode == "path":
    # Tasks and end events completed, in order.
    print(" ".join(r["value"]["elementId"] for r in records
                   if r["valueType"] == "PROCESS_INSTANCE"
                   and r["intent"] == "ELEMENT_COMPLETED"
                   and r["value"].get("bpmnElementType") in
                       ("SERVICE_TASK", "END_EVENT", "MANUAL_TASK",
                        "USER_TASK", "TASK")))
elif mode == "state":
    if set(last) - {"state", "variables", "incidents"}:
        sys.exit("unexpected keys in the state line: %r" % sorted(last))
    if not isinstance(last.get("variables"), dict):
        sys.exit("no variables object in the state line")
    print(last["state"])
elif mode == "var":
    print(json.dumps(last["variables"].get(args[1]), sort_keys=True))
elif mode == "incident":
    inc = last.get("incidents") or []
    print(" ".join("%s@%s" % (i["type"], i["elementId"]) for i in inc))
elif mode == "tasks":
    # Tasks completed, in order (end events left out).
    print(" ".join(r["value"]["elementId"] for r in records
                   if r["valueType"] == "PROCESS_INSTANCE"
                   and r["intent"] == "ELEMENT_COMPLETED"
                   and r["value"].get("bpmnElementType") in
                       ("SERVICE_TASK", "MANUAL_TASK", "USER_TASK", "TASK",
                        "SEND_TASK", "SCRIPT_TASK", "BUSINESS_RULE_TASK")))
elif mode == "ends":
    # End events completed, in order.
    print(" ".join(r["value"]["elementId"] for r in records
                   if r["valueType"] == "PROCESS_INSTANCE"
                   and r["intent"] == "ELEMENT_COMPLETED"
                   and r["value"].get("bpmnElementType") == "END_EVENT"))
elif mode == "elements":
    # Element ids of the records of one value type and intent, in order.
    vt, intent = args[1:3]
    print(" ".join(r["value"].get("elementId", "?") for r in records
                   if r["valueType"] == vt and r["intent"] == intent))
elif mode == "mentions":
    # How many records, of any type, concern one of the elements.
    print(sum(1 for r in records if r["value"].get("elementId") in args[1:]))
elif mode == "count":
    vt, intent, element = args[1:4]
    print(sum(1 for r in records
              if r["valueType"] == vt and r["intent"] == intent
              and r["value"].get("elementId") == element))
else:
    sys.exit("unknown mode " + mode)
PY
}

expect_status() {
    if [ "$status" -eq "$1" ]; then ok; else fail "exit status $status, expected $1"; fi
}

expect_eq() { # WHAT GOT EXPECTED
    if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', expected '$3'"; fi
}

expect_grep() { # FILE REGEX
    if grep -Eq -- "$2" "$tmp/$1"; then ok; else fail "$1 does not match /$2/"; fi
}

expect_state() { # STATUS STATE
    expect_status "$1"
    expect_eq "state" "$(inspect state 2>&1)" "$2"
}

# ------------------------------------------------------------------ #
# The seed's trip-booking saga: gateways and a chain of cancel tasks.  #
# ------------------------------------------------------------------ #

ok_hotel='ServiceTask_BookHotel=complete:{"bookHotelResult":{"success":true}}'
ok_car='ServiceTask_BookCar=complete:{"bookCarResult":{"success":true}}'
ok_flight='ServiceTask_BookFlight=complete:{"bookFlightResult":{"success":true}}'
ko_hotel='ServiceTask_BookHotel=complete:{"bookHotelResult":{"success":false}}'
ko_car='ServiceTask_BookCar=complete:{"bookCarResult":{"success":false}}'
ko_flight='ServiceTask_BookFlight=complete:{"bookFlightResult":{"success":false}}'
booked="ServiceTask_BookHotel ServiceTask_BookCar ServiceTask_BookFlight"

current="trip: every booking succeeds"
baton run "$TRIP" --records --job "$ok_hotel" --job "$ok_car" --job "$ok_flight"
expect_state 0 completed
expect_eq "path" "$(inspect path)" "$booked EndEvent_1x8sklw"
expect_eq "bookFlightResult" "$(inspect var bookFlightResult)" '{"success": true}'

current="trip: the hotel fails"
baton run "$TRIP" --records --job "$ko_hotel"
expect_state 0 completed
expect_eq "path" "$(inspect path)" \
    "ServiceTask_BookHotel ServiceTask_CancelHotel EndEvent_0nrvuxz"

current="trip: the car fails"
baton run "$TRIP" --records --job "$ok_hotel" --job "$ko_car"
expect_state 0 completed
expect_eq "path" "$(inspect path)" \
    "ServiceTask_BookHotel ServiceTask_BookCar ServiceTask_CancelCar ServiceTask_CancelHotel EndEvent_0nrvuxz"

current="trip: the flight fails"
baton run "$TRIP" --records --job "$ok_hotel" --job "$ok_car" --job "$ko_flight"
expect_state 0 completed
expect_eq "path" "$(inspect path)" \
    "$booked ServiceTask_CancelFlight ServiceTask_CancelCar ServiceTask_CancelHotel EndEvent_0nrvuxz"
expect_eq "bookFlightResult" "$(inspect var bookFlightResult)" '{"success": false}'

current="trip: an element-id match wins over a type match"
baton run "$TRIP" --records \
    --job 'lambda=complete:{"bookHotelResult":{"success":true},"bookCarResult":{"success":true},"bookFlightResult":{"success":true}}' \
    --job "$ko_car"
expect_state 0 completed
expect_eq "path" "$(inspect path)" \
    "ServiceTask_BookHotel ServiceTask_BookCar ServiceTask_CancelCar ServiceTask_CancelHotel EndEvent_0nrvuxz"

current="trip: a failure then a completion is a retry"
baton run "$TRIP" --records --job 'ServiceTask_BookHotel=fail:timeout' \
    --job "$ok_hotel" --job "$ok_car" --job "$ok_flight"
expect_state 0 completed
expect_eq "path" "$(inspect path)" "$booked EndEvent_1x8sklw"
expect_eq "failed jobs" "$(inspect count JOB FAILED ServiceTask_BookHotel)" 1

current="trip: a --job that matches nothing is reported"
baton run "$TRIP" --job "$ok_hotel" --job "$ok_car" --job "$ok_flight" \
    --job 'ServiceTask_BookBoat=complete'
expect_state 0 completed
expect_grep err "no job matched --job 'ServiceTask_BookBoat=complete'"

current="trip: without --records only the state line is printed"
baton run "$TRIP" --job "$ok_hotel" --job "$ok_car" --job "$ok_flight"
expect_state 0 completed
expect_eq "lines" "$(wc -l <"$tmp/out" | tr -d ' ')" 1

current="trip: wait leaves the instance waiting"
baton run "$TRIP" --records --job "$ok_hotel" --job ServiceTask_BookCar=wait
expect_state 3 waiting
expect_eq "path" "$(inspect path)" "ServiceTask_BookHotel"

current="trip: a job failing forever ends in an incident"
baton run "$TRIP" --records --job lambda=fail:boom
expect_state 4 incident
expect_eq "incidents" "$(inspect incident)" "JOB_NO_RETRIES@ServiceTask_BookHotel"
expect_eq "failed jobs" "$(inspect count JOB FAILED ServiceTask_BookHotel)" 3
expect_grep out '"message": "[^"]*boom"'

current="trip: an uncaught BPMN error ends in an incident"
baton run "$TRIP" --job "$ok_hotel" --job 'ServiceTask_BookCar=error:NO_CARS:none left'
expect_state 4 incident
expect_eq "incidents" "$(inspect incident)" "UNHANDLED_ERROR_EVENT@ServiceTask_BookCar"

current="trip: a gateway whose conditions cannot be evaluated"
baton run "$TRIP"
expect_state 4 incident
expect_eq "incidents" "$(inspect incident)" "CONDITION_ERROR@ExclusiveGateway_18dnlxl"

current="trip: --vars"
baton run "$TRIP" --vars '{"traveller":"Ada","nights":3}' \
    --job "$ok_hotel" --job "$ok_car" --job "$ko_flight"
expect_state 0 completed
expect_eq "traveller" "$(inspect var traveller)" '"Ada"'
expect_eq "nights" "$(inspect var nights)" 3

# ------------------------------------------------------------------ #
# The saga with BPMN compensation: an error boundary event on the      #
# flight, then a compensation throw that runs the cancel tasks of the  #
# completed bookings in reverse order of completion.                  #
# ------------------------------------------------------------------ #

cancels="CancelCar CancelHotel CancelFlight"

current="saga: every booking succeeds"
baton run "$SAGA" --records
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "ReserveCar BookHotel BookFlight"
expect_eq "end events" "$(inspect ends)" "EndEvent_TripBooked"
for id in $cancels; do
    expect_eq "$id activated" \
        "$(inspect count PROCESS_INSTANCE ELEMENT_ACTIVATED "$id")" 0
done
# shellcheck disable=SC2086
expect_eq "records of a cancel task" "$(inspect mentions $cancels)" 0
expect_eq "compensation log" \
    "$(inspect elements COMPENSATION_SUBSCRIPTION CREATED)" \
    "ReserveCar BookHotel BookFlight"
expect_eq "compensations" \
    "$(inspect elements COMPENSATION_SUBSCRIPTION TRIGGERED)" ""

current="saga: the flight fails, the bookings are cancelled in reverse"
baton run "$SAGA" --records --job BookFlight=error:FLIGHT_BOOKING_FAILED
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" \
    "ReserveCar BookHotel CancelHotel CancelCar"
expect_eq "last end event" "$(inspect ends | awk '{print $NF}')" \
    "EndEvent_TripCancelled"
expect_eq "end events" "$(inspect ends)" "EndEvent_TripCancelled"
expect_eq "CancelFlight records" "$(inspect mentions CancelFlight)" 0
expect_eq "error thrown" "$(inspect count JOB ERROR_THROWN BookFlight)" 1
expect_eq "BookFlight completed" \
    "$(inspect count PROCESS_INSTANCE ELEMENT_COMPLETED BookFlight)" 0
expect_eq "compensation log" \
    "$(inspect elements COMPENSATION_SUBSCRIPTION CREATED)" \
    "ReserveCar BookHotel"
expect_eq "compensations started" \
    "$(inspect elements COMPENSATION_SUBSCRIPTION TRIGGERED)" \
    "BookHotel ReserveCar"
expect_eq "compensations done" \
    "$(inspect elements COMPENSATION_SUBSCRIPTION COMPLETED)" \
    "BookHotel ReserveCar"

current="saga: an uncaught BPMN error ends in an incident"
baton run "$SAGA" --records --job BookHotel=error:HOTEL_GONE
expect_state 4 incident
expect_eq "incidents" "$(inspect incident)" "UNHANDLED_ERROR_EVENT@BookHotel"
expect_eq "tasks" "$(inspect tasks)" "ReserveCar"
expect_eq "end events" "$(inspect ends)" ""
expect_eq "compensations" \
    "$(inspect elements COMPENSATION_SUBSCRIPTION TRIGGERED)" ""
expect_grep out '"errorType": ?"UNHANDLED_ERROR_EVENT"'

# The seed's compensation models, each with its own failing task.
seed_serverless=$CORPUS/seed/trip-booking-saga-serverless__camunda__workflow__trip-compensation.bpmn
seed_java=$CORPUS/seed/trip-booking-saga-java__docs__trip.bpmn
seed_csharp=$CORPUS/seed/flowing-trip-booking-saga-c-sharp__Models__FlowingTripBookingSaga.bpmn

current="seed: serverless Camunda saga, the flight fails"
baton run "$seed_serverless" --records \
    --job 'ServiceTask_BookFlight=error:io.berndruecker.serverless.aws.lambda.LambdaInvocationError'
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" \
    "ServiceTask_BookHotel ServiceTask_BookCar ServiceTask_CancelCar ServiceTask_CancelHotel ServiceTask_SendCanceledEvent"
expect_eq "end events" "$(inspect ends)" "EndEvent_TripCanceled"
expect_eq "ServiceTask_CancelFlight records" \
    "$(inspect mentions ServiceTask_CancelFlight)" 0

current="seed: Java saga, the flight fails"
baton run "$seed_java" --records --job flight=error:java.lang.Throwable
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "car hotel CancelHotel CancelCar"
expect_eq "end events" "$(inspect ends)" \
    "endEvent_6730a56a-cab8-45fb-b588-4b00e7b08019"
expect_eq "CancelFlight records" "$(inspect mentions CancelFlight)" 0

# This model books the hotel before the car, so the car is cancelled first.
current="seed: C# saga, the flight fails"
baton run "$seed_csharp" --records --job Activity-Book-flight=error:BookingFailed
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" \
    "Activity-Book-hotel Activity-Reserve-car Activity-Cancel-car-compensation Activity-Cancel-hotel-compensation"
expect_eq "end events" "$(inspect ends)" "ErrorHandled"
expect_eq "Activity-Cancel-flight-compensation records" \
    "$(inspect mentions Activity-Cancel-flight-compensation)" 0

# ------------------------------------------------------------------ #
# Small models.                                                        #
# ------------------------------------------------------------------ #

head='<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://example.com">'

cat >"$tmp/terminate.bpmn" <<XML
$head
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="work"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="stop"/>
    <bpmn:serviceTask id="work">
      <bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
XML

# As Zeebe, a terminate end event terminates the other elements of its
# scope and the process instance then completes.
current="terminate end event"
baton run "$tmp/terminate.bpmn" --records
expect_state 0 completed
expect_eq "path" "$(inspect path)" "stop"
expect_eq "work terminated" \
    "$(inspect count PROCESS_INSTANCE ELEMENT_TERMINATED work)" 1
expect_eq "job cancelled" "$(inspect count JOB CANCELED work)" 1

cat >"$tmp/parallel.bpmn" <<XML
$head
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="a"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="b"/>
    <bpmn:serviceTask id="a">
      <bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="b">
      <bpmn:extensionElements><zeebe:taskDefinition type="t"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
XML

current="parallel: successive jobs of one type take successive actions"
baton run "$tmp/parallel.bpmn" --job 't=complete:{"x":1}' --job 't=complete:{"y":2}'
expect_state 0 completed
expect_eq "x" "$(inspect var x)" 1
expect_eq "y" "$(inspect var y)" 2

current="parallel: one branch waits"
baton run "$tmp/parallel.bpmn" --records --job b=wait
expect_state 3 waiting
expect_eq "path" "$(inspect path)" "a"

current="--process picks a process; an unknown one is refused"
baton run "$tmp/parallel.bpmn" --process p
expect_state 0 completed
baton run "$tmp/terminate.bpmn" --process nope
expect_status 1
expect_eq "stdout" "$(cat "$tmp/out")" ""

# ------------------------------------------------------------------ #
# Refusals.                                                            #
# ------------------------------------------------------------------ #

printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">' \
    '  <bpmn:process id="p" isExecutable="true">' \
    '    <bpmn:startEvent id="s">' \
    '  </bpmn:process>' >"$tmp/malformed.bpmn"

current="a malformed model"
baton run "$tmp/malformed.bpmn"
expect_status 1
expect_grep err "^$tmp/malformed.bpmn:[0-9]+: "
expect_eq "stdout" "$(cat "$tmp/out")" ""

current="an unsupported model is refused with its element"
baton run "$UNSUPPORTED"
expect_status 1
expect_eq "stderr" "$(cat "$tmp/err")" \
    "$UNSUPPORTED:42: intermediateCatchEvent 'IntermediateThrowEvent_1531zpf': intermediateCatchEvent is not supported"
expect_eq "stdout" "$(cat "$tmp/out")" ""

cat >"$tmp/two.bpmn" <<XML
$head
  <bpmn:process id="first" isExecutable="true">
    <bpmn:startEvent id="s1"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s1" targetRef="e1"/>
    <bpmn:endEvent id="e1"/>
  </bpmn:process>
  <bpmn:process id="draft" isExecutable="false">
    <bpmn:startEvent id="s3"/>
  </bpmn:process>
  <bpmn:process id="second" isExecutable="true">
    <bpmn:startEvent id="s2"/>
    <bpmn:sequenceFlow id="f2" sourceRef="s2" targetRef="e2"/>
    <bpmn:endEvent id="e2"/>
  </bpmn:process>
</bpmn:definitions>
XML

current="several executable processes and no --process: they are listed"
baton run "$tmp/two.bpmn" --records
expect_status 1
expect_eq "stderr" "$(cat "$tmp/err")" \
    "$tmp/two.bpmn: the model has 2 executable processes: first, second; choose one with --process"
expect_eq "stdout" "$(cat "$tmp/out")" ""
baton run "$tmp/two.bpmn" --process second --records
expect_state 0 completed
expect_eq "path" "$(inspect path)" "e2"

current="run and check word an unreadable file alike"
for model in "$tmp/missing.bpmn" "$tmp"; do
    if [ "$model" = "$tmp" ]; then reason="Is a directory"
    else reason="No such file or directory"; fi
    baton run "$model"
    expect_status 1
    expect_eq "run stderr" "$(cat "$tmp/err")" "$model: cannot read: $reason"
    expect_eq "run stdout" "$(cat "$tmp/out")" ""
    baton check "$model"
    expect_status 1
    expect_eq "check stdout" "$(cat "$tmp/out")" "$model: cannot read: $reason"
    expect_eq "check stderr" "$(cat "$tmp/err")" ""
done

printf '%s\n' '{"traveller": "Ada",' '"nights": 3}' >"$tmp/vars.json"
printf '%s\n' '{"traveller":' '["Ada"}' >"$tmp/bad-vars.json"

current="--vars @FILE reads the variables from a file"
baton run "$TRIP" --vars "@$tmp/vars.json" \
    --job "$ok_hotel" --job "$ok_car" --job "$ok_flight"
expect_state 0 completed
expect_eq "traveller" "$(inspect var traveller)" '"Ada"'
expect_eq "nights" "$(inspect var nights)" 3
baton run "$TRIP" "--vars=@$tmp/vars.json" \
    --job "$ok_hotel" --job "$ok_car" --job "$ok_flight"
expect_state 0 completed
expect_eq "nights" "$(inspect var nights)" 3

current="--vars @- reads the variables from standard input"
baton run "$TRIP" --vars @- --job "$ok_hotel" --job "$ok_car" \
    --job "$ok_flight" <"$tmp/vars.json"
expect_state 0 completed
expect_eq "traveller" "$(inspect var traveller)" '"Ada"'
expect_eq "nights" "$(inspect var nights)" 3

current="--vars @FILE: a missing or unreadable file"
baton run "$TRIP" --records --vars "@$tmp/missing.json"
expect_status 1
expect_eq "stderr" "$(cat "$tmp/err")" \
    "$tmp/missing.json: cannot read: No such file or directory"
expect_eq "stdout" "$(cat "$tmp/out")" ""
baton run "$TRIP" --records --vars "@$tmp"
expect_status 1
expect_eq "stderr" "$(cat "$tmp/err")" "$tmp: cannot read: Is a directory"
expect_eq "stdout" "$(cat "$tmp/out")" ""

current="--vars @FILE: invalid JSON is refused at its line in the file"
baton run "$TRIP" --records --vars "@$tmp/bad-vars.json"
expect_status 1
expect_grep err "^$tmp/bad-vars.json:2: .*invalid JSON"
expect_eq "stderr lines" "$(wc -l <"$tmp/err" | tr -d ' ')" 1
expect_eq "stdout" "$(cat "$tmp/out")" ""
baton run "$TRIP" --vars @- <"$tmp/bad-vars.json"
expect_status 1
expect_grep err "^<stdin>:2: .*invalid JSON"

current="--vars that is not a JSON object"
baton run "$TRIP" --vars '[1, 2'
expect_status 1
expect_grep err "--vars"
baton run "$TRIP" --vars '[1, 2]'
expect_status 1


# ------------------------------------------------------------------ #
# Usage.                                                               #
# ------------------------------------------------------------------ #

# usage MESSAGE ARGS...: a usage error is exit 2, nothing on stdout, and
# on stderr one line saying what is wrong and a hint, never the whole help.
usage() {
    local msg=$1 hint=baton
    shift
    case "${1:-}" in run|check) hint="baton $1" ;; esac
    current="usage: baton $*"
    baton "$@"
    expect_status 2
    expect_eq "stderr" "$(cat "$tmp/err")" "$msg
try '$hint --help'"
    expect_eq "stdout" "$(cat "$tmp/out")" ""
}

actions="ACTION is complete[:JSON], fail[:MESSAGE], error:CODE[:MESSAGE] or wait"
usage "baton: no command given (run or check)"
usage "baton: unknown command 'frobnicate'" frobnicate
usage "baton run: no MODEL given" run
usage "baton run: no MODEL given" run --records
usage "baton run: unknown option '--bogus'" run "$TRIP" --bogus
usage "baton run: more than one MODEL ('$TRIP', '$SAGA')" run "$TRIP" "$SAGA"
usage "baton run: --job needs a value" run "$TRIP" --job
usage "baton run: --max-jobs '0': expected a positive number" \
    run "$TRIP" --max-jobs 0
usage "baton run: --vars '@': expected @FILE or @- (standard input)" \
    run "$TRIP" --vars @
usage "baton check: no MODEL given" check
usage "baton check: unknown option '--bogus'" check --bogus "$TRIP"

# A malformed --job is refused before anything is loaded or run: with
# --records, no record is printed; a missing model is not even read.
for model in "$TRIP" "$tmp/missing.bpmn"; do
    usage "baton run: --job 'nomatch': expected MATCH=ACTION" \
        run "$model" --records --job nomatch
    usage "baton run: --job '=complete': expected MATCH=ACTION" \
        run "$model" --records --job =complete
    usage "baton run: --job 'X=explode': $actions" \
        run "$model" --records --job "$ok_hotel" --job X=explode
    usage "baton run: --job 'X=wait:1': $actions" \
        run "$model" --records --job X=wait:1
    usage "baton run: --job 'X=error': error needs a CODE (error:CODE)" \
        run "$model" --records --job X=error
    usage "baton run: --job 'X=complete:[1]': expected a JSON object after complete:" \
        run "$model" --records --job 'X=complete:[1]'
    usage "baton run: --job 'X=complete:': expected a JSON object after complete:" \
        run "$model" --records --job X=complete:
done

current="usage: a --job whose JSON is not valid"
baton run "$TRIP" --records --job "$ok_hotel" \
    --job 'ServiceTask_BookCar=complete:{oops'
expect_status 2
expect_eq "stderr lines" "$(wc -l <"$tmp/err" | tr -d ' ')" 2
expect_grep err "^baton run: --job 'ServiceTask_BookCar=complete:\{oops': invalid JSON at line 1, column [0-9]+: .+"
expect_grep err "^try 'baton run --help'\$"
expect_eq "stdout" "$(cat "$tmp/out")" ""

current="--help and --version"
baton --help
expect_status 0
expect_grep out "^usage: baton run MODEL"
baton run --help
expect_status 0
expect_grep out "--job MATCH=ACTION"
baton --version
expect_status 0
expect_grep out '^baton [0-9]+\.[0-9]+\.[0-9]+$'

# ------------------------------------------------------------------ #
# check.                                                               #
# ------------------------------------------------------------------ #

current="check: a model that can run"
baton check "$TRIP"
expect_status 0
expect_eq "output" "$(cat "$tmp/out" "$tmp/err")" ""

current="check: the compensation saga can run"
baton check "$SAGA"
expect_status 0
expect_eq "output" "$(cat "$tmp/out" "$tmp/err")" ""

current="check: a model with message catch events"
baton check "$UNSUPPORTED"
expect_status 1
expect_eq "output" "$(cat "$tmp/out")" \
"$UNSUPPORTED:42: intermediateCatchEvent IntermediateThrowEvent_1531zpf: intermediateCatchEvent is not supported
$UNSUPPORTED:48: intermediateCatchEvent IntermediateThrowEvent_0660fen: intermediateCatchEvent is not supported
$UNSUPPORTED:54: intermediateCatchEvent IntermediateThrowEvent_1s6m7rf: intermediateCatchEvent is not supported"
expect_eq "stderr" "$(cat "$tmp/err")" ""

current="check: several models, one bad"
baton check "$TRIP" "$tmp/terminate.bpmn" "$tmp/malformed.bpmn"
expect_status 1
expect_grep out "^$tmp/malformed.bpmn:[0-9]+: "
if grep -q "$TRIP" "$tmp/out"; then fail "the good model was reported"; else ok; fi

echo "$checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
