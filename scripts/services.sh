#!/usr/bin/env bash
# Starts, stops or reports the six Pactline services, and the SIMULATED agents the demo and
# tests call through the gateway, as local background processes.
# Logs: .local/services/<name>.log; stopped by PID file, never by name.
# Each runs in the `local` environment with its own event signing key (.local/keys/<service>.pem,
# made once), the trust store of all of them, and, on the project's own broker, its own
# SASL/SCRAM principal (scripts/infra/kafka.sh).
# Usage: services.sh start|stop|status
COMPONENT=services
source "$(dirname "$0")/infra/lib.sh"
cd "$ROOT"

SERVICES=(registry:8101 evaluator:8102 jury:8103 scoring:8104 settlement:8105 gateway:8106 simulated-agents:8180)
DIR="$PACTLINE_LOCAL/services"

ready() { curl -sf "http://127.0.0.1:$1/ready" >/dev/null; }
# The workspace's interpreter, run directly (not under `uv run`, which would sit between this
# script and the service as a parent process): the PID file then names the service itself.
python_bin() { uv run --frozen --no-sync python -c 'import sys; print(sys.executable)'; }
# The Python module each entry runs; the simulated agents live in the gateway's package.
module() { if [[ $1 == simulated-agents ]]; then echo pactline_gateway.simulated_agents; else echo "pactline_$1"; fi; }

start() {
  mkdir -p "$DIR"
  export PACTLINE_ENVIRONMENT=local
  local own_broker=1
  [[ -n "${PACTLINE_KAFKA_BOOTSTRAP:-}" ]] && own_broker=0
  local keys="$PACTLINE_LOCAL/keys"
  uv run --frozen --no-sync python -m pactline_messaging.local_keys "$keys" >/dev/null
  export PACTLINE_DATABASE_URL="${PACTLINE_DATABASE_URL:-$(scripts/infra/postgres.sh url)}"
  export PACTLINE_KAFKA_BOOTSTRAP="${PACTLINE_KAFKA_BOOTSTRAP:-127.0.0.1:${PACTLINE_KAFKA_PORT:-19092}}"
  export PACTLINE_ETH_RPC_URL="${PACTLINE_ETH_RPC_URL:-http://127.0.0.1:${PACTLINE_ANVIL_PORT:-8545}}"
  # A local-only bootstrap admin key for pact-registry, made once, readable by root only;
  # `make demo` uses it to create the first principals. Never used outside this machine.
  local admin_key_file="$DIR/bootstrap-admin.key"
  if [[ ! -s "$admin_key_file" ]]; then
    (umask 077; python3 -c 'import secrets; print("pl_bootstrap_" + secrets.token_urlsafe(32))' > "$admin_key_file")
  fi
  local pepper_file="$DIR/key-pepper"
  if [[ ! -s "$pepper_file" ]]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$pepper_file")
  fi
  # Agents answer on this machine (the simulated ones on 127.0.0.1:8180): the registry may
  # register, and the gateway may call, loopback over plain http. Never so in a deployment.
  export PACTLINE_AGENT_ENDPOINTS_ALLOW_PRIVATE="${PACTLINE_AGENT_ENDPOINTS_ALLOW_PRIVATE:-127.0.0.1/32}"
  export PACTLINE_AGENT_ENDPOINTS_ALLOW_HTTP="${PACTLINE_AGENT_ENDPOINTS_ALLOW_HTTP:-true}"
  local python; python=$(python_bin)
  start_judges
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    if pid_alive "$DIR/$name.pid"; then say "$name already running (pid $(cat "$DIR/$name.pid"))"; continue; fi
    if port_open 127.0.0.1 "$port"; then die "port $port for $name is taken by another process"; fi
    [[ -f "$DIR/$name.log" ]] && mv "$DIR/$name.log" "$DIR/$name.log.1"
    local service=$name; [[ $name == registry ]] && service=pact-registry
    (
      # Exported in a subshell, not passed on a command line: secrets never show in `ps`.
      export PACTLINE_HTTP_PORT=$port
      if [[ $name == simulated-agents ]]; then
        # Not a Pactline service: no event keys, no broker principal.
        export PACTLINE_SIMULATED_AGENTS_PORT=$port
        # The sloppy agent answers in 2.5 s, clearly over the demo pacts' 2 s latency clause even
        # when the machine is busy (scripts/demo/pacts).
        export PACTLINE_SIMULATED_SLOPPY_DELAY_MS=${PACTLINE_SIMULATED_SLOPPY_DELAY_MS:-2500}
      else
        export PACTLINE_EVENT_SIGNING_KEY_FILE="$keys/$service.pem" PACTLINE_EVENT_TRUSTED_KEYS_FILE="$keys/trusted-keys.json"
        if (( own_broker )); then
          export PACTLINE_KAFKA_USERNAME=$service
          PACTLINE_KAFKA_PASSWORD=$(scripts/infra/kafka.sh credentials "$service"); export PACTLINE_KAFKA_PASSWORD
        fi
      fi
      if [[ $name == registry ]]; then
        PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY=${PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY:-$(cat "$admin_key_file")}
        PACTLINE_REGISTRY_KEY_PEPPER=${PACTLINE_REGISTRY_KEY_PEPPER:-$(cat "$pepper_file")}
        export PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY PACTLINE_REGISTRY_KEY_PEPPER
      elif [[ $name == gateway || $name == evaluator ]]; then
        # The gateway and the evaluator's read API check keys against the HMACs the registry
        # announces: the same pepper.
        PACTLINE_REGISTRY_KEY_PEPPER=${PACTLINE_REGISTRY_KEY_PEPPER:-$(cat "$pepper_file")}
        export PACTLINE_REGISTRY_KEY_PEPPER
      elif [[ $name == settlement && -z "${PACTLINE_SETTLEMENT_SIGNER_KEY:-}${PACTLINE_EVALUATOR_PRIVATE_KEY:-}${PACTLINE_SETTLEMENT_SIGNER_KEY_FILE:-}" ]]; then
        # Locally the evaluator is anvil's well-known dev account 9, pinned to the local chain id so
        # the key is refused anywhere else; a real network sets its own key (docs/settlement.md).
        export PACTLINE_SETTLEMENT_SIGNER_KEY=0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6
        export PACTLINE_CHAIN_ID=${PACTLINE_CHAIN_ID:-31337}
      fi
      if [[ $name == settlement ]]; then
        # anvil mines one block per transaction and never reorganises on its own: a block is final
        # at once (a real network wants more, docs/settlement.md). Batches are cut after 5 s so the
        # demo settles while you watch (the production default waits up to 300 s for fuller ones).
        export PACTLINE_SETTLEMENT_CONFIRMATIONS=${PACTLINE_SETTLEMENT_CONFIRMATIONS:-1}
        export PACTLINE_SETTLEMENT_BATCH_MAX_AGE_S=${PACTLINE_SETTLEMENT_BATCH_MAX_AGE_S:-5}
      fi
      exec nohup "$python" -m "$(module "$name")" >> "$DIR/$name.log" 2>&1
    ) &
    echo $! > "$DIR/$name.pid"
    say "started $name on 127.0.0.1:$port (pid $!)"
  done
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    check() { pid_alive "$DIR/$name.pid" || die "$name exited, see $DIR/$name.log"; ready "$port"; }
    wait_until 90 "$name /ready" check
  done
}

