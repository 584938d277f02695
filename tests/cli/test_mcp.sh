#!/bin/bash
# remdb mcp: the Model Context Protocol server over stdio.  mcp_test.py is an
# MCP client: initialize, notifications/initialized, ping, tools/list and
# tools/call of every tool (lookup, search, traverse, get, schema, sql,
# insert, upsert, add_edge, ingest), the sql tool's read-only mode (WITH ...
# DELETE, EXPLAIN DELETE and second statements refused, nothing written),
# --allow-writes and --read-only, and JSON-RPC errors.  Each answer is one
# line read in turn; nothing waits on the clock.
. "${0%/*}/lib.sh"

if python3 "${0%/*}/mcp_test.py"; then
  pass_check
  # count the script's own checks too
  T_CHECKS=$((T_CHECKS + $(cat mcp_test.checks 2>/dev/null || echo 0)))
else
  fail_check "mcp_test.py reported failures (lines starting FAIL above)"
fi
finish
