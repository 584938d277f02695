#!/bin/bash
# insert TABLE JSON prints the id; insert TABLE - reads one object per line
# and prints one id per committed line; a bad line stops with an error
# naming the line, and the lines before it stay.
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >issues.json <<'EOF'
{"name": "issues", "type": "object",
 "properties": {
   "title":     {"type": "string", "minLength": 1, "maxLength": 40},
   "status":    {"enum": ["open", "closed"]},
   "priority":  {"type": "integer", "minimum": 1, "maximum": 5},
   "opened_at": {"type": "string", "format": "date-time"},
   "done":      {"type": "boolean"},
   "score":     {"type": "number"}
 },
 "required": ["title", "status"],
 "indexed_fields": ["status", "opened_at"]}
EOF
expect_ok remdb schema add issues.json

# ---- insert TABLE JSON ----
expect_ok remdb insert issues '{"title":"first","status":"open","priority":2,"done":false,"score":1.5}'
expect_lines 1 "$OUT" "insert prints one line"
expect_uuid "$OUT" "insert output"
id=$OUT
expect_ok remdb get "$id"
e=$OUT
expect_eq "$(jq_py "[j['id'], j['type'], j['deleted_at'], j['title'], j['status'], j['priority'], j['done'], j['score']]" "$e")" \
  "[\"$id\", \"issues\", null, \"first\", \"open\", 2, false, 1.5]" "the stored entity"
