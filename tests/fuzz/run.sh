#!/usr/bin/env bash
# Runs every fuzz target (or those named) for a fixed time each, one
# after the other, from the committed seeds; fails when one finds a crash,
# a leak or a timeout. See docs/reliability.md.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR was configured with CC=clang -Dfuzz=true (and sanitizers).
# What a run finds is written to $FUZZ_OUT (default: a temporary folder):
# the grown corpus under corpus/TARGET, crash inputs as TARGET-crash-*,
# logs as TARGET.log. Extra libFuzzer options can come in $FUZZ_ARGS.
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model json feel snapshot timer)
src=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-$(mktemp -d)}
mkdir -p "$out"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=0
for t in "${targets[@]}"; do
    case $t in
        json|feel|timer) max_len=4096 ;;
        *) max_len=65536 ;;
    esac
    if [ ! -x "$build/tests/fuzz/fuzz_$t" ]; then
        echo "fuzz_$t FAILED: $build/tests/fuzz/fuzz_$t is not built" \
             "(meson compile -C $build fuzz_$t)"
        failed=1
        continue
    fi
    mkdir -p "$out/corpus/$t"
    echo "fuzz_$t: ${secs}s, max_len $max_len, log $out/$t.log"
    # -len_control=0: long inputs from the start, not after a plateau.
    if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" \
        -max_len="$max_len" -len_control=0 -timeout=25 -rss_limit_mb=2048 \
        -dict="$src/$t.dict" -artifact_prefix="$out/$t-" -print_final_stats=1 \
        ${FUZZ_ARGS:-} "$out/corpus/$t" "$src/$t/seeds" "$src/$t/regressions" \
        >"$out/$t.log" 2>&1; then
        echo "fuzz_$t FAILED:"
        grep -E -A30 '^==[0-9]+==ERROR|^fuzz: |deadly signal|Test unit written' \
            "$out/$t.log" | head -80
        failed=1
    fi
    grep -E '^(Done|#[0-9]+ +DONE)|stat::number_of_executed_units|stat::peak_rss' \
        "$out/$t.log" || true
done
exit $failed
