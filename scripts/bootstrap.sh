#!/usr/bin/env bash
# Sets up everything geogrid needs on a Debian 12 machine and starts the database.
# Safe to run again: every step checks before it acts.
#   scripts/bootstrap.sh          Debian packages, virtualenv, vendored assets, database
# With DATABASE_URL set, the embedded cluster is not started and that server is used.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\033[1m[geogrid]\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------
need_pkgs=()
for p in postgresql-15 postgresql-15-postgis-3 postgresql-contrib python3-venv python3-dev \
         chromium fonts-noto-cjk poppler-utils gettext wrk \
         gdal-bin python3-qgis qgis-providers; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
# Node may come from elsewhere (e.g. a nodesource build that bundles npm): ask for the commands.
command -v npm >/dev/null || need_pkgs+=(nodejs npm)
command -v make >/dev/null || need_pkgs+=(make)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need_pkgs[*]} (run as root, or install them)" >&2; exit 1
  fi
  log "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# --- virtualenv ------------------------------------------------------------------------
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating virtualenv .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  log "installing the project into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  rm -f .venv/.installed-*; touch "$stamp"
fi

# --- vendored browser assets (npm; nothing is loaded from the internet at run time) ------
if [ -f package.json ]; then
  astamp=static/vendor/.stamp-$(cat package.json package-lock.json scripts/vendor_assets.py 2>/dev/null | sha1sum | cut -c1-12)
  if [ ! -f "$astamp" ]; then
    log "vendoring browser assets from npm"
    if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
    .venv/bin/python scripts/vendor_assets.py
    touch "$astamp"
  fi
fi

mkdir -p staticfiles media  # whitenoise warns when STATIC_ROOT is missing

# --- secrets: SECRET_KEY and the field key, generated once into var/keys.json (0600, not in git)
.venv/bin/python -m geogrid.keyfile ensure

# --- database --------------------------------------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
  log "using DATABASE_URL"
  exit 0
fi
scripts/pg.sh start
