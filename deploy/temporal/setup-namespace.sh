#!/bin/sh
# One-shot (service temporal-namespace, temporalio/admin-tools), once the server is up: create the namespace and
# register the custom search attributes the workflows upsert. SEARCH_ATTRIBUTES lists them as Name=Type, separated
# by spaces (docker-compose.yml; tests/deploy checks it against workflows.SEARCH_ATTRIBUTES and runs this script
# against a dev server). Safe to run again: what exists is kept, and an attribute registered with another type
# stops the script (the worker would fail on it).
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${SEARCH_ATTRIBUTES:?}"
retention=${TEMPORAL_NAMESPACE_RETENTION:-30d}

cli() { temporal "$@" --address "$TEMPORAL_ADDRESS"; }

# Run "$@" until it succeeds, 60 times 2 s apart at most: the server serves a while after its port opens, and a
# new namespace reaches the frontend's cache some seconds after it is created.
retry() {
  tries=1
  until "$@"; do
    [ "$tries" -lt 60 ] || { echo "giving up: $*" >&2; return 1; }
    tries=$((tries + 1))
    sleep 2
  done
}

namespace() {
  cli operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 ||
    cli operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$retention"
}

# The registered type of attribute $1 ("" when it is not registered), from the CLI's table of Name and Type.
registered_type() {
  cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" | awk -v name="$1" '$1 == name { print $2 }'
}

search_attribute() { # NAME TYPE
  current=$(registered_type "$1") || return 1
  if [ -z "$current" ]; then
    cli operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$1" --type "$2"
  elif [ "$current" != "$2" ]; then
    echo "search attribute $1 is registered as $current, not $2: fix it by hand" >&2
    exit 1
  fi
}

retry cli operator cluster health >/dev/null
retry namespace
for attribute in $SEARCH_ATTRIBUTES; do
  retry search_attribute "${attribute%%=*}" "${attribute#*=}"
done
echo "namespace $TEMPORAL_NAMESPACE ready with search attributes: $SEARCH_ATTRIBUTES"
