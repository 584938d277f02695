#!/bin/bash
# find TABLE FIELD VALUE, count, verify, reindex, stats, compact.
. "${0%/*}/lib.sh"

expect_ok remdb init
cat >tasks.json <<'EOF'
{"name": "tasks", "type": "object",
 "properties": {
   "title": {"type": "string"},
   "state": {"enum": ["todo", "doing", "done"]},
   "size":  {"type": "integer"},
   "score": {"type": "number"},
   "flag":  {"type": "boolean"},
   "owner": {"type": ["string", "null"]},
   "code":  {"type": "string"},
   "notes": {"type": "string"}
 },
 "required": ["title"],
 "indexed_fields": ["state", "size", "score", "flag", "owner", "code", "created_at"]}
EOF
expect_ok remdb schema add tasks.json
python3 - <<'EOF'
import json
with open("tasks.jsonl", "w") as f:
    for i in range(300):
        f.write(json.dumps({"title": "t%d" % i, "state": ["todo", "doing", "done"][i % 3],
                            "size": i % 10, "score": (i % 4) / 2, "flag": i % 2 == 0,
                            "owner": None if i % 5 == 0 else "u%d" % (i % 5),
                            "code": "%d" % (i % 7), "notes": "n"}) + "\n")
EOF
expect_ok remdb import tasks tasks.jsonl

# ---- count ----
expect_count 300 remdb count tasks
expect_count 0 remdb count agents
expect_fail 'unknown table "nosuch"' remdb count nosuch
expect_fail 'expected 1 argument' remdb count

# ---- find: strings, integers, reals, booleans, null, numeric-looking text ----
expect_ok remdb find tasks state doing
expect_lines 100 "$OUT" "find state doing"
expect_eq "$(jq_py "sorted(set(r['state'] for r in j))" "$(jsonl_array "$OUT")")" '["doing"]' "find returns only matches"
expect_ok remdb find tasks state '"doing"'
expect_lines 100 "$OUT" "find with a JSON string value"
expect_ok remdb find tasks size 7
expect_lines 30 "$OUT" "find size 7 (integer)"
expect_ok remdb find tasks size 7.0
expect_lines 30 "$OUT" "find size 7.0 matches the integer 7"
expect_ok remdb find tasks score 0.5
expect_lines 75 "$OUT" "find score 0.5 (real)"
expect_ok remdb find tasks score 1
expect_lines 75 "$OUT" "find score 1 matches 1.0"
expect_ok remdb find tasks flag true
expect_lines 150 "$OUT" "find flag true"
expect_ok remdb find tasks owner null
expect_lines 60 "$OUT" "find owner null"
expect_ok remdb find tasks owner u3
expect_lines 60 "$OUT" "find owner u3"
expect_ok remdb find tasks code '"3"'
expect_lines 43 "$OUT" "find a numeric-looking string, quoted"
expect_ok remdb find tasks state nothing-matches
expect_eq "$OUT" "" "find with no match prints nothing"
expect_ok remdb find tasks owner 'with space'
expect_eq "$OUT" "" "find with spaces in the value"
expect_fail 'not an indexed field' remdb find tasks title t1
expect_fail 'not an indexed field' remdb find tasks nosuchfield x
expect_fail 'unknown table "nosuch"' remdb find nosuch state todo
expect_fail 'scalar' remdb find tasks state '["todo"]'
expect_fail 'scalar' remdb find tasks state '{"a":1}'
expect_fail 'not valid UTF-8' remdb find tasks state $'\xff\xfe'
expect_fail 'expected 3 arguments' remdb find tasks state

# find by created_at: every row of one import shares nothing in particular,
# but one entity's own created_at finds it
expect_ok remdb insert tasks '{"title":"stamp"}'
sid=$OUT
expect_ok remdb get "$sid"
expect_ok remdb find tasks created_at "$(jfield created_at "$OUT")"
expect_contains "$(json_ids "$OUT")" "$sid" "find by created_at"
expect_ok remdb delete --hard "$sid"

# ---- verify ----
expect_ok remdb verify
expect_contains "$OUT" "ok" "verify on a healthy database"
expect_eq "$RC" 0 "verify exit code"
expect_fail 'expected 0 arguments' remdb verify extra

# ---- reindex ----
expect_ok remdb reindex
expect_contains "$OUT" "all tables" "reindex output"
expect_ok remdb reindex tasks
expect_contains "$OUT" "tasks" "reindex TABLE output"
expect_fail 'unknown table "nosuch"' remdb reindex nosuch
expect_fail 'at most one TABLE' remdb reindex tasks agents
expect_ok remdb find tasks state doing
expect_lines 100 "$OUT" "find after reindex"
expect_count 300 remdb count tasks
verify_db

# ---- stats ----
expect_ok remdb delete "$(json_ids "$(remdb find tasks size 9)" | head -n 1)"
expect_ok remdb stats
st=$OUT
expect_eq "$(jq_py "type(j).__name__" "$st")" "dict" "stats is a JSON object"
expect_eq "$(jq_py "j['tenant']" "$st")" "default" "stats tenant"
expect_eq "$(jq_py "[j['tables']['tasks']['entities'], j['tables']['tasks']['deleted']]" "$st")" \
  "[299, 1]" "stats counts live and deleted entities"
expect_eq "$(jq_py "sorted(j['tables'])" "$st")" \
  '["agents", "messages", "moments", "resources", "sessions", "tasks"]' "stats lists every table"
expect_eq "$(jq_py "j['tables']['agents']['entities']" "$st")" "0" "stats of an empty table"
expect_count 299 remdb count tasks
expect_count 300 remdb count tasks --deleted
expect_fail 'expected 0 arguments' remdb stats tasks

# ---- compact keeps everything ----
expect_ok remdb compact
expect_count 299 remdb count tasks
expect_ok remdb find tasks owner u1
expect_lines 60 "$OUT" "find after compact"
verify_db

finish
