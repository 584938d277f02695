#!/bin/bash
# What a short command pays for at start (issue 13): the binary does not
# link libcurl (the http embedding provider loads it when first used, and
# says so clearly when it cannot); a writer leaves its writes in table
# files, not in the WAL that every later reader would replay; readers
# opened with no writer running read the committed state.  No timing.
. "${0%/*}/lib.sh"

expect_ok remdb init

# ---- libcurl: not linked, loaded by the provider ----
if command -v readelf >/dev/null 2>&1; then
  run readelf -d "$REMDB_BIN"
  expect_not_contains "$OUT" "libcurl" "remdb does not link libcurl"
fi
cat >notes.json <<'EOF'
{"name": "notes", "properties": {"text": {"type": "string"}},
 "embedding_fields": ["text"],
 "embedding": {"dim": 4, "metric": "cosine", "provider": "http",
               "url": "http://127.0.0.1:9", "timeout_ms": 100000}}
EOF
expect_ok remdb schema add notes.json
REMDB_LIBCURL=/nonexistent/libcurl.so.4 \
  expect_fail "cannot load libcurl" remdb insert notes '{"text":"hello"}'
expect_contains "$ERR" "/nonexistent/libcurl.so.4" "the message names the library"
expect_contains "$ERR" "REMDB_LIBCURL" "the message says how to name another"
expect_count 0 remdb count notes
# a search embeds its text with the provider too
REMDB_LIBCURL=/nonexistent/libcurl.so.4 \
  expect_fail "cannot load libcurl" remdb search notes "hello"
# with libcurl found, the provider runs (and here finds no server)
expect_fail "http embedding provider" remdb insert notes '{"text":"hello"}'
expect_not_contains "$ERR" "cannot load libcurl" "libcurl.so.4 is loaded"
expect_count 0 remdb count notes

# ---- a writer's close leaves nothing in the WAL ----
expect_ok remdb insert agents '{"name":"one"}'
one=$OUT
logs=$(find "$DB" -maxdepth 1 -name '*.log' -size +0c | wc -l)
expect_eq "$logs" 0 "no WAL file holds data after a writer closed"
seq 1 50 | sed 's/.*/{"name":"a&"}/' >agents.jsonl
expect_ok remdb import agents agents.jsonl
logs=$(find "$DB" -maxdepth 1 -name '*.log' -size +0c | wc -l)
expect_eq "$logs" 0 "no WAL file holds data after an import"

# ---- readers with no writer running ----
expect_ok remdb get "$one"
expect_contains "$OUT" '"name":"one"' "get reads the row"
expect_ok remdb sql "SELECT count(*) AS n FROM agents" --format csv
expect_eq "$OUT" $'n\n51' "sql counts every row"
expect_ok remdb lookup a17
expect_contains "$OUT" '"name":"a17"' "lookup finds the key"
# readers leave nothing in TMPDIR (a plain read-only open makes nothing)
mkdir tmp
TMPDIR=$PWD/tmp expect_ok remdb get "$one"
expect_eq "$(ls -A tmp)" "" "a reader leaves nothing in TMPDIR"

finish
