#!/usr/bin/env bash
# Installs Baton into a temporary prefix and uses it as a user would:
# the installed `baton` runs without LD_LIBRARY_PATH, pkg-config finds the
# library with no .pc file but the installed one (as on a machine with
# only the runtime packages of libxml2, jansson and GMP), a program using
# baton.h builds with those flags and runs, a static link gets what it
# needs from Libs.private, and the man page renders.
#
#   tests/install_check.sh [MESON_SETUP_OPTION]...
#
# Not a meson test: it runs meson itself. .ci/run calls it.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/baton-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
model=$src/tests/models/trip-booking-saga.bpmn
unset LD_LIBRARY_PATH

step() { echo "== $*"; }
die() { echo "install_check: $*" >&2; exit 1; }

# quiet LOG COMMAND...: runs COMMAND, showing its output only on failure.
quiet() {
    local log=$work/$1
    shift
    "$@" >"$log" 2>&1 || { cat "$log" >&2; die "failed: $*"; }
}

step "build and install into $prefix"
quiet setup.log meson setup "$work/build" "$src" --prefix "$prefix" \
    -Dtests=false "$@"
quiet compile.log meson compile -C "$work/build"
quiet install.log meson install -C "$work/build"

step "the installed baton runs without LD_LIBRARY_PATH"
baton=$prefix/bin/baton
# ldd's output is read whole: `grep -q` would stop reading at the first
# match, and under pipefail ldd's broken pipe would fail the check.
libs=$(ldd "$baton")
grep -q "libbaton\.so\.0 => $prefix/" <<<"$libs" ||
    die "$baton does not load the installed libbaton: $libs"
"$baton" --version
"$baton" check "$model" || die "baton check refused $model"
out=$("$baton" run "$model") || die "baton run $model: exit status $?"
case "$out" in
    '{"state": "completed"'*) ;;
    *) die "baton run $model: unexpected outcome: $out" ;;
esac

step "pkg-config with only the installed .pc files"
pcdir=$(dirname "$(find "$prefix" -name baton.pc -print -quit)")
[ "$pcdir" != . ] || die "no baton.pc installed under $prefix"
export PKG_CONFIG_LIBDIR=$pcdir
flags=$(pkg-config --cflags --libs baton) || die "pkg-config cannot use baton.pc"
libdir=$(pkg-config --variable=libdir baton)
echo "pkg-config --cflags --libs baton: $flags"

step "a program using baton.h builds with those flags and runs"
cat >"$work/hello.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <baton.h>

static const char model[] =
    "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\""
    " id=\"d\" targetNamespace=\"urn:x\">"
    "<bpmn:process id=\"hello\" isExecutable=\"true\">"
    "<bpmn:startEvent id=\"start\"/>"
    "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"greet\"/>"
    "<bpmn:serviceTask id=\"greet\"/>"
    "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"greet\" targetRef=\"end\"/>"
    "<bpmn:endEvent id=\"end\"/>"
    "</bpmn:process></bpmn:definitions>";

static int greet(void *ud, baton_job *job)
{
    (void)ud;
    return baton_job_complete(job, "{\"greeting\": \"hello\"}", BATON_NUL);
}

int main(void)
{
    baton_engine *engine = NULL;
    baton_model *m = NULL;
    baton_instance *inst = NULL;
    int rc = baton_engine_new(NULL, NULL, &engine);

    if (strcmp(baton_version(), BATON_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, header %s\n", baton_version(),
                BATON_VERSION_STRING);
        return 1;
    }
    if (!rc) rc = baton_model_load(engine, model, sizeof model - 1, "hello", &m);
    if (!rc) rc = baton_engine_deploy(engine, m, NULL, NULL);
    if (!rc) rc = baton_engine_register_handler(engine, "greet", greet, NULL);
    if (!rc) rc = baton_instance_create(engine, NULL, NULL, 0, &inst);
    if (!rc) rc = baton_instance_run(inst, 0);
    if (rc < 0)
        fprintf(stderr, "%s\n", engine ? baton_engine_errmsg(engine) : "no engine");
    else
        printf("baton %s: state %d\n", baton_version(), baton_instance_state(inst));
    rc = rc < 0 || baton_instance_state(inst) != BATON_INSTANCE_COMPLETED;
    baton_instance_free(inst);
    baton_model_free(m);
    baton_engine_free(engine);
    return rc;
}
C
# shellcheck disable=SC2086 # $flags is a list of compiler arguments
quiet cc.log "${CC:-cc}" -std=c99 -Wall -Wextra -Werror -o "$work/hello" \
    "$work/hello.c" $flags -Wl,-rpath,"$libdir"
