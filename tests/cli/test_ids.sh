#!/bin/bash
# Ids: explicit ids, deterministic ids from key_field (upsert: same id,
# created_at kept, modified_at changes), resources ids from uri +
# chunk_ordinal, random ids otherwise.
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >users.json <<'EOF'
{"name": "users", "type": "object",
 "properties": {
   "email": {"type": "string"},
   "name":  {"type": "string"},
   "plan":  {"enum": ["free", "pro"]}
 },
 "required": ["email"], "key_field": "email", "indexed_fields": ["email", "plan"]}
EOF
cat >events.json <<'EOF'
{"name": "events", "type": "object",
 "properties": {"what": {"type": "string"}},
 "indexed_fields": ["what"]}
EOF
cat >counters.json <<'EOF'
{"name": "counters", "type": "object",
 "properties": {"n": {"type": "number"}, "label": {"type": "string"}},
 "required": ["n"], "key_field": "n", "indexed_fields": ["n"]}
EOF
expect_ok remdb schema add users.json
expect_ok remdb schema add events.json
expect_ok remdb schema add counters.json

# ---- key_field: same key, same id; an upsert ----
expect_ok remdb insert users '{"email":"ann@example.com","name":"Ann","plan":"free"}'
uid=$OUT
expect_uuid "$uid" "derived id"
expect_ok remdb get "$uid"
first=$OUT
sleep 0.01
expect_ok remdb insert users '{"email":"ann@example.com","name":"Ann B.","plan":"pro"}'
expect_eq "$OUT" "$uid" "the same key gives the same id"
expect_ok remdb get "$uid"
second=$OUT
expect_eq "$(jfield created_at "$second")" "$(jfield created_at "$first")" "upsert keeps created_at"
expect_ne "$(jfield modified_at "$second")" "$(jfield modified_at "$first")" "upsert changes modified_at"
expect_eq "$(jq_py "[j['name'], j['plan']]" "$second")" '["Ann B.", "pro"]' "upsert replaces the fields"
expect_count 1 remdb count users
# an upsert replaces the entity: fields left out are gone
expect_ok remdb insert users '{"email":"ann@example.com"}'
expect_eq "$OUT" "$uid" "same id again"
expect_ok remdb get "$uid"
expect_eq "$(jq_py "['name' in j, 'plan' in j]" "$OUT")" "[false, false]" "an upsert is a replace, not a merge"
expect_ok remdb find users plan pro
expect_eq "$OUT" "" "no stale index entry after the upsert"
expect_ok remdb insert users '{"email":"ann@example.com","plan":"pro"}'
# through stdin and import as well
expect_ok remdb insert users - <<<'{"email":"ann@example.com","plan":"free"}'
expect_eq "$OUT" "$uid" "insert - upserts by key"
printf '%s\n' '{"email":"ann@example.com","plan":"pro"}' >ann.jsonl
expect_ok remdb import users ann.jsonl
expect_count 1 remdb count users
expect_ok remdb find users plan pro
expect_eq "$(json_ids "$OUT")" "$uid" "import upserted by key"
expect_ok remdb get "$uid"
expect_eq "$(jfield created_at "$OUT")" "$(jfield created_at "$first")" "created_at survives every upsert"

# different keys, different ids; the key is case- and byte-exact
expect_ok remdb insert users '{"email":"bob@example.com"}'
bob=$OUT
expect_ne "$bob" "$uid" "another key, another id"
expect_ok remdb insert users '{"email":"Ann@example.com"}'
expect_ne "$OUT" "$uid" "keys are case-sensitive"
expect_count 3 remdb count users
# the derived id also comes back after a drop and re-create
expect_ok remdb schema drop users
expect_ok remdb schema add users.json
expect_ok remdb insert users '{"email":"ann@example.com"}'
expect_eq "$OUT" "$uid" "the derived id is a function of the key"
# an explicit id must agree with the derived one
expect_ok remdb insert users "{\"id\":\"$uid\",\"email\":\"ann@example.com\",\"plan\":\"free\"}"
expect_eq "$OUT" "$uid" "explicit id equal to the derived one"
expect_fail 'differs from the id derived from email' remdb insert users "{\"id\":\"$bob\",\"email\":\"ann@example.com\"}"
expect_count 1 remdb count users

# the key an id derives from cannot be changed by update (else the key
# would name two entities); the entity is unchanged
expect_ok remdb insert users '{"email":"carol@example.com","plan":"free"}'
carol=$OUT
expect_fail 'users.email: cannot be changed by update' remdb update "$carol" '{"email":"dave@example.com"}'
expect_ok remdb insert users '{"email":"dave@example.com","plan":"pro"}'
expect_ok remdb find users email dave@example.com
expect_lines 1 "$OUT" "one entity per key"
expect_ok remdb find users email carol@example.com
expect_lines 1 "$OUT" "the refused update left carol in place"

# numeric keys: equal numbers are the same key
expect_ok remdb insert counters '{"n":1,"label":"one"}'
c1=$OUT
expect_ok remdb insert counters '{"n":1,"label":"uno"}'
expect_eq "$OUT" "$c1" "numeric key upsert"
expect_ok remdb insert counters '{"n":1.0,"label":"one point oh"}'
expect_eq "$OUT" "$c1" "the key 1.0 equals the key 1"
expect_ok remdb insert counters '{"n":2}'
expect_ne "$OUT" "$c1" "another number, another id"
expect_ok remdb find counters n 1
expect_lines 1 "$OUT" "one counter with n = 1"

