#!/bin/bash
# Readers never take the write lock: while one process holds the database
# for writing, any number of reading processes (sql, get, count, find,
# export, verify, stats, schema, lookup, traverse, edge list, backup and
# the interactive shell) run at the same time and see what it committed;
# an open shell never blocks a writer, and takes the write lock only for
# the statements that write.  Every step is synchronised by FIFOs (the
# writer prints an id once a line is committed; the shell answers each
# query before the next is sent): nothing here waits for time to pass.
. "${0%/*}/lib.sh"

trap '' PIPE
expect_ok remdb init
mkfifo feed ids
remdb insert agents - <feed >ids 2>writer.err &
writer=$!
exec {feed_fd}>feed
exec {ids_fd}<ids

# commit one line and wait until the writer says it is committed
commit() {
  local id=""
  printf '%s\n' "$1" >&"$feed_fd"
  read -r id <&"$ids_fd"
  printf '%s' "$id"
}

first=$(commit '{"name":"first","description":"one"}')
expect_uuid "$first" "the writer committed its first line"

# the writer holds the lock: another writer is refused...
expect_fail 'locked' remdb insert agents '{"name":"second writer"}'
expect_fail 'locked' remdb sql "UPDATE agents SET description = 'x'"

# ...while readers of every kind run, several at the same time
readers=(
  "sql|SELECT count(*) AS n FROM agents WHERE name = 'first'|--format|json"
  "count|agents"
  "get|$first"
  "find|agents|name|first"
  "export|agents"
  "verify"
  "stats"
  "schema|list"
  "schema|show|agents"
  "lookup|first"
  "traverse|$first"
  "edge|list|$first"
  "backup|$PWD/copy"
)
pids=()
for i in "${!readers[@]}"; do
  IFS='|' read -r -a args <<<"${readers[i]}"
  remdb "${args[@]}" >"r$i.out" 2>"r$i.err" {feed_fd}>&- {ids_fd}<&- &
  pids[i]=$!
done
for i in "${!readers[@]}"; do
  wait "${pids[i]}"
  rc=$?
  expect_eq "$rc" 0 "reader '${readers[i]}' beside the writer ($(cat "r$i.err"))"
done
expect_eq "$(jq_py "j[0]['n']" "$(cat r0.out)")" 1 "sql sees the committed row"
expect_eq "$(cat r1.out)" 1 "count sees it"
expect_eq "$(jfield name "$(cat r2.out)")" first "get reads it"
expect_lines 1 "$(cat r3.out)" "find finds it"
expect_lines 1 "$(cat r4.out)" "export has it"
expect_contains "$(cat r5.out)" "ok" "verify passes beside the writer"
expect_eq "$(jq_py "j['tables']['agents']['entities']" "$(cat r6.out)")" 1 "stats counts it"
expect_contains "$(cat r7.out)" agents "schema list"
expect_contains "$(cat r9.out)" "$first" "lookup finds it"
verify_db "$PWD/copy"
expect_count 1 "$REMDB_BIN" -d copy count agents

# an interactive shell beside the writer: a reader, refreshed per statement
mkfifo shin shout
# (without the writer's FIFOs, so that closing ours ends the writer)
"$REMDB_BIN" -d "$DB" <shin >shout 2>>shell.err {feed_fd}>&- {ids_fd}<&- &
shell=$!
exec {sin}>shin
exec {sout}<shout
# ask SQL: send it and a marker query; the lines printed before the marker
ask() {
  local line res=""
  printf '%s\nSELECT 0 AS sync;\n' "$1" >&"$sin"
  while IFS= read -r line <&"$sout"; do
    [ "$line" = '{"sync":0}' ] && break
    res+="$line"$'\n'
  done
  printf '%s' "${res%$'\n'}"
}
echo '.mode jsonl' >&"$sin"
expect_eq "$(ask 'SELECT count(*) AS n FROM agents;')" '{"n":1}' "the shell sees the first row"
# the open shell does not block the writer
second=$(commit '{"name":"second"}')
expect_uuid "$second" "the writer commits while the shell is open"
expect_eq "$(ask 'SELECT count(*) AS n FROM agents;')" '{"n":2}' \
  "the shell's next statement sees the writer's new row"
# a write from the shell needs the lock, which the writer has
expect_eq "$(ask "INSERT INTO agents(name) VALUES ('from shell');")" "" "no output"
expect_contains "$(cat shell.err)" "locked" "the shell's write is refused while the writer runs"
expect_eq "$(ask 'SELECT count(*) AS n FROM agents;')" '{"n":2}' "the shell goes on reading"
# TEMP tables are the reader's own: written without the lock, kept
# across the shell's statements (and remdb sql's)
expect_eq "$(ask 'CREATE TEMP TABLE t(x);')" "" "a TEMP table beside the writer"
expect_eq "$(ask 'INSERT INTO t VALUES (5), (6);')" "" "filled beside the writer"
expect_eq "$(ask 'SELECT sum(x) AS s FROM t;')" '{"s":11}' "the shell keeps its TEMP table"
expect_ok remdb sql "CREATE TEMP TABLE t(x); INSERT INTO t VALUES (1), (2); SELECT sum(x) AS s FROM t" --format json
expect_eq "$(jq_py "j[0]['s']" "$OUT")" 3 "remdb sql writes a TEMP table beside the writer"
expect_eq "$ERR" "2 rows inserted" "and reports the rows"

# the writer finishes
exec {feed_fd}>&-
cat <&"$ids_fd" >/dev/null
exec {ids_fd}<&-
wait "$writer"
expect_eq "$?" 0 "the writer's exit code"
expect_eq "$(cat writer.err)" "" "the writer's stderr"

# now the shell's write takes the lock for that statement only...
: >shell.err
expect_eq "$(ask "INSERT INTO agents(name) VALUES ('from shell');")" "" "no output"
expect_contains "$(cat shell.err)" "1 row inserted" "the shell reports the insert"
# ...so another process writes while the shell stays open
expect_ok remdb insert agents '{"name":"while the shell is open"}'
expect_eq "$(ask 'SELECT count(*) AS n FROM agents;')" '{"n":4}' \
  "the shell sees its own and the other writer's rows"
expect_eq "$(ask "SELECT name FROM agents WHERE name LIKE 'while%';")" \
  '{"name":"while the shell is open"}' "the other writer's row"

exec {sin}>&-
cat <&"$sout" >/dev/null
exec {sout}<&-
wait "$shell"
expect_eq "$?" 1 "the shell (a script) exits 1: one statement failed"
expect_count 4 remdb count agents
# remdb sql keeps its writer after a write: its TEMP tables stay on the
# reader, which sees the write before its next statement
expect_ok remdb sql "CREATE TEMP TABLE t(x); INSERT INTO agents(name) VALUES ('tw');
  INSERT INTO t SELECT count(*) FROM agents WHERE name = 'tw'; SELECT sum(x) AS s FROM t" --format json
expect_eq "$(jq_py "j[0]['s']" "$OUT")" 1 "a TEMP table after a write, and the write seen"
expect_count 5 remdb count agents

finish
