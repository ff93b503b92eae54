#!/bin/sh
# package.sh - the deployment package of Baton's AWS Lambda custom runtime.
#
# Usage: package.sh BOOTSTRAP OUTPUT.zip [MODEL.bpmn ...]
#
# Builds a zip with, at its root:
#   bootstrap   the runtime (examples/lambda/bootstrap.c), executable;
#   lib/        libbaton, libbaton-host, libbaton-lambda and every other
#               shared library `ldd bootstrap` lists, except glibc's own
#               (libc, libm, libpthread, libdl, librt, libresolv, ...) and
#               the dynamic linker, each under the name bootstrap asks for;
#   models/     the models given (every *.bpmn there is deployed at init).
# Lambda puts /var/task/lib on LD_LIBRARY_PATH, so bootstrap finds its
# libraries there whatever RPATH it was linked with (a build RPATH is a
# RUNPATH, which LD_LIBRARY_PATH overrides).
#
# The libraries are those of the build machine: build the package on the
# target's architecture and with a glibc no newer than the target's
# (provided.al2023 has glibc 2.34); docs/lambda.md gives a container
# command. The script prints the newest glibc symbol version that the
# package needs (objdump -T, from binutils) and warns, naming the files,
# when it is newer than $BATON_LAMBDA_GLIBC (default 2.34): such a
# package does not start on the target. Zips with `zip` when present,
# else with Python's zipfile.
#
# Copyright (c) the Baton authors. MIT license, see COPYING.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 BOOTSTRAP OUTPUT.zip [MODEL.bpmn ...]" >&2
    exit 2
fi
bootstrap=$1
out=$2
shift 2

[ -x "$bootstrap" ] || { echo "$0: $bootstrap is not an executable" >&2; exit 1; }

case $out in
    /*) ;;
    *) out=$(pwd)/$out ;;
esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/baton-lambda-pkg.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir "$stage/lib" "$stage/models"

cp "$bootstrap" "$stage/bootstrap"
chmod 755 "$stage/bootstrap"

# "libfoo.so.1 => /path/libfoo.so.1 (0x...)": copy /path (the file it
# links to) as lib/libfoo.so.1. A library ldd cannot find is an error.
ldd "$bootstrap" > "$stage/ldd.txt"
missing=$(grep 'not found' "$stage/ldd.txt" || true)
if [ -n "$missing" ]; then
    echo "$0: bootstrap has unresolved libraries:" >&2
    echo "$missing" >&2
    exit 1
fi
awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' "$stage/ldd.txt" |
while read -r soname path; do
    case $soname in
        # glibc: the runtime's own, never shipped.
        ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|\
        librt.so.*|libresolv.so.*|libutil.so.*|libanl.so.*|libmvec.so.*|\
        libBrokenLocale.so.*|libnss_*|libthread_db.so.*|libc_malloc_debug.so.*)
            continue ;;
    esac
    cp -L "$path" "$stage/lib/$soname"
    chmod 644 "$stage/lib/$soname"
done
rm "$stage/ldd.txt"

for lib in libbaton.so.0 libbaton-host.so.0 libbaton-lambda.so.0; do
    if [ ! -f "$stage/lib/$lib" ]; then
        echo "$0: bootstrap does not link $lib" >&2
        exit 1
    fi
done

for m in "$@"; do
    [ -f "$m" ] || { echo "$0: no model $m" >&2; exit 1; }
    cp "$m" "$stage/models/"
done

# The newest GLIBC_x.y each shipped file asks for.
target_glibc=${BATON_LAMBDA_GLIBC:-2.34}
if command -v objdump >/dev/null 2>&1; then
    newest=
    too_new=
    for f in "$stage/bootstrap" "$stage"/lib/*; do
        v=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' |
            sed 's/GLIBC_//' | sort -u -V | tail -n 1)
        [ -n "$v" ] || continue
        newest=$(printf '%s\n%s\n' "$newest" "$v" | sort -V | tail -n 1)
        top=$(printf '%s\n%s\n' "$target_glibc" "$v" | sort -V | tail -n 1)
        if [ "$top" != "$target_glibc" ]; then
            too_new="$too_new ${f#"$stage"/}($v)"
        fi
    done
    echo "glibc: the package needs $newest (target $target_glibc)"
    if [ -n "$too_new" ]; then
        echo "$0: warning: these need a glibc newer than $target_glibc and" \
             "will not load on the target; build the package on a system" \
             "with glibc $target_glibc (docs/lambda.md):$too_new" >&2
    fi
else
    echo "glibc: not checked (no objdump)"
fi

rm -f "$out"
cd "$stage"
if command -v zip >/dev/null 2>&1; then
    zip -q -r -X "$out" bootstrap lib models
else
    python3 -m zipfile -c "$out" bootstrap lib models
fi
echo "$out: bootstrap, $(ls lib | wc -l) libraries, $(ls models | wc -l) models"
