#!/usr/bin/env bash
# `baton worker --lambda TYPE`: jobs of TYPE invoke AWS Lambda functions
# through libbaton-lambda, against a stand-in of the Invoke API that
# checks every request's SigV4 signature with botocore
# (tests/lambda/invoke_standin.py). The invoker takes its region,
# credentials and endpoint from the environment.
#
#   test_cli_lambda.sh PATH/TO/baton MODELS_DIR PATH/TO/invoke_standin.py
#
# Needs python3 with botocore.
set -eu

BATON=${1:?usage: test_cli_lambda.sh PATH/TO/baton MODELS_DIR STANDIN}
MODELS=${2:?usage: test_cli_lambda.sh PATH/TO/baton MODELS_DIR STANDIN}
STANDIN=${3:?usage: test_cli_lambda.sh PATH/TO/baton MODELS_DIR STANDIN}

# The stand-in's fixed credentials, as in tests/test_lambda.c.
ACCESS=AKIDEXAMPLE
SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
TOKEN=session-token-for-the-tests
REGION=eu-west-1

tmp=$(mktemp -d)
standin_pid=
cleanup() {
    if [ -n "$standin_pid" ]; then
        kill -TERM "$standin_pid" 2>/dev/null || true
        wait "$standin_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
unset BATON_STORE AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
      AWS_SESSION_TOKEN BATON_LAMBDA_ENDPOINT AWS_DEFAULT_REGION

. "$(dirname "$0")/cli_checks.sh"

# bs ARGS...: the tool on the test's store.
bs() {
    baton "$@" --store "sqlite:$tmp/baton.db"
}

# expect_py EXPR VALUE: EXPR over the JSON of stdout (as d) prints VALUE.
expect_py() {
    got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$tmp/out" "$1" 2>&1) || true
    if [ "$got" = "$2" ]; then ok; else fail "$1 is '$got', expected '$2'"; fi
}

expect_no_secret() {
    if grep -qF -e "$SECRET" -e "$TOKEN" "$tmp/out" "$tmp/err"; then
        fail "a secret was printed"
    else
        ok
    fi
}

# The stand-in prints its port on its first line.
python3 "$STANDIN" "$tmp/calls.log" "$ACCESS" "$SECRET" "$TOKEN" "$REGION" \
    >"$tmp/port" &
standin_pid=$!
for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
port=$(head -n 1 "$tmp/port")
case $port in
    [1-9]*) ;;
    *) echo "the stand-in did not start" >&2; exit 1 ;;
esac
ENDPOINT=http://127.0.0.1:$port

current="deploy and start"
bs deploy "$MODELS/lambda-parallel.bpmn"
expect_status 0
bs start lambda-parallel --vars '{"trip":"T-1"}'
expect_status 0
key=$(cat "$tmp/out")

current="no region"
AWS_ACCESS_KEY_ID=$ACCESS AWS_SECRET_ACCESS_KEY=$SECRET \
    AWS_SESSION_TOKEN=$TOKEN BATON_LAMBDA_ENDPOINT=$ENDPOINT \
    bs worker --lambda lambda --until-idle
expect_status 1
expect_err_has "baton: no AWS region"
expect_no_secret

current="no credentials"
AWS_REGION=$REGION AWS_ACCESS_KEY_ID=$ACCESS AWS_SESSION_TOKEN=$TOKEN \
    BATON_LAMBDA_ENDPOINT=$ENDPOINT bs worker --lambda lambda --until-idle
expect_status 1
expect_err_has "baton: no AWS credentials"
expect_no_secret

current="bad endpoint"
AWS_REGION=$REGION AWS_ACCESS_KEY_ID=$ACCESS AWS_SECRET_ACCESS_KEY=$SECRET \
    AWS_SESSION_TOKEN=$TOKEN BATON_LAMBDA_ENDPOINT=ftp://example \
    bs worker --lambda lambda --until-idle
expect_status 1
expect_err_has "baton: bad Lambda endpoint"
expect_no_secret

current="type given twice"
bs worker --lambda lambda --exec lambda=true --until-idle
expect_status 2
bs worker --lambda lambda --lambda lambda --until-idle
expect_status 2

current="the jobs are still waiting"
bs instance "$key" --json
expect_status 0
expect_py 'd["state"]' WAITING

current="worker --lambda"
AWS_REGION=$REGION AWS_ACCESS_KEY_ID=$ACCESS AWS_SECRET_ACCESS_KEY=$SECRET \
    AWS_SESSION_TOKEN=$TOKEN BATON_LAMBDA_ENDPOINT=$ENDPOINT \
    bs worker --lambda lambda --concurrency 3 --until-idle --verbose
expect_status 0
expect_no_secret
bs instance "$key" --json
expect_status 0
expect_py 'd["state"]' COMPLETED
for what in hotel car flight; do
    expect_py "d['variables']['$what']" "{'success': True}"
    expect_py "d['variables']['${what}StatusCode']" 200
    expect_py "d['variables']['${what}JsonString']" '{"success": true}'
done
expect_py 'd["variables"]["trip"]' T-1

current="the stand-in's log"
calls=$(wc -l <"$tmp/calls.log")
if [ "$calls" -eq 3 ]; then ok; else fail "$calls calls, expected 3"; fi
if python3 -c 'import json,sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["status"] == 200, e
    assert e["payload"]["trip"] == "T-1", e' "$tmp/calls.log"; then
    ok
else
    fail "the calls were not all signed and answered"
fi

finish
