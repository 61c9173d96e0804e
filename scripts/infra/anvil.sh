#!/usr/bin/env bash
# anvil (local EVM node) from the npm registry, pinned in package.json.
# Skipped when PACTLINE_ETH_RPC_URL points at an existing node.
# Usage: anvil.sh start|stop|status
COMPONENT=anvil
source "$(dirname "$0")/lib.sh"

PORT="${PACTLINE_ANVIL_PORT:-8545}"
CHAIN_ID="${PACTLINE_CHAIN_ID:-31337}"
HOME_DIR="$PACTLINE_LOCAL/anvil"
PIDFILE="$HOME_DIR/anvil.pid"
LOG="$HOME_DIR/anvil.log"
ANVIL="$ROOT/node_modules/.bin/anvil"

rpc_ok() { rpc eth_chainId >/dev/null; }

rpc() { # method -> result json
  curl -sf -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":[]}" "http://127.0.0.1:$PORT"
}

start() {
  if [[ -n "${PACTLINE_ETH_RPC_URL:-}" ]]; then say "using existing node at PACTLINE_ETH_RPC_URL"; return; fi
  if pid_alive "$PIDFILE"; then say "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return; fi
  [[ -x "$ANVIL" ]] || die "anvil not installed; run 'npm ci' in $ROOT (make setup does)"
  if port_open 127.0.0.1 "$PORT"; then die "port $PORT is taken by another process"; fi
  mkdir -p "$HOME_DIR"
  [[ -f "$LOG" ]] && mv "$LOG" "$LOG.1"
  say "starting on 127.0.0.1:$PORT (log: $LOG)"
  nohup "$ANVIL" --host 127.0.0.1 --port "$PORT" --chain-id "$CHAIN_ID" --accounts 10 \
    --state "$HOME_DIR/state.json" >> "$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  wait_until 30 "anvil RPC" rpc_ok
  say "ready: chain id $((16#$(rpc eth_chainId | sed -E 's/.*"0x([0-9a-fA-F]+)".*/\1/'))) at http://127.0.0.1:$PORT"
  say "accounts (anvil's well-known test mnemonic; never fund these on a real chain):"
  sed -n '/Available Accounts/,/Private Keys/p' "$LOG" | grep -E '^\([0-9]+\)' | sed 's/^/  /' >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop_pidfile "$PIDFILE" ;;
  status) if pid_alive "$PIDFILE" && rpc eth_chainId >/dev/null; then say "up (pid $(cat "$PIDFILE"))"; else say "down"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