"$work/hello" || die "the program built against the installed Baton failed"

step "a static link gets libxml2, jansson and GMP from Libs.private"
static=$(pkg-config --static --libs-only-l baton)
for lib in -lxml2 -ljansson -lgmp; do
    grep -q -- "$lib" <<<"$static" ||
        die "pkg-config --static --libs baton lacks $lib: $static"
done
# shellcheck disable=SC2086 # $static is a list of linker arguments
quiet static.log "${CC:-cc}" -std=c99 -o "$work/hello-static" \
    "$work/hello.c" $(pkg-config --cflags baton) "$libdir/libbaton.a" \
    ${static/-lbaton/}
libs=$(ldd "$work/hello-static")
if grep -q libbaton <<<"$libs"; then
    die "the static program still loads libbaton.so"
fi
"$work/hello-static" || die "the statically linked program failed"

step "a program using baton_host.h builds with pkg-config baton-host and runs"
hflags=$(pkg-config --cflags --libs baton-host) ||
    die "pkg-config cannot use baton-host.pc"
sed -n '/^static const char model/,/^    "<\/bpmn:process>/p' "$work/hello.c" \
    >"$work/model.inc"
cat >"$work/durable.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <baton_host.h>

#include "model.inc"

static void greet(void *ud, baton_host_job *job)
{
    (void)ud;
    baton_host_job_complete(job, "{\"greeting\": \"hello\"}", BATON_NUL);
}

int main(int argc, char **argv)
{
    baton_host *h = NULL;
    char *out = NULL;
    uint64_t key = 0;
    baton_host_worker_options o = {.concurrency = 2, .until_idle = 1};
    int rc = argc == 2 ? baton_host_open(argv[1], &h) : BATON_EINVAL;
    if (!rc) rc = baton_host_deploy(h, model, sizeof model - 1, "hello", NULL);
    if (!rc) rc = baton_host_start(h, "hello", NULL, 0, NULL, &key);
    if (!rc) rc = baton_host_register(h, "greet", greet, NULL);
    if (!rc) rc = baton_host_worker_run(h, &o);
    if (!rc) rc = baton_host_instance(h, key, 0, &out);
    if (rc)
        fprintf(stderr, "%s\n", h ? baton_host_errmsg(h) : "no host");
    else
        printf("%s\n", out);
    rc = rc || !strstr(out, "\"state\":\"COMPLETED\"") ||
         !strstr(out, "\"greeting\":\"hello\"");
    baton_host_free(out);
    baton_host_close(h);
    return rc;
}
C
# shellcheck disable=SC2086 # $hflags is a list of compiler arguments
quiet cc-host.log "${CC:-cc}" -std=c99 -Wall -Wextra -Werror -I"$work" \
    -o "$work/durable" "$work/durable.c" $hflags -Wl,-rpath,"$libdir"
"$work/durable" "sqlite:$work/hello.db" ||
    die "the program built against the installed host failed"

step "the man page renders"
page=$prefix/share/man/man1/baton.1
[ -f "$page" ] || die "no man page at $page"
if command -v man >/dev/null 2>&1; then
    text=$(MANWIDTH=80 man -l "$page" 2>/dev/null) || die "man -l $page failed"
    grep -q "run and check BPMN 2.0 models" <<<"$text" ||
        die "man -l $page: no NAME line in the output"
    warnings=$(man --warnings -l "$page" 2>&1 >/dev/null) || true
    [ -z "$warnings" ] || die "man -l $page: $warnings"
else
    echo "man is not installed: skipped"
fi

echo "install check passed"
