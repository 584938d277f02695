#!/bin/bash
# Bad input, one case at a time: each must give an `error:` line naming the
# problem, a non-zero exit, no crash, and no write at all (the table's
# export is compared before and after, and verify runs at the end).
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >issues.json <<'EOF'
{"name": "issues", "type": "object",
 "properties": {
   "title":    {"type": "string", "minLength": 1, "maxLength": 20},
   "status":   {"enum": ["open", "closed", 7, null]},
   "priority": {"type": "integer", "minimum": 1, "maximum": 5},
   "score":    {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
   "due":      {"type": "string", "format": "date-time"},
   "day":      {"type": "string", "format": "date"},
   "flag":     {"type": "boolean"},
   "labels":   {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 3},
   "meta":     {"type": "object", "properties": {"k": {"type": "integer"}},
                "required": ["k"], "additionalProperties": false},
   "kind":     {"const": "issue"},
   "either":   {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]},
   "blob":     {"type": "string"},
   "extra":    {}
 },
 "required": ["title", "status"],
 "additionalProperties": false,
 "indexed_fields": ["status", "priority", "due"]}
EOF
expect_ok remdb schema add issues.json
expect_ok remdb insert issues '{"title":"keep","status":"open","priority":3,"labels":["a"],"meta":{"k":1}}'
keep=$OUT
expect_ok remdb export issues
snapshot=$OUT

# reject TEXT JSON: insert JSON (as an argument) fails naming TEXT
reject() { expect_fail "$1" remdb insert issues "$2"; }
# reject_stdin TEXT: insert - with stdin fails on line 1 naming TEXT
reject_stdin() {
  expect_fail "stdin line 1" remdb insert issues - || return 1
  _has_error_line "$1" || fail_check "stderr has no line 'error: ...$1...'"
}
# unchanged: nothing was written since the snapshot
unchanged() {
  expect_ok remdb export issues
  expect_eq "$OUT" "$snapshot" "the table is unchanged after ${1:-the rejected inputs}"
}

# a valid baseline of the same shape succeeds (so the cases below fail for
# the reason they name)
expect_ok remdb insert issues '{"title":"ok","status":7,"priority":5,"score":2.5,"due":"2024-01-01T00:00:00Z","day":"2024-02-29","flag":true,"labels":["x","y","z"],"meta":{"k":2},"kind":"issue","either":"ab","extra":{"deep":[1,{"a":null}]}}'
expect_ok remdb delete --hard "$OUT"

