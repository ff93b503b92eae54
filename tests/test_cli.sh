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
# Still refused: multi-instance activities.
UNSUPPORTED=$CORPUS/zeebe/bpmn-model/AdHocSubProcess.bpmn
# Refused at six conditions written '==' instead of FEEL's '='.
NOT_FEEL=$CORPUS/seed/trip-booking-saga-serverless__zeebe__gcp__trip-booking.bpmn
# flowing-retail's Zeebe order process, which waits for three messages.
ORDER=$CORPUS/seed/flowing-retail__kafka__java__order-zeebe__src__main__resources__order-kafka.bpmn
# The flight-timeout models: an event-based gateway, a timer boundary event
# on a service task, and one on a receive task.
RACE=$MODELS/events-flight-timeout.bpmn
BOUNDARY=$MODELS/events-flight-boundary.bpmn
RECEIVE=$MODELS/events-flight-receive.bpmn

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/cli_checks.sh"

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
    if set(last) - {"state", "variables", "incidents", "nextDue",
                    "subscriptions"}:
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
elif mode == "events":
    # The records of one value type, one per line: intent, element (or
    # "-"), then the due date, message name and key or signal name.
    for r in records:
        if r["valueType"] != args[1]:
            continue
        v = r["value"]
        line = [r["intent"], v.get("elementId") or
                v.get("targetElementId") or v.get("catchEventId") or "-"]
        if "dueDate" in v:
            line += [v["dueDateIso"], str(v["dueDate"])]
        if "messageName" in v:
            line += [v["messageName"], v["correlationKey"]]
        if "signalName" in v:
            line.append(v["signalName"])
        print(" ".join(line))
elif mode == "waits":
    # What the state line says the instance waits for: when it is next
    # due, then its open subscriptions, one per line.
    print(last.get("nextDue", "-"))
    for s in last.get("subscriptions", []):
        print(" ".join(str(s.get(k, "-")) for k in
                       ("kind", "elementId", "name", "correlationKey",
                        "due")))
elif mode == "due-in":
    # Minutes from now to the first timer's due date.
    import time
    due = next(r["value"]["dueDate"] for r in records
               if r["valueType"] == "TIMER")
    print(round((due - time.time() * 1000) / 60000))
else:
    sys.exit("unknown mode " + mode)
PY
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
# Events and time: --now sets the clock, each --then is applied when   #
# the instance waits (a message, a signal, the clock moving, a job     #
# settled late, a cancellation).                                       #
# ------------------------------------------------------------------ #

now=2024-05-01T10:00:00Z
due="2024-05-01T12:00:00.000Z 1714564800000" # 2 hours later
b1='{"bookingId": "B1"}'

current="race: the airline's callback comes first"
baton run "$RACE" --now $now --vars "$b1" --records \
    --then message:airline-callback:B1
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight ConfirmTrip"
expect_eq "end events" "$(inspect ends)" "TripConfirmed"
expect_eq "timer" "$(inspect events TIMER)" \
"CREATED CallbackTimeout $due
CANCELED CallbackTimeout $due"
expect_eq "message" "$(inspect events MESSAGE_SUBSCRIPTION)" \
"CREATED - airline-callback B1
CORRELATED - airline-callback B1"
expect_eq "the instance's side" \
    "$(inspect events PROCESS_MESSAGE_SUBSCRIPTION)" \
"CREATED AirlineCallback airline-callback B1
CORRELATED AirlineCallback airline-callback B1"
expect_eq "catch event completed" \
    "$(inspect count PROCESS_INSTANCE ELEMENT_COMPLETED AirlineCallback)" 1
expect_eq "CancelFlight records" "$(inspect mentions CancelFlight)" 0

current="race: two hours pass first"
baton run "$RACE" --now $now --vars "$b1" --records --then advance:PT2H
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight CancelFlight"
expect_eq "end events" "$(inspect ends)" "TripCancelled"
expect_eq "timer" "$(inspect events TIMER)" \
"CREATED CallbackTimeout $due
TRIGGERED CallbackTimeout $due"
expect_eq "message" "$(inspect events MESSAGE_SUBSCRIPTION)" \
"CREATED - airline-callback B1
DELETED - airline-callback B1"
expect_eq "timer event completed" \
    "$(inspect count PROCESS_INSTANCE ELEMENT_COMPLETED CallbackTimeout)" 1
expect_eq "ConfirmTrip records" "$(inspect mentions ConfirmTrip)" 0

