#!/bin/sh
# One-shot job (temporalio/admin-tools image): create the namespace and register the custom
# search attributes the workflows set. Safe to re-run: what exists is kept; a search attribute
# already registered with another type fails the job instead of being changed.
#   SEARCH_ATTRIBUTES  space-separated Name=Type pairs (Type as the temporal CLI spells it)
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-7d}
: "${SEARCH_ATTRIBUTES:?must list Name=Type pairs}"

# Dial the IPv4 address: the server binds 0.0.0.0 only (the samples-server scripts do the same).
HOST=${ADDRESS%:*}
PORT=${ADDRESS##*:}
IP=$(getent ahosts "$HOST" | awk '$1 ~ /^[0-9.]+$/ { print $1; exit }' || true)
[ -z "$IP" ] || ADDRESS="$IP:$PORT"

# wait_for WHAT COMMAND...: run COMMAND every 2 s until it succeeds, for at most 2 minutes.
wait_for() {
    what=$1
    shift
    echo "create-namespace: waiting for $what"
    tries=0
    until "$@" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then
            echo "create-namespace: gave up waiting for $what after 2 minutes" >&2
            exit 1
        fi
        sleep 2
    done
}

wait_for "Temporal at $ADDRESS" temporal operator cluster health --address "$ADDRESS"

if temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
    echo "create-namespace: namespace $NAMESPACE already exists"
else
    temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" \
        --retention "$RETENTION"
fi
# A new namespace reaches the search-attribute API only after the server's cache refresh (~10 s).
wait_for "namespace $NAMESPACE" \
    temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE"

# Re-adding an attribute with the same type succeeds; a different type is an error.
for spec in $SEARCH_ATTRIBUTES; do
    temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
        --name "${spec%%=*}" --type "${spec#*=}"
done
echo "create-namespace: $NAMESPACE ready with search attributes $SEARCH_ATTRIBUTES"