stop() {
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*}
    COMPONENT=$name stop_pidfile "$DIR/$name.pid"
  done
  COMPONENT=judge-server stop_pidfile "$DIR/judge-server.pid"
}

# The jury's local panel is SIMULATED: this OpenAI-compatible server answers as its judges,
# from an answer key (PACTLINE_JUDGE_ANSWER_KEY, a JSON file) and fixed behaviours
# (docs/jury.md). It is started whatever the panel: one of real providers only
# (PACTLINE_JURY_PANEL_FILE) leaves it running but never calls it.
start_judges() {
  local port=${PACTLINE_JUDGE_SERVER_PORT:-8110}
  export PACTLINE_JURY_JUDGE_SERVER_URL="${PACTLINE_JURY_JUDGE_SERVER_URL:-http://127.0.0.1:$port/v1}"
  if pid_alive "$DIR/judge-server.pid"; then say "judge-server already running (pid $(cat "$DIR/judge-server.pid"))"; return; fi
  if port_open 127.0.0.1 "$port"; then die "port $port for the simulated judge server is taken by another process"; fi
  # The honest simulated judges grade from this answer key: by default the demo's
  # (scripts/demo/prompts.py), which passes the reliable agent's answers and fails the rest.
  local key=${PACTLINE_JUDGE_ANSWER_KEY:-$ROOT/scripts/demo/judge_answer_key.json}
  nohup "$python" -m pactline_jury.judge_server --port "$port" --answer-key "$key" >> "$DIR/judge-server.log" 2>&1 &
  echo $! > "$DIR/judge-server.pid"
  say "started the SIMULATED judge server on 127.0.0.1:$port (pid $!): the jury's local judges are not language models"
  check_judges() { pid_alive "$DIR/judge-server.pid" || die "judge-server exited, see $DIR/judge-server.log"; curl -sf "http://127.0.0.1:$port/stats" >/dev/null; }
  wait_until 60 "judge-server" check_judges
}

status() {
  local down=0
  for entry in "${SERVICES[@]}"; do
    local name=${entry%%:*} port=${entry##*:}
    if ready "$port"; then say "$name ready on :$port"; else say "$name NOT ready on :$port"; down=1; fi
  done
  return $down
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
