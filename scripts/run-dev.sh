#!/usr/bin/env bash
# `make run`: the whole service on one machine. Temporal dev server (state in .data/), search
# attributes, worker, sample tickets and the HTTP API; Ctrl-C stops the API, the worker, then the
# server.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
DATA=.data
HOST=127.0.0.1
PORT=7233
UI_PORT=8233
export API_HOST="${API_HOST:-127.0.0.1}"
export API_PORT="${API_PORT:-8000}"
# The worker's Prometheus metrics (docs/metrics.md); `METRICS_ADDRESS= make run` turns them off.
export METRICS_ADDRESS="${METRICS_ADDRESS-127.0.0.1:9464}"
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-60}

# This script runs its own server: point every client (CLI, worker) at it.
export TEMPORAL_ADDRESS="$HOST:$PORT"
export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
unset TEMPORAL_API_KEY # an API key would switch TLS on against a plain local server

SERVER_PID=""
WORKER_PID=""
API_PID=""
TAIL_PID=""

say() { printf 'run-dev: %s\n' "$*"; }
die() {
    printf 'run-dev: error: %s\n' "$*" >&2
    exit 1
}

# --- stopping ------------------------------------------------------------------------------

# Signal one of our children and wait up to $3 seconds before SIGKILL.
stop_pid() {
    local pid=$1 name=$2 grace=$3
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop within ${grace}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# The worker first, so it finishes its tasks while the server can still take the results.
cleanup() {
    trap - INT TERM EXIT
    stop_pid "$API_PID" "HTTP API" 10
    stop_pid "$WORKER_PID" worker 15
    stop_pid "$TAIL_PID" "log tail" 2
    stop_pid "$SERVER_PID" "temporal server" 15
}

on_signal() {
    echo
    cleanup
    say "stopped"
    exit 0
}

on_exit() {
    local status=$?
    cleanup
    exit "$status"
}

trap on_signal INT TERM
trap on_exit EXIT

# --- checks --------------------------------------------------------------------------------

[[ -x "$BIN/temporal" && -x "$BIN/python" ]] || die "no $BIN/temporal or $BIN/python: run 'make install' first"

port_in_use() {
    "$BIN/python" -c 'import socket, sys
with socket.socket() as s:
    s.settimeout(1)
    sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)' "$HOST" "$1"
}

for port in "$PORT" "$UI_PORT" "$API_PORT" ${METRICS_ADDRESS:+"${METRICS_ADDRESS##*:}"}; do
    if port_in_use "$port"; then
        die "port $port on $HOST is already in use (another Temporal server or 'make run'?); stop it first"
    fi
done

# --- server --------------------------------------------------------------------------------

