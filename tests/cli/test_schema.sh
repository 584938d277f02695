#!/bin/bash
# schema add / list / show / drop, invalid schema documents, and schema
# replace: changed indexed_fields are rebuilt; a replace that stored rows
# violate is rejected and changes nothing; key_field cannot change while
# rows exist (the migration the message describes is run).
. "${0%/*}/lib.sh"

expect_ok remdb init

cat >issues.json <<'EOF'
{
  "name": "issues",
  "description": "bug tracker issues",
  "type": "object",
  "properties": {
    "title":    {"type": "string", "minLength": 1, "maxLength": 40},
    "status":   {"enum": ["open", "closed", "wontfix"]},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
    "assignee": {"type": ["string", "null"]},
    "labels":   {"type": "array", "items": {"type": "string"}}
  },
  "required": ["title", "status"],
  "additionalProperties": false,
  "indexed_fields": ["status"]
}
EOF

# the schema variants used below
python3 - <<'EOF'
import json
def variant(base, out, change):
    d = json.load(open(base))
    change(d)
    json.dump(d, open(out, "w"))
# replaces the stored rows satisfy
variant("issues.json", "issues_v2.json",
        lambda d: d.update(indexed_fields=["status", "priority"], version="2"))
variant("issues.json", "issues_v3.json", lambda d: d.update(indexed_fields=["assignee"]))
# replaces the stored rows break
variant("issues_v2.json", "bad_required.json",
        lambda d: d.update(required=["title", "status", "assignee"],
                           indexed_fields=["status", "priority", "assignee"]))
variant("issues_v2.json", "bad_maximum.json",
        lambda d: (d["properties"]["priority"].update(maximum=3),
                   d.update(indexed_fields=["title"])))
variant("issues_v2.json", "bad_removed.json", lambda d: d["properties"].pop("labels"))
variant("issues_v2.json", "bad_type.json",
        lambda d: d["properties"].update(priority={"type": "string"}))
variant("issues_v2.json", "bad_enum.json",
        lambda d: d["properties"].update(status={"enum": ["open", "closed"]}))
EOF

# ---- add, list, show ----
expect_ok remdb schema add issues.json
expect_contains "$OUT" "issues.json" "schema add output"
expect_ok remdb schema list
expect_eq "$OUT" $'agents\nissues\nmessages\nmoments\nresources\nsessions' "schema list (sorted)"
expect_ok remdb schema show issues
expect_eq "$(jq_py "j['name'], j['indexed_fields'], j['required']" "$OUT")" \
  '["issues", ["status"], ["title", "status"]]' "schema show issues"
expect_count 0 remdb count issues

