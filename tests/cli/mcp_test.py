#!/usr/bin/env python3
"""mcp_test.py: drive `remdb mcp` as an MCP client does, over its stdin and
stdout (run by test_mcp.sh in a scratch directory, with REMDB_BIN set).

Each request is answered by one line; a notification by none, which the
test sees because the next line read answers the next request.  Prints
"ok ..." or "FAIL ..." per check; exit status 1 if any failed."""
import json
import os
import subprocess
import sys

BIN = os.environ["REMDB_BIN"]
DB = os.path.abspath("db")
FAILS = 0
CHECKS = 0
SAN = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
       "SUMMARY: UndefinedBehaviorSanitizer")


def check(cond, what, detail=""):
    global FAILS, CHECKS
    CHECKS += 1
    if cond:
        print("ok " + what)
    else:
        FAILS += 1
        print("FAIL " + what + (": " + str(detail)[:600] if detail else ""))
    sys.stdout.flush()
    return cond


def cli(*args):
    p = subprocess.run([BIN, "-d", DB] + list(args), capture_output=True, text=True)
    check(p.returncode == 0, "cli " + " ".join(args)[:60], p.stderr)
    return p.stdout.strip()


class Mcp:
    def __init__(self, *args):
        self.p = subprocess.Popen([BIN, "-d", DB, "mcp"] + list(args),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.next_id = 100

    def send_raw(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def read(self):
        line = self.p.stdout.readline()
        if not line:
            print("FAIL the server closed stdout: " + self.p.stderr.read())
            sys.exit(1)
        check("\n" not in line[:-1], "one message per line")
        return json.loads(line)

    def rpc(self, method, params=None, id_=None):
        if id_ is None:
            self.next_id += 1
            id_ = self.next_id
        msg = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            msg["params"] = params
        self.send_raw(json.dumps(msg))
        r = self.read()
        check(r.get("id") == id_ and r.get("jsonrpc") == "2.0",
              "response to %s carries its id" % method, r)
        return r

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send_raw(json.dumps(msg))

    def call(self, name, args):
        r = self.rpc("tools/call", {"name": name, "arguments": args})
        res = r.get("result")
        if not check(res is not None, "tools/call %s has a result" % name, r):
            return True, ""
        content = res.get("content", [])
        check(len(content) == 1 and content[0].get("type") == "text",
              "tools/call %s: one text content" % name, res)
        return res.get("isError", False), content[0]["text"] if content else ""

    def ok(self, name, args, what):
        err, text = self.call(name, args)
        check(not err, what, text)
        try:
            return json.loads(text)
        except ValueError:
            check(False, what + ": result is JSON", text)
            return None

    def fails(self, name, args, what, contains):
        err, text = self.call(name, args)
        check(err and text.startswith("error: ") and contains in text, what, text)
        return text

    def close(self):
        self.p.stdin.close()
        rest = self.p.stdout.read()
        err = self.p.stderr.read()
        rc = self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        check(rest == "", "nothing after the last answer", rest)
        check(rc == 0, "mcp exits 0 when stdin closes", err)
        check(not any(s in err for s in SAN), "no sanitizer report", err)


ISSUES = {"name": "issues", "properties": {
    "key": {"type": "string"}, "title": {"type": "string"},
    "status": {"enum": ["open", "closed"]}, "priority": {"type": "integer"}},
    "required": ["key", "title"], "key_field": "key",
    "indexed_fields": ["status", "priority"]}
with open("issues.json", "w") as f:
    json.dump(ISSUES, f)
cli("init")
cli("schema", "add", "issues.json")

m = Mcp()
# ---- the handshake --------------------------------------------------------------
r = m.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "mcp_test", "version": "1"}}, id_=1)
res = r.get("result", {})
check(res.get("protocolVersion") == "2025-06-18", "initialize: the client's version", res)
check(res.get("capabilities", {}).get("tools") == {}, "initialize: tools capability", res)
check(res.get("serverInfo", {}).get("name") == "remdb" and
      res["serverInfo"].get("version"), "initialize: serverInfo", res)
m.notify("notifications/initialized")
r = m.rpc("ping", id_="p-1")
check(r.get("result") == {}, "ping answers {} (and the notification got no answer)", r)
r = m.rpc("initialize", {"protocolVersion": "1999-01-01", "capabilities": {},
                         "clientInfo": {"name": "old", "version": "0"}})
