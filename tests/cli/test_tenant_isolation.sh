#!/bin/bash
# Tenants: nothing of tenant a is visible or changeable from tenant b, and
# tenant names outside [A-Za-z0-9_-]{1,64} (not starting with -) are refused
# before anything is written.
. "${0%/*}/lib.sh"

cat >issues.json <<'EOF'
{"name": "issues", "type": "object",
 "properties": {"title": {"type": "string"}, "status": {"enum": ["open", "closed"]}},
 "required": ["title"], "indexed_fields": ["status"]}
EOF
cat >issues_b.json <<'EOF'
{"name": "issues", "type": "object",
 "properties": {"summary": {"type": "integer"}},
 "required": ["summary"]}
EOF

expect_ok remdb -t a init
expect_ok remdb -t a schema add issues.json
expect_ok remdb -t a insert issues '{"title":"a1","status":"open"}'
a1=$OUT
expect_ok remdb -t a insert issues '{"title":"a2","status":"closed"}'
a2=$OUT
expect_ok remdb -t a insert agents '{"name":"shared-name"}'
a_agent=$OUT
expect_ok remdb -t a get "$a1"
a1_json=$OUT

# ---- b sees nothing of a ----
expect_ok remdb -t b init
expect_fail 'unknown table "issues"' remdb -t b count issues
expect_fail 'unknown table "issues"' remdb -t b schema show issues
expect_fail 'unknown table "issues"' remdb -t b find issues status open
expect_fail 'unknown table "issues"' remdb -t b insert issues '{"title":"b"}'
expect_ok remdb -t b schema list
expect_not_contains "$OUT" "issues" "b's table list"
expect_fail 'no such table: issues' remdb -t b sql "SELECT * FROM issues"
expect_fail "no entity with id $a1" remdb -t b get "$a1"
expect_fail "no entity with id $a1" remdb -t b get --deleted "$a1"
expect_fail "no entity with id $a1" remdb -t b update "$a1" '{"title":"from b"}'
expect_fail "no entity with id $a1" remdb -t b delete "$a1"
expect_fail "no entity with id $a_agent" remdb -t b delete --hard "$a_agent"
expect_count 0 remdb -t b count agents
# the same key in b is another entity
expect_ok remdb -t b insert agents '{"name":"shared-name"}'
b_agent=$OUT
expect_ne "$b_agent" "$a_agent" "key-derived ids differ between tenants"
# an explicit id of a's entity, used in b, does not touch a
expect_ok remdb -t b schema add issues.json
expect_ok remdb -t b insert issues "{\"id\":\"$a1\",\"title\":\"b's own\"}"
expect_ok remdb -t b get "$a1"
expect_eq "$(jfield title "$OUT")" "b's own" "b has its own entity under that id"
expect_ok remdb -t a get "$a1"
expect_eq "$OUT" "$a1_json" "a's entity with the same id is untouched"
expect_ok remdb -t b delete --hard "$a1"
expect_ok remdb -t a get "$a1"
expect_eq "$OUT" "$a1_json" "b's hard delete of the id leaves a's entity"
# a schema replace in b does not change a's table
expect_ok remdb -t b schema add issues_b.json
expect_ok remdb -t b insert issues '{"summary":3}'
expect_fail 'issues.title: required field is missing' remdb -t a insert issues '{"summary":3}'
expect_ok remdb -t a schema show issues
expect_eq "$(jq_py "sorted(j['properties'])" "$OUT")" '["status", "title"]' "a's schema unchanged"
# dropping b's table leaves a's
expect_ok remdb -t b schema drop issues
expect_count 2 remdb -t a count issues
expect_ok remdb -t a find issues status open
expect_eq "$(json_ids "$OUT")" "$a1" "a's index unchanged"
# the default tenant is a tenant like the others
expect_ok remdb init
expect_fail 'unknown table "issues"' remdb count issues
expect_fail 'no entity with id' remdb get "$a2"
# SQL in b cannot reach a
expect_ok remdb -t b sql "SELECT count(*) AS n FROM agents" --format json
expect_eq "$(jq_py "j[0]['n']" "$OUT")" "1" "b's SQL sees b's agents only"
# stats are per tenant
expect_ok remdb -t a stats
expect_eq "$(jq_py "[j['tenant'], j['tables']['issues']['entities'], j['tables']['agents']['entities']]" "$OUT")" \
  '["a", 2, 1]' "a's stats"
expect_ok remdb -t b stats
expect_eq "$(jq_py "[j['tenant'], 'issues' in j['tables']]" "$OUT")" '["b", false]' "b's stats"
# REMDB_TENANT selects the tenant; -t overrides it
expect_ok env REMDB_TENANT=a "$REMDB_BIN" -d "$DB" get "$a1"
expect_fail 'no entity with id' env REMDB_TENANT=a "$REMDB_BIN" -d "$DB" -t b get "$a1"
# a has everything it had
expect_count 2 remdb -t a count issues
expect_ok remdb -t a get "$a2"

# ---- tenant names ----
long64=$(printf 'x%.0s' $(seq 64))
long65=$(printf 'x%.0s' $(seq 65))
for t in A_z-09 "$long64"; do
  expect_ok remdb -t "$t" init
  expect_count 0 remdb -t "$t" count agents
done
expect_ok remdb -t "$long64" insert agents '{"name":"long"}'
expect_count 1 remdb -t "$long64" count agents
before_ls=$(ls -A .)
for t in '../x' 'a/b' '/abs' '.' '..' '' 'a b' 'é' '日本' "$long65" '-x' \
  'a.b' 'a\b' $'a\nb' "a'b" $'\xff'; do
  expect_fail 'invalid tenant name' remdb -t "$t" count agents
done
for t in '../x' '..' "$long65"; do
  expect_fail 'invalid tenant name' remdb -t "$t" insert agents '{"name":"evil"}'
  expect_fail 'invalid tenant name' remdb -t "$t" init
done
expect_fail 'invalid tenant name' env REMDB_TENANT='../x' "$REMDB_BIN" -d "$DB" count agents
# nothing was created beside the database directory
expect_eq "$(ls -A .)" "$before_ls" "files after the refused tenant names"
expect_count 2 remdb -t a count issues
expect_count 1 remdb -t a count agents
# a refused tenant must not create the database either
expect_fail 'invalid tenant name' "$REMDB_BIN" -d "$PWD/fresh" -t '../x' init
if [ -e "$PWD/fresh" ]; then
  fail_check "init with an invalid tenant created the database directory $PWD/fresh"
else
  pass_check
fi

VERIFY_TENANTS="default a b A_z-09 $long64"
finish
