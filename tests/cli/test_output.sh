#!/bin/bash
# Output and messages: json/jsonl are always valid JSON (BLOBs, invalid
# UTF-8, control characters, REAL values, non-finite reals), table output
# keeps text after a NUL and streams a large result, every command has its
# help, an option without its value is named, each message names its
# operation once, DML reports the rows it changed on stderr, and counts
# have the right plural.
. "${0%/*}/lib.sh"

expect_ok remdb init
expect_ok remdb insert agents '{"name":"a","description":"x"}'
aid=$OUT
expect_ok remdb insert agents '{"name":"b"}'

# strict JSON: python3 decodes the bytes as UTF-8 (no surrogate escapes)
strict_json() {
  python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read().decode("utf-8")
lines = data.splitlines() if sys.argv[2] == "jsonl" else [data]
print(json.dumps([json.loads(l) for l in lines], ensure_ascii=True))
' "$1" "$2"
}

q="SELECT x'00ff10' AS b, CAST(x'61ff62' AS TEXT) AS bad, 4.0 AS r, 1e308 * 10 AS inf,
   -1e308 * 10 AS ninf, 0.1 AS tenth, 7 AS i, 'tab	nl
' || char(1) || char(127) AS ctl, 'a' || char(0) || 'b' AS nul, NULL AS n, 'é✓' AS u"
for fmt in json jsonl; do
  expect_ok remdb sql "$q" --format $fmt
  printf '%s\n' "$OUT" >out.$fmt
  parsed=$(strict_json out.$fmt $fmt)
  expect_eq "$(jq_py "j[0][0] if '$fmt' == 'jsonl' else j[0][0]" "$parsed" >/dev/null; echo ok)" ok "$fmt parses"
  row=$(jq_py "j[0] if '$fmt' == 'jsonl' else j[0][0]" "$parsed")
  expect_eq "$(jq_py "j['b']" "$row")" "AP8Q" "$fmt: a BLOB is base64"
  expect_eq "$(jq_py "j['bad']" "$row")" "a�b" "$fmt: invalid UTF-8 becomes U+FFFD"
  expect_eq "$(jq_py "[type(j['r']).__name__, j['r']]" "$row")" '["float", 4.0]' "$fmt: REAL 4.0 stays a float"
  expect_eq "$(jq_py "[j['inf'], j['ninf']]" "$row")" '[null, null]' "$fmt: non-finite reals are null"
  expect_eq "$(jq_py "[j['tenth'], j['i'], j['n'], j['u']]" "$row")" '[0.1, 7, null, "é✓"]' "$fmt: other values"
  expect_eq "$(jq_py "j['ctl'] == 'tab\\tnl\\n\\x01\\x7f'" "$row")" true "$fmt: control characters escaped"
  expect_eq "$(jq_py "j['nul'] == 'a\\x00b'" "$row")" true "$fmt: text after a NUL is kept"
  expect_contains "$OUT" '"r":4.0' "$fmt: the text has 4.0"
done
# csv: the BLOB as base64 too
expect_ok remdb sql "SELECT x'00ff10' AS b, 4.0 AS r" --format csv
expect_eq "$OUT" $'b,r\nAP8Q,4.0' "csv"
# table: text after a NUL is shown (as U+2400), a BLOB as X'hex'
expect_ok remdb sql "SELECT 'a' || char(0) || 'b' AS t, x'00ff' AS bl"
expect_contains "$OUT" "a␀b" "table keeps the text after a NUL"
expect_contains "$OUT" "X'00ff'" "table shows a BLOB as hex"

# table output streams: the first rows come out before the query ends
big="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000) SELECT x, 'row ' || x AS label FROM c"
mkdir tmpd
first=$(TMPDIR=$PWD/tmpd "$REMDB_BIN" -d "$DB" sql "$big" | head -n 1203 | tail -n 1)
expect_eq "$first" "1201  row 1201" "rows after the measured prefix, in its widths"
# (the reader, killed by SIGPIPE, left no directory of its own behind)
expect_eq "$(ls tmpd)" "" "no reader's directory left in TMPDIR"
if [ -n "${ASAN_OPTIONS:-}" ]; then
  echo "(memory of table output not checked under a sanitizer)"
