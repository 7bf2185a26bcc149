#!/usr/bin/env bash
# Before the first release only: rebuild the initial migration from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f app/migrations/versions/*initial_schema.py
tmp=$(mktemp -d)
.venv/bin/alembic -x url="sqlite:///$tmp/empty.db" revision --autogenerate -m "initial schema" >/dev/null
rm -rf "$tmp"
.venv/bin/ruff format -q app/migrations/versions/ || true
ls app/migrations/versions/
