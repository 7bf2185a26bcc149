#!/usr/bin/env bash
# Install everything and start Jiping with demo data on SQLite at http://127.0.0.1:8000
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debs "${PDF_DEBS[@]}"
ensure_venv
exec "$VENV/bin/python" -m app.cli demo "$@"
