#!/bin/sh
# The durable saga demo (examples/durable-saga/demo.sh) as a test: a worker
# killed with SIGKILL in the middle of a booking, a new worker, and the saga
# ends with each booking made once and the cancellations in reverse order.
#   test_durable_demo.sh BATON DEMO
set -eu
out=$(sh "$2" "$1" 2>&1) || { echo "$out"; echo "the demo failed"; exit 1; }
echo "$out"
expect() {
    printf '%s\n' "$out" | grep -qx -- "$1" || {
        echo "FAIL: no line '$1'"; exit 1; }
}
expect 'worker killed; the saga is WAITING in the store'
# The bookings the services made, in order, each once.
ledger=$(printf '%s\n' "$out" | sed -n '/the services. ledger:/,/^the saga is/p' |
    sed '1d;$d' | sed 's/ [0-9]*$//' | tr '\n' ',')
[ "$ledger" = "book car,book hotel,cancel hotel,cancel car," ] || {
    echo "FAIL: ledger '$ledger'"; exit 1; }
expect 'the saga is COMPLETED; its service tasks, in the order they completed:'
tasks=$(printf '%s\n' "$out" | sed -n '/in the order they completed:/,$p' |
    sed '1d' | tr -d ' ' | tr '\n' ',')
[ "$tasks" = "ReserveCar,BookHotel,CancelHotel,CancelCar," ] || {
    echo "FAIL: tasks '$tasks'"; exit 1; }
# Five jobs (the flight's threw the error); the job the killed worker held
# was called again, its effect not repeated.
printf '%s\n' "$out" | grep -q 'handler calls for 5 jobs' || {
    echo "FAIL: job count"; exit 1; }
echo "durable demo passed"
