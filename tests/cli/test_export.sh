#!/bin/bash
# export TABLE: JSON lines (every live entity, as get prints it) and CSV
# (header of system fields then properties; RFC 4180 quoting).
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >notes.json <<'EOF'
{"name": "notes", "type": "object",
 "properties": {
   "title":  {"type": "string"},
   "body":   {"type": ["string", "null"]},
   "stars":  {"type": "integer"},
   "ratio":  {"type": "number"},
   "pinned": {"type": "boolean"},
   "tags":   {"type": "array", "items": {"type": "string"}},
   "extra":  {"type": "object"}
 },
 "required": ["title"],
 "indexed_fields": ["stars"]}
EOF
expect_ok remdb schema add notes.json

# empty table
expect_ok remdb export notes
expect_eq "$OUT" "" "export of an empty table"
expect_ok remdb export notes --format csv
expect_eq "$OUT" "id,type,created_at,modified_at,deleted_at,title,body,stars,ratio,pinned,tags,extra" \
  "csv header of an empty table"

cat >rows.jsonl <<'EOF'
{"title":"plain","body":"simple text","stars":1,"ratio":0.5,"pinned":true,"tags":["a","b"],"extra":{"k":[1,2]}}
{"title":"comma, and \"quotes\"","body":"line one\nline two","stars":2,"pinned":false}
{"title":"ünïcödé ✓","body":null,"stars":3,"ratio":-1e-3}
{"title":"crlf\r\nend","stars":4}
{"title":"gone","stars":5}
EOF
expect_ok remdb insert notes - <rows.jsonl
ids=$OUT
gone=$(tail -n 1 <<<"$ids")
expect_ok remdb delete "$gone"

# ---- jsonl ----
expect_ok remdb export notes
jl=$OUT
expect_lines 4 "$jl" "export jsonl: one line per live entity"
expect_eq "$(json_ids "$jl" | sort)" "$(head -n 4 <<<"$ids" | sort)" "export jsonl: the live ids"
for id in $(json_ids "$jl"); do
  expect_ok remdb get "$id"
  expect_contains "$jl" "$OUT" "export line of $id equals get"
done
expect_ok remdb export notes --format jsonl
expect_eq "$OUT" "$jl" "--format jsonl is the default"
expect_ok remdb export notes --deleted
expect_lines 5 "$OUT" "export --deleted"
expect_contains "$OUT" "$gone" "export --deleted includes the deleted entity"

# ---- csv ----
expect_ok remdb export notes --format csv
csv=$OUT
rows=$(jq_py '
__import__("json").dumps([dict(r) for r in __import__("csv").DictReader(__import__("io").StringIO(t))], ensure_ascii=False)' "$csv")
expect_eq "$(jq_py "len(j)" "$rows")" "4" "csv rows (embedded newlines are quoted)"
expect_eq "$(jq_py "'\\n'.join(sorted(r['id'] for r in j))" "$rows")" "$(json_ids "$jl" | sort)" \
  "csv ids match the jsonl ids"
byt() { jq_py "[r for r in j if r['title'] == $1][0]" "$rows"; }
r=$(byt "'plain'")
expect_eq "$(jq_py "[j['type'], j['body'], j['stars'], j['ratio'], j['pinned'], j['deleted_at']]" "$r")" \
  '["notes", "simple text", "1", "0.5", "1", ""]' "csv scalars (booleans as 1/0, null as empty)"
expect_eq "$(jq_py "[json.loads(j['tags']), json.loads(j['extra'])]" "$r")" '[["a", "b"], {"k": [1, 2]}]' \
  "csv arrays and objects as JSON text"
r=$(byt "'comma, and \"quotes\"'")
expect_eq "$(jq_py "[j['body'], j['pinned'], j['ratio'], j['tags']]" "$r")" '["line one\nline two", "0", "", ""]' \
  "csv quoting of commas, quotes and newlines"
r=$(byt "'ünïcödé ✓'")
expect_eq "$(jq_py "[j['body'], float(j['ratio'])]" "$r")" '["", -0.001]' "csv of null and a small real"
r=$(byt "'crlf\r\nend'")
expect_eq "$(jq_py "j['stars']" "$r")" "4" "csv with CR LF inside a value"
# the header row is exactly the system fields then the properties
expect_eq "$(head -n 1 <<<"$csv")" "id,type,created_at,modified_at,deleted_at,title,body,stars,ratio,pinned,tags,extra" "csv header"
expect_ok remdb export notes --format csv --deleted
expect_contains "$OUT" "$gone" "csv --deleted"

# ---- errors ----
expect_fail "--format must be jsonl, csv or parquet" remdb export notes --format xml
expect_eq "$RC" 2 "a bad --format is a usage error"
expect_fail 'unknown table "nosuch"' remdb export nosuch
expect_fail 'unknown table "nosuch"' remdb export nosuch --format csv
expect_fail "expected 1 argument" remdb export

finish
