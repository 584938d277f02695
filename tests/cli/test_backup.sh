#!/bin/bash
# backup DEST: a consistent copy of the tenant (or, with --all-tenants, of
# the whole database) that opens and verifies; DEST must not exist.  A
# tenant's backup holds nothing of any other tenant, and `stats` under a
# tenant reports that tenant's sizes only.
. "${0%/*}/lib.sh"

expect_ok remdb init
expect_ok remdb -t other init
cat >docs.json <<'EOF'
{"name": "docs", "type": "object",
 "properties": {"slug": {"type": "string"}, "rev": {"type": "integer"}},
 "required": ["slug"], "key_field": "slug", "indexed_fields": ["rev"]}
EOF
expect_ok remdb schema add docs.json
python3 -c '
import json
for i in range(200): print(json.dumps({"slug": "d%d" % i, "rev": i % 4}))
' >docs.jsonl
expect_ok remdb import docs docs.jsonl
expect_ok remdb insert docs '{"slug":"soft","rev":9}'
soft=$OUT
expect_ok remdb delete "$soft"
expect_ok remdb -t other insert agents '{"name":"other-agent"}'
other_agent=$OUT

expect_ok remdb backup "$PWD/copy" --all-tenants
expect_contains "$OUT" "copy" "backup output"
if [ -d copy ]; then pass_check; else fail_check "backup made no directory"; fi
if [ -e copy.tmp ]; then fail_check "backup left copy.tmp"; else pass_check; fi

# the copy opens, verifies and holds the same data, for every tenant
verify_db "$PWD/copy" default other
expect_count 200 "$REMDB_BIN" -d copy count docs
expect_count 201 "$REMDB_BIN" -d copy count docs --deleted
expect_ok "$REMDB_BIN" -d copy get --deleted "$soft"
expect_ok "$REMDB_BIN" -d copy -t other get "$other_agent"
expect_ok "$REMDB_BIN" -d copy find docs rev 3
expect_lines 50 "$OUT" "index in the backup"
expect_ok "$REMDB_BIN" -d copy export docs
copy_export=$OUT
expect_ok remdb export docs
expect_eq "$copy_export" "$OUT" "the backup exports the same rows"
expect_ok "$REMDB_BIN" -d copy schema list
expect_contains "$OUT" "docs" "the backup has the table"

# the copy is independent of the original
expect_ok "$REMDB_BIN" -d copy insert docs '{"slug":"only-in-copy","rev":1}'
expect_count 201 "$REMDB_BIN" -d copy count docs
expect_count 200 remdb count docs
expect_ok remdb insert docs '{"slug":"only-in-original","rev":1}'
expect_count 201 remdb count docs
expect_fail 'not an indexed field' "$REMDB_BIN" -d copy find docs slug x
expect_ok "$REMDB_BIN" -d copy sql "SELECT count(*) AS n FROM docs WHERE slug = 'only-in-original'" --format json
expect_eq "$(jq_py "j[0]['n']" "$OUT")" "0" "the original's new row is not in the copy"

# a backup of a backup
expect_ok "$REMDB_BIN" -d copy backup "$PWD/copy2" --all-tenants
verify_db "$PWD/copy2" default other
expect_count 201 "$REMDB_BIN" -d copy2 count docs

# without --all-tenants: the tenant only (here "default")
expect_ok remdb backup "$PWD/mine"
expect_contains "$OUT" "tenant default" "backup output names the tenant"
verify_db "$PWD/mine" default
expect_count 201 "$REMDB_BIN" -d mine count docs
expect_fail 'no entity' "$REMDB_BIN" -d mine -t other get "$other_agent"
expect_ok "$REMDB_BIN" -d mine -t other schema list
expect_eq "$OUT" "" "the other tenant has no tables in the default's backup"

