#!/bin/sh
# demo.sh REMDB_BIN: create a database from the bundled sample and show a
# few queries.  Run by `make demo`; safe to run again (it starts afresh).
set -eu
REMDB=${1:-build/remdb}
HERE=$(dirname "$0")
DB=${REMDB_DEMO_DB:-build/demo.db}
rm -rf "$DB"
r() { echo "\$ remdb $*"; "$REMDB" -d "$DB" "$@"; echo; }

r init
r schema add "$HERE/schemas/users.json"
r schema add "$HERE/schemas/issues.json"
r import users "$HERE/data/users.jsonl"
r import issues "$HERE/data/issues.jsonl"
r import resources "$HERE/data/resources.jsonl"
r schema list
r count issues
echo "# open issues of priority 1, from the secondary index on priority:"
echo "\$ remdb find issues priority 1 | (filter status=open)"
"$REMDB" -d "$DB" find issues priority 1 | grep '"status":"open"' | cut -c1-160
echo
echo "# everyone on the agents team:"
r find users team agents
ID=$("$REMDB" -d "$DB" find issues priority 1 | head -n 1 | sed 's/.*"id":"\([^"]*\)".*/\1/')
echo "# one issue by id, then a merge-patch update and a soft delete:"
r get "$ID"
r update "$ID" '{"status":"closed","labels":["done"]}'
r delete "$ID"
r count issues
r count issues --deleted
echo "# a bad write is refused with a reason and changes nothing:"
echo "\$ remdb insert issues '{\"key\":\"TAP-9\",\"title\":\"x\",\"status\":\"open\",\"priority\":9}'"
"$REMDB" -d "$DB" insert issues '{"key":"TAP-9","title":"x","status":"open","priority":9}' || true
echo
r verify
r stats