check(r["result"]["protocolVersion"] == "2025-06-18", "an unknown version gets our latest", r)
r = m.rpc("initialize", {"protocolVersion": "2024-11-05", "capabilities": {},
                         "clientInfo": {"name": "old", "version": "0"}})
check(r["result"]["protocolVersion"] == "2024-11-05", "an older known version is kept", r)

# ---- tools/list -----------------------------------------------------------------------
r = m.rpc("tools/list")
tools = {t["name"]: t for t in r["result"]["tools"]}
for name in ("lookup", "search", "traverse", "sql", "insert", "upsert", "add_edge", "ingest"):
    t = tools.get(name)
    check(t is not None and t["inputSchema"]["type"] == "object" and t.get("description"),
          "tool %s is listed with a JSON-Schema input" % name, t)
check(tools["sql"]["inputSchema"]["required"] == ["query"], "sql requires query", tools["sql"])

# ---- the tools ----------------------------------------------------------------------------
one = m.ok("insert", {"table": "issues", "entity": {"key": "M-1", "title": "first", "priority": 1}},
           "insert")
id1 = one["id"]
m.fails("insert", {"table": "issues", "entity": {"key": "M-1", "title": "again"}},
        "insert of an existing id fails", "exists")
up = m.ok("upsert", {"table": "issues", "entity": {"key": "M-1", "title": "replaced", "priority": 2}},
          "upsert replaces")
check(up["id"] == id1, "upsert keeps the derived id", up)
id2 = m.ok("upsert", {"table": "issues", "entity": {"key": "M-2", "title": "second"}}, "upsert new")["id"]
m.fails("insert", {"table": "issues", "entity": {"key": "M-3", "title": 3}},
        "insert against the schema", "issues.title")
m.fails("insert", {"table": "issues"}, "insert without entity", "entity")
m.fails("insert", {"table": "nope", "entity": {"a": 1}}, "insert into an unknown table", "nope")
m.fails("insert", {"table": "issues", "entity": {"key": "M-4", "title": "x"}, "tenant": "b"},
        "unknown argument", 'unknown parameter "tenant"')
got = m.ok("get", {"id": id1}, "get")
check(got["title"] == "replaced", "get sees the upsert", got)
found = m.ok("lookup", {"keys": ["m1", "M-2"]}, "lookup")
check([x["entity"]["id"] for x in found] == [id1, id2], "lookup finds both", found)
m.fails("lookup", {"keys": []}, "lookup needs keys", "keys")
m.ok("add_edge", {"src": id1, "dst": id2, "type": "blocks", "props": {"why": "mcp"}}, "add_edge")
m.fails("add_edge", {"src": id1, "dst": "00000000-0000-7000-8000-000000000000", "type": "x"},
        "add_edge to nothing", "error")
tr = m.ok("traverse", {"id": id1, "depth": 2}, "traverse")
check([n["id"] for n in tr["nodes"]][-1] == id2, "traverse reaches the edge's end", tr)
m.fails("traverse", {"id": id1, "direction": "sideways"}, "traverse direction", "direction")
doc = "# Birds\n\nParrots talk and crows solve puzzles.\n\n# Fish\n\nSalmon swim upstream.\n"
ing = m.ok("ingest", {"uri": "mem://animals.md", "text": doc}, "ingest text")
check(ing["chunks"] >= 1, "ingest made chunks", ing)
with open("notes.md", "w") as f:
    f.write("# Notes\n\nThe kettle whistles when the water boils.\n")
ing = m.ok("ingest", {"path": "notes.md"}, "ingest a file")
check(ing["uri"].startswith("file://") and ing["uri"].endswith("/notes.md"), "file uri", ing)
m.fails("ingest", {"path": "missing.md"}, "ingest a missing file", "cannot read missing.md")
hits = m.ok("search", {"table": "resources", "query": "salmon swim", "k": 2,
                       "where": "chunk_ordinal >= 0"}, "search")
