# cli_checks.sh - sourced by the `baton` tool's shell tests (test_cli.sh,
# test_cli_store.sh, test_cli_lambda.sh): the counters, fail and ok, a
# runner that keeps the tool's output, and the checks they share. The
# test sets $BATON (the tool) and $tmp (its folder: out and err are kept
# there) before it calls them, and `current` to name what it checks.

failures=0
checks=0
current=""
last_args=""

fail() {
    failures=$((failures + 1))
    echo "FAIL [$current] $*" >&2
    echo "  command: baton $last_args" >&2
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

expect_status() {
    if [ "$status" -eq "$1" ]; then ok; else fail "exit status $status, expected $1"; fi
}

expect_err_has() {
    if grep -qF -- "$1" "$tmp/err"; then ok; else fail "stderr lacks '$1'"; fi
}

# finish: prints the counts; fails when a check did.
finish() {
    echo "$checks checks, $failures failures"
    [ "$failures" -eq 0 ]
}