# ---- malformed JSON ----
reject 'invalid JSON at line 1' '{"title":"x","status":"open",}'
reject 'invalid JSON at line 1' '{"title":"x" "status":"open"}'
reject 'invalid JSON at line 1' '{"title":"\ud800","status":"open"}'
reject 'invalid JSON at line 1' $'{"title":"tab\there","status":"open"}'
reject 'invalid JSON' ''
reject 'invalid JSON' '   '
reject_batch issues malformed <<'EOF'
invalid JSON at line 1	{title:"x"}
invalid JSON at line 1	{'title':'x'}
invalid JSON at line 1	{"title":"x","status":"open"}}
invalid JSON at line 1	{"title":"x","status":"open"} {"title":"y","status":"open"}
invalid JSON at line 1	{"title":"x","status":"open","priority":01}
invalid JSON at line 1	{"title":"x","status":"open","priority":+1}
invalid JSON at line 1	{"title":"x","status":"open","score":.5}
invalid JSON at line 1	{"title":"x","status":"open","score":NaN}
invalid JSON at line 1	{"title":"x","status":"open","score":Infinity}
invalid JSON at line 1	{"title":"a\qb","status":"open"}
invalid JSON at line 1	{"title":"\u12","status":"open"}
invalid JSON at line 1	{"title":"\udc00\ud800","status":"open"}
invalid JSON at line 1	{"title":"x","status":"open","priority":123456789012345678901234567890}
invalid JSON at line 1	{"title":"x","status":"open","score":1e999}
invalid JSON at line 1	{"title":"x","status":"open",,"flag":true}
invalid JSON at line 1	{"title":"x","status":"open","labels":[1,,2]}
invalid JSON at line 1	{"title":"x","status":"open","flag":True}
invalid JSON at line 1	{"title":"x","status":"open"} // comment
EOF
# ---- truncated JSON ----
reject 'invalid JSON at line 1' '{"title":"x","status":"open"'
reject_batch issues truncated <<'EOF'
invalid JSON	{"title":"x
invalid JSON	{"title":"x","status":
invalid JSON	{"title":"x","status":"open","labels":["a",
invalid JSON	{
invalid JSON	{"title":"x","status":"op\
invalid JSON	{"title":"x","status":"open","score":1e
EOF
unchanged "malformed and truncated JSON"

# ---- JSON that is not an object ----
reject 'must be a JSON object' '[{"title":"x","status":"open"}]'
reject 'must be a JSON object' '[]'
for v in '42' '"text"' 'true' '3.5'; do
  reject 'JSON' "$v"
done

# ---- duplicate keys, at the top and inside ----
reject 'duplicate object key' '{"title":"a","status":"open","title":"b"}'
reject 'duplicate object key' '{"title":"a","status":"open","meta":{"k":1,"k":2}}'
reject 'duplicate object key' '{"title":"a","status":"open","extra":[{"z":1,"z":1}]}'
unchanged "non-objects and duplicate keys"

# ---- deep nesting ----
python3 - <<'EOF'
head = '{"title":"deep","status":"open","extra":'
open("deep_arrays.jsonl", "w").write(head + "[" * 10000 + "]" * 10000 + "}\n")
open("deep_objects.jsonl", "w").write(head + '{"a":' * 10000 + "1" + "}" * 10000 + "}\n")
# valid for the parser, deeper than the 64 levels remdb allows
open("deep_100.jsonl", "w").write(head + "[" * 100 + "]" * 100 + "}\n")
# well within the limit: accepted
open("deep_30.jsonl", "w").write(head + "[" * 30 + "]" * 30 + "}\n")
EOF
reject_stdin 'invalid JSON' <deep_arrays.jsonl
reject_stdin 'invalid JSON' <deep_objects.jsonl
reject_stdin 'nested deeper than 64 levels' <deep_100.jsonl
expect_fail 'line 1' remdb import issues deep_arrays.jsonl
expect_fail 'line 1' remdb import issues deep_100.jsonl
unchanged "deep nesting"
expect_ok remdb insert issues - <deep_30.jsonl
expect_ok remdb delete --hard "$OUT"

# ---- invalid UTF-8 (stdin, argument, import) ----
bad_utf8() { # bad_utf8 BYTES-IN-PRINTF-FORMAT
  # shellcheck disable=SC2059 # the format carries the octal escapes
  printf "{\"title\":\"$1\",\"status\":\"open\"}\n" >u.jsonl
  reject_stdin 'invalid JSON' <u.jsonl
}
bad_utf8 'a\377b'        # a byte that is never UTF-8
bad_utf8 '\300\257'      # an overlong encoding of /
bad_utf8 '\355\240\200'  # a UTF-16 surrogate in UTF-8
bad_utf8 'x\342\202'     # a sequence cut short
bad_utf8 '\200'          # a lone continuation byte
bad_utf8 '\370\210\200\200\200' # a five-byte sequence
printf '{"ti\377tle":"x","status":"open"}\n' >u.jsonl
reject_stdin 'invalid JSON' <u.jsonl
printf '{"title":"x","status":"open"}\377\n' >u.jsonl
reject_stdin 'invalid JSON' <u.jsonl
reject 'invalid JSON' $'{"title":"\xff","status":"open"}'
printf '{"title":"ok1","status":"open"}\n{"title":"bad\377","status":"open"}\n' >u.jsonl
expect_fail 'u.jsonl line 2' remdb import issues u.jsonl
# a NUL byte in a line
printf '{"title":"a\0b","status":"open"}\n' >u.jsonl
reject_stdin 'invalid JSON' <u.jsonl
unchanged "invalid UTF-8"

# ---- wrong types ----
reject 'issues.priority: expected integer, got string' '{"title":"x","status":"open","priority":"high"}'
reject 'issues.title: expected string, got integer' '{"title":5,"status":"open"}'
reject 'issues.labels[1]: expected string, got integer' '{"title":"x","status":"open","labels":["a",2]}'
reject_batch issues types <<'EOF'
issues.title: expected string, got null	{"title":null,"status":"open"}
issues.priority: expected integer, got number	{"title":"x","status":"open","priority":2.5}
issues.priority: expected integer, got boolean	{"title":"x","status":"open","priority":true}
issues.priority: expected integer, got null	{"title":"x","status":"open","priority":null}
issues.score: expected number, got string	{"title":"x","status":"open","score":"1"}
issues.flag: expected boolean, got integer	{"title":"x","status":"open","flag":1}
issues.flag: expected boolean, got string	{"title":"x","status":"open","flag":"true"}
issues.labels: expected array, got string	{"title":"x","status":"open","labels":"a,b"}
issues.labels: expected array, got object	{"title":"x","status":"open","labels":{"0":"a"}}
issues.meta: expected object, got array	{"title":"x","status":"open","meta":[1]}
issues.meta.k: expected integer, got string	{"title":"x","status":"open","meta":{"k":"1"}}
issues.meta.k: required field is missing	{"title":"x","status":"open","meta":{}}
issues.kind: does not equal the const value	{"title":"x","status":"open","kind":"bug"}
issues.either: matches none of the anyOf schemas	{"title":"x","status":"open","either":"abc"}
issues.either: matches none of the anyOf schemas	{"title":"x","status":"open","either":1.5}
EOF
# ---- enum ----
reject 'issues.status: not one of the enum values' '{"title":"x","status":"pending"}'
reject_batch issues enum <<'EOF'
issues.status: not one of the enum values	{"title":"x","status":"OPEN"}
issues.status: not one of the enum values	{"title":"x","status":"7"}
issues.status: not one of the enum values	{"title":"x","status":7.5}
issues.status: not one of the enum values	{"title":"x","status":["open"]}
issues.status: not one of the enum values	{"title":"x","status":false}
EOF
# ---- minimum, maximum, exclusiveMinimum, multipleOf ----
reject 'issues.priority: below minimum 1' '{"title":"x","status":"open","priority":0}'
reject 'issues.priority: above maximum 5' '{"title":"x","status":"open","priority":6}'
reject_batch issues range <<'EOF'
issues.priority: below minimum 1	{"title":"x","status":"open","priority":-9223372036854775808}
issues.priority: above maximum 5	{"title":"x","status":"open","priority":9223372036854775807}
issues.priority: above maximum 5	{"title":"x","status":"open","priority":6.0}
issues.score: not above exclusiveMinimum 0	{"title":"x","status":"open","score":0}
issues.score: not above exclusiveMinimum 0	{"title":"x","status":"open","score":-0.5}
issues.score: not a multiple of 0.5	{"title":"x","status":"open","score":0.7}
EOF
# ---- minLength, maxLength (characters, not bytes), maxItems ----
reject 'issues.title: longer than maxLength 20' '{"title":"123456789012345678901","status":"open"}'
reject_batch issues lengths <<'EOF'
issues.title: shorter than minLength 1	{"title":"","status":"open"}
issues.title: longer than maxLength 20	{"title":"ééééééééééééééééééééé","status":"open"}
issues.title: longer than maxLength 20	{"title":"✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓","status":"open"}
issues.labels[0]: longer than maxLength 8	{"title":"x","status":"open","labels":["123456789"]}
issues.labels: more items than maxItems 3	{"title":"x","status":"open","labels":["a","b","c","d"]}
EOF
# 20 two-byte characters are 20 characters: accepted
expect_ok remdb insert issues '{"title":"éééééééééééééééééééé","status":"open"}'
expect_ok remdb delete --hard "$OUT"
# ---- date-time and date ----
reject 'issues.due: not an RFC 3339 date-time' '{"title":"x","status":"open","due":"2024-02-30T00:00:00Z"}'
reject_batch issues dates <<'EOF'
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"yesterday"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2023-02-29T00:00:00Z"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-13-01T00:00:00Z"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-01-01T24:00:01Z"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-01-01T00:60:00Z"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-01-01"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-01-01T00:00:00"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-1-1T00:00:00Z"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-01-01T00:00:00+25:00"}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":""}
issues.due: not an RFC 3339 date-time	{"title":"x","status":"open","due":"2024-01-01T00:00:00Zjunk"}
issues.due: expected string, got integer	{"title":"x","status":"open","due":1704067200}
issues.day: not a YYYY-MM-DD date	{"title":"x","status":"open","day":"2023-02-29"}
issues.day: not a YYYY-MM-DD date	{"title":"x","status":"open","day":"2024-01-01T00:00:00Z"}
EOF
# ---- required fields ----
reject 'issues.status: required field is missing' '{"title":"x"}'
reject_batch issues required <<'EOF'
issues.title: required field is missing	{"status":"open"}
issues.title: required field is missing	{}
EOF
# ---- additionalProperties: false ----
reject 'issues.color: not a declared property' '{"title":"x","status":"open","color":"red"}'
reject 'issues.meta.z: not a declared property' '{"title":"x","status":"open","meta":{"k":1,"z":2}}'
# ---- system fields and explicit ids ----
reject 'issues.id: not a UUID' '{"id":"not-a-uuid","title":"x","status":"open"}'
reject_batch issues system <<'EOF'
issues.id: not a UUID	{"id":12345,"title":"x","status":"open"}
issues.id: not a UUID	{"id":"0f0e0d0c-0b0a-4908-8706-05040302010","title":"x","status":"open"}
issues.type: must be "issues"	{"type":"agents","title":"x","status":"open"}
cannot be set by insert	{"deleted_at":"2024-01-01T00:00:00Z","title":"x","status":"open"}
issues.modified_at: not an RFC 3339 date-time	{"modified_at":"soon","title":"x","status":"open"}
EOF
unchanged "schema violations"

# ---- over-long values: the limit is 1 MiB per string ----
python3 - <<'EOF'
import json
base = {"title": "big", "status": "open"}
def line(name, **kw):
    d = dict(base); d.update(kw)
    open(name, "w").write(json.dumps(d) + "\n")
line("big_2mib.jsonl", blob="x" * (2 * 1024 * 1024))
line("big_limit_plus_1.jsonl", blob="x" * (1024 * 1024 + 1))
line("big_in_extra.jsonl", extra={"note": ["y" * (2 * 1024 * 1024)]})
line("big_limit.jsonl", blob="x" * (1024 * 1024))
EOF
reject_stdin 'issues.blob: value too long' <big_2mib.jsonl
reject_stdin 'value too long' <big_limit_plus_1.jsonl
reject_stdin 'issues.extra.note[0]: value too long' <big_in_extra.jsonl
expect_fail 'line 1' remdb import issues big_2mib.jsonl
_has_error_line 'value too long' || fail_check "import of a 2 MiB value: no 'value too long'"
unchanged "over-long values"
# exactly at the limit is fine
expect_ok remdb insert issues - <big_limit.jsonl
big=$OUT
expect_ok remdb get "$big"
expect_eq "$(jq_py "len(j['blob'])" "$OUT")" "1048576" "a 1 MiB value round-trips"
expect_ok remdb delete --hard "$big"

# ---- unknown tables and ids ----
expect_fail 'unknown table "nosuch"' remdb insert nosuch '{"title":"x"}'
expect_fail 'unknown table "nosuch"' remdb insert nosuch - <big_limit.jsonl
expect_fail 'unknown table "Issues"' remdb insert Issues '{"title":"x","status":"open"}'
expect_fail 'unknown table' remdb insert '../issues' '{"title":"x","status":"open"}'
expect_fail 'unknown table' remdb insert '' '{"title":"x","status":"open"}'
missing=00000000-0000-4000-8000-000000000000
for cmd in "get" "get --deleted" "delete" "delete --hard"; do
  # shellcheck disable=SC2086
  expect_fail "no entity with id $missing" remdb $cmd "$missing"
done
expect_fail "no entity with id $missing" remdb update "$missing" '{"title":"x"}'
for bad in "${keep}x" "${keep//-/}" "${keep:0:7}-${keep:7:1}${keep:9}" \
  "{$keep}" 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' $'\xff'; do
  expect_fail 'invalid id' remdb get "$bad"
done
expect_fail 'invalid id' remdb get --deleted nope
expect_fail 'invalid id' remdb delete nope
expect_fail 'invalid id' remdb delete --hard "${keep}x"
expect_fail 'invalid id' remdb update 1234 '{"title":"x"}'
unchanged "unknown tables and ids"
expect_count 1 remdb count issues
expect_count 1 remdb count issues --deleted

finish
