#!/bin/bash
# import TABLE FILE.jsonl: atomic (one bad line rejects the whole file and
# names the line); --skip-bad imports the rest and reports the bad lines.
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >issues.json <<'EOF'
{"name": "issues", "type": "object",
 "properties": {
   "title":    {"type": "string", "minLength": 1, "maxLength": 40},
   "status":   {"enum": ["open", "closed"]},
   "priority": {"type": "integer", "minimum": 1, "maximum": 5},
   "owner":    {"type": "string"}
 },
 "required": ["title", "status"],
 "additionalProperties": false,
 "indexed_fields": ["status", "priority", "owner"]}
EOF
expect_ok remdb schema add issues.json

# 1000 valid rows: 500 open, 500 closed
python3 - <<'EOF'
import json
with open("good.jsonl", "w") as f:
    for i in range(1000):
        f.write(json.dumps({"title": "t%d" % i,
                            "status": "open" if i % 2 == 0 else "closed",
                            "priority": 1 + i % 5,
                            "owner": "u%d" % (i % 10)}) + "\n")
# 500 valid rows with a bad one at line 301
rows = [json.dumps({"title": "b%d" % i, "status": "open"}) for i in range(500)]
rows[300] = json.dumps({"title": "b300", "status": "open", "priority": 9})
open("bad_middle.jsonl", "w").write("\n".join(rows) + "\n")
# the bad line is the last one, and is truncated JSON
rows = [json.dumps({"title": "c%d" % i, "status": "closed"}) for i in range(50)]
open("bad_last.jsonl", "w").write("\n".join(rows) + "\n" + '{"title":"c50","sta')
# a bad first line
open("bad_first.jsonl", "w").write('{"title":"d0"}\n{"title":"d1","status":"open"}\n')
# invalid UTF-8 on line 3
with open("bad_utf8.jsonl", "wb") as f:
    f.write(b'{"title":"e0","status":"open"}\n{"title":"e1","status":"open"}\n')
    f.write(b'{"title":"e2\xff\xfe","status":"open"}\n{"title":"e3","status":"open"}\n')
# for --skip-bad: 8 lines, bad ones at lines 2, 5 and 7; line 4 is blank
lines = [
    '{"title":"s1","status":"open","owner":"skip"}',
    '{"title":"s2","status":"nope","owner":"skip"}',
    '{"title":"s3","status":"open","owner":"skip"}',
    '',
    'this is not json',
    '{"title":"s6","status":"closed","owner":"skip"}',
    '{"title":"s7","status":"open","owner":"skip","extra":1}',
    '{"title":"s8","status":"open","owner":"skip"}',
]
open("skip.jsonl", "w").write("\n".join(lines) + "\n")
EOF

# ---- a valid file ----
expect_ok remdb import issues good.jsonl
expect_contains "$OUT" "imported 1000 entities into issues" "import output"
expect_count 1000 remdb count issues
expect_ok remdb find issues status open
expect_lines 500 "$OUT" "find status open after import"
expect_ok remdb find issues owner u3
expect_lines 100 "$OUT" "find owner u3 after import"
verify_db

# ---- atomic: one bad line rejects the whole file ----
expect_fail "line 301" remdb import issues bad_middle.jsonl
expect_contains "$ERR" "bad_middle.jsonl" "the error names the file"
expect_contains "$ERR" "above maximum" "the error names the problem"
expect_contains "$ERR" "nothing was imported" "the error says nothing was written"
expect_eq "$OUT" "" "no success line"
expect_count 1000 remdb count issues
expect_ok remdb sql "SELECT count(*) AS n FROM issues WHERE title LIKE 'b%'" --format json
expect_eq "$(jq_py "j[0]['n']" "$OUT")" "0" "no row of the rejected file was written"

expect_fail "line 51" remdb import issues bad_last.jsonl
expect_contains "$ERR" "invalid JSON" "the error names the problem"
expect_count 1000 remdb count issues
expect_fail "line 1" remdb import issues bad_first.jsonl
expect_contains "$ERR" "required field is missing" "the error names the problem"
expect_count 1000 remdb count issues
expect_fail "line 3" remdb import issues bad_utf8.jsonl
expect_contains "$ERR" "invalid JSON" "the error names the problem"
expect_count 1000 remdb count issues
verify_db

# ---- --skip-bad: the good lines go in, the bad ones are reported ----
expect_ok remdb import issues skip.jsonl --skip-bad
expect_contains "$OUT" "imported 4 entities" "skip-bad output"
expect_contains "$OUT" "skipped 3 bad lines" "skip-bad output"
expect_contains "$ERR" "line 2" "bad line 2 reported"
expect_contains "$ERR" "line 5" "bad line 5 reported"
expect_contains "$ERR" "line 7" "bad line 7 reported"
expect_contains "$ERR" "not one of the enum values" "the reason for line 2"
expect_contains "$ERR" "not a declared property" "the reason for line 7"
expect_not_contains "$ERR" "line 4" "a blank line is not bad"
expect_count 1004 remdb count issues
expect_ok remdb find issues owner skip
expect_eq "$(jq_py "sorted(l['title'] for l in j)" "$(jsonl_array "$OUT")")" \
  '["s1", "s3", "s6", "s8"]' "the good lines of skip.jsonl"
verify_db

# ---- stdin, empty files, missing files, unknown tables ----
python3 -c '
import json
for i in range(10): print(json.dumps({"title": "in%d" % i, "status": "closed", "owner": "stdin"}))
' >stdin.jsonl
expect_ok remdb import issues - <stdin.jsonl
expect_contains "$OUT" "imported 10 entities" "import from stdin"
expect_fail "stdin line 1" remdb import issues - <bad_first.jsonl
: >empty.jsonl
expect_ok remdb import issues empty.jsonl
expect_contains "$OUT" "imported 0 entities" "empty file"
expect_fail "cannot open" remdb import issues does-not-exist.jsonl
expect_fail 'unknown table "nosuch"' remdb import nosuch good.jsonl
# --skip-bad is about bad lines: an unknown table is still an error
expect_fail 'unknown table "nosuch"' remdb import nosuch stdin.jsonl --skip-bad
expect_fail 'unknown table' remdb -t other import issues stdin.jsonl
n_now=1014
expect_count $n_now remdb count issues

# ---- upserts inside one file: the last line for a key wins ----
cat >users.json <<'EOF'
{"name": "users", "type": "object",
 "properties": {"email": {"type": "string"}, "plan": {"enum": ["free", "pro"]}},
 "required": ["email"], "key_field": "email", "indexed_fields": ["plan"]}
EOF
expect_ok remdb schema add users.json
printf '%s\n' '{"email":"a@x","plan":"free"}' '{"email":"b@x","plan":"free"}' \
  '{"email":"a@x","plan":"pro"}' >dups.jsonl
expect_ok remdb import users dups.jsonl
expect_count 2 remdb count users
expect_ok remdb find users plan pro
expect_lines 1 "$OUT" "one pro user"
expect_eq "$(jfield email "$OUT")" "a@x" "the later line won"
expect_ok remdb find users plan free
expect_lines 1 "$OUT" "no stale index entry for a@x's old plan"
# a second import upserts the same entities
printf '%s\n' '{"email":"b@x","plan":"pro"}' >up.jsonl
expect_ok remdb import users up.jsonl
expect_count 2 remdb count users
expect_ok remdb find users plan free
expect_lines 0 "$OUT" "b@x left the free index"
VERIFY_TENANTS="default other"

finish