# alice's backup: alice's rows and schemas, none of bob's, at any level
expect_ok remdb -t alice init
expect_ok remdb -t bob init
expect_ok remdb -t bob schema add docs.json
python3 -c '
import json
for i in range(3000): print(json.dumps({"slug": "bob%d" % i, "rev": i % 7}))
' >bob.jsonl
expect_ok remdb -t bob import docs bob.jsonl
expect_ok remdb -t bob insert agents '{"name":"bob-agent"}'
bob_agent=$OUT
expect_ok remdb -t alice insert agents '{"name":"alice-agent"}'
alice_agent=$OUT
expect_ok remdb -t alice backup "$PWD/alice-copy"
expect_contains "$OUT" "tenant alice" "backup output names the tenant"
verify_db "$PWD/alice-copy" alice
expect_ok "$REMDB_BIN" -d alice-copy -t alice get "$alice_agent"
expect_count 1 "$REMDB_BIN" -d alice-copy -t alice count agents
expect_fail 'no entity' "$REMDB_BIN" -d alice-copy -t alice get "$bob_agent"
expect_fail 'no entity' "$REMDB_BIN" -d alice-copy -t bob get "$bob_agent"
expect_ok "$REMDB_BIN" -d alice-copy -t bob schema list
expect_eq "$OUT" "" "bob has no tables in alice's backup"
expect_ok "$REMDB_BIN" -d alice-copy -t default schema list
expect_eq "$OUT" "" "default has no tables in alice's backup"
expect_fail 'unknown table' "$REMDB_BIN" -d alice-copy -t alice count docs
# every key of the copy: compacted, its whole storage is alice's few rows
expect_ok "$REMDB_BIN" -d alice-copy -t alice compact
expect_ok "$REMDB_BIN" -d alice-copy -t alice stats --all-tenants
expect_eq "$(jq_py "j['database']['entity']['estimated_keys']" "$OUT")" 1 \
  "the copy's entity keys: alice's one agent"
expect_eq "$(jq_py "j['database']['edge']['estimated_keys']" "$OUT")" 0 \
  "the copy holds no edges"
# the backup is read-write on its own, independent of the original
expect_ok "$REMDB_BIN" -d alice-copy -t alice insert agents '{"name":"later"}'
expect_count 2 "$REMDB_BIN" -d alice-copy -t alice count agents
expect_count 1 remdb -t alice count agents

# stats under a tenant: that tenant's tables and sizes, not the database's
expect_ok remdb -t alice compact
expect_ok remdb -t alice stats
alice_stats=$OUT
expect_eq "$(jq_py "sorted(j['tables'])" "$alice_stats")" \
  '["agents", "messages", "moments", "resources", "sessions"]' "alice's tables"
expect_eq "$(jq_py "'database' in j" "$alice_stats")" "false" \
  "no whole-database figures without --all-tenants"
expect_ok remdb -t bob stats
bob_stats=$OUT
expect_eq "$(jq_py "j['tables']['docs']['entities']" "$bob_stats")" 3000 "bob's rows"
a_bytes=$(jq_py "j['storage']['entity']['approximate_bytes']" "$alice_stats")
b_bytes=$(jq_py "j['storage']['entity']['approximate_bytes']" "$bob_stats")
expect_ok remdb -t alice stats --all-tenants
all_bytes=$(jq_py "j['database']['entity']['sst_bytes']" "$OUT")
if [ "$b_bytes" -gt 20000 ] && [ "$a_bytes" -lt 5000 ] && [ "$all_bytes" -ge "$b_bytes" ]; then
  pass_check
else
  fail_check "entity bytes: alice $a_bytes, bob $b_bytes, database $all_bytes"
fi

# an interrupted backup's leftover is refused, not overwritten
mkdir left.tmp
expect_fail 'interrupted backup' remdb backup "$PWD/left"
if [ -e left ]; then fail_check "a refused backup wrote left"; else pass_check; fi

# DEST must not exist: a directory, a file, and the database itself
expect_fail 'already exists' remdb backup "$PWD/copy"
expect_count 201 "$REMDB_BIN" -d copy count docs
mkdir empty-dir
expect_fail 'already exists' remdb backup "$PWD/empty-dir"
echo data >a-file
expect_fail 'already exists' remdb backup "$PWD/a-file"
expect_eq "$(cat a-file)" "data" "the existing file is untouched"
expect_fail 'already exists' remdb backup "$DB"
# a parent that does not exist
expect_fail 'backup' remdb backup "$PWD/no/such/parent/copy"
if [ -e no ]; then fail_check "a failed backup left $PWD/no behind"; else pass_check; fi
expect_fail 'expected 1 argument' remdb backup
# relative DEST
expect_ok remdb backup rel-copy
# a destination named with a trailing slash: its temporary twin is
# slash.tmp beside it, not a file inside a directory that does not exist
expect_ok remdb backup "$PWD/slash/"
verify_db "$PWD/slash"
if [ -e slash.tmp ] || [ -e slash/.tmp ]; then fail_check "slash.tmp left"; else pass_check; fi
verify_db "$PWD/rel-copy"
# backup needs a database
expect_fail 'no database at' "$REMDB_BIN" -d nothing-here backup "$PWD/x"
if [ -e x ] || [ -e nothing-here ]; then fail_check "a failed backup created files"; else pass_check; fi

VERIFY_TENANTS="default other alice bob"
finish
