#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine, idempotently: uv, the Python
# workspace, the npm toolchain (anvil, solc, OpenZeppelin), Kafka jars, PostgreSQL server.
COMPONENT=setup
source "$(dirname "$0")/infra/lib.sh"
cd "$ROOT"

UV_VERSION=0.13.8
if ! command -v uv >/dev/null || [[ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]]; then
  say "installing uv $UV_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
command -v uv >/dev/null || die "uv installed but not on PATH (add ~/.local/bin or your Python's bin dir)"

say "syncing the Python workspace (uv.lock)"
uv sync --all-packages --frozen --quiet

if [[ ! -x node_modules/.bin/anvil || package-lock.json -nt node_modules/.package-lock.json ]]; then
  command -v npm >/dev/null || die "npm not found (Node 20+ is required for anvil and solc)"
  say "installing the npm toolchain (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi

scripts/infra/kafka.sh install
if [[ -z "${PACTLINE_DATABASE_URL:-}" ]]; then scripts/infra/postgres.sh install; fi

# Debian's Chromium renders the demo's HTML report in its headless test (driven by the
# playwright Python package with executable_path, never a downloaded browser).
if ! command -v chromium >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "chromium missing; install Debian's chromium package"
  say "installing Chromium from Debian's packages (headless report test)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
say "done"
