# Every bad input: an error: line naming the problem, a non-zero exit, no
# signal, and nothing written.
. "${0%/*}/assert.sh"
ok init
issues_schema
ok schema add issues.json
ok insert issues '{"key":"K1","title":"t","status":"open","priority":1}'
ID=$(cat "$OUT")

fails "invalid JSON at line 1" insert issues '{"key":"K2",'
fails "invalid JSON" insert issues '{"key":"K2" "title":"t"}'
fails "an entity must be a JSON object" insert issues '[1,2]'
fails "invalid JSON" insert issues '"text"'
fails "duplicate object key" insert issues '{"key":"K2","key":"K3","title":"t","status":"open"}'
fails "issues.priority: expected integer, got string \"high\"" insert issues '{"key":"K2","title":"t","status":"open","priority":"high"}'
fails "issues.status: not one of the enum values" insert issues '{"key":"K2","title":"t","status":"done"}'
fails "issues.priority: below minimum 1" insert issues '{"key":"K2","title":"t","status":"open","priority":0}'
fails "issues.priority: above maximum 5" insert issues '{"key":"K2","title":"t","status":"open","priority":6}'
fails "issues.title: longer than maxLength 60" insert issues "{\"key\":\"K2\",\"title\":\"$(printf '%070d' 0)\",\"status\":\"open\"}"
fails "issues.due: not an RFC 3339 date-time" insert issues '{"key":"K2","title":"t","status":"open","due":"2024-02-30T00:00:00Z"}'
fails "issues.title: required field is missing" insert issues '{"key":"K2","status":"open"}'
fails "issues.tags[1]: expected string" insert issues '{"key":"K2","title":"t","status":"open","tags":["a",1]}'
fails "issues.id: not a UUID" insert issues '{"id":"nope","key":"K2","title":"t","status":"open"}'
fails "unknown table \"nope\"" insert nope '{}'
fails "unknown table" import nope issues.json
fails "no entity with id" get 00000000-0000-7000-8000-000000000000
fails "invalid id" get not-a-uuid
fails "invalid id" update 12345 '{}'
fails "no entity with id" delete 00000000-0000-7000-8000-000000000000
fails "the patch must be a JSON object" update "$ID" '[1]'
fails "cannot be changed by update" update "$ID" '{"id":"00000000-0000-7000-8000-000000000000"}'
fails "system field" update "$ID" '{"created_at":"2020-01-01T00:00:00Z"}'
fails "cannot be set by insert" insert issues '{"key":"K2","title":"t","status":"open","deleted_at":"2020-01-01T00:00:00Z"}'

# additionalProperties: false
cat > strict.json <<'JSON'
{"name":"strict","properties":{"a":{"type":"integer"}},"additionalProperties":false}
JSON
ok schema add strict.json
fails "strict.b: not a declared property" insert strict '{"a":1,"b":2}'

# deep nesting, invalid UTF-8, over-long values
python3 -c "print('{\"key\":\"K2\",\"title\":\"t\",\"status\":\"open\",\"x\":' + '['*10000 + ']'*10000 + '}')" > deep.json
run insert issues - < deep.json; check_alive deep
[ "$RC" -ne 0 ] && grep -q '^error: ' "$ERR" || die "deep nesting accepted"
echo "ok deep nesting refused: $(head -c 120 "$ERR")"
printf '{"key":"K2","title":"t\377\376","status":"open"}\n' > utf8.jsonl
fails "line 1" insert issues - < utf8.jsonl
python3 -c "import json; print(json.dumps({'key':'K2','title':'t','status':'open','blob':'x'*(2*1024*1024)}))" > big.jsonl
fails "value too long" insert issues - < big.jsonl

# bad schemas
echo '{"name":"x y","properties":{}}' > bad1.json
fails "must match" schema add bad1.json
echo '{"name":"x","properties":{"a":{"$ref":"#/b"}}}' > bad2.json
fails "is not supported" schema add bad2.json
echo '{"name":"x","properties":{"a":{}},"indexed_fields":["b"]}' > bad3.json
fails "is not a property" schema add bad3.json
echo '{"name":' > bad4.json
fails "invalid JSON" schema add bad4.json
fails "cannot read" schema add missing.json

# tenants that could escape the directory, or hold odd bytes
for t in '../x' 'a/b' '.' '..' '' 'a b' 'é' "$(printf 'x%.0s' $(seq 1 65))" '-x'; do
  run -t "$t" count issues
  check_alive "tenant $t"
  [ "$RC" -ne 0 ] && grep -q 'invalid tenant name' "$ERR" || die "tenant '$t' accepted"
  echo "ok tenant '$t' refused"
done

# usage errors
run; check_alive none
run bogus-command; check_alive bogus
[ "$RC" -eq 2 ] || die "unknown command should exit 2"
echo "ok unknown command exits 2"
fails "expected 2 arguments" insert issues

# nothing was written by any of the above
count_is issues 1
count_is strict 0
verify_ok
