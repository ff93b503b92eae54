#!/bin/sh
# book.sh SERVICE ACTION - a job handler for `baton worker --exec`: books or
# cancels with a pretend remote service (each call takes DELAY seconds)
# whose own record of what it did is the file $LEDGER. Every call is also
# noted in $CALLS.
#
# Handlers run at least once: a worker killed after the service answered
# and before the result was committed runs the job again. A request
# carries the job key as its idempotency key, and the service answers a
# repeated request from its ledger instead of booking twice, as real
# booking APIs do with such keys.
set -eu
service=$1 action=$2
vars=$(cat)
echo "$action $service job=$BATON_JOB_KEY" >> "$CALLS"
if [ "$action:$service" = book:flight ]; then
    case $vars in
    *'"failFlight":true'*)
        # The airline has no seat: a BPMN error, caught by the saga.
        echo '{"bpmnError":{"code":"FLIGHT_BOOKING_FAILED","message":"no seats"}}'
        exit 0 ;;
    esac
fi
if ! grep -q " job=$BATON_JOB_KEY\$" "$LEDGER" 2>/dev/null; then
    sleep "${DELAY:-0}"
    echo "$action $service $BATON_PROCESS_INSTANCE_KEY job=$BATON_JOB_KEY" \
        >> "$LEDGER"
fi
echo "{\"${service}_${action}\":\"$service-$action-$BATON_JOB_KEY\"}"