check(hits and "Salmon" in hits[0]["entity"]["content"], "search finds the fish chunk", hits)
m.fails("search", {"table": "resources"}, "search without query", "query")
hits = m.ok("search", {"table": "resources", "query": "salmon", "mode": "keyword"}, "keyword search")
check(hits and "Salmon" in hits[0]["entity"]["content"], "keyword search finds the fish chunk", hits)
m.fails("search", {"table": "resources", "query": "x", "mode": "fuzzy"}, "search with a bad mode", "mode")
names = m.ok("schema", {}, "schema list")
check("issues" in names and "resources" in names, "schema lists tables", names)
sch = m.ok("schema", {"table": "issues"}, "schema show")
check(sch["key_field"] == "key", "schema show gives the schema", sch)

# ---- sql: read-only by default ------------------------------------------------------------
rows = m.ok("sql", {"query": "SELECT key, priority FROM issues WHERE key = ?1", "params": ["M-1"]}, "sql")
check(rows == {"rows": [{"key": "M-1", "priority": 2}], "truncated": False}, "sql rows", rows)
m.ok("sql", {"query": "WITH t AS (SELECT 1 AS x) SELECT x FROM t"}, "WITH ... SELECT reads")
m.ok("sql", {"query": "LOOKUP 'M-1'"}, "LOOKUP reads")
m.ok("sql", {"query": "TRAVERSE FROM '%s' DEPTH 1 DIRECTION out" % id1}, "TRAVERSE reads")
m.ok("sql", {"query": "EXPLAIN SELECT * FROM issues WHERE priority = 2"}, "EXPLAIN SELECT reads")
m.ok("sql", {"query": "/* note */ select count(*) from issues -- done"}, "comments and lower case")
for q in ("DELETE FROM issues",
          "delete from issues",
          "/* SELECT */ DELETE FROM issues",
          "-- SELECT\nDELETE FROM issues",
          "WITH x AS (SELECT id FROM issues) DELETE FROM issues WHERE id IN (SELECT id FROM x)",
          "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n < 2) "
          "UPDATE issues SET title = 'w'",
          "WITH \"select\" AS (SELECT 1) INSERT INTO issues(key, title) VALUES ('W', 'w')",
          "WITH search AS (SELECT 1) DELETE FROM issues",
          "INSERT INTO issues(key, title) VALUES ('W-1', 'w')",
          "REPLACE INTO issues(key, title) VALUES ('W-2', 'w')",
          "UPDATE issues SET title = 'w'",
          "CREATE TEMP TABLE t(x)",
          "PRAGMA table_info(issues)"):
    m.fails("sql", {"query": q}, "read-only refuses: " + q[:60], "read-only")
m.fails("sql", {"query": "ATTACH 'x' AS y"}, "ATTACH is refused", "not allowed")
# EXPLAIN of a write: refused here, and (since issue 9) by remdb itself
for q in ("EXPLAIN DELETE FROM issues", "EXPLAIN QUERY PLAN UPDATE issues SET title = 'w'"):
    m.fails("sql", {"query": q}, "refused: " + q, "error: ")
m.fails("sql", {"query": "(SELECT 1)"}, "not a statement", "syntax error")
m.fails("sql", {"query": "SELECT 1; DELETE FROM issues"}, "a second statement is refused",
        "one SQL statement")
m.fails("sql", {"query": "SELECT 1; SELECT 2"}, "a second SELECT is refused too", "one SQL statement")
n = m.ok("sql", {"query": "SELECT count(*) AS n, max(title) AS t FROM issues"}, "count after refusals")
check(n["rows"] == [{"n": 2, "t": "second"}], "nothing was written by refused SQL", n)
many = m.ok("sql", {"query": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                             "WHERE x < 1500) SELECT x FROM c"}, "a long result")
check(len(many["rows"]) == 1000 and many["truncated"] is True, "rows cut at --max-rows 1000",
      len(many["rows"]))
m.fails("sql", {"query": "SELEC 1"}, "sql syntax error", "syntax error")
m.fails("sql", {"query": "SELECT ?1", "params": [1, 2]}, "too many params", "no parameter ?2")
m.fails("sql", {}, "sql without query", "query")

# ---- protocol errors ---------------------------------------------------------------------
r = m.rpc("tools/call", {"name": "drop_everything", "arguments": {}})
check(r.get("error", {}).get("code") == -32602 and "drop_everything" in r["error"]["message"],
      "unknown tool -> -32602", r)
