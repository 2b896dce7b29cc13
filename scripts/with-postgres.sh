#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL on 127.0.0.1 and a free port of its own.
# The server's URL is in PHLEBO_TEST_POSTGRES_URL; the server and its files go when the command ends.
set -euo pipefail
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found; run scripts/install-system-packages.sh" >&2; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
dir="$(mktemp -d /tmp/phlebo-pg.XXXXXX)"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  chown postgres:postgres "$dir"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U phlebo --auth=trust -E UTF8 --no-locale >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
export PHLEBO_TEST_POSTGRES_URL="postgresql+psycopg://phlebo@127.0.0.1:$port/postgres"
echo "Throwaway PostgreSQL on 127.0.0.1:$port"
set +e
"$@"
status=$?
set -e
exit $status