current="race: nothing happens yet; the state line says what it waits for"
baton run "$RACE" --now $now --vars "$b1" --records
expect_state 3 waiting
expect_eq "waits" "$(inspect waits)" \
"2024-05-01T12:00:00.000Z
message AirlineCallback airline-callback B1 -
timer CallbackTimeout - - 2024-05-01T12:00:00.000Z"

current="race: a minute short of the timeout, then the minute"
baton run "$RACE" --now $now --vars "$b1" --records --then advance:PT1H59M
expect_state 3 waiting
expect_eq "tasks" "$(inspect tasks)" "BookFlight"
expect_eq "next due" "$(inspect waits | head -n 1)" "2024-05-01T12:00:00.000Z"
baton run "$RACE" --now $now --vars "$b1" --records \
    --then advance:PT1H59M --then advance:PT1M
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight CancelFlight"

current="race: --now with an offset, and the system's clock by default"
baton run "$RACE" --now 2024-05-01T12:00:00.250+02:00 --vars "$b1" --records
expect_state 3 waiting
expect_eq "timer" "$(inspect events TIMER)" \
    "CREATED CallbackTimeout 2024-05-01T12:00:00.250Z 1714564800250"
baton run "$RACE" --vars "$b1" --records
expect_state 3 waiting
expect_eq "minutes to the timeout" "$(inspect due-in)" 120

current="race: a message with variables"
baton run "$RACE" --now $now --vars "$b1" \
    --then 'message:airline-callback:B1:{"seat": "12A"}'
expect_state 0 completed
expect_eq "seat" "$(inspect var seat)" '"12A"'

current="race: a message nothing waits for"
baton run "$RACE" --now $now --vars "$b1" --then message:airline-callback:B2
expect_state 1 waiting
expect_eq "stderr" "$(cat "$tmp/err")" \
    "baton: --then message:airline-callback:B2: no open subscription matched"
baton run "$RACE" --now $now --vars "$b1" --then message:airline-callback
expect_status 1
expect_grep err "^baton: --then message:airline-callback: no open subscription matched\$"

current="race: an action left over is reported"
baton run "$RACE" --now $now --vars "$b1" \
    --then message:airline-callback:B1 --then advance:PT2H
expect_state 0 completed
expect_eq "stderr" "$(cat "$tmp/err")" \
    "baton: warning: --then advance:PT2H was not applied"

current="boundary: the job is completed before the timeout"
baton run "$BOUNDARY" --now $now --records --job WaitForAirline=wait \
    --then advance:PT1H --then 'complete:WaitForAirline:{"confirmed": true}'
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight WaitForAirline ConfirmTrip"
expect_eq "end events" "$(inspect ends)" "TripConfirmed"
expect_eq "timer" "$(inspect events TIMER)" \
"CREATED CallbackTimeout $due
CANCELED CallbackTimeout $due"
expect_eq "confirmed" "$(inspect var confirmed)" true

current="boundary: the timeout interrupts the task"
baton run "$BOUNDARY" --now $now --records --job WaitForAirline=wait \
    --then advance:PT2H
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight CancelFlight"
expect_eq "end events" "$(inspect ends)" "TripCancelled"
expect_eq "timer" "$(inspect events TIMER)" \
"CREATED CallbackTimeout $due
TRIGGERED CallbackTimeout $due"
expect_eq "task terminated" \
    "$(inspect count PROCESS_INSTANCE ELEMENT_TERMINATED WaitForAirline)" 1
expect_eq "job cancelled" "$(inspect count JOB CANCELED WaitForAirline)" 1

current="boundary: fail then complete the waiting job"
baton run "$BOUNDARY" --now $now --records --job WaitForAirline=wait \
    --then fail:WaitForAirline:busy --then complete:WaitForAirline
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight WaitForAirline ConfirmTrip"
expect_eq "failed" "$(inspect count JOB FAILED WaitForAirline)" 1
expect_grep out '"retries":2,"errorCode":"","errorMessage":"busy"'

current="boundary: a BPMN error nothing catches"
baton run "$BOUNDARY" --now $now --job WaitForAirline=wait \
    --then 'error:WaitForAirline:NO_SEATS:sold out'
expect_state 4 incident
expect_eq "incidents" "$(inspect incident)" "UNHANDLED_ERROR_EVENT@WaitForAirline"

current="boundary: cancel"
baton run "$BOUNDARY" --now $now --records --job WaitForAirline=wait \
    --then cancel
expect_state 5 terminated
expect_eq "timer" "$(inspect events TIMER)" \
"CREATED CallbackTimeout $due
CANCELED CallbackTimeout $due"

