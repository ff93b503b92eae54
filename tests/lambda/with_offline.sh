#!/usr/bin/env bash
# Runs CMD with serverless-offline serving the Node functions of
# tests/lambda/offline through its Lambda Invoke API, on free loopback
# ports:
#   tests/lambda/with_offline.sh CMD [ARG...]
# exports BATON_LAMBDA_ENDPOINT=http://127.0.0.1:PORT (the Invoke API) and
# BATON_OFFLINE_LOG (the file the functions append a line to per
# invocation; a fresh one unless already set), runs CMD, stops
# serverless-offline and exits with CMD's status. Exits 77 (skipped) when
# the Node packages are not installed:
#   npm ci --prefix tests/lambda/offline
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/offline

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARG...]" >&2
    exit 2
fi
if [ ! -x "$dir/node_modules/.bin/serverless" ]; then
    echo "with_offline.sh: $dir/node_modules is missing;" \
         "run: npm ci --prefix tests/lambda/offline" >&2
    exit 77
fi
if ! command -v node >/dev/null 2>&1; then
    echo "with_offline.sh: node is not installed" >&2
    exit 77
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http_port=$(free_port)
lambda_port=$(free_port)
while [ "$lambda_port" = "$http_port" ]; do lambda_port=$(free_port); done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-offline.XXXXXX")
export BATON_OFFLINE_LOG=${BATON_OFFLINE_LOG:-$tmp/functions.log}
: > "$BATON_OFFLINE_LOG"

# No login, telemetry or notifications; fake credentials (serverless-offline
# checks no signature).
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-AKIDOFFLINE}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-offline-secret}
export AWS_REGION=${AWS_REGION:-us-east-1}

# Its own process group (setsid), so that stopping it stops node too.
(cd "$dir" && exec setsid node_modules/.bin/serverless offline start \
    --httpPort "$http_port" --lambdaPort "$lambda_port" \
    --host 127.0.0.1) > "$tmp/offline.out" 2>&1 &
pid=$!

stop() {
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

ready=0
for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$lambda_port") 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ $ready -ne 1 ]; then
    echo "with_offline.sh: serverless-offline did not start:" >&2
    cat "$tmp/offline.out" >&2
    exit 1
fi

export BATON_LAMBDA_ENDPOINT=http://127.0.0.1:$lambda_port
"$@"
status=$?
if [ $status -ne 0 ] && [ $status -ne 77 ]; then
    echo "--- serverless-offline output ---" >&2
    tail -n 100 "$tmp/offline.out" >&2
fi
exit $status
