#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the test suite.
#   start: prints its DATABASE_URL;  stop: stops it and deletes its data.
set -euo pipefail
# One state file per checkout, so two checkouts testing at once never stop each other's server.
STATE="/tmp/jiping-pg-state-$(cd "$(dirname "$0")/.." && pwd | sha256sum | cut -c1-12)"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

run_pg() {  # PostgreSQL refuses to run as root: use the postgres account then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  [ -f "$STATE" ] && bash "$0" stop >/dev/null 2>&1 || true
  data="$(mktemp -d /tmp/jiping-pg-XXXXXX)"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  run_pg "$bindir/initdb" -D "$data" -U jiping --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  run_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  echo "$data $port" >"$STATE"
  echo "postgresql+psycopg://jiping@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -f "$STATE" ] || exit 0
  read -r data _port <"$STATE"
  run_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$data" "$STATE"
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