current="boundary: no waiting job of the element"
baton run "$BOUNDARY" --now $now --job WaitForAirline=wait \
    --then complete:ConfirmTrip
expect_state 1 waiting
expect_eq "stderr" "$(cat "$tmp/err")" \
    "baton: --then complete:ConfirmTrip: no waiting job of ConfirmTrip"

# Years and months are calendar months: a month after January 31st is
# the last day of February. The timer starts when BookFlight completes.
current="boundary: advance by a calendar month"
baton run "$BOUNDARY" --now 2024-01-31T10:00:00Z --job BookFlight=wait \
    --job WaitForAirline=wait --then advance:P1M --then complete:BookFlight
expect_state 3 waiting
expect_eq "next due" "$(inspect waits | head -n 1)" "2024-02-29T12:00:00.000Z"
baton run "$BOUNDARY" --now $now --job BookFlight=wait \
    --job WaitForAirline=wait --then advance:P1W2DT30M1.5S \
    --then complete:BookFlight
expect_eq "next due" "$(inspect waits | head -n 1)" "2024-05-10T12:30:01.500Z"

current="receive task: the message comes first"
baton run "$RECEIVE" --now $now --vars "$b1" --records \
    --then message:airline-callback:B1
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight ConfirmTrip"
expect_eq "message" "$(inspect events MESSAGE_SUBSCRIPTION)" \
"CREATED - airline-callback B1
CORRELATED - airline-callback B1"
expect_eq "timer" "$(inspect events TIMER)" \
"CREATED CallbackTimeout $due
CANCELED CallbackTimeout $due"

current="receive task: the timeout interrupts it"
baton run "$RECEIVE" --now $now --vars "$b1" --records --then advance:PT2H
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" "BookFlight CancelFlight"
expect_eq "end events" "$(inspect ends)" "TripCancelled"
expect_eq "task terminated" \
    "$(inspect count PROCESS_INSTANCE ELEMENT_TERMINATED WaitForAirline)" 1

current="flowing-retail: the order process and its three messages"
baton run "$ORDER" --now $now --records \
    --job 'retrieve-payment=complete:{"CorrelationId_RetrievePayment": "p1"}' \
    --job 'fetch-goods=complete:{"CorrelationId_FetchGoods": "g1"}' \
    --job 'ship-goods=complete:{"CorrelationId_ShipGoods": "s1"}' \
    --then message:PaymentReceivedEvent:p1 \
    --then message:GoodsFetchedEvent:g1 \
    --then message:GoodsShippedEvent:s1
expect_state 0 completed
expect_eq "tasks" "$(inspect tasks)" \
    "ServiceTask_0qrnrfc ServiceTask_026x4p7 ServiceTask_1hyum3r ServiceTask_13y5061"
expect_eq "correlated" \
    "$(inspect events MESSAGE_SUBSCRIPTION | grep CORRELATED)" \
"CORRELATED - PaymentReceivedEvent p1
CORRELATED - GoodsFetchedEvent g1
CORRELATED - GoodsShippedEvent s1"

cat >"$tmp/signal.bpmn" <<XML
$head
  <bpmn:signal id="go" name="go"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:signalEventDefinition signalRef="go"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
XML

current="signal: delivered, and one nothing waits for"
baton run "$tmp/signal.bpmn" --now $now --records --then 'signal:go:{"x": 1}'
expect_state 0 completed
expect_eq "path" "$(inspect path)" "end"
expect_eq "signal" "$(inspect events SIGNAL_SUBSCRIPTION)" \
"CREATED wait go
DELETED wait go"
expect_eq "x" "$(inspect var x)" 1
baton run "$tmp/signal.bpmn" --now $now --then signal:stop
expect_state 1 waiting
expect_eq "stderr" "$(cat "$tmp/err")" \
    "baton: --then signal:stop: no open subscription matched"
expect_eq "waits" "$(inspect waits)" "-
signal wait go - -"

# A malformed --then is refused before the model is read (a missing
# model is not even opened), with the action named.
current="a malformed --then"
for spec in advance:PT2 advance:P1H advance:-PT1H advance advance:PT1.1234567891S \
        'message:airline-callback:B1:{oops' message::B1 'signal:go:[1]' \
        complete: 'complete:X:' error:X error:X: cancel:now frobnicate; do
    baton run "$tmp/missing.bpmn" --records --then "$spec"
    expect_status 1
    expect_grep err "^baton: --then $(printf '%s' "$spec" | sed 's/[][{}().*+?^$|\\]/\\&/g'): .+"
    expect_eq "stderr lines" "$(wc -l <"$tmp/err" | tr -d ' ')" 1
    expect_eq "stdout" "$(cat "$tmp/out")" ""
