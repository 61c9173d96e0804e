#!/usr/bin/env bash
# Apache Kafka 4.x, KRaft combined mode, single node, from its Maven Central jars.
# Skipped when PACTLINE_KAFKA_BOOTSTRAP points at an existing broker.
# Usage: kafka.sh install|start|stop|status
COMPONENT=kafka
source "$(dirname "$0")/lib.sh"

PORT="${PACTLINE_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${PACTLINE_KAFKA_CONTROLLER_PORT:-19093}"
HOME_DIR="$PACTLINE_LOCAL/kafka"
LIBS="$HOME_DIR/libs"
DATA="$HOME_DIR/data"
PIDFILE="$HOME_DIR/kafka.pid"
LOG="$HOME_DIR/kafka.log"
POM="$ROOT/scripts/infra/kafka/pom.xml"
JAVA_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
           "-Dlog4j2.configurationFile=$ROOT/scripts/infra/kafka/log4j2.yaml")

install() {
  # The jar set is keyed by the pom's hash so a version bump fetches anew.
  local stamp; stamp=$(sha256sum "$POM" | cut -c1-16)
  if [[ -f "$LIBS/.stamp" && "$(cat "$LIBS/.stamp")" == "$stamp" ]]; then return; fi
  command -v java >/dev/null || die "java not found (Java 17+ is required to run Kafka)"
  command -v mvn >/dev/null || die "mvn not found (Maven fetches the Kafka jars)"
  say "fetching Kafka jars from Maven Central"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS"
  echo "$stamp" > "$LIBS/.stamp"
}

start() {
  if [[ -n "${PACTLINE_KAFKA_BOOTSTRAP:-}" ]]; then say "using existing broker at PACTLINE_KAFKA_BOOTSTRAP"; return; fi
  if pid_alive "$PIDFILE"; then
    say "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return
  fi
  install
  mkdir -p "$DATA"
  local props="$HOME_DIR/server.properties"
  sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA|g" \
    "$ROOT/scripts/infra/kafka/server.properties.in" > "$props"
  if [[ ! -f "$DATA/meta.properties" ]]; then
    say "formatting KRaft storage in $DATA"
    java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
      --cluster-id "$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)" \
      --config "$props" >> "$LOG" 2>&1 || die "storage format failed, see $LOG"
  fi
  if port_open 127.0.0.1 "$PORT"; then die "port $PORT is taken by another process"; fi
  [[ -f "$LOG" ]] && mv "$LOG" "$LOG.1"  # readiness greps this run's log only
  say "starting broker on 127.0.0.1:$PORT (log: $LOG)"
  nohup java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$props" >> "$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  wait_until 90 "Kafka on port $PORT" ready
  say "ready on 127.0.0.1:$PORT"
}

ready() {
  pid_alive "$PIDFILE" || die "broker exited, see $LOG"
  port_open 127.0.0.1 "$PORT" && grep -q "Kafka Server started" "$LOG"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pidfile "$PIDFILE" ;;
  status) if pid_alive "$PIDFILE" && port_open 127.0.0.1 "$PORT"; then say "up (pid $(cat "$PIDFILE"))"; else say "down"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