# ---- resources: id from uri + chunk_ordinal ----
expect_ok remdb insert resources '{"uri":"file:///doc.md","chunk_ordinal":0,"content":"first"}'
r0=$OUT
expect_ok remdb get "$r0"
r0_created=$(jfield created_at "$OUT")
expect_ok remdb insert resources '{"uri":"file:///doc.md","chunk_ordinal":0,"content":"first, edited"}'
expect_eq "$OUT" "$r0" "same uri and ordinal, same id"
expect_ok remdb get "$r0"
expect_eq "$(jq_py "[j['content'], j['created_at']]" "$OUT")" "[\"first, edited\", \"$r0_created\"]" "resource upsert"
expect_ok remdb insert resources '{"uri":"file:///doc.md","chunk_ordinal":1,"content":"second"}'
r1=$OUT
expect_ne "$r1" "$r0" "another ordinal, another id"
expect_ok remdb insert resources '{"uri":"file:///other.md","chunk_ordinal":0,"content":"x"}'
expect_ne "$OUT" "$r0" "another uri, another id"
expect_ok remdb insert resources '{"uri":"file:///doc.md","chunk_ordinal":1,"content":"second, edited"}'
expect_eq "$OUT" "$r1" "ordinal 1 upserts"
expect_count 3 remdb count resources
expect_ok remdb find resources uri file:///doc.md
expect_lines 2 "$OUT" "find resources by uri"
expect_fail 'resources.chunk_ordinal: below minimum -1' remdb insert resources '{"uri":"u","chunk_ordinal":-2,"content":"x"}'
expect_fail 'resources.uri: shorter than minLength 1' remdb insert resources '{"uri":"","chunk_ordinal":0,"content":"x"}'
expect_fail 'resources.content: required field is missing' remdb insert resources '{"uri":"u","chunk_ordinal":0}'
expect_fail 'differs from the id derived from uri' remdb insert resources "{\"id\":\"$r1\",\"uri\":\"file:///doc.md\",\"chunk_ordinal\":0,\"content\":\"x\"}"
expect_count 3 remdb count resources
# ids are per tenant: the same uri in another tenant is another entity
expect_ok remdb -t t2 init
expect_ok remdb -t t2 insert resources '{"uri":"file:///doc.md","chunk_ordinal":0,"content":"first"}'
expect_ne "$OUT" "$r0" "the same key in another tenant gets another id"

# ---- no key_field: random ids ----
declare -A seen=()
dups=0
expect_ok remdb insert events - < <(for i in $(seq 20); do echo '{"what":"same"}'; done)
for id in $OUT; do
  is_uuid "$id" || fail_check "random id $id is not a UUID"
  [ -n "${seen[$id]:-}" ] && dups=$((dups + 1))
  seen[$id]=1
done
expect_eq "$dups" 0 "20 inserts of the same object get 20 different ids"
expect_count 20 remdb count events
expect_ok remdb insert sessions '{"status":"active"}'
s1=$OUT
expect_ok remdb insert sessions '{"status":"active"}'
expect_ne "$OUT" "$s1" "sessions ids are random"

# ---- explicit ids ----
expl=0f0e0d0c-0b0a-4908-8706-050403020100
expect_ok remdb insert events "{\"id\":\"$expl\",\"what\":\"explicit\"}"
expect_eq "$OUT" "$expl" "an explicit id is used as is"
expect_ok remdb get "$expl"
expect_eq "$(jfield what "$OUT")" "explicit" "get by the explicit id"
expect_ok remdb insert events "{\"id\":\"${expl^^}\",\"what\":\"upper\"}"
expect_eq "$OUT" "$expl" "an upper-case explicit id names the same entity"
expect_ok remdb get "$expl"
expect_eq "$(jfield what "$OUT")" "upper" "an explicit id upserts"
expect_count 21 remdb count events
expect_ok remdb insert events '{"id":null,"what":"null id"}'
expect_uuid "$OUT" "id null means no id"
expect_fail 'already belongs to sessions' remdb insert events "{\"id\":\"$s1\",\"what\":\"steal\"}"
expect_ok remdb get "$s1"
expect_eq "$(jfield type "$OUT")" "sessions" "the other table's entity is untouched"
expect_fail 'events.id: not a UUID' remdb insert events '{"id":"not-a-uuid","what":"bad id"}'
reject_batch events bad_ids <<'EOF'
events.id: not a UUID	{"id":"0f0e0d0c0b0a49088706050403020100","what":"bad id"}
events.id: not a UUID	{"id":"0f0e0d0c-0b0a-4908-8706-05040302010","what":"bad id"}
events.id: not a UUID	{"id":"0f0e0d0c-0b0a-4908-8706-0504030201000","what":"bad id"}
events.id: not a UUID	{"id":"0f0e0d0c-0b0a-4908-8706-05040302010g","what":"bad id"}
events.id: not a UUID	{"id":"0f0e0d0c-0b0a-49088-706-050403020100","what":"bad id"}
events.id: not a UUID	{"id":"{0f0e0d0c-0b0a-4908-8706-050403020100}","what":"bad id"}
events.id: not a UUID	{"id":" 0f0e0d0c-0b0a-4908-8706-050403020100","what":"bad id"}
events.id: not a UUID	{"id":"","what":"bad id"}
events.id: not a UUID	{"id":42,"what":"bad id"}
events.id: not a UUID	{"id":true,"what":"bad id"}
events.id: not a UUID	{"id":["0f0e0d0c-0b0a-4908-8706-050403020100"],"what":"bad id"}
events.id: not a UUID	{"id":{"id":1},"what":"bad id"}
EOF
expect_count 22 remdb count events

VERIFY_TENANTS="default t2"
finish