else
  peak() {
    python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$@"
  }
  read -r rc base <<<"$(peak "$REMDB_BIN" -d "$DB" sql "SELECT 1")"
  read -r rc rss <<<"$(peak "$REMDB_BIN" -d "$DB" sql "$big")"
  expect_eq "$rc" 0 "2,000,000 rows in table format"
  # buffered, 2M rows of two cells would take well over 100 MiB
  if [ "$rss" -le $((base + 32 * 1024)) ]; then pass_check; else
    fail_check "table output of 2M rows: peak RSS $rss KiB (a small query: $base KiB)"
  fi
fi
# a row after the measured prefix wider than its column: still separated
expect_ok remdb sql "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1002)
  SELECT CASE WHEN x > 1000 THEN 'a much longer cell' ELSE 'ab' END AS a, x AS b FROM c"
expect_contains "$OUT" "a much longer cell  1002" "a wide late cell keeps its separator"
expect_ok remdb sql "SELECT name FROM agents ORDER BY name"
expect_eq "$OUT" $'name\n----\na\nb\n(2 rows)' "a small table"

# help: the list, and each command's own, two ways
expect_ok remdb help
expect_contains "$OUT" "usage: remdb" "remdb help"
for cmd in init schema insert import get update delete export count find sql \
  edge traverse path search lookup ingest verify reindex stats backup compact help shell; do
  expect_ok remdb help $cmd
  expect_contains "$OUT" "remdb" "help $cmd"
  h=$OUT
  [ $cmd = help ] || [ $cmd = shell ] && continue
  expect_ok remdb $cmd --help
  expect_eq "$OUT" "$h" "$cmd --help is help $cmd"
  expect_contains "$h" "remdb $cmd" "help $cmd shows its usage"
done
expect_fail "no command 'nope'" remdb help nope
expect_ok remdb --help
expect_contains "$OUT" "help [COMMAND]" "--help lists help"

# an option without its value is named as such
expect_fail '--format needs a value' remdb sql "SELECT 1" --format
expect_fail '-k needs a value' remdb search agents x -k
expect_fail '--props needs a value' remdb edge add "$aid" "$aid" rel --props
expect_fail '--max-memory needs a value' remdb import agents x.jsonl --max-memory
expect_fail '-t needs a value' "$REMDB_BIN" -d "$DB" -t
expect_fail '-d needs a value' "$REMDB_BIN" -d

# each message names its operation once
expect_fail 'the patch must be a JSON object' remdb update "$aid" '[1]'
expect_not_contains "$ERR" "update: update:" "no doubled prefix"
expect_ok remdb backup "$PWD/b1"
expect_fail 'already exists' remdb backup "$PWD/b1"
expect_not_contains "$ERR" "backup: backup" "no doubled prefix"

# DML: the rows changed on stderr, stdout only the result
expect_ok remdb sql "UPDATE agents SET description = 'y'" --format json
expect_eq "$OUT" "" "stdout of an UPDATE in json"
expect_eq "$ERR" "2 rows updated" "UPDATE reports its rows"
expect_ok remdb sql "INSERT INTO agents(name) VALUES ('c')"
expect_eq "$ERR" "1 row inserted" "INSERT reports its row"
expect_ok remdb sql "DELETE FROM agents WHERE name IN ('b', 'c')"
expect_eq "$ERR" "2 rows deleted" "DELETE reports its rows"
expect_ok remdb sql "UPDATE agents SET description = 'z' WHERE name = 'nobody'"
expect_eq "$ERR" "0 rows updated" "an UPDATE that matches nothing"
expect_ok remdb sql "SELECT count(*) AS n FROM agents" --format json
expect_eq "$ERR" "" "a SELECT reports nothing on stderr"

# plurals
printf '{"name":"one"}\n' >one.jsonl
expect_ok remdb import agents one.jsonl
expect_eq "$OUT" "imported 1 entity into agents" "one entity"
printf '{"name":"two"}\n{"name":"three"}\n' >two.jsonl
expect_ok remdb import agents two.jsonl
expect_eq "$OUT" "imported 2 entities into agents" "two entities"

finish