expect_eq "$(jq_py "j['created_at'] == j['modified_at']" "$e")" "true" "created_at = modified_at on insert"
expect_eq "$(jq_py "bool(__import__('re').fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z', j['created_at']))" "$e")" \
  "true" "created_at is an ISO-8601 UTC time: $(jfield created_at "$e")"
expect_count 1 remdb count issues

# values are normalised: date-times to UTC, 3.0 to an integer
expect_ok remdb insert issues '{"title":"tz","status":"open","priority":3.0,"opened_at":"2024-03-01T12:00:00+02:00"}'
id_tz=$OUT
expect_ok remdb get "$id_tz"
expect_eq "$(jfield priority "$OUT")" "3" "3.0 stored as the integer 3"
expect_eq "$(jq_py "j['opened_at'].startswith('2024-03-01T10:00:00')" "$OUT")" "true" \
  "date-time normalised to UTC: $(jfield opened_at "$OUT")"
canon=$(jfield opened_at "$OUT")
expect_ok remdb find issues opened_at "$canon"
expect_eq "$(jq_py "j['id']" "$OUT")" "$id_tz" "find by the stored (canonical) date-time"
# find by the very literal that was inserted: the stored value is
# normalised, so the lookup value must be too
expect_ok remdb insert issues '{"title":"lit","status":"closed","opened_at":"2024-05-06T07:08:09Z"}'
id_lit=$OUT
expect_ok remdb find issues opened_at 2024-05-06T07:08:09Z
expect_eq "$(json_ids "$OUT")" "$id_lit" "find by the inserted date-time literal 2024-05-06T07:08:09Z"
expect_ok remdb find issues opened_at 2024-03-01T12:00:00+02:00
expect_eq "$(json_ids "$OUT")" "$id_tz" "find by an equal date-time with an offset"
expect_ok remdb delete --hard "$id_lit"

# created_at may be given (kept); type may be given if it names the table
expect_ok remdb insert issues '{"title":"old","status":"closed","type":"issues","created_at":"2020-01-02T03:04:05Z"}'
expect_ok remdb get "$OUT"
expect_eq "$(jq_py "j['created_at'].startswith('2020-01-02T03:04:05')" "$OUT")" "true" "given created_at kept"
expect_fail 'must be "issues"' remdb insert issues '{"title":"x","status":"open","type":"agents"}'
expect_fail 'cannot be set by insert' remdb insert issues '{"title":"x","status":"open","deleted_at":"2024-01-01T00:00:00Z"}'
expect_fail 'created_at: not an RFC 3339 date-time' remdb insert issues '{"title":"x","status":"open","created_at":"last week"}'
expect_count 3 remdb count issues

# undeclared properties are kept when additionalProperties is not false
expect_ok remdb insert issues '{"title":"extra","status":"open","note":{"a":[1,2]}}'
expect_ok remdb get "$OUT"
expect_eq "$(jq_py "j['note']" "$OUT")" '{"a": [1, 2]}' "undeclared property kept"

# non-ASCII text round-trips
expect_ok remdb insert issues '{"title":"héllo wörld ✓ 日本","status":"open"}'
expect_ok remdb get "$OUT"
expect_eq "$(jfield title "$OUT")" "héllo wörld ✓ 日本" "UTF-8 round trip"
expect_ok remdb insert issues '{"title":"esc \u00e9 \ud83d\ude00 \"q\" \\ \n","status":"open"}'
expect_ok remdb get "$OUT"
expect_eq "$(jq_py "j['title'] == 'esc \u00e9 \U0001F600 \"q\" \\\\ \n'" "$OUT")" "true" "escapes round trip"
expect_count 6 remdb count issues

# ---- insert TABLE - : one object per line ----
python3 - <<'EOF'
lines = [
    '{"title":"s1","status":"open"}',
    '',                                   # blank lines are skipped
    '   ',
    '{"title":"s2","status":"closed"}\r', # CRLF
    '{"title":"s3","status":"open","priority":5}',
]
open("ok.jsonl", "w").write("\n".join(lines) + "\n")
# no newline after the last line
open("nonl.jsonl", "w").write('{"title":"n1","status":"open"}\n{"title":"n2","status":"open"}')
EOF
expect_ok remdb insert issues - <ok.jsonl
expect_lines 3 "$OUT" "one id per inserted line"
ids=$OUT
for i in $ids; do
  expect_uuid "$i" "stdin insert id"
  expect_ok remdb get "$i"
done
expect_count 9 remdb count issues
expect_ok remdb insert issues - <nonl.jsonl
expect_lines 2 "$OUT" "last line without a newline is inserted"
expect_count 11 remdb count issues
expect_ok remdb insert issues - </dev/null
expect_eq "$OUT" "" "empty stdin prints nothing"
expect_count 11 remdb count issues

# a bad line stops the run, names the line; earlier lines stay, later don't
cat >mixed.jsonl <<'EOF'
{"title":"m1","status":"open"}

{"title":"m2","status":"open"}
{"title":"m3","status":"pending"}
{"title":"m4","status":"open"}
EOF
expect_fail "stdin line 4" remdb insert issues - <mixed.jsonl
expect_contains "$ERR" "not one of the enum values" "the error names the problem"
expect_lines 2 "$OUT" "ids of the two lines before the bad one"
for i in $OUT; do expect_ok remdb get "$i"; done
expect_count 13 remdb count issues
expect_ok remdb sql "SELECT count(*) FROM issues WHERE title IN ('m1','m2','m3','m4')" --format csv
expect_eq "$(jq_py "j" "$(echo "$OUT" | tail -n 1)")" "2" "m1 and m2 stored, m3 and m4 not"

# bad JSON on a line
printf '%s\n' '{"title":"j1","status":"open"}' '{"title":"j2",' '{"title":"j3","status":"open"}' >badjson.jsonl
expect_fail "stdin line 2" remdb insert issues - <badjson.jsonl
expect_contains "$ERR" "invalid JSON" "the error names the problem"
expect_lines 1 "$OUT" "one id before the bad JSON line"
expect_count 14 remdb count issues

# a first bad line writes nothing
printf '%s\n' '{"title":1,"status":"open"}' '{"title":"k2","status":"open"}' >first.jsonl
expect_fail "stdin line 1" remdb insert issues - <first.jsonl
expect_contains "$ERR" "expected string, got integer" "the error names the problem"
expect_eq "$OUT" "" "no id printed"
expect_count 14 remdb count issues

# an unknown table fails on the first line
expect_fail 'unknown table "nosuch"' remdb insert nosuch - <ok.jsonl
expect_fail 'unknown table "nosuch"' remdb insert nosuch '{"a":1}'

finish
