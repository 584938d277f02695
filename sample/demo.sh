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
echo "# SQL over the same store: filters, GROUP BY, joins, window functions"
r sql "SELECT key, title, priority FROM issues WHERE status = 'open' AND priority = 1 ORDER BY key"
r sql "SELECT status, count(*) AS n, round(avg(priority), 2) AS avg_priority FROM issues GROUP BY status HAVING n > 5 ORDER BY n DESC"
r sql "SELECT u.team, count(i.id) AS open_issues FROM users u JOIN issues i ON i.assignee = u.handle WHERE i.status = 'open' GROUP BY u.team ORDER BY open_issues DESC"
r sql "SELECT handle, team, joined_at, rank() OVER (PARTITION BY team ORDER BY joined_at) AS seniority FROM users WHERE team = 'agents'"
echo "# the route each table took (index lookup, range, point get or full scan):"
r sql --explain "SELECT u.handle, i.key FROM users u JOIN issues i ON i.assignee = u.handle WHERE u.team = 'agents' AND i.priority <= 2"
echo "# similarity search over the bundled docs (hash embeddings: lexical) and key lookup:"
r sql "SELECT round(s._score, 3) AS score, r.name, substr(r.content, 1, 60) AS content FROM search('resources', 'token refresh', 3) s JOIN resources r ON r.id = s.id"
r sql "SELECT round(_score, 3) AS score, name FROM resources WHERE embedding.cosine('token refresh') AND category = 'docs' LIMIT 3"
r search resources "token refresh" -k 2 --hnsw --explain
r sql "SELECT key, match, type FROM lookup('TAP-1203') UNION ALL SELECT key, match, type FROM lookup('tap1204')"
echo "# the secondary index, from the CLI:"
r find users team agents
ID=$("$REMDB" -d "$DB" sql "SELECT id FROM issues WHERE key = 'TAP-1203'" --format csv | tail -n 1)
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
