#!/usr/bin/env bash
# PostgreSQL for local development and tests: Debian's server binaries, a private cluster under
# .local/postgres run as the `postgres` OS user (the server refuses to run as root).
# Skipped entirely when PACTLINE_DATABASE_URL points at an existing server.
# Usage: postgres.sh install|start|stop|status|url
COMPONENT=postgres
source "$(dirname "$0")/lib.sh"

PORT="${PACTLINE_PG_PORT:-15432}"
HOME_DIR="$PACTLINE_LOCAL/postgres"
DATA="$HOME_DIR/data"
LOG="$HOME_DIR/postgres.log"
PIDFILE="$DATA/postmaster.pid"

# The server runs as the `postgres` OS user, who must be able to reach the data directory. A
# checkout under a private folder (such as /root) is not reachable; the cluster then lives in a
# folder of its own under /var/tmp, and .local/postgres/data links to it.
place_data() {
  mkdir -p "$HOME_DIR"
  [[ $(id -u) -eq 0 ]] || return 0
  chown postgres:postgres "$HOME_DIR"
  if [[ -L "$DATA" ]] || ! runuser -u postgres -- test -w "$HOME_DIR"; then
    local outside="/var/tmp/pactline-postgres-$(echo -n "$ROOT" | sha256sum | cut -c1-12)"
    mkdir -p "$outside"; chown postgres:postgres "$outside"; chmod 700 "$outside"
    [[ -L "$DATA" ]] || ln -s "$outside/data" "$DATA"
    LOG="$outside/postgres.log"
    DATA_REAL="$outside/data"
  fi
}
DATA_REAL="$DATA"
DB_USER=pactline
DB_NAME=pactline
# Local throwaway cluster only; any real server's credentials come from PACTLINE_DATABASE_URL.
DB_PASSWORD="${PACTLINE_PG_PASSWORD:-pactline-local}"

bindir() {
  local d; d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

install() {
  if bindir >/dev/null; then return; fi
  [[ $(id -u) -eq 0 ]] || die "PostgreSQL server binaries missing; install Debian's postgresql package"
  say "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's own cluster is not used; ours lives under .local/postgres.
  apt-get install -y -qq postgresql >/dev/null
  bindir >/dev/null || die "postgresql package installed but initdb not found"
}

url() { echo "postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"; }

pg_pid_alive() { [[ -f "$PIDFILE" ]] && kill -0 "$(head -1 "$PIDFILE")" 2>/dev/null; }

start() {
  if [[ -n "${PACTLINE_DATABASE_URL:-}" ]]; then say "using existing server from PACTLINE_DATABASE_URL"; return; fi
  install
  local bin; bin=$(bindir)
  place_data
  if pg_pid_alive; then say "already running (pid $(head -1 "$PIDFILE")) on 127.0.0.1:$PORT"; return; fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    say "initialising cluster in $DATA_REAL"
    local pwfile; pwfile=$(mktemp); echo "$DB_PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
    as_postgres "$bin/initdb" -D "$DATA_REAL" -U "$DB_USER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  if port_open 127.0.0.1 "$PORT"; then die "port $PORT is taken by another process"; fi
  say "starting on 127.0.0.1:$PORT (log: $LOG)"
  touch "$LOG"; [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$LOG"
  as_postgres "$bin/pg_ctl" -D "$DATA_REAL" -l "$LOG" -w -t 60 \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DATA_REAL -c max_connections=200" start >/dev/null
  PGPASSWORD="$DB_PASSWORD" wait_until 30 "PostgreSQL" \
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres
  if ! PGPASSWORD="$DB_PASSWORD" psql -qtA -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres \
       -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
    PGPASSWORD="$DB_PASSWORD" psql -q -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -c "CREATE DATABASE $DB_NAME"
  fi
  say "ready: $(url | sed 's|:[^:@]*@|:***@|')"
}

stop() {
  [[ -n "${PACTLINE_DATABASE_URL:-}" ]] && return
  local bin; bin=$(bindir) || return 0
  place_data
  if pg_pid_alive; then say "stopping pid $(head -1 "$PIDFILE")"; as_postgres "$bin/pg_ctl" -D "$DATA_REAL" -m fast -w stop >/dev/null; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) if [[ -n "${PACTLINE_DATABASE_URL:-}" ]]; then echo "$PACTLINE_DATABASE_URL"; else url; fi ;;
  status) if pg_pid_alive; then say "up (pid $(head -1 "$PIDFILE"))"; else say "down"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
