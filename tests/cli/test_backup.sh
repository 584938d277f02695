#!/bin/bash
# backup DEST: a consistent copy of the whole database (every tenant) that
# opens and verifies; DEST must not exist.
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

expect_ok remdb backup "$PWD/copy"
expect_contains "$OUT" "copy" "backup output"
if [ -d copy ]; then pass_check; else fail_check "backup made no directory"; fi

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
expect_ok "$REMDB_BIN" -d copy backup "$PWD/copy2"
verify_db "$PWD/copy2" default other
expect_count 201 "$REMDB_BIN" -d copy2 count docs

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
verify_db "$PWD/rel-copy"
# backup needs a database
expect_fail 'no database at' "$REMDB_BIN" -d nothing-here backup "$PWD/x"
if [ -e x ] || [ -e nothing-here ]; then fail_check "a failed backup created files"; else pass_check; fi

VERIFY_TENANTS="default other"
finish
