#!/usr/bin/env bash
# bench_host.sh BUILD_DIR [ARGS...] - runs the durable host benchmark
# (tests/bench/bench_host.c) in full, on SQLite and on a throwaway
# PostgreSQL that tests/pg/with_pg.sh starts (or the server named by
# BATON_TEST_PG). ARGS go to bench_host (--quick, --only LIST, ...).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: bench_host.sh BUILD_DIR [ARGS...]}
shift
exec "$here/../pg/with_pg.sh" "$build/tests/bench_host" "$@" \
    "$here/../models"
