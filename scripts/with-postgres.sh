#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster on PORT, run the command with COMITY_TEST_PG_URL set, then
# stop and remove the cluster whatever happens. PostgreSQL refuses to run as root, so as root the
# cluster belongs to the 'postgres' user that Debian's package creates; it lives in its own
# directory under /tmp because that user cannot enter a checkout made with `mktemp -d` (mode 0700).
# It runs with fsync=off (the tests need no durability); COMITY_TEST_PG_FSYNC=on for benchmarks
# that should pay for durable commits as a production server does.
set -euo pipefail
port=$1; shift
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d /tmp/comity-pg.XXXXXX)
chmod 755 "$dir"
as_owner() { (cd "$dir" && if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi); }
[ "$(id -u)" = 0 ] && chown postgres "$dir"

stop() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_owner "$bindir/initdb" -D "$dir/data" -U comity -A trust --no-sync -E UTF8 >/dev/null
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-k $dir -p $port -h 127.0.0.1 -c fsync=${COMITY_TEST_PG_FSYNC:-off} -c max_connections=200" start >/dev/null
export COMITY_TEST_PG_URL="postgresql://comity@127.0.0.1:$port/postgres"
"$@"
