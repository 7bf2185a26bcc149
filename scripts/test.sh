#!/usr/bin/env bash
# Install everything, then lint, type-check and run the whole suite on SQLite and on
# PostgreSQL (a throwaway server on loopback unless DATABASE_URL is given).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debs "${PDF_DEBS[@]}" chromium postgresql
ensure_venv

echo "==> ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "==> mypy"
"$VENV/bin/mypy" app

WORKERS="${JIPING_TEST_WORKERS:-auto}"

echo "==> tests on SQLite"
env -u DATABASE_URL "$VENV/bin/python" -m pytest -n "$WORKERS" -q "$@"

echo "==> tests on PostgreSQL"
if [ -n "${DATABASE_URL:-}" ]; then
  "$VENV/bin/python" -m pytest -n "$WORKERS" -q "$@"
else
  PG_URL="$(bash "$ROOT/scripts/pg_throwaway.sh" start)"
  trap 'bash "$ROOT/scripts/pg_throwaway.sh" stop' EXIT
  DATABASE_URL="$PG_URL" "$VENV/bin/python" -m pytest -n "$WORKERS" -q "$@"
fi
