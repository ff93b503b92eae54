#!/bin/sh
# demo.sh [BATON] - the trip-booking saga, durably: start it, kill the
# worker with SIGKILL while it books the hotel, start a worker again, and
# the saga finishes with each booking made once and the cancellations in
# reverse order. Uses a fresh SQLite store in a temporary folder; BATON is
# the path of the baton tool (default: build/examples/baton).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
baton=${1:-build/examples/baton}
case $baton in /*) ;; *) baton=$(pwd)/$baton ;; esac
model=$here/../trip-booking/trip-booking-saga.bpmn
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export BATON_STORE="sqlite:$dir/trip.db" LEDGER="$dir/ledger.txt" \
    CALLS="$dir/calls.txt"
: > "$LEDGER"
: > "$CALLS"

"$baton" deploy "$model"
key=$("$baton" start TripBookingSaga --business-key T-1 \
      --vars '{"trip":"T-1","failFlight":true}')
echo "started saga $key (the flight will fail)"

# In the background the function runs in a subshell: exec makes the
# worker that subshell, so that $! is the worker's pid.
work() {
    exec "$baton" worker --lease PT1S "$@" \
        --exec "ReserveCar=$here/book.sh car book" \
        --exec "BookHotel=$here/book.sh hotel book" \
        --exec "BookFlight=$here/book.sh flight book" \
        --exec "CancelCar=$here/book.sh car cancel" \
        --exec "CancelHotel=$here/book.sh hotel cancel" \
        --exec "CancelFlight=$here/book.sh flight cancel"
}

# Each call to a service takes a second; kill the worker while the hotel
# is being booked.
(DELAY=1 work) &
pid=$!
while ! grep -q "book car" "$LEDGER"; do sleep 0.1; done
sleep 0.5
kill -KILL $pid
wait $pid 2>/dev/null || true
echo "worker killed; the saga is $("$baton" instance "$key" |
    sed -n 's/^state *//p') in the store"

# Once its lease (1 s) has run out, the job it held is taken again.
sleep 1.5
(DELAY=0 work --until-idle)
echo "worker done: $(wc -l < "$CALLS") handler calls for" \
    "$(sort -u "$CALLS" | wc -l) jobs; the services' ledger:"
sed 's/ job=.*//' "$LEDGER"
echo "the saga is $("$baton" instance "$key" | sed -n 's/^state *//p');" \
    "its service tasks, in the order they completed:"
"$baton" instance "$key" | awk '$3 == "ELEMENT_COMPLETED" &&
    $4 == "SERVICE_TASK" { print "  " $5 }'
