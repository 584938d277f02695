# remdb sql: formats, EXPLAIN, DML, errors, and the shell in script mode.
. "${0%/*}/assert.sh"
ok init
issues_schema
ok schema add issues.json
ok sql "INSERT INTO issues(key, title, status, priority) VALUES ('S1', 'one, \"quoted\"', 'open', 1), ('S2', 'two', 'closed', 2), ('S3', 'ünï', 'open', 3)"
ok sql "SELECT key, priority FROM issues ORDER BY key" --format csv
out_is "$(printf 'key,priority\nS1,1\nS2,2\nS3,3')"
ok sql "SELECT key, title FROM issues WHERE key = 'S1'" --format json
out_is '[{"key":"S1","title":"one, \"quoted\""}]'
ok sql "SELECT key FROM issues WHERE status = 'open' ORDER BY key" --format jsonl
out_is "$(printf '{"key":"S1"}\n{"key":"S3"}')"
ok sql "SELECT status, count(*) n FROM issues GROUP BY status ORDER BY status"
out_has "closed  1"
out_has "(2 rows)"
python3 -c "
import json
for i in range(300):
    print(json.dumps({'key': 'B%d' % i, 'title': 't', 'status': 'closed', 'priority': 1 + i % 5}))
" > more.jsonl
ok import issues more.jsonl
ok sql --explain "SELECT * FROM issues WHERE priority BETWEEN 2 AND 3"
out_has "index range on priority [2, 3]"
ok sql "EXPLAIN SELECT * FROM issues WHERE status = 'open'"
out_has "index lookup on status = 'open'"
# EXPLAIN runs its statement: it never takes one that writes
fails "EXPLAIN runs its statement" sql --explain "DELETE FROM issues WHERE priority <= 3"
fails "EXPLAIN runs its statement" sql "EXPLAIN UPDATE issues SET title = 'x'"
fails "--explain takes one statement" sql --explain "SELECT 1; DELETE FROM issues WHERE priority <= 3"
count_is issues 303
ok sql "SELECT count(*) FROM issues WHERE title = 'x'" --format csv
out_is "$(printf 'count(*)\n0')"
# the analytics route (issue 11): EXPLAIN names it, --route forces it
ok sql --explain "SELECT status, count(*), avg(priority) FROM issues GROUP BY status" --format csv
out_has "columnar: scan issues"
out_has "hash aggregate on status (2 groups)"
ok sql --route sqlite --explain "SELECT status, count(*) FROM issues GROUP BY status" --format csv
out_has "sqlite: the route is set to sqlite"
ok sql --explain "SELECT status, count(*) FROM issues WHERE priority + 1 > 2 GROUP BY status" --format csv
out_has "sqlite: WHERE"
for r in auto columnar sqlite rows; do
  ok sql --route $r "SELECT status, count(*) AS n, sum(priority) FROM issues GROUP BY status HAVING n > 1 ORDER BY 1" --format csv
  out_is "$(printf 'status,n,sum(priority)\nclosed,301,902\nopen,2,4')"
done
fails "must be auto, columnar, sqlite or rows" sql --route fast "SELECT 1"
# the executor's threads (--threads, REMDB_EXEC_THREADS): same result
for t in 1 4 0; do
  ok sql --threads $t "SELECT status, count(*) AS n, sum(priority) FROM issues GROUP BY status ORDER BY 1" --format csv
  out_is "$(printf 'status,n,sum(priority)\nclosed,301,902\nopen,2,4')"
done
fails "REMDB_EXEC_THREADS (or --threads) must be 0..1024" sql --threads -2 "SELECT 1"
fails "REMDB_EXEC_THREADS (or --threads) must be 0..1024" sql --threads lots "SELECT 1"
fails "at offset 0" sql "SELEC * FROM issues"
fails "no such table: nope" sql "SELECT * FROM nope"
fails "ATTACH and DETACH are not allowed" sql "ATTACH 'x' AS y"
fails "load_extension is not allowed" sql "SELECT load_extension('x')"
fails "issues.priority: above maximum 5" sql "UPDATE issues SET priority = priority + 3 WHERE key LIKE 'S%'"
ok sql "SELECT sum(priority) FROM issues WHERE key LIKE 'S%'" --format csv
out_is "$(printf 'sum(priority)\n6')"
fails "issues: no embedding configured" sql "SEARCH 'login' IN issues LIMIT 3"
fails "table issues has no embedding" sql "SELECT * FROM issues WHERE embedding.cosine('login')"
ok sql "LOOKUP 'S1', 's3'" --format csv
out_has ",key,0,"
out_has ",normalized,0,"
fails "REM syntax error" sql "TRAVERSE FROM 'x' DEPTH"
# a REM statement ends at its ';', and the next statement runs, as in SQL
ok sql "LOOKUP 'S1'; SELECT 6 * 7 AS answer" --format csv
out_has ",key,0,"
out_has "$(printf 'answer\n42')"
fails "--format must be" sql "SELECT 1" --format xml
ok sql "DELETE FROM issues WHERE key = 'S2'"
count_is issues 302
count_is issues 303 --deleted
# the shell, fed a script on stdin
printf '.tables\n.mode csv\nSELECT key\n  FROM issues ORDER BY key;\n.explain on\nSELECT * FROM issues WHERE priority = 1;\n.quit\n' > script.sql
"$R" -d "$DB" < script.sql > "$OUT" 2> "$ERR"; RC=$?; check_alive shell
[ "$RC" -eq 0 ] || die "shell script failed"
out_has "issues"
out_has "$(printf 'key\nB0\nB1')"
out_has "index lookup on priority = 1"
echo "ok shell script mode"
printf 'SELEC 1;\n' | "$R" -d "$DB" > "$OUT" 2> "$ERR"; RC=$?; check_alive shell2
[ "$RC" -ne 0 ] && grep -q '^error: SQL error' "$ERR" || die "shell error not reported"
echo "ok shell reports errors"
verify_ok
