# Shared by scripts/demo.sh and scripts/test.sh: install what is missing, nothing more.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "需要 root 权限安装系统软件包：$*" >&2; return 1; fi
}

# ensure_debs PKG...: apt-get install the Debian packages that are not installed yet.
ensure_debs() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv: the virtual environment with the project and its dev tools, reinstalled
# only when pyproject.toml changed.
ensure_venv() {
  local py="${PYTHON:-python3}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment .venv"
    "$py" -m venv "$VENV"
  fi
  local stamp="$VENV/.jiping-installed"
  local want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing Python packages"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]"
    echo "$want" >"$stamp"
  fi
}

# The fonts and HarfBuzz subsetter that Chinese certificate PDFs need (WeasyPrint).
PDF_DEBS=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
