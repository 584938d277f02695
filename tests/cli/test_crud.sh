#!/bin/bash
# get, get --deleted, update (RFC 7386 merge patch, revalidated), delete
# (soft, then --hard), count and count --deleted.
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >issues.json <<'EOF'
{"name": "issues", "type": "object",
 "properties": {
   "title":    {"type": "string", "minLength": 1, "maxLength": 30},
   "status":   {"enum": ["open", "closed"]},
   "priority": {"type": "integer", "minimum": 1, "maximum": 5},
   "due":      {"type": ["string", "null"], "format": "date-time"},
   "labels":   {"type": "array", "items": {"type": "string"}, "maxItems": 3},
   "meta":     {"type": "object",
                "properties": {"votes": {"type": "integer"}, "team": {"type": "string"}},
                "additionalProperties": false}
 },
 "required": ["title", "status"],
 "additionalProperties": false,
 "indexed_fields": ["status", "priority"]}
EOF
expect_ok remdb schema add issues.json
expect_ok remdb insert issues '{"title":"login fails","status":"open","priority":2,"labels":["auth","ui"],"meta":{"votes":3,"team":"web"}}'
id=$OUT
expect_ok remdb insert issues '{"title":"other","status":"open","priority":2}'
other=$OUT

# ---- get ----
expect_ok remdb get "$id"
orig=$OUT
expect_eq "$(jq_py "[j['title'], j['labels'], j['meta']]" "$orig")" \
  '["login fails", ["auth", "ui"], {"votes": 3, "team": "web"}]' "get"
expect_ok remdb get --table issues "$id"
expect_eq "$OUT" "$orig" "get --table gives the same entity"
expect_fail 'no entity with id 00000000-0000-4000-8000-000000000000' remdb get 00000000-0000-4000-8000-000000000000
expect_fail 'invalid id "nope"' remdb get nope
expect_fail 'invalid id' remdb get "${id:0:35}"
# the id in upper case names the same entity
expect_ok remdb get "${id^^}"
expect_eq "$(jfield id "$OUT")" "$id" "get by the upper-case id"

# ---- update: merge patch ----
sleep 0.01
expect_ok remdb update "$id" '{"priority":4,"meta":{"votes":5},"labels":["perf"]}'
upd=$OUT
expect_eq "$(jq_py "[j['priority'], j['meta'], j['labels'], j['title'], j['status']]" "$upd")" \
  '[4, {"votes": 5, "team": "web"}, ["perf"], "login fails", "open"]' \
  "merge patch: objects merge, arrays and scalars replace, the rest stays"
expect_eq "$(jfield created_at "$upd")" "$(jfield created_at "$orig")" "update keeps created_at"
expect_ne "$(jfield modified_at "$upd")" "$(jfield modified_at "$orig")" "update changes modified_at"
expect_ok remdb get "$id"
expect_eq "$OUT" "$upd" "update prints the stored entity"
# the index follows the update
expect_ok remdb find issues priority 4
expect_eq "$(json_ids "$OUT")" "$id" "find the updated priority"
expect_ok remdb find issues priority 2
expect_eq "$(json_ids "$OUT")" "$other" "the old priority no longer finds it"

# null removes a field, also inside an object; an empty patch changes nothing else
expect_ok remdb update "$id" '{"labels":null,"meta":{"team":null}}'
expect_eq "$(jq_py "['labels' in j, j['meta']]" "$OUT")" '[false, {"votes": 5}]' "null removes fields"
expect_ok remdb update "$id" '{"due":"2025-01-31T23:00:00-01:00"}'
expect_eq "$(jq_py "j['due'].startswith('2025-02-01T00:00:00')" "$OUT")" "true" "update normalises date-times"
expect_ok remdb update "$id" '{}'
expect_eq "$(jq_py "[j['title'], j['priority']]" "$OUT")" '["login fails", 4]' "empty patch"
# giving the entity's own id and type is allowed
expect_ok remdb update "$id" "{\"id\":\"$id\",\"type\":\"issues\",\"title\":\"renamed\"}"
expect_eq "$(jfield title "$OUT")" "renamed" "patch with its own id and type"