done
baton run "$tmp/missing.bpmn" --then advance:P10000Y
expect_eq "too far" "$(cat "$tmp/err")" \
    "baton: --then advance:P10000Y: the duration is longer than 9999 years"
baton run "$tmp/missing.bpmn" --then frobnicate
expect_eq "unknown action" "$(cat "$tmp/err")" \
    "baton: --then frobnicate: ACTION is advance:DURATION, message:NAME[:KEY[:JSON]], signal:NAME[:JSON], complete:ELEMENT_ID[:JSON], fail:ELEMENT_ID[:MESSAGE], error:ELEMENT_ID:CODE[:MESSAGE] or cancel"

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

current="run: a call activity calls another process of the document"
cat >"$tmp/calls.bpmn" <<'XML'
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">
  <process id="trip" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="Call"/>
    <callActivity id="Call"><extensionElements><zeebe:calledElement processId="leg"/></extensionElements></callActivity>
  </process>
  <process id="leg" isExecutable="true">
    <startEvent id="ls"/><sequenceFlow id="g1" sourceRef="ls" targetRef="Reserve"/>
    <serviceTask id="Reserve"><extensionElements><zeebe:taskDefinition type="reserve"/></extensionElements></serviceTask>
  </process>
</definitions>
XML
baton run "$tmp/calls.bpmn" --process trip --vars '{"leg":"hotel"}' \
    --job 'reserve=complete:{"booking":"H-1"}'
expect_status 0
expect_eq "stdout" "$(cat "$tmp/out")" \
    '{"state": "completed", "variables": {"leg":"hotel","booking":"H-1"}}'

current="an unsupported model is refused with its element"
baton run "$UNSUPPORTED"
expect_status 1
expect_eq "stderr" "$(cat "$tmp/err")" \
    "$UNSUPPORTED:12: adHocSubProcess 'adhocsubprocess': adHocSubProcess is not supported"
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
usage "baton run: --then needs a value" run "$RACE" --then
usage "baton run: --now needs a value" run "$RACE" --now
for when in 2024-05-01 2024-05-01T10:00:00 '2024-05-01 10:00:00Z' \
        2024-05-01T10:00Z 2024-05-01T10:00:00.1234Z 2024-05-01T10:00:00+0200 \
        2024-05-01t10:00:00z 2024-05-01T10:00:00Z+; do
    usage "baton run: --now '$when': expected YYYY-MM-DDThh:mm:ss[.fff] followed by Z, +hh:mm or -hh:mm" \
        run "$RACE" --now "$when"
done
for when in 2024-02-30T10:00:00Z 2023-02-29T10:00:00Z 2024-05-01T24:00:00Z \
        0000-12-31T10:00:00Z 0001-01-01T00:00:00+01:00; do
    usage "baton run: --now '$when': no such date and time in the years 0001-9999" \
        run "$RACE" --now "$when"
done
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
# shown whether or not this build has the operations view
baton ops --help
expect_status 0
expect_grep out "^usage: baton ops \[--store URI\] \[--listen ADDR:PORT\]"
expect_grep out "--token-file FILE"

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

current="check: a model with an unsupported element"
baton check "$UNSUPPORTED"
expect_status 1
expect_eq "output" "$(cat "$tmp/out")" \
    "$UNSUPPORTED:12: adHocSubProcess adhocsubprocess: adHocSubProcess is not supported"
expect_eq "stderr" "$(cat "$tmp/err")" ""

current="check: every problem of a model, not only the first"
baton check "$NOT_FEEL"
expect_status 1
expect_eq "problems" "$(wc -l <"$tmp/out" | tr -d ' ')" 6
expect_eq "first" "$(head -n 1 "$tmp/out")" \
    "$NOT_FEEL:64: sequenceFlow SequenceFlow_04ynlib: '==' is not FEEL; use '='"
expect_eq "stderr" "$(cat "$tmp/err")" ""

current="check: the models that wait for events can run"
baton check "$ORDER" "$RACE" "$BOUNDARY" "$RECEIVE"
expect_status 0
expect_eq "output" "$(cat "$tmp/out" "$tmp/err")" ""

current="check: several models, one bad"
baton check "$TRIP" "$tmp/terminate.bpmn" "$tmp/malformed.bpmn"
expect_status 1
expect_grep out "^$tmp/malformed.bpmn:[0-9]+: "
if grep -q "$TRIP" "$tmp/out"; then fail "the good model was reported"; else ok; fi

finish