# from stdin
cat >users.json <<'EOF'
{"name": "users", "type": "object",
 "properties": {"email": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
 "required": ["email"], "key_field": "email", "indexed_fields": ["email", "age"]}
EOF
expect_ok remdb schema add - <users.json
expect_ok remdb schema show users
expect_eq "$(jq_py "j['key_field']" "$OUT")" "email" "schema added from stdin"

# ---- data for the replace tests ----
expect_ok remdb insert issues '{"title":"crash on start","status":"open","priority":1,"assignee":"ann"}'
id1=$OUT
expect_ok remdb insert issues '{"title":"typo","status":"closed","priority":4}'
id2=$OUT
expect_ok remdb insert issues '{"title":"slow","status":"open","priority":4,"labels":["perf"]}'
id3=$OUT
expect_count 3 remdb count issues
expect_fail "not an indexed field" remdb find issues priority 4

# ---- replace: add priority to indexed_fields, drop nothing ----
expect_ok remdb schema add issues_v2.json
expect_ok remdb find issues priority 4
expect_lines 2 "$OUT" "find priority 4 after replace"
expect_contains "$OUT" "$id2" "find priority 4"
expect_contains "$OUT" "$id3" "find priority 4"
expect_ok remdb find issues priority 1
expect_eq "$(jq_py "j['id']" "$OUT")" "$id1" "find priority 1 after replace"
expect_ok remdb find issues status open
expect_lines 2 "$OUT" "find status open still works"
verify_db
# new rows go into the new index too
expect_ok remdb insert issues '{"title":"new","status":"wontfix","priority":5}'
id4=$OUT
expect_ok remdb find issues priority 5
expect_eq "$(jq_py "j['id']" "$OUT")" "$id4" "find on the new index after an insert"

# ---- replace: move the index from status to assignee ----
expect_ok remdb schema add issues_v3.json
expect_fail "not an indexed field" remdb find issues status open
expect_fail "not an indexed field" remdb find issues priority 4
expect_ok remdb find issues assignee ann
expect_eq "$(jq_py "j['id']" "$OUT")" "$id1" "find assignee after replace"
verify_db
expect_ok remdb schema add issues_v2.json
verify_db

# ---- replace that the stored rows violate: rejected, nothing changes ----
expect_ok remdb schema show issues
before_schema=$OUT
expect_ok remdb export issues
before_rows=$OUT

# (a) a new required field that rows lack
expect_fail "required field is missing" remdb schema add bad_required.json
expect_contains "$ERR" "issues" "the error names the table"
# (b) a tighter maximum that priority 4 and 5 break
expect_fail "above maximum" remdb schema add bad_maximum.json
# (c) a property removed while additionalProperties is false
expect_fail "not a declared property" remdb schema add bad_removed.json
# (d) a changed type
expect_fail "expected string, got integer" remdb schema add bad_type.json
# (e) a narrower enum
expect_fail "not one of the enum values" remdb schema add bad_enum.json

expect_ok remdb schema show issues
expect_eq "$OUT" "$before_schema" "schema unchanged after rejected replaces"
expect_ok remdb export issues
expect_eq "$OUT" "$before_rows" "rows unchanged after rejected replaces"
expect_count 4 remdb count issues
# the old rules still apply: priority 5 is valid, an assignee is optional
expect_ok remdb insert issues '{"title":"still v2","status":"wontfix","priority":5}'
expect_fail "not an indexed field" remdb find issues title typo
expect_ok remdb find issues priority 5
expect_lines 2 "$OUT" "old index still served after rejected replaces"
verify_db

# a replace that the rows satisfy after the violating row is deleted
expect_ok remdb delete --hard "$id2"
expect_ok remdb delete --hard "$id3"
expect_ok remdb find issues priority 5
for id in $(json_ids "$OUT"); do
  expect_ok remdb delete --hard "$id"
done
expect_count 1 remdb count issues
expect_ok remdb schema add bad_maximum.json
expect_ok remdb find issues title "crash on start"
expect_eq "$(jq_py "j['id']" "$OUT")" "$id1" "find on index of the accepted replace"
expect_fail "above maximum" remdb insert issues '{"title":"p4","status":"open","priority":4}'
verify_db

# ---- invalid schema documents: an error, nothing registered ----
expect_ok remdb schema list
tables_before=$OUT
bad_schema() { # bad_schema TEXT JSON
  printf '%s\n' "$2" >bad.json
  expect_fail "$1" remdb schema add bad.json
}
bad_schema '"name" (the table) is missing' '{"properties":{}}'
bad_schema 'is reserved' '{"name":"_hidden","properties":{}}'
bad_schema 'must match' '{"name":"a-b","properties":{}}'
bad_schema 'must match' '{"name":"../etc","properties":{}}'
bad_schema 'must match' "{\"name\":\"$(printf 'n%.0s' $(seq 64))\",\"properties\":{}}"
bad_schema 'properties: must be an object' '{"name":"x"}'
# shellcheck disable=SC2016 # a literal $ref
bad_schema 'keyword "$ref" is not supported' '{"name":"x","properties":{"a":{"$ref":"#/x"}}}'
bad_schema '"b" is not a property' '{"name":"x","properties":{"a":{"type":"string"}},"indexed_fields":["b"]}'
bad_schema 'must be a string or number' '{"name":"x","properties":{"a":{"type":"object"}},"key_field":"a"}'
bad_schema 'unknown type "strin"' '{"name":"x","properties":{"a":{"type":"strin"}}}'
bad_schema 'it becomes a SQL column' '{"name":"x","properties":{"a-b":{"type":"string"}}}'
bad_schema 'a table schema must be "object"' '{"name":"x","type":"array","properties":{}}'
bad_schema 'embedding.dim' '{"name":"x","properties":{"t":{"type":"string"}},"embedding":{"dim":0}}'
bad_schema 'invalid JSON at line' '{"name":"x","properties":{}'
bad_schema 'must be a JSON object' '[{"name":"x","properties":{}}]'
bad_schema 'nested too deeply' "{\"name\":\"x\",\"properties\":{\"a\":$(python3 -c 'print("{\"type\":\"array\",\"items\":" * 40 + "{}" + "}" * 40)')}}"
expect_fail "cannot read" remdb schema add does-not-exist.json
expect_ok remdb schema list
expect_eq "$OUT" "$tables_before" "no table registered by invalid schemas"

# ---- drop ----
expect_ok remdb insert users '{"email":"a@x","age":3}'
uid=$OUT
expect_ok remdb schema drop users
expect_contains "$OUT" "users" "schema drop output"
expect_fail 'unknown table "users"' remdb count users
expect_fail 'unknown table "users"' remdb schema show users
expect_fail 'unknown table "users"' remdb insert users '{"email":"b@x"}'
expect_fail 'no entity with id' remdb get "$uid"
expect_fail 'no entity with id' remdb get --deleted "$uid"
expect_fail 'unknown table "users"' remdb schema drop users
expect_fail 'unknown table "nosuch"' remdb schema drop nosuch
expect_fail 'unknown table "nosuch"' remdb schema show nosuch
expect_ok remdb schema list
expect_not_contains "$OUT" "users" "schema list after drop"
verify_db
# re-adding the name starts empty; the same key gives the same id again
expect_ok remdb schema add users.json
expect_count 0 remdb count users
expect_ok remdb insert users '{"email":"a@x","age":3}'
expect_eq "$OUT" "$uid" "same key, same id after drop and re-add"
expect_count 1 remdb count users
expect_ok remdb get "$uid"
expect_ok remdb find users age 3
expect_lines 1 "$OUT" "index of a re-created table holds no stale rows"

# ---- key_field cannot change while rows exist (ids derive from it) ----
cat >users_rekey.json <<'EOF'
{"name": "users", "type": "object",
 "properties": {"email": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
 "required": ["email"], "key_field": "age", "indexed_fields": ["email", "age"]}
EOF
expect_fail 'users.key_field: ids derive from key_field "email"; it cannot change to key_field "age" while the table holds rows' \
  remdb schema add users_rekey.json
expect_contains "$ERR" "export the table" "the refusal says how to migrate"
verify_db
expect_ok remdb lookup a@x
expect_lines 1 "$OUT" "lookup by the unchanged key"
# the migration the message describes: export, strip ids, drop, add, import
expect_ok remdb export users
jq_py "'\\n'.join(json.dumps({k: v for k, v in json.loads(l).items() if k != 'id'}) for l in t.splitlines())" "$OUT" >users_rows.jsonl
expect_ok remdb schema drop users
expect_ok remdb schema add users_rekey.json
expect_ok remdb import users users_rows.jsonl
expect_ok remdb lookup 3
expect_eq "$(jq_py "j['entity']['email']" "$OUT")" "a@x" "lookup by the new key after migrating"
expect_ok remdb insert users '{"email":"b@x","age":3}'
expect_count 1 remdb count users
verify_db
expect_ok remdb schema drop users

# ---- find reads VALUE in the field's type ----
cat >codes.json <<'EOF'
{"name": "codes", "properties": {"h": {"type": "string"}, "n": {"type": "integer"}},
 "indexed_fields": ["h", "n"]}
EOF
expect_ok remdb schema add codes.json
expect_ok remdb insert codes '{"h":"123","n":123}'
expect_ok remdb find codes h 123
expect_lines 1 "$OUT" "find on a string field with a number-like VALUE"
expect_ok remdb find codes n '"123"'
expect_lines 1 "$OUT" "find on an integer field with a quoted VALUE"

# dropping a built-in works too
expect_ok remdb schema drop moments
expect_fail 'unknown table "moments"' remdb count moments
# and init brings it back
expect_ok remdb init
expect_count 0 remdb count moments

finish
