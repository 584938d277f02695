#!/bin/bash
# remdb serve: the HTTP JSON API.  serve_test.py drives a server as HTTP
# clients would: API keys and tenant isolation (hostile requests included:
# other tenants' ids, tenant names in the query, body and headers, path
# tricks, SQL naming other tenants' tables), every endpoint, limits (body
# size, rows), malformed requests (4xx with the CLI's error text, nothing
# written), concurrent clients, and a graceful SIGTERM with a request in
# flight.  Readiness and shutdown are read from the server's own output
# lines; nothing waits on the clock.
. "${0%/*}/lib.sh"

VERIFY_TENANTS="a b"
if python3 "${0%/*}/serve_test.py"; then
  pass_check
  # count the script's own checks too
  T_CHECKS=$((T_CHECKS + $(cat serve_test.checks 2>/dev/null || echo 0)))
else
  fail_check "serve_test.py reported failures (lines starting FAIL above)"
fi
finish