r = m.rpc("tools/call", {"name": "sql", "arguments": "SELECT 1"})
check(r.get("error", {}).get("code") == -32602, "arguments not an object -> -32602", r)
r = m.rpc("resources/list")
check(r.get("error", {}).get("code") == -32601, "unknown method -> -32601", r)
m.send_raw("{not json")
r = m.read()
check(r.get("error", {}).get("code") == -32700 and r.get("id") is None, "parse error -> -32700", r)
m.send_raw('{"id": 7, "method": "ping"}')
r = m.read()
check(r.get("error", {}).get("code") == -32600 and r.get("id") == 7, "no jsonrpc -> -32600", r)
m.send_raw('{"jsonrpc": "2.0", "id": 8}')
r = m.read()
check(r.get("error", {}).get("code") == -32600, "no method -> -32600", r)
m.send_raw('{"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}')
r = m.read()
check(r.get("error", {}).get("code") == -32600 and r.get("id") is None, "an object id -> -32600", r)
m.send_raw("[5]")
r = m.read()
check(isinstance(r, list) and r[0]["error"]["code"] == -32600, "a batch of a non-request", r)
m.send_raw(json.dumps([{"jsonrpc": "2.0", "id": 20, "method": "ping"},
                       {"jsonrpc": "2.0", "method": "notifications/initialized"},
                       {"jsonrpc": "2.0", "id": 21, "method": "ping"}]))
r = m.read()
check(isinstance(r, list) and [x["id"] for x in r] == [20, 21], "a batch gets one array back", r)
m.notify("notifications/cancelled", {"requestId": 5})
m.send_raw("")  # blank lines are skipped
r = m.rpc("ping")
check("result" in r, "still serving after the errors", r)
m.close()

# ---- --allow-writes: SQL may write ------------------------------------------------------------
m = Mcp("--allow-writes")
m.rpc("initialize", {"protocolVersion": "2025-03-26", "capabilities": {},
                     "clientInfo": {"name": "t", "version": "1"}})
m.notify("notifications/initialized")
m.ok("sql", {"query": "UPDATE issues SET priority = 5 WHERE key = 'M-2'"}, "--allow-writes: UPDATE")
n = m.ok("sql", {"query": "SELECT priority FROM issues WHERE key = 'M-2'"}, "read back")
check(n["rows"] == [{"priority": 5}], "the update was written", n)
m.fails("sql", {"query": "UPDATE issues SET priority = 'x'"}, "a bad write fails", "priority")
n = m.ok("sql", {"query": "SELECT count(*) AS n FROM issues WHERE priority = 5"}, "read back")
check(n["rows"] == [{"n": 1}], "the failed update wrote nothing", n)
m.close()

# ---- --read-only: no write tools, the storage opened read-only ------------------------------------
m = Mcp("--read-only")
m.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                     "clientInfo": {"name": "t", "version": "1"}})
names = [t["name"] for t in m.rpc("tools/list")["result"]["tools"]]
check("insert" not in names and "ingest" not in names and "sql" in names,
      "--read-only lists no write tools", names)
r = m.rpc("tools/call", {"name": "insert", "arguments": {"table": "issues", "entity": {}}})
check(r.get("error", {}).get("code") == -32602, "--read-only: insert is no tool", r)
m.ok("lookup", {"keys": ["M-1"]}, "--read-only: lookup works")
m.close()

p = subprocess.run([BIN, "-d", DB, "mcp", "--allow-writes", "--read-only"], capture_output=True,
                   text=True, stdin=subprocess.DEVNULL)
check(p.returncode == 2 and "exclude each other" in p.stderr, "conflicting flags", p.stderr)
p = subprocess.run([BIN, "-d", "nodb", "mcp"], capture_output=True, text=True,
                   stdin=subprocess.DEVNULL)
check(p.returncode == 1 and p.stderr.startswith("error: no database"), "no database", p.stderr)
out = cli("verify")
check(out.startswith("ok"), "verify after the MCP sessions", out)

print("mcp_test: %d checks, %d failed" % (CHECKS, FAILS))
with open("mcp_test.checks", "w") as f:
    f.write("%d\n" % CHECKS)
sys.exit(1 if FAILS else 0)