# One --search-attribute per key of contract/search_attributes.ALL, so the list cannot drift.
mapfile -t SEARCH_ATTRIBUTE_FLAGS < <("$BIN/python" -c '
from contract.search_attributes import ALL
for key in ALL:
    # INDEXED_VALUE_TYPE_KEYWORD_LIST -> KeywordList, the spelling the temporal CLI takes.
    words = key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").split("_")
    print("--search-attribute")
    print(key.name + "=" + "".join(word.capitalize() for word in words))
')
[[ ${#SEARCH_ATTRIBUTE_FLAGS[@]} -gt 0 ]] || die "could not read contract/search_attributes.ALL"

NAMESPACE_FLAGS=()
[[ "$TEMPORAL_NAMESPACE" == default ]] || NAMESPACE_FLAGS=(--namespace "$TEMPORAL_NAMESPACE")

mkdir -p "$DATA"
say "starting Temporal dev server on $HOST:$PORT (log: $DATA/temporal.log, state: $DATA/temporal.db)"
# setsid: a terminal Ctrl-C reaches only this script, which then stops children in order.
setsid "$BIN/temporal" server start-dev \
    --db-filename "$DATA/temporal.db" \
    --ip "$HOST" --port "$PORT" --ui-port "$UI_PORT" \
    "${NAMESPACE_FLAGS[@]}" \
    "${SEARCH_ATTRIBUTE_FLAGS[@]}" \
    >>"$DATA/temporal.log" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + HEALTH_TIMEOUT))
until "$BIN/temporal" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 20 "$DATA/temporal.log" >&2 || true
        SERVER_PID=""
        die "the Temporal server exited during start-up (see $DATA/temporal.log)"
    fi
    if ((SECONDS >= deadline)); then
        tail -n 20 "$DATA/temporal.log" >&2 || true
        die "the Temporal server did not answer on $TEMPORAL_ADDRESS within ${HEALTH_TIMEOUT}s (see $DATA/temporal.log)"
    fi
    sleep 0.5
done
say "server is up"

"$BIN/python" -m starter init

# --- worker --------------------------------------------------------------------------------

say "starting worker (log: $DATA/worker.log)"
setsid "$BIN/python" worker.py >>"$DATA/worker.log" 2>&1 &
WORKER_PID=$!
# Show the worker's log here too; --pid ends the tail when the worker ends.
tail -n 0 -F --pid="$WORKER_PID" "$DATA/worker.log" &
TAIL_PID=$!

"$BIN/python" -m starter samples

# --- HTTP API ------------------------------------------------------------------------------

# Without API_KEYS, one key is generated once and kept in .data/api-key (readable by you only).
API_KEYS="${API_KEYS:-}"
if [[ -z "${API_KEYS//[ ,]/}" ]]; then
    if [[ ! -s "$DATA/api-key" ]]; then
        (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$DATA/api-key")
    fi
    API_KEYS=$(cat "$DATA/api-key")
    say "no API_KEYS set: using the generated key in $DATA/api-key"
fi
export API_KEYS

say "starting HTTP API on http://$API_HOST:$API_PORT (log: $DATA/api.log)"
setsid "$BIN/python" -m starter api >>"$DATA/api.log" 2>&1 &
API_PID=$!
deadline=$((SECONDS + HEALTH_TIMEOUT))
until curl -fsS "http://$API_HOST:$API_PORT/healthz" >/dev/null 2>&1; do
    kill -0 "$API_PID" 2>/dev/null || {
        API_PID=""
        die "the HTTP API exited during start-up (see $DATA/api.log)"
    }
    ((SECONDS < deadline)) || die "the HTTP API did not answer within ${HEALTH_TIMEOUT}s (see $DATA/api.log)"
    sleep 0.2
done

METRICS_URL="off (METRICS_ADDRESS is empty)"
[[ -z "$METRICS_ADDRESS" ]] || METRICS_URL="http://$METRICS_ADDRESS/metrics"

cat <<EOF

  Temporal UI:   http://localhost:$UI_PORT
  HTTP API:      http://$API_HOST:$API_PORT   API key: ${API_KEYS%%,*}
  API docs:      http://$API_HOST:$API_PORT/docs (the browser asks: any user name, the key as password)
  Metrics:       $METRICS_URL
  Try:
    $BIN/python -m starter status SAMPLE-P1-OUTAGE
    $BIN/python -m starter ack SAMPLE-P1-OUTAGE --agent you
    $BIN/python -m starter list --priority P1
    $BIN/temporal workflow list --query "TicketPriority = 'P1'"
    $BIN/temporal workflow signal --name acknowledge --input '{"agent":"you"}' -w ticket-SAMPLE-P1-OUTAGE
    curl -H "X-API-Key: ${API_KEYS%%,*}" http://$API_HOST:$API_PORT/tickets/SAMPLE-P2-API

  Ctrl-C stops the API, the worker and the server; state stays in $DATA/.

EOF

# Either child ending on its own is a failure: report it and stop the other.
set +e
wait -n "$SERVER_PID" "$WORKER_PID" "$API_PID"
status=$?
set -e
if ! kill -0 "$API_PID" 2>/dev/null; then
    API_PID=""
    die "the HTTP API exited (status $status); see $DATA/api.log"
fi
if ! kill -0 "$WORKER_PID" 2>/dev/null; then
    WORKER_PID=""
    die "the worker exited (status $status); see $DATA/worker.log"
fi
SERVER_PID=""
die "the Temporal server exited (status $status); see $DATA/temporal.log"
