#!/usr/bin/env bash
# Apache Kafka 4.x, KRaft combined mode, single node, from its Maven Central jars.
# Clients authenticate with SASL/SCRAM-SHA-512: one principal per service, plus admin (topics,
# tests, tools) and auditor (read-only); each password is made once under
# .local/kafka/credentials/<principal> (owner-readable only) and the SCRAM credentials are
# written at storage format time. The ACLs (pactline_messaging.broker_acls) are applied with
# kafka-acls after start, again whenever that table changes.
# Skipped when PACTLINE_KAFKA_BOOTSTRAP points at an existing broker.
# Usage: kafka.sh install|start|stop|status|credentials PRINCIPAL
COMPONENT=kafka
source "$(dirname "$0")/lib.sh"

PORT="${PACTLINE_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${PACTLINE_KAFKA_CONTROLLER_PORT:-19093}"
HOME_DIR="$PACTLINE_LOCAL/kafka"
LIBS="$HOME_DIR/libs"
DATA="$HOME_DIR/data"
PIDFILE="$HOME_DIR/kafka.pid"
LOG="$HOME_DIR/kafka.log"
CREDENTIALS="$HOME_DIR/credentials"
ADMIN_CONFIG="$HOME_DIR/admin.properties"
SASL_STAMP="$DATA/.pactline-sasl"   # the principals whose SCRAM credentials the storage holds
ACL_STAMP="$HOME_DIR/acls.stamp"
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

password_of() { # principal: its local password, made once
  local file="$CREDENTIALS/$1"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$CREDENTIALS"; chmod 700 "$CREDENTIALS"
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$file")
  fi
  cat "$file"
}

principals() { # every SCRAM user the clients use (pactline_messaging.broker_acls)
  (cd "$ROOT" && uv run --frozen --no-sync python -m pactline_messaging.broker_acls principals)
}

start() {
  if [[ -n "${PACTLINE_KAFKA_BOOTSTRAP:-}" ]]; then say "using existing broker at PACTLINE_KAFKA_BOOTSTRAP"; return; fi
  if pid_alive "$PIDFILE"; then
    say "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    users_and_acls
    return
  fi
  install
  mkdir -p "$DATA"
  local props="$HOME_DIR/server.properties"
  (umask 077; sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA|g" \
    -e "s|@BROKER_PASSWORD@|$(password_of broker)|g" \
    "$ROOT/scripts/infra/kafka/server.properties.in" > "$props")
  (umask 077; printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$(password_of admin)\";" \
    > "$ADMIN_CONFIG")
  if [[ -f "$DATA/meta.properties" && ! -f "$SASL_STAMP" ]]; then
    say "the local broker's storage predates SASL/SCRAM: formatting it anew (its local events are dropped)"
    rm -rf "$DATA"; mkdir -p "$DATA"; rm -f "$ACL_STAMP"
  fi
  if [[ ! -f "$DATA/meta.properties" ]]; then
    say "formatting KRaft storage in $DATA with the SCRAM credentials of every principal"
    local users=(broker $(principals)) scram=()
    for user in "${users[@]}"; do scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(password_of "$user")]"); done
    java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
      --cluster-id "$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)" \
      --config "$props" "${scram[@]}" >> "$LOG" 2>&1 || die "storage format failed, see $LOG"
    printf '%s\n' "${users[@]}" > "$SASL_STAMP"
    rm -f "$ACL_STAMP"
  fi
  if port_open 127.0.0.1 "$PORT"; then die "port $PORT is taken by another process"; fi
  [[ -f "$LOG" ]] && mv "$LOG" "$LOG.1"  # readiness greps this run's log only
  say "starting broker on 127.0.0.1:$PORT (log: $LOG)"
  nohup java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$props" >> "$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  wait_until 90 "Kafka on port $PORT" ready
  say "ready on 127.0.0.1:$PORT"
  users_and_acls
}

tool() { # class args...: a Kafka command-line tool as the admin principal
  local class=$1; shift
  java -Xmx256m "-Dlog4j2.configurationFile=$ROOT/scripts/infra/kafka/log4j2.yaml" -cp "$LIBS/*" "$class" \
    --bootstrap-server "127.0.0.1:$PORT" --command-config "$ADMIN_CONFIG" "$@"
}

users_and_acls() {
  # A principal added since the storage was formatted gets its SCRAM credential now.
  local user
  for user in $(principals); do
    grep -qx "$user" "$SASL_STAMP" && continue
    say "adding the SCRAM credential of $user"
    tool kafka.admin.ConfigCommand --alter --entity-type users --entity-name "$user" \
      --add-config "SCRAM-SHA-512=[password=$(password_of "$user")]" >> "$LOG.admin" 2>&1 || die "adding $user failed, see $LOG.admin"
    echo "$user" >> "$SASL_STAMP"
  done
  # ACLs only grow here: a grant removed from the table stays until the storage is formatted anew.
  local calls; calls=$(cd "$ROOT" && uv run --frozen --no-sync python -m pactline_messaging.broker_acls kafka-acls)
  local stamp; stamp=$(printf '%s' "$calls" | sha256sum | cut -c1-16)
  if [[ -f "$ACL_STAMP" && "$(cat "$ACL_STAMP")" == "$stamp" ]]; then return; fi
  say "applying the broker ACLs (pactline_messaging.broker_acls)"
  local line
  while read -r line; do
    # shellcheck disable=SC2086  # one call's arguments, split on purpose
    tool org.apache.kafka.tools.AclCommand $line >> "$LOG.admin" 2>&1 || die "kafka-acls $line failed, see $LOG.admin"
  done <<< "$calls"
  echo "$stamp" > "$ACL_STAMP"
}

ready() {
  pid_alive "$PIDFILE" || die "broker exited, see $LOG"
  port_open 127.0.0.1 "$PORT" && grep -q "Kafka Server started" "$LOG"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pidfile "$PIDFILE" ;;
  credentials) [[ -n "${2:-}" ]] || die "usage: $0 credentials PRINCIPAL"; password_of "$2" ;;
  status) if pid_alive "$PIDFILE" && port_open 127.0.0.1 "$PORT"; then say "up (pid $(cat "$PIDFILE"))"; else say "down"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status|credentials PRINCIPAL" >&2; exit 2 ;;
esac
