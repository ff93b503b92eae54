#!/usr/bin/env bash
# with_pg.sh CMD [ARGS...] - runs CMD with a throwaway PostgreSQL server.
#
# Starts a private server (initdb into a fresh temporary folder, trust
# authentication, listening only on a Unix socket in that folder), exports
# its libpq URI as BATON_TEST_PG:
#
#   postgresql:///postgres?host=/tmp/baton-pg.XXXXXX&port=NNNNN&user=baton
#
# runs CMD, then stops the server and deletes the folder (also when CMD
# fails or the script is interrupted), and exits with CMD's status.
#
# When BATON_TEST_PG is already set, CMD runs against that server and none
# is started: BATON_TEST_PG=postgresql://user:pw@host/db with_pg.sh CMD.
# Without it and without PostgreSQL's server programs (Debian: the
# `postgresql` package), exits 77, which meson counts as a skipped test.
#
# initdb and postgres refuse to run as root: as root they run as `nobody`
# (BATON_TEST_PG_USER overrides); the socket still takes root's
# connections, authentication being trust.
set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

if [ -n "${BATON_TEST_PG:-}" ]; then
    exec "$@"
fi

# The newest server programs: Debian's /usr/lib/postgresql/VERSION/bin,
# pg_config's bindir, or the PATH.
bindir=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        bindir=$d
        break
    fi
done
if [ -z "$bindir" ] && command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        bindir=$d
    fi
fi
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1 &&
   command -v pg_ctl >/dev/null 2>&1; then
    bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ]; then
    echo "with_pg.sh: no PostgreSQL server programs (initdb, pg_ctl) found" \
         "and BATON_TEST_PG is not set: skipping. Install the postgresql" \
         "package, or set BATON_TEST_PG to a libpq URI of a server to use." >&2
    exit 77
fi

# As root, the server runs as an unprivileged user.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    pg_user=${BATON_TEST_PG_USER:-nobody}
    if command -v runuser >/dev/null 2>&1; then
        as_pg=(runuser -u "$pg_user" --)
    else
        as_pg=(setpriv --reuid="$pg_user" --regid="$(id -g "$pg_user")"
               --clear-groups --)
    fi
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-pg.XXXXXX") || exit 1
started=0
child=

cleanup() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    if [ "$started" -eq 1 ]; then
        (cd "$dir" && "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" \
            -m immediate -w stop >/dev/null 2>&1)
    fi
    rm -rf "$dir"
}
trap 'cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ ${#as_pg[@]} -gt 0 ]; then
    chown "$pg_user" "$dir" || exit 1
fi
chmod 700 "$dir"

# The port only names the socket file (no TCP): any number will do.
port=$((20000 + RANDOM % 40000))

# The programs run from inside the folder: the unprivileged user may not
# be able to read the caller's working directory.
if ! (cd "$dir" && "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U baton \
        -A trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1); then
    echo "with_pg.sh: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
fi

opts="-c listen_addresses='' -c unix_socket_directories='$dir' -p $port"
opts="$opts -c max_connections=200 -c unix_socket_permissions=0777"
started=1
if ! (cd "$dir" && "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -o "$opts" \
        -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1); then
    echo "with_pg.sh: the server did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
fi

export BATON_TEST_PG="postgresql:///postgres?host=$dir&port=$port&user=baton"

# In the background (stdin kept), so that a signal reaches the traps at
# once; the EXIT trap stops CMD too.
"$@" <&0 &
child=$!
wait "$child"
status=$?
child=
exit "$status"
