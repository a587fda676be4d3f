#!/usr/bin/env bash
# Local development / CI infrastructure WITHOUT Docker:
#   PostgreSQL primary + streaming hot-standby replica, Redis, Apache Kafka 3.9.1 (KRaft, single node).
# Everything listens on 127.0.0.1 only, on non-default ports; all data and logs live under $INFRA_DIR.
#
# Usage: bash scripts/infra/infra.sh up|down|status|reset|env
#        bash scripts/infra/infra.sh start|stop pg-primary|pg-replica|redis|kafka
#        bash scripts/infra/infra.sh kafka-topics <TopicCommand args>   (bootstrap server added)
#        bash scripts/infra/infra.sh kafka-class <main class> [args]    (any class from the Kafka jars)
# See scripts/infra/README.md.
set -euo pipefail
umask 022

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

# ---------------------------------------------------------------------------------------------
# Configuration (environment overridable)
# ---------------------------------------------------------------------------------------------
PG_PRIMARY_PORT="${PG_PRIMARY_PORT:-55432}"
PG_REPLICA_PORT="${PG_REPLICA_PORT:-55433}"
REDIS_PORT="${REDIS_PORT:-56379}"
KAFKA_PORT="${KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"
INFRA_DIR="${INFRA_DIR:-$REPO_ROOT/.local/infra}"
case "$INFRA_DIR" in /*) ;; *) INFRA_DIR="$PWD/$INFRA_DIR" ;; esac
INFRA_DIR="${INFRA_DIR%/}"
INFRA_TIMEOUT="${INFRA_TIMEOUT:-90}"          # seconds to wait for each component to become ready

# Local-only credentials (documented in README.md; never use outside this machine).
PG_USER=saas
PG_PASSWORD=saas
PG_REPL_USER=replicator
PG_REPL_PASSWORD=replicator
PG_SLOT=replica_slot
PG_REPLICA_APP=pg-replica
PG_DATABASES=(auth catalog media profile saas_test)

KAFKA_VERSION=3.9.1
# 22-char base64url of the 16 bytes "saas-local-infra": a fixed, valid KRaft cluster id.
KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-c2Fhcy1sb2NhbC1pbmZyYQ}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
KAFKA_TOOL_JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"

# Layout
LOG_DIR="$INFRA_DIR/logs"
PG_DIR="$INFRA_DIR/pg"
PG_PRIMARY_DATA="$PG_DIR/primary"
PG_REPLICA_DATA="$PG_DIR/replica"
PG_PRIMARY_OK="$PG_DIR/primary.initialized"
PG_REPLICA_OK="$PG_DIR/replica.initialized"
PG_PRIMARY_LOG="$LOG_DIR/pg-primary.log"
PG_REPLICA_LOG="$LOG_DIR/pg-replica.log"
REDIS_DIR="$INFRA_DIR/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"
KAFKA_DIR="$INFRA_DIR/kafka"
KAFKA_LIBS="${KAFKA_LIBS_DIR:-$KAFKA_DIR/libs}"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CONF="$KAFKA_DIR/server.properties"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_LOG_DIR="$LOG_DIR/kafka"
KAFKA_OUT="$KAFKA_LOG_DIR/kafka.out"
KAFKA_SRC="$SCRIPT_DIR/kafka"
ENV_FILE="$(dirname "$INFRA_DIR")/infra.env"
LOCK_FILE="$INFRA_DIR/.lock"

# Unix sockets have a ~107 byte path limit: fall back to /tmp for very deep checkouts.
if [[ -z "${PG_SOCKET_DIR:-}" ]]; then
  PG_SOCKET_DIR="$PG_DIR/run"
  if (( ${#PG_SOCKET_DIR} > 80 )); then
    PG_SOCKET_DIR="/tmp/infra-pg-$(printf '%s' "$INFRA_DIR" | sha256sum | cut -c1-12)"
  fi
fi

# Keep ambient libpq settings from redirecting our own psql calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSFILE PGSSLMODE PGTARGETSESSIONATTRS 2>/dev/null || true

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [[ "$(id -u)" == 0 ]]; }
now() { date +%s; }

show_log_tail() { # file
  [[ -f "$1" ]] || return 0
  printf '[infra] ---- last lines of %s ----\n' "$1" >&2
  tail -n 25 "$1" >&2 || true
  printf '[infra] ----\n' >&2
}

find_pg_bin() {
  if [[ -n "${PG_BIN_DIR:-}" ]]; then printf '%s' "$PG_BIN_DIR"; return; fi
  local d
  d="$( (ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true) | sort -V | tail -n 1)"
  printf '%s' "$d"
}

port_open() { # port -> 0 if something accepts TCP on 127.0.0.1:port
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

pid_cmd_has() { # pid pattern
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

take_lock() {
  mkdir -p "$INFRA_DIR"
  exec 9>"$LOCK_FILE"
  if ! flock -w 300 9; then die "another infra.sh is running (lock $LOCK_FILE)"; fi
}

# Run a command as the PostgreSQL OS user (initdb/pg_ctl refuse root). fd 9 (our lock) is closed so
# that long-running servers never inherit it.
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    "$@" 9>&-
  fi
}

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------
ensure_packages() {
  local missing=() pgbin
  pgbin="$(find_pg_bin)"
  if [[ -z "$pgbin" || ! -x "$pgbin/initdb" || ! -x "$pgbin/pg_basebackup" ]]; then missing+=(postgresql); fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then missing+=(redis-server); fi
  if ! command -v haproxy >/dev/null 2>&1 && [[ ! -x /usr/sbin/haproxy ]]; then missing+=(haproxy); fi
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v flock >/dev/null 2>&1 || missing+=(util-linux)
  (( ${#missing[@]} == 0 )) && return 0

  if ! is_root; then
    log "missing packages: ${missing[*]}"
    echo "Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  log "installing missing packages: ${missing[*]}"
  # Do not let the Debian packages start their own system services (we run separate instances).
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >"$INFRA_DIR/apt.log" 2>&1 9>&- </dev/null || rc=$?
  if (( made_policy )); then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  if (( rc != 0 )); then show_log_tail "$INFRA_DIR/apt.log"; die "apt-get install failed (log: $INFRA_DIR/apt.log)"; fi
  hash -r
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
PG_BIN=""
pg_init_bin() {
  PG_BIN="$(find_pg_bin)"
  [[ -n "$PG_BIN" && -x "$PG_BIN/pg_ctl" ]] || die "PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin); run: $0 up"
}

pg_q() { # port sql [db] -> unaligned tuples-only output
  PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$1" -U "$PG_USER" -d "${3:-postgres}" -c "$2" 2>/dev/null
}

pg_pid() { # datadir -> pid of the running postmaster (or nothing)
  local pid=""
  [[ -r "$1/postmaster.pid" ]] && pid="$(head -n 1 "$1/postmaster.pid" 2>/dev/null || true)"
  if pid_alive "$pid"; then printf '%s' "$pid"; fi
}

pg_running() { [[ -n "$(pg_pid "$1")" ]]; }

pg_prepare_dirs() {
  mkdir -p "$PG_DIR" "$PG_SOCKET_DIR" "$LOG_DIR"
  touch "$PG_PRIMARY_LOG" "$PG_REPLICA_LOG"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "OS user 'postgres' does not exist (install the postgresql package)"
    chown postgres:postgres "$PG_DIR" "$PG_SOCKET_DIR" "$PG_PRIMARY_LOG" "$PG_REPLICA_LOG"
    chmod 755 "$PG_DIR" "$PG_SOCKET_DIR"
    # Every parent of the data/socket dirs must be traversable by the postgres user.
    if ! runuser -u postgres -- test -x "$PG_DIR" || ! runuser -u postgres -- test -x "$PG_SOCKET_DIR"; then
      local d dirs=() i
      for d in "$PG_DIR" "$PG_SOCKET_DIR"; do
        while [[ "$d" != "/" && -n "$d" ]]; do dirs+=("$d"); d="$(dirname "$d")"; done
      done
      for (( i=${#dirs[@]}-1; i>=0; i-- )); do
        if ! runuser -u postgres -- test -x "${dirs[$i]}"; then
          log "chmod o+x ${dirs[$i]} (postgres must traverse it)"
          chmod o+x "${dirs[$i]}"
        fi
      done
    fi
  fi
}

pg_write_conf() { # datadir port role
  local f="$1/infra.conf"
  {
    echo "# Generated by scripts/infra/infra.sh at every start; do not edit."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $2"
    echo "unix_socket_directories = '$PG_SOCKET_DIR'"
    echo "max_connections = 300"
    echo "password_encryption = 'scram-sha-256'"
    echo "wal_level = replica"
    echo "max_wal_senders = 10"
    echo "max_replication_slots = 10"
    echo "wal_keep_size = '256MB'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    echo "wal_receiver_status_interval = '1s'"
    echo "wal_retrieve_retry_interval = '1s'"
    echo "# the outbox bench measures event latency from each write's commit, as the server recorded it"
    echo "track_commit_timestamp = on"
    echo "# local dev only: no fsync (survives process crashes, not OS crashes)"
    echo "fsync = off"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
    echo "log_timezone = 'UTC'"
    if [[ "$3" == replica ]]; then
      echo "primary_conninfo = 'host=127.0.0.1 port=$PG_PRIMARY_PORT user=$PG_REPL_USER password=$PG_REPL_PASSWORD application_name=$PG_REPLICA_APP'"
      echo "primary_slot_name = '$PG_SLOT'"
    fi
  } >"$f"
  if is_root; then chown postgres:postgres "$f"; fi
  grep -q "^include_if_exists = 'infra.conf'" "$1/postgresql.conf" ||
    echo "include_if_exists = 'infra.conf'" >>"$1/postgresql.conf"
}

pg_start_cluster() { # name datadir port log role
  local name="$1" data="$2" port="$3" logf="$4" role="$5"
  if pg_running "$data"; then return 0; fi
  if port_open "$port"; then die "$name: port $port is already in use by another process (another checkout's infra? stop it first)"; fi
  pg_write_conf "$data" "$port" "$role"
  log "starting $name on 127.0.0.1:$port"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$logf" -w -t "$INFRA_TIMEOUT" start >/dev/null </dev/null; then
    show_log_tail "$logf"
    die "$name failed to start within ${INFRA_TIMEOUT}s; see $logf"
  fi
}

pg_stop_cluster() { # name datadir
  if ! pg_running "$2"; then return 0; fi
  log "stopping $1"
  as_pg "$PG_BIN/pg_ctl" -D "$2" -m fast -w -t 60 stop >/dev/null </dev/null || die "$1: pg_ctl stop failed"
}

pg_wait_query() { # name port log
  local deadline=$(( $(now) + INFRA_TIMEOUT ))
  until [[ "$(pg_q "$2" 'select 1' || true)" == 1 ]]; do
    if (( $(now) > deadline )); then show_log_tail "$3"; die "$1 does not answer queries on port $2 after ${INFRA_TIMEOUT}s; see $3"; fi
    sleep 0.2
  done
}

pg_setup_primary_objects() { # first=1 -> also (re)sets the superuser password
  local first="$1" db
  {
    if [[ "$first" == 1 ]]; then
      echo "ALTER ROLE $PG_USER WITH SUPERUSER CREATEDB CREATEROLE LOGIN PASSWORD '$PG_PASSWORD';"
    fi
    echo "SELECT format('CREATE ROLE %I WITH REPLICATION LOGIN PASSWORD %L', '$PG_REPL_USER', '$PG_REPL_PASSWORD')" \
         "WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_REPL_USER') \\gexec"
    echo "SELECT pg_create_physical_replication_slot('$PG_SLOT')" \
         "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$PG_SLOT');"
    for db in "${PG_DATABASES[@]}"; do
      echo "SELECT 'CREATE DATABASE $db OWNER $PG_USER'" \
           "WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db') \\gexec"
    done
  } >"$PG_DIR/setup.sql"
  if ! PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" \
        -p "$PG_PRIMARY_PORT" -U "$PG_USER" -d postgres -f "$PG_DIR/setup.sql" >/dev/null; then
    die "creating roles/databases/slot on pg-primary failed ($PG_DIR/setup.sql)"
  fi
}

ensure_pg_primary() {
  pg_init_bin
  pg_prepare_dirs
  local first=0
  if [[ ! -f "$PG_PRIMARY_OK" ]]; then
    if pg_running "$PG_PRIMARY_DATA"; then as_pg "$PG_BIN/pg_ctl" -D "$PG_PRIMARY_DATA" -m immediate stop >/dev/null || true; fi
    if pg_running "$PG_REPLICA_DATA"; then as_pg "$PG_BIN/pg_ctl" -D "$PG_REPLICA_DATA" -m immediate stop >/dev/null || true; fi
    rm -rf "$PG_PRIMARY_DATA" "$PG_REPLICA_DATA" "$PG_REPLICA_OK"
    log "initdb pg-primary ($PG_PRIMARY_DATA)"
    if ! as_pg "$PG_BIN/initdb" -D "$PG_PRIMARY_DATA" -U "$PG_USER" -E UTF8 --locale=C.UTF-8 \
          --auth-local=trust --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1 </dev/null; then
      show_log_tail "$LOG_DIR/initdb.log"; die "initdb failed; see $LOG_DIR/initdb.log"
    fi
    first=1
  fi
  local was_running=1
  pg_running "$PG_PRIMARY_DATA" || was_running=0
  pg_start_cluster pg-primary "$PG_PRIMARY_DATA" "$PG_PRIMARY_PORT" "$PG_PRIMARY_LOG" primary
  pg_wait_query pg-primary "$PG_PRIMARY_PORT" "$PG_PRIMARY_LOG"
  pg_setup_primary_objects "$first"
  [[ -f "$PG_PRIMARY_OK" ]] || date -u +%FT%TZ >"$PG_PRIMARY_OK"
  # After a primary (re)start a running replica reconnects by itself; wait for it to stream again.
  if (( was_running == 0 )) && pg_running "$PG_REPLICA_DATA"; then pg_wait_streaming; fi
}

ensure_pg_replica() {
  pg_init_bin
  pg_prepare_dirs
  if [[ ! -f "$PG_REPLICA_OK" ]]; then
    pg_running "$PG_PRIMARY_DATA" || die "pg-replica is not created yet and pg-primary is down: run '$0 up'"
    if pg_running "$PG_REPLICA_DATA"; then as_pg "$PG_BIN/pg_ctl" -D "$PG_REPLICA_DATA" -m immediate stop >/dev/null || true; fi
    rm -rf "$PG_REPLICA_DATA"
    mkdir -p "$PG_REPLICA_DATA"; chmod 700 "$PG_REPLICA_DATA"
    if is_root; then chown postgres:postgres "$PG_REPLICA_DATA"; fi
    log "pg_basebackup pg-primary -> pg-replica ($PG_REPLICA_DATA)"
    if ! as_pg env PGPASSWORD="$PG_REPL_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" \
          -U "$PG_REPL_USER" -D "$PG_REPLICA_DATA" -R -S "$PG_SLOT" -X stream -c fast -w \
          >"$LOG_DIR/pg_basebackup.log" 2>&1 </dev/null; then
      show_log_tail "$LOG_DIR/pg_basebackup.log"; die "pg_basebackup failed; see $LOG_DIR/pg_basebackup.log"
    fi
    # -R wrote primary_conninfo/primary_slot_name into postgresql.auto.conf (which would override
    # infra.conf); keep them in infra.conf instead, regenerated at every start with current ports.
    sed -i -e '/^primary_conninfo/d' -e '/^primary_slot_name/d' "$PG_REPLICA_DATA/postgresql.auto.conf"
    [[ -f "$PG_REPLICA_DATA/standby.signal" ]] || die "pg_basebackup -R did not write standby.signal"
    date -u +%FT%TZ >"$PG_REPLICA_OK"
  fi
  pg_start_cluster pg-replica "$PG_REPLICA_DATA" "$PG_REPLICA_PORT" "$PG_REPLICA_LOG" replica
  pg_wait_query pg-replica "$PG_REPLICA_PORT" "$PG_REPLICA_LOG"
  [[ "$(pg_q "$PG_REPLICA_PORT" 'select pg_is_in_recovery()' || true)" == t ]] ||
    die "pg-replica is not in recovery (not a standby?); see $PG_REPLICA_LOG (fix: $0 reset)"
  if [[ "$(pg_q "$PG_REPLICA_PORT" 'select pg_is_wal_replay_paused()' || true)" == t ]]; then
    log "pg-replica: WAL replay was paused -> resuming"
    pg_q "$PG_REPLICA_PORT" 'select pg_wal_replay_resume()' >/dev/null || die "pg_wal_replay_resume() failed"
  fi
  if pg_running "$PG_PRIMARY_DATA"; then pg_wait_streaming; fi
}

pg_wait_streaming() {
  local deadline=$(( $(now) + INFRA_TIMEOUT ))
  until [[ "$(pg_q "$PG_PRIMARY_PORT" "select count(*) from pg_stat_replication where application_name = '$PG_REPLICA_APP' and state = 'streaming'" || true)" == 1 ]]; do
    if (( $(now) > deadline )); then
      show_log_tail "$PG_REPLICA_LOG"
      die "pg-replica is not streaming from pg-primary after ${INFRA_TIMEOUT}s; see $PG_REPLICA_LOG and $PG_PRIMARY_LOG"
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
redis_pid() {
  local pid=""
  [[ -r "$REDIS_PIDFILE" ]] && pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
  if pid_alive "$pid" && pid_cmd_has "$pid" redis-server; then printf '%s' "$pid"; fi
}

redis_ping() { [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" == PONG ]]; }

ensure_redis() {
  mkdir -p "$REDIS_DIR" "$LOG_DIR"
  if [[ -z "$(redis_pid)" ]]; then
    if port_open "$REDIS_PORT"; then die "redis: port $REDIS_PORT is already in use by another process"; fi
    cat >"$REDIS_CONF" <<EOF
# Generated by scripts/infra/infra.sh; do not edit.
port $REDIS_PORT
bind 127.0.0.1
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PIDFILE
logfile $REDIS_LOG
dir $REDIS_DIR
save ""
appendonly no
databases 16
EOF
    log "starting redis on 127.0.0.1:$REDIS_PORT"
    redis-server "$REDIS_CONF" >/dev/null 2>>"$REDIS_LOG" 9>&- </dev/null || { show_log_tail "$REDIS_LOG"; die "redis-server failed; see $REDIS_LOG"; }
  fi
  local deadline=$(( $(now) + INFRA_TIMEOUT ))
  until redis_ping; do
    if (( $(now) > deadline )); then show_log_tail "$REDIS_LOG"; die "redis does not answer PING on port $REDIS_PORT after ${INFRA_TIMEOUT}s; see $REDIS_LOG"; fi
    sleep 0.1
  done
}

stop_redis() {
  local pid; pid="$(redis_pid)"
  [[ -n "$pid" ]] || return 0
  log "stopping redis"
  timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  local i
  for (( i=0; i<100; i++ )); do pid_alive "$pid" || break; sleep 0.1; done
  if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------
kafka_stamp() { printf '%s %s' "$KAFKA_VERSION" "$(sha256sum <"$KAFKA_SRC/pom.xml" | cut -c1-16)"; }

ensure_kafka_jars() {
  local stamp; stamp="$(kafka_stamp)"
  if [[ -f "$KAFKA_LIBS/.complete" && "$(cat "$KAFKA_LIBS/.complete")" == "$stamp" ]]; then return 0; fi
  mkdir -p "$KAFKA_DIR" "$LOG_DIR"
  local tmp="$KAFKA_LIBS.tmp" goal="org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
  rm -rf "$tmp"
  log "fetching Kafka $KAFKA_VERSION jars with mvn -> $KAFKA_LIBS"
  # Offline first (everything may already be in ~/.m2), then online.
  if ! mvn -B -q -o -f "$KAFKA_SRC/pom.xml" "$goal" -DoutputDirectory="$tmp" -DincludeScope=runtime \
        >"$LOG_DIR/mvn-kafka.log" 2>&1 9>&- </dev/null; then
    rm -rf "$tmp"
    if ! mvn -B -q -f "$KAFKA_SRC/pom.xml" "$goal" -DoutputDirectory="$tmp" -DincludeScope=runtime \
          >"$LOG_DIR/mvn-kafka.log" 2>&1 9>&- </dev/null; then
      show_log_tail "$LOG_DIR/mvn-kafka.log"; die "mvn could not fetch the Kafka jars; see $LOG_DIR/mvn-kafka.log"
    fi
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn; see $LOG_DIR/mvn-kafka.log"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  printf '%s' "$stamp" >"$KAFKA_LIBS/.complete"
}

kafka_java() { # main-class args... (CLI tools: quiet logging)
  java $KAFKA_TOOL_JVM_OPTS -Dlog4j.configuration="file:$KAFKA_SRC/tools-log4j.properties" -cp "$KAFKA_LIBS/*" "$@"
}

kafka_pid() {
  local pid=""
  [[ -r "$KAFKA_PIDFILE" ]] && pid="$(cat "$KAFKA_PIDFILE" 2>/dev/null || true)"
  if pid_alive "$pid" && pid_cmd_has "$pid" kafka.Kafka; then printf '%s' "$pid"; fi
}

# Cheap readiness probe without a JVM: a raw ApiVersions v0 request (api_key 18, correlation id 7);
# expect the response header to echo correlation id 7 and error_code 0.
kafka_api_ok() {
  local out
  out="$(timeout 3 bash -c '
      exec 3<>/dev/tcp/127.0.0.1/'"$KAFKA_PORT"' || exit 1
      printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\xff\xff" >&3
      head -c 10 <&3 | od -An -tx1' 2>/dev/null)" || return 1
  out="$(echo $out)"
  [[ "$out" =~ ^00\ 00\ [0-9a-f]{2}\ [0-9a-f]{2}\ 00\ 00\ 00\ 07\ 00\ 00$ ]]
}

render_kafka_conf() {
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOG_DIR"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_DATA_DIR@|$KAFKA_DATA|g" \
      "$KAFKA_SRC/server.properties.tpl" >"$KAFKA_CONF"
  # KAFKA_POD_LISTENER=<address>:<port>: a second listener that pods of the local cluster reach (the host end
  # of the pod network, k8s/cluster); Kafka advertises it to clients that connect there. Loopback otherwise.
  if [[ -n "${KAFKA_POD_LISTENER:-}" ]]; then
    [[ "$KAFKA_POD_LISTENER" =~ ^[0-9.]+:[0-9]+$ ]] || die "KAFKA_POD_LISTENER must be <ipv4>:<port>, got '$KAFKA_POD_LISTENER'"
    sed -i -e "s|^listeners=\(.*\)|listeners=\1,POD://$KAFKA_POD_LISTENER|" \
        -e "s|^advertised.listeners=\(.*\)|advertised.listeners=\1,POD://$KAFKA_POD_LISTENER|" \
        -e "s|^listener.security.protocol.map=\(.*\)|listener.security.protocol.map=\1,POD:PLAINTEXT|" "$KAFKA_CONF"
  fi
}

ensure_kafka() {
  command -v java >/dev/null 2>&1 || die "java not found"
  ensure_kafka_jars
  local started=0
  if [[ -z "$(kafka_pid)" ]]; then
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      if port_open "$p"; then die "kafka: port $p is already in use by another process"; fi
    done
    render_kafka_conf
    if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
      log "formatting Kafka storage (cluster id $KAFKA_CLUSTER_ID)"
      kafka_java kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c "$KAFKA_CONF" --ignore-formatted \
        >"$KAFKA_LOG_DIR/format.log" 2>&1 9>&- </dev/null || { show_log_tail "$KAFKA_LOG_DIR/format.log"; die "Kafka storage format failed; see $KAFKA_LOG_DIR/format.log"; }
    fi
    log "starting kafka on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    # shellcheck disable=SC2086
    nohup setsid java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS \
      -Dlog4j.configuration="file:$KAFKA_SRC/log4j.properties" -Dkafka.logs.dir="$KAFKA_LOG_DIR" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF" >>"$KAFKA_OUT" 2>&1 9>&- </dev/null &
    local pid=$!
    echo "$pid" >"$KAFKA_PIDFILE"
    started=1
  fi
  local deadline=$(( $(now) + INFRA_TIMEOUT ))
  until kafka_api_ok; do
    # A process we just launched may still be nohup/setsid on its way to exec java (slow on a busy
    # machine): while it lives it is starting, whatever its command line says yet.
    if [[ -z "$(kafka_pid)" ]] && ! { (( started )) && pid_alive "$(cat "$KAFKA_PIDFILE" 2>/dev/null)"; }; then
      show_log_tail "$KAFKA_LOG_DIR/server.log"; show_log_tail "$KAFKA_OUT"
      die "kafka exited during startup; see $KAFKA_LOG_DIR/server.log and $KAFKA_OUT"
    fi
    if (( $(now) > deadline )); then
      show_log_tail "$KAFKA_LOG_DIR/server.log"
      die "kafka does not answer on 127.0.0.1:$KAFKA_PORT after ${INFRA_TIMEOUT}s; see $KAFKA_LOG_DIR/server.log"
    fi
    sleep 0.3
  done
  if (( started )); then
    # One real metadata round-trip with Kafka's own admin client (~2s of JVM start, only after a start).
    if ! timeout 60 java $KAFKA_TOOL_JVM_OPTS -Dlog4j.configuration="file:$KAFKA_SRC/tools-log4j.properties" \
          -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list \
          >/dev/null 2>"$KAFKA_LOG_DIR/metadata-check.log" 9>&- </dev/null; then
      show_log_tail "$KAFKA_LOG_DIR/metadata-check.log"
      die "kafka metadata check failed; see $KAFKA_LOG_DIR/server.log"
    fi
  fi
}

stop_kafka() {
  local pid; pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then rm -f "$KAFKA_PIDFILE"; return 0; fi
  log "stopping kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for (( i=0; i<600; i++ )); do pid_alive "$pid" || break; sleep 0.1; done
  if pid_alive "$pid"; then log "kafka did not stop in 60s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$KAFKA_PIDFILE"
}

# ---------------------------------------------------------------------------------------------
# env / status
# ---------------------------------------------------------------------------------------------
print_env() {
  cat <<EOF
DATABASE_PRIMARY_URL_BASE=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PRIMARY_PORT
DATABASE_REPLICA_URL_BASE=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_REPLICA_PORT
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
PG_PRIMARY_PORT=$PG_PRIMARY_PORT
PG_REPLICA_PORT=$PG_REPLICA_PORT
PG_SOCKET_DIR=$PG_SOCKET_DIR
PG_BIN_DIR=$(find_pg_bin)
REDIS_PORT=$REDIS_PORT
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
KAFKA_LIBS_DIR=$KAFKA_LIBS
INFRA_DIR=$INFRA_DIR
EOF
}

write_env_file() {
  local tmp="$ENV_FILE.tmp.$$"
  print_env >"$tmp"
  mv "$tmp" "$ENV_FILE"
}

status_line() { printf '%-11s port=%-6s %-4s pid=%-8s %s\n' "$@"; }

cmd_status() {
  local all_up=0 pid extra
  PG_BIN="$(find_pg_bin)"
  # pg-primary
  pid="$(pg_pid "$PG_PRIMARY_DATA")"
  if [[ -n "$pid" && -n "$PG_BIN" ]] && [[ "$(pg_q "$PG_PRIMARY_PORT" 'select 1' || true)" == 1 ]]; then
    extra="$(pg_q "$PG_PRIMARY_PORT" "select coalesce(string_agg(state || ' lag_bytes=' || coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text, '?'), ','), 'none') from pg_stat_replication where application_name = '$PG_REPLICA_APP'" || echo '?')"
    status_line pg-primary "$PG_PRIMARY_PORT" up "$pid" "replication=$extra"
  else
    status_line pg-primary "$PG_PRIMARY_PORT" down "${pid:--}" ""; all_up=1
  fi
  # pg-replica
  pid="$(pg_pid "$PG_REPLICA_DATA")"
  if [[ -n "$pid" && -n "$PG_BIN" ]] && [[ "$(pg_q "$PG_REPLICA_PORT" 'select 1' || true)" == 1 ]]; then
    extra="$(pg_q "$PG_REPLICA_PORT" "select 'in_recovery=' || pg_is_in_recovery() || ' replay_paused=' || pg_is_wal_replay_paused() || ' receiver=' || coalesce((select status from pg_stat_wal_receiver), 'none') || ' unreplayed_bytes=' || coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint::text, '?')" || echo '?')"
    status_line pg-replica "$PG_REPLICA_PORT" up "$pid" "$extra"
  else
    status_line pg-replica "$PG_REPLICA_PORT" down "${pid:--}" ""; all_up=1
  fi
  # redis
  pid="$(redis_pid)"
  if [[ -n "$pid" ]] && redis_ping; then status_line redis "$REDIS_PORT" up "$pid" ""
  else status_line redis "$REDIS_PORT" down "${pid:--}" ""; all_up=1; fi
  # kafka
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]] && kafka_api_ok; then status_line kafka "$KAFKA_PORT" up "$pid" "controller=$KAFKA_CONTROLLER_PORT"
  else status_line kafka "$KAFKA_PORT" down "${pid:--}" ""; all_up=1; fi
  return "$all_up"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
cmd_up() {
  local t0; t0="$(date +%s.%N)"
  take_lock
  mkdir -p "$LOG_DIR"
  ensure_packages
  ensure_pg_primary
  ensure_pg_replica
  ensure_redis
  ensure_kafka
  write_env_file
  log "all up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s (env: $ENV_FILE)"
}

cmd_down() {
  take_lock
  PG_BIN="$(find_pg_bin)"
  stop_kafka
  stop_redis
  if [[ -n "$PG_BIN" ]]; then
    pg_stop_cluster pg-replica "$PG_REPLICA_DATA"
    pg_stop_cluster pg-primary "$PG_PRIMARY_DATA"
  fi
  log "all down"
}

cmd_reset() {
  cmd_down
  case "$INFRA_DIR" in /|"$HOME"|"$REPO_ROOT"|"") die "refusing to delete INFRA_DIR=$INFRA_DIR" ;; esac
  log "deleting data in $INFRA_DIR (keeping cached Kafka jars)"
  find "$INFRA_DIR" -mindepth 1 -maxdepth 1 ! -name kafka ! -name .lock -exec rm -rf {} +
  if [[ -d "$KAFKA_DIR" ]]; then find "$KAFKA_DIR" -mindepth 1 -maxdepth 1 ! -name libs -exec rm -rf {} +; fi
  case "$PG_SOCKET_DIR" in /tmp/infra-pg-*) rm -rf "$PG_SOCKET_DIR" ;; esac
  rm -f "$ENV_FILE"
  exec 9>&-
  cmd_up
}

component_check() {
  case "${1:-}" in pg-primary|pg-replica|redis|kafka) ;; *) die "component must be one of: pg-primary pg-replica redis kafka" ;; esac
}

cmd_start() {
  component_check "${1:-}"
  take_lock
  mkdir -p "$LOG_DIR"
  case "$1" in
    pg-primary) ensure_pg_primary ;;
    pg-replica) ensure_pg_replica ;;
    redis) ensure_redis ;;
    kafka) ensure_kafka ;;
  esac
  log "$1 is up"
}

cmd_stop() {
  component_check "${1:-}"
  take_lock
  case "$1" in
    pg-primary) pg_init_bin; pg_stop_cluster pg-primary "$PG_PRIMARY_DATA" ;;
    pg-replica) pg_init_bin; pg_stop_cluster pg-replica "$PG_REPLICA_DATA" ;;
    redis) stop_redis ;;
    kafka) stop_kafka ;;
  esac
}

usage() {
  cat >&2 <<EOF
usage: $0 up|down|status|reset|env
       $0 start|stop pg-primary|pg-replica|redis|kafka
       $0 kafka-topics <args>            (TopicCommand with --bootstrap-server 127.0.0.1:$KAFKA_PORT)
       $0 kafka-class <main class> <args> (run any class from the Kafka jars)
EOF
  exit 2
}

main() {
  local cmd="${1:-}"; shift || true
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    env) print_env ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    kafka-topics)
      [[ -f "$KAFKA_LIBS/.complete" ]] || die "Kafka jars not fetched yet: run '$0 up'"
      kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" "$@" ;;
    kafka-class)
      [[ -f "$KAFKA_LIBS/.complete" ]] || die "Kafka jars not fetched yet: run '$0 up'"
      kafka_java "$@" ;;
    *) usage ;;
  esac
}

main "$@"