# ---- update: revalidated; a bad patch changes nothing ----
expect_ok remdb get "$id"
before=$OUT
# (each refused patch is checked by its error; the entity is compared once
# after all of them)
bad_patch() { expect_fail "$1" remdb update "$id" "$2"; }
bad_patch 'issues.priority: expected integer, got string' '{"priority":"high"}'
bad_patch 'issues.priority: above maximum 5' '{"priority":6}'
bad_patch 'issues.status: not one of the enum values' '{"status":"pending"}'
bad_patch 'issues.title: longer than maxLength 30' '{"title":"0123456789012345678901234567890"}'
bad_patch 'issues.title: required field is missing' '{"title":null}'
bad_patch 'issues.status: required field is missing' '{"status":null,"priority":3}'
bad_patch 'issues.due: not an RFC 3339 date-time' '{"due":"tomorrow"}'
bad_patch 'issues.labels: more items than maxItems' '{"labels":["a","b","c","d"]}'
bad_patch 'issues.labels[1]: expected string' '{"labels":["a",2]}'
bad_patch 'issues.meta.votes: expected integer' '{"meta":{"votes":"many"}}'
bad_patch 'issues.meta.owner: not a declared property' '{"meta":{"owner":"x"}}'
bad_patch 'issues.color: not a declared property' '{"color":"red"}'
bad_patch 'cannot be changed by update' "{\"id\":\"$other\"}"
bad_patch 'cannot be changed by update' '{"type":"agents"}'
bad_patch 'system field' '{"created_at":"2020-01-01T00:00:00Z"}'
bad_patch 'system field' '{"deleted_at":"2020-01-01T00:00:00Z"}'
bad_patch 'the patch must be a JSON object' '[{"title":"x"}]'
bad_patch 'invalid JSON at line 1' '{"title":'
bad_patch 'duplicate object key' '{"title":"a","title":"b"}'
expect_ok remdb get "$id"
expect_eq "$OUT" "$before" "the entity is unchanged after the refused patches"
expect_fail 'no entity with id' remdb update 00000000-0000-4000-8000-000000000000 '{"title":"x"}'
expect_fail 'invalid id' remdb update not-an-id '{"title":"x"}'
expect_ok remdb find issues priority 4
expect_eq "$(json_ids "$OUT")" "$id" "index unchanged by the rejected patches"
verify_db

# ---- soft delete ----
expect_count 2 remdb count issues
expect_count 2 remdb count issues --deleted
expect_ok remdb delete "$id"
expect_contains "$OUT" "$id" "delete output"
expect_fail "is deleted" remdb get "$id"
expect_ok remdb get --deleted "$id"
del=$OUT
expect_eq "$(jq_py "j['deleted_at'] is not None and j['deleted_at'] == j['modified_at']" "$del")" "true" \
  "deleted_at set (and modified_at with it)"
expect_eq "$(jq_py "[j['title'], j['priority']]" "$del")" '["renamed", 4]' "the soft-deleted entity keeps its data"
expect_ok remdb get --deleted "$other"
expect_eq "$(jfield deleted_at "$OUT")" "null" "get --deleted of a live entity"
expect_count 1 remdb count issues
expect_count 2 remdb count issues --deleted
expect_ok remdb find issues priority 4
expect_eq "$OUT" "" "find hides the soft-deleted entity"
expect_ok remdb find issues priority 4 --deleted
expect_eq "$(json_ids "$OUT")" "$id" "find --deleted shows it"
expect_ok remdb export issues
expect_eq "$(json_ids "$OUT")" "$other" "export hides the soft-deleted entity"
expect_ok remdb export issues --deleted
expect_lines 2 "$OUT" "export --deleted shows it"
expect_fail "already deleted" remdb delete "$id"
expect_fail "is deleted" remdb update "$id" '{"priority":1}'
expect_ok remdb get --deleted "$id"
expect_eq "$OUT" "$del" "nothing changed by the refused update and delete"
verify_db

# ---- hard delete ----
expect_ok remdb delete --hard "$id"
expect_contains "$OUT" "hard" "delete --hard output"
expect_fail "no entity with id" remdb get --deleted "$id"
expect_fail "no entity with id" remdb get "$id"
expect_fail "no entity with id" remdb delete "$id"
expect_fail "no entity with id" remdb delete --hard "$id"
expect_fail "no entity with id" remdb update "$id" '{}'
expect_count 1 remdb count issues
expect_count 1 remdb count issues --deleted
expect_ok remdb find issues priority 4 --deleted
expect_eq "$OUT" "" "no index entry left by the hard delete"
# a live entity can be hard-deleted directly
expect_ok remdb delete "$other" --hard
expect_count 0 remdb count issues --deleted
expect_fail 'invalid id' remdb delete not-an-id
expect_fail 'no entity with id' remdb delete 00000000-0000-4000-8000-000000000000
expect_fail 'unknown option --soft' remdb delete "$other" --soft

# ---- key_field upsert revives a soft-deleted entity ----
expect_ok remdb insert agents '{"name":"bot","model":"m1"}'
aid=$OUT
expect_ok remdb get "$aid"
created=$(jfield created_at "$OUT")
expect_ok remdb delete "$aid"
expect_count 0 remdb count agents
expect_ok remdb insert agents '{"name":"bot","model":"m2"}'
expect_eq "$OUT" "$aid" "the upsert after a soft delete keeps the id"
expect_ok remdb get "$aid"
expect_eq "$(jq_py "[j['deleted_at'], j['model']]" "$OUT")" '[null, "m2"]' "the upsert revives the entity"
expect_eq "$(jfield created_at "$OUT")" "$created" "and keeps created_at"
expect_count 1 remdb count agents
expect_count 1 remdb count agents --deleted
# after a hard delete the same key starts afresh
expect_ok remdb delete --hard "$aid"
sleep 0.01
expect_ok remdb insert agents '{"name":"bot"}'
expect_eq "$OUT" "$aid" "same key, same id after a hard delete"
expect_ok remdb get "$aid"
expect_ne "$(jfield created_at "$OUT")" "$created" "a new created_at after a hard delete"

finish
