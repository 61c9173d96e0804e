# Shared shell functions for the local infrastructure scripts (sourced, not run).
# Everything a component writes lives under $PACTLINE_LOCAL/<component>; processes are
# tracked by PID file and stopped by PID, never by name.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PACTLINE_LOCAL="${PACTLINE_LOCAL:-$ROOT/.local}"

say() { printf '[%s] %s\n' "${COMPONENT:-infra}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

pid_alive() { # pidfile
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_until() { # seconds description command...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    if (( SECONDS >= deadline )); then die "timed out after ${1:-?}s waiting for $what"; fi
    sleep 0.5
  done
}

stop_pidfile() { # pidfile
  local pidfile=$1
  if pid_alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    say "stopping pid $pid"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "pid $pid did not stop in 30s, killing"; kill -9 "$pid"; fi
  fi
  rm -f "$pidfile"
}
