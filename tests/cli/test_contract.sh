# The CLI contract: init, schema, insert, import, get, update, delete,
# export, count, find, verify, reindex, stats, backup.
. "${0%/*}/assert.sh"
ok init
out_has '"resources"'
for t in resources moments agents sessions messages; do ok schema show $t; done
issues_schema
ok schema add issues.json
ok schema list
out_has issues

# insert prints the id; the same key upserts (same id, created_at kept)
ok insert issues '{"key":"TAP-1","title":"Login fails","status":"open","priority":2}'
ID=$(cat "$OUT")
ok get "$ID"
out_has '"title":"Login fails"'
CREATED=$(sed 's/.*"created_at":"\([^"]*\)".*/\1/' "$OUT")
sleep 0.01
ok insert issues '{"key":"TAP-1","title":"Login still fails","status":"open","priority":3}'
out_is "$ID"
ok get "$ID"
out_has "\"created_at\":\"$CREATED\""
out_has '"title":"Login still fails"'
grep -q "\"modified_at\":\"$CREATED\"" "$OUT" && die "modified_at not updated"
count_is issues 1

# insert - : one id per line, each after its commit
printf '%s\n' '{"key":"TAP-2","title":"a","status":"open","priority":1}' '' \
  '{"key":"TAP-3","title":"b","status":"closed","priority":5}' > lines.jsonl
run insert issues - < lines.jsonl
[ "$RC" -eq 0 ] || die "insert - failed"
[ "$(wc -l < "$OUT")" -eq 2 ] || die "insert - printed $(wc -l < "$OUT") ids"
echo "ok insert - printed two ids"
count_is issues 3

# import: atomic by default, --skip-bad to skip and report
python3 - <<'PY'
import json
with open("good.jsonl", "w") as f:
    for i in range(200):
        f.write(json.dumps({"key": "IMP-%d" % i, "title": "t%d" % i,
                            "status": "open" if i % 2 else "closed",
                            "priority": 1 + i % 5}) + "\n")
with open("bad.jsonl", "w") as f:
    for i in range(50):
        f.write(json.dumps({"key": "BAD-%d" % i, "title": "t",
                            "status": "open", "priority": 1}) + "\n")
    f.write('{"key":"BAD-X","title":"t","status":"open","priority":"high"}\n')
    for i in range(50, 60):
        f.write(json.dumps({"key": "BAD-%d" % i, "title": "t",
                            "status": "open", "priority": 1}) + "\n")
PY
ok import issues good.jsonl
out_has "imported 200 entities"
count_is issues 203
fails "line 51" import issues bad.jsonl
fails "nothing was imported" import issues bad.jsonl
count_is issues 203
ok import issues bad.jsonl --skip-bad
out_has "imported 60 entities"
out_has "skipped 1 bad line"
grep -q "line 51" "$ERR" || die "skipped line not reported"
count_is issues 263

# find uses the index; update merge-patches and revalidates
ok find issues status closed
[ "$(wc -l < "$OUT")" -eq 101 ] || die "find returned $(wc -l < "$OUT") rows"
echo "ok find status closed: 101 rows"
ok update "$ID" '{"status":"closed","tags":["x"]}'
out_has '"status":"closed"'
out_has '"tags":["x"]'
ok update "$ID" '{"tags":null}'
grep -q '"tags"' "$OUT" && die "null did not remove tags"
echo "ok null removes a field"
fails "priority: above maximum 5" update "$ID" '{"priority":9}'
ok get "$ID"
out_has '"priority":3'

# soft and hard delete
ok delete "$ID"
fails "is deleted" get "$ID"
ok get "$ID" --deleted
out_has '"deleted_at":"'
count_is issues 262
count_is issues 263 --deleted
fails "already deleted" delete "$ID"
ok delete "$ID" --hard
fails "no entity with id" get "$ID" --deleted
count_is issues 262 --deleted

# export
ok export issues
[ "$(wc -l < "$OUT")" -eq 262 ] || die "export jsonl rows"
echo "ok export jsonl"
ok export issues --format csv
head -n 1 "$OUT" | grep -q '^id,type,created_at,modified_at,deleted_at,key,title' || die "csv header"
[ "$(wc -l < "$OUT")" -eq 263 ] || die "export csv rows"
echo "ok export csv"

# resources: id from uri + chunk_ordinal
ok insert resources '{"uri":"file:///a.md","chunk_ordinal":0,"content":"x"}'
R0=$(cat "$OUT")
ok insert resources '{"uri":"file:///a.md","chunk_ordinal":0,"content":"y"}'
out_is "$R0"
ok insert resources '{"uri":"file:///a.md","chunk_ordinal":1,"content":"z"}'
[ "$(cat "$OUT")" != "$R0" ] || die "another chunk got the same id"
echo "ok chunk ids differ"
# no key_field: random ids
ok insert sessions '{"status":"active"}'
S1=$(cat "$OUT")
ok insert sessions '{"status":"active"}'
[ "$(cat "$OUT")" != "$S1" ] || die "random ids repeat"
echo "ok random ids differ"

# schema replace that indexes a new field, and one that stored rows break
sed 's/"indexed_fields":\["status","priority"\]/"indexed_fields":["status","key"]/' issues.json > issues2.json
ok schema add issues2.json
ok find issues key IMP-7
out_has '"key":"IMP-7"'
fails "not an indexed field" find issues priority 3
sed 's/"maxLength":16/"maxLength":3/' issues2.json > issues3.json
fails "cannot replace schema issues" schema add issues3.json
ok find issues key IMP-7
out_has '"key":"IMP-7"'
verify_ok

# maintenance
ok reindex
ok reindex issues
verify_ok
ok stats
python3 -c "import json,sys; d=json.load(open('$OUT')); assert d['tables']['issues']['entities']==262, d" || die "stats"
echo "ok stats is JSON with counts"
ok backup copy.db
"$R" -d copy.db verify >/dev/null || die "backup does not verify"
"$R" -d copy.db count issues | grep -qx 262 || die "backup count"
echo "ok backup opens and verifies"
fails "already exists" backup copy.db
ok compact
ok schema drop sessions
fails "unknown table" count sessions
verify_ok
