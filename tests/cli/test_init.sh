#!/bin/bash
# init: creates the database and registers the built-in schemas; commands
# before init fail clearly; defaults for the path and tenant; global options.
. "${0%/*}/lib.sh"

BUILTINS=$'agents\nmessages\nmoments\nresources\nsessions'

# ---- before init: a clear error, and nothing is created ----
expect_fail "no database at" remdb count agents
expect_fail "no database at" remdb insert agents '{"name":"x"}'
expect_fail "no database at" remdb schema list
if [ -e "$DB" ]; then fail_check "a failed command created $DB"; else pass_check; fi

# ---- init ----
expect_ok remdb init
expect_contains "$OUT" '["agents","messages","moments","resources","sessions"]' "init output"
if [ -d "$DB" ]; then pass_check; else fail_check "init did not create $DB"; fi

expect_ok remdb schema list
expect_eq "$OUT" "$BUILTINS" "schema list after init"

for t in agents messages moments resources sessions; do
  expect_ok remdb schema show "$t"
  expect_eq "$(jq_py "j['name']" "$OUT")" "$t" "schema show $t: name"
  expect_eq "$(jq_py "isinstance(j.get('properties'), dict) and len(j['properties']) > 0" "$OUT")" \
    "true" "schema show $t: has properties"
done
expect_ok remdb stats
expect_eq "$(jq_py "sorted((k, v['entities']) for k, v in j['tables'].items())" "$OUT")" \
  '[["agents", 0], ["messages", 0], ["moments", 0], ["resources", 0], ["sessions", 0]]' "empty built-in tables"

# the REM specifics of the built-ins
expect_ok remdb schema show resources
expect_eq "$(jq_py "sorted(k for k in ('uri','chunk_ordinal','content') if k in j['properties'])" "$OUT")" \
  '["chunk_ordinal", "content", "uri"]' "resources properties"
expect_eq "$(jq_py "'uri' in j.get('indexed_fields', [])" "$OUT")" "true" "resources indexes uri"
expect_ok remdb schema show agents
expect_eq "$(jq_py "j.get('key_field')" "$OUT")" "name" "agents key_field"

# ---- init is idempotent and keeps data ----
expect_ok remdb insert agents '{"name":"keeper"}'
id=$OUT
expect_ok remdb init
expect_ok remdb schema list
expect_eq "$OUT" "$BUILTINS" "schema list after a second init"
expect_count 1 remdb count agents
expect_ok remdb get "$id"

# init leaves a replaced built-in as it is
cat >agents2.json <<'EOF'
{"name": "agents", "type": "object",
 "properties": {"name": {"type": "string"}, "team": {"type": "string"}},
 "required": ["name"], "key_field": "name", "indexed_fields": ["name", "team"]}
EOF
expect_ok remdb schema add agents2.json
expect_ok remdb init
expect_ok remdb schema show agents
expect_eq "$(jq_py "'team' in j['properties']" "$OUT")" "true" "init kept the replaced agents schema"
expect_count 1 remdb count agents

# ---- global options and usage errors ----
expect_ok "$REMDB_BIN" --version
expect_contains "$OUT" "remdb " "--version"
expect_ok "$REMDB_BIN" --help
expect_contains "$OUT" "usage:" "--help"
expect_fail "unknown command" remdb frobnicate
expect_eq "$RC" 2 "exit code of a usage error"
expect_fail "unknown option" "$REMDB_BIN" --bogus init
expect_fail "expected 2 arguments" remdb insert agents
expect_fail "expected 1 argument" remdb get
expect_fail "unknown option --bogus" remdb count agents --bogus
expect_fail "schema needs" remdb schema
expect_fail "unknown schema command" remdb schema frob x

# ---- default path: $REMDB_PATH, else ./remdb.db ----
expect_ok env REMDB_PATH="$PWD/envdb" "$REMDB_BIN" init
if [ -d envdb ]; then pass_check; else fail_check "REMDB_PATH was not used"; fi
expect_ok env REMDB_PATH="$PWD/envdb" REMDB_TENANT=envtenant "$REMDB_BIN" init
expect_ok env REMDB_PATH="$PWD/envdb" REMDB_TENANT=envtenant "$REMDB_BIN" insert agents '{"name":"e"}'
expect_count 1 "$REMDB_BIN" -d envdb -t envtenant count agents
expect_count 0 "$REMDB_BIN" -d envdb count agents
# -d and -t override the environment
expect_count 0 env REMDB_PATH="$PWD/envdb" REMDB_TENANT=envtenant "$REMDB_BIN" -t default count agents
verify_db "$PWD/envdb" default envtenant

expect_ok "$REMDB_BIN" init
if [ -d remdb.db ]; then pass_check; else fail_check "./remdb.db is not the default path"; fi
expect_count 0 "$REMDB_BIN" count agents
verify_db "$PWD/remdb.db"

finish
