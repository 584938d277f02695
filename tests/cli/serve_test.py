#!/usr/bin/env python3
"""serve_test.py: drive `remdb serve` as HTTP clients would (run by
test_serve.sh in a scratch directory, with REMDB_BIN set).

Every check prints "ok ..." or "FAIL ..."; the exit status is 1 if any
failed.  No check depends on timing: the server's readiness is the line it
prints on stdout, its shutdown the line it prints on stderr, and the only
waits are hang guards (the test runner's own timeout)."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

BIN = os.environ["REMDB_BIN"]
DB = os.path.abspath("db")
FAILS = 0
CHECKS = 0
SAN = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
       "SUMMARY: UndefinedBehaviorSanitizer")


T0 = time.monotonic()


def check(cond, what, detail=""):
    global FAILS, CHECKS
    if os.environ.get("SERVE_TEST_TIMES"):
        what = "[%.2fs] %s" % (time.monotonic() - T0, what)
    CHECKS += 1
    if cond:
        print("ok " + what)
    else:
        FAILS += 1
        print("FAIL " + what + (": " + str(detail)[:600] if detail else ""))
    sys.stdout.flush()
    return cond


def cli(*args, tenant=None, stdin=None):
    cmd = [BIN, "-d", DB] + (["-t", tenant] if tenant else []) + list(args)
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    check(p.returncode < 128 and p.returncode != 86 and
          not any(s in p.stderr for s in SAN),
          "no crash: " + " ".join(args)[:80], p.stderr)
    return p.returncode, p.stdout, p.stderr


def cli_ok(*args, tenant=None):
    rc, out, err = cli(*args, tenant=tenant)
    check(rc == 0, "cli " + " ".join(args)[:80], err)
    return out.strip()


class Server:
    def __init__(self, *args, tenant=None):
        cmd = [BIN, "-d", DB] + (["-t", tenant] if tenant else []) + \
            ["serve", "--listen", "127.0.0.1:0"] + list(args)
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()  # the readiness line (or EOF)
        self.port = None
        if "listening on http://127.0.0.1:" in line:
            self.port = int(line.split("127.0.0.1:")[1].split()[0])
        else:
            self.p.kill()
            print("server did not start: " + line + self.p.stderr.read())
            sys.exit(1)
        self.conn = None

    def req(self, method, path, body=None, key=None, headers=None, fresh=False):
        """One request; returns (status, headers dict, body text)."""
        h = dict(headers or {})
        if key:
            h["Authorization"] = "Bearer " + key
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        for attempt in (0, 1):
            if self.conn is None or fresh:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read().decode("utf-8", "replace")
                hd = {k.lower(): v for k, v in r.getheaders()}
                if hd.get("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, hd, data
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                # the server closed a kept-alive connection (after a 413
                # or 401 sent before the body): retry once on a new one
                self.conn = None
                if attempt:
                    raise

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rest = self.p.stderr.read()
        rc = self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        return rc, rest


def jerr(body):
    try:
        return json.loads(body).get("error", "")
    except ValueError:
        return "<not JSON: %s>" % body[:200]


def expect(srv, method, path, status, what, body=None, key=None, contains=None,
           headers=None):
    st, hd, data = srv.req(method, path, body=body, key=key, headers=headers)
    good = st == status and (contains is None or contains in data)
    check(good, "%s: %s %s -> %d" % (what, method, path[:60], status),
          "got %d %s" % (st, data[:400]))
    return st, hd, data


# ---- setup: two tenants, each with data the other must never see -------------
ISSUES = {"name": "issues", "properties": {
    "key": {"type": "string"}, "title": {"type": "string"},
    "status": {"enum": ["open", "closed"]}, "priority": {"type": "integer"}},
    "required": ["key", "title"], "key_field": "key",
    "indexed_fields": ["status", "priority"]}
SECRETS = {"name": "secrets", "properties": {"key": {"type": "string"},
                                             "text": {"type": "string"}},
           "required": ["key"], "key_field": "key"}
with open("issues.json", "w") as f:
    json.dump(ISSUES, f)
with open("secrets.json", "w") as f:
    json.dump(SECRETS, f)
for t in ("a", "b"):
    cli_ok("init", tenant=t)
    cli_ok("schema", "add", "issues.json", tenant=t)
cli_ok("schema", "add", "secrets.json", tenant="b")
a1 = cli_ok("insert", "issues", '{"key":"A-1","title":"alpha one","status":"open"}', tenant="a")
b_secret = cli_ok("insert", "secrets", '{"key":"S-1","text":"b-secret-text"}', tenant="b")
b1 = cli_ok("insert", "issues", '{"key":"B-1","title":"b-issue-text","status":"open"}', tenant="b")
b2 = cli_ok("insert", "issues", '{"key":"B-2","title":"b-other-text"}', tenant="b")
cli_ok("edge", "add", b1, b2, "blocks", tenant="b")
b1_json = cli_ok("get", b1, tenant="b")

KA = "key-a-0123456789abcdef"
KB = "key-b-ZYXWVUTSRQPONMLK"
with open("keys.txt", "w") as f:
    f.write("# API keys: KEY TENANT\n\n%s a\n%s\tb\n" % (KA, KB))
os.chmod("keys.txt", 0o600)
B_TEXTS = ("b-secret-text", "b-issue-text", "b-other-text", b_secret, b1, b2)

srv = Server("--keys", "keys.txt", "--max-body", "65536", "--max-rows", "30000")

# ---- authentication -------------------------------------------------------------
expect(srv, "GET", "/v1/health", 200, "health needs no key", contains='"ok"')
st, hd, data = expect(srv, "GET", "/v1/schemas", 401, "no key")
check("missing API key" in jerr(data), "no key: message", data)
check(hd.get("www-authenticate") == "Bearer", "401 names the Bearer scheme", hd)
for bad, why in ((KA + "x", "longer key"), (KA[:-1], "prefix of a key"),
                 ("", "empty key"), ("key-a-0123456789abcdeF", "one letter off")):
    st, hd, data = srv.req("GET", "/v1/schemas", key=bad)
    check(st == 401 and "invalid API key" in jerr(data) or
          (bad == "" and st == 401), "wrong key (%s) -> 401" % why, data)
st, _, data = srv.req("GET", "/v1/schemas", headers={"Authorization": "Basic " + KA})
check(st == 401, "Basic auth with a key -> 401", data)
st, _, data = srv.req("GET", "/v1/schemas", headers={"Authorization": "bearer " + KA})
check(st == 200, "the scheme name is case-insensitive", data)
st, _, data = srv.req("POST", "/v1/tables/issues/entities", body={"key": "X", "title": "x"})
check(st == 401, "a write without a key -> 401", data)

# ---- tenant a never reaches tenant b ------------------------------------------------
def no_b(data, what):
    leaked = [t for t in B_TEXTS if t in data]
    check(not leaked, what + ": nothing of tenant b in the answer", leaked)


st, _, data = expect(srv, "GET", "/v1/schemas", 200, "a lists its tables", key=KA)
check("secrets" not in data and "issues" in data, "a's tables lack b's secrets", data)
for path in ("/v1/entities/" + b_secret, "/v1/entities/" + b1,
             "/v1/entities/%s?table=secrets" % b_secret,
             "/v1/entities/%s?deleted=1" % b1):
    st, _, data = srv.req("GET", path, key=KA)
    check(st == 404, "a reads b's id -> 404: " + path[:70], data)
    no_b(data.replace(b1, "").replace(b_secret, ""), "get " + path[:50])
st, _, data = srv.req("GET", "/v1/entities/" + b1, key=KA)
rc, out, err = cli("get", b1, tenant="a")
check(jerr(data) == err.strip()[len("error: "):],
      "the 404 text is the CLI's error line", (jerr(data), err))
expect(srv, "PATCH", "/v1/entities/" + b1, 404, "a patches b's id", body={"title": "pwned"}, key=KA)
expect(srv, "DELETE", "/v1/entities/" + b1, 404, "a deletes b's id", key=KA)
expect(srv, "DELETE", "/v1/entities/%s?hard=true" % b1, 404, "a hard-deletes b's id", key=KA)
expect(srv, "GET", "/v1/entities/%s?tenant=b" % b1, 400, "tenant in the query",
       key=KA, contains='unknown query parameter \\"tenant\\"')
expect(srv, "GET", "/v1/schemas?tenant=b", 400, "tenant in a list's query", key=KA)
expect(srv, "POST", "/v1/sql", 400, "tenant in the body",
       body={"sql": "SELECT * FROM secrets", "tenant": "b"}, key=KA,
       contains='unknown parameter \\"tenant\\"')
expect(srv, "POST", "/v1/search", 400, "tenant in a search body",
       body={"table": "issues", "query": "x", "tenant": "b"}, key=KA)
st, _, data = expect(srv, "POST", "/v1/sql", 400, "SQL naming b's table",
                     body={"sql": "SELECT * FROM secrets"}, key=KA,
                     contains="no such table: secrets")
sql_err_a = jerr(data)
for sql in ("SELECT * FROM secrets_all", "ATTACH 'db' AS other",
            "SELECT * FROM main.secrets", "SELECT * FROM temp.secrets",
            "PRAGMA table_info(secrets)", "DETACH main"):
    st, _, data = srv.req("POST", "/v1/sql", body={"sql": sql}, key=KA)
    check(st >= 400 or data.strip() == "", "refused or empty: " + sql, data)
    no_b(data, sql)
for sql in ("SELECT name FROM pragma_table_list", "LOOKUP 'S-1', 'B-1', '%s'" % b1,
            "SELECT * FROM issues WHERE id = '%s'" % b1,
            "SELECT count(*) AS n FROM issues_all"):
    st, _, data = srv.req("POST", "/v1/sql", body={"sql": sql}, key=KA)
    check(st == 200, "runs in a's own tables: " + sql[:50], data)
    no_b(data, sql)
st, _, data = expect(srv, "POST", "/v1/lookup", 200, "a looks up b's keys",
                     body={"keys": ["S-1", "B-1", b1, "b-issue-text"]}, key=KA)
check(json.loads(data) == [], "lookup of b's keys finds nothing", data)
st, _, data = expect(srv, "POST", "/v1/lookup", 200, "a looks up b's keys, fuzzy",
                     body={"keys": ["S-1", "B-1", b1, "b-issue-text"], "fuzzy": True}, key=KA)
no_b(data, "fuzzy lookup")
expect(srv, "POST", "/v1/search", 404, "a searches b's table",
       body={"table": "secrets", "query": "secret"}, key=KA)
for path in ("/v1/entities/%s/edges?direction=both" % b1,
             "/v1/entities/%s/traverse?depth=3&direction=both" % b1,
             "/v1/path?from=%s&to=%s" % (b1, b2)):
    st, _, data = srv.req("GET", path, key=KA)
    no_b(data.replace(b1, "").replace(b2, ""), "graph " + path[:40])
    check(b2 not in data, "b's edge is not visible to a: " + path[:40], data)
expect(srv, "POST", "/v1/edges", 404, "a links to b's entity",
       body={"src": a1, "dst": b1, "type": "steals"}, key=KA)
st, _, data = srv.req("DELETE", "/v1/edges?src=%s&dst=%s&type=blocks" % (b1, b2), key=KA)
check(st == 404, "a deletes b's edge -> 404", data)
# path tricks: nothing but a's tenant is ever reachable
for path in ("/v1/../v1/entities/" + b1, "/v1//entities/" + b1,
             "/v1/entities/%2e%2e%2f" + b1, "/v1/entities/" + b1 + "/",
             "/v1/entities/" + b1 + "%00", "/v1/entities/" + b1 + "/../../b",
             "/b/v1/entities/" + b1, "/v1/entities/%s?table=secrets&deleted=1" % b_secret):
    st, _, data = srv.req("GET", path, key=KA)
    check(st in (400, 404), "path trick -> 4xx: " + path[:60], "%d %s" % (st, data))
    no_b(data.replace(b1, "").replace(b_secret, ""), "path trick " + path[:40])
for hname in ("X-Remdb-Tenant", "X-Tenant", "Tenant"):
    st, _, data = srv.req("GET", "/v1/entities/" + b1, key=KA, headers={hname: "b"})
    check(st == 404, "header %s: b is ignored" % hname, data)
# an id of b's, used by a, makes a's own entity
expect(srv, "POST", "/v1/schemas", 201, "a adds a table without key_field",
       body={"name": "notes", "properties": {"text": {"type": "string"}}}, key=KA)
st, _, data = expect(srv, "POST", "/v1/tables/notes/entities", 201,
                     "a inserts with b's id", body={"id": b1, "text": "a's own"}, key=KA)
check(json.loads(data)["id"] == b1, "a's entity takes the id", data)
st, _, data = expect(srv, "GET", "/v1/entities/" + b1, 200, "b reads its entity", key=KB)
check(data.strip() == b1_json, "b's entity is unchanged by a's insert", data)
expect(srv, "DELETE", "/v1/entities/%s?hard=1" % b1, 200, "a hard-deletes its own", key=KA)
st, _, data = expect(srv, "GET", "/v1/entities/" + b1, 200, "b's entity survives", key=KB)
check(data.strip() == b1_json, "b's entity unchanged by a's hard delete", data)
# a makes a table named like b's, then drops it: b's is untouched
expect(srv, "POST", "/v1/schemas", 201, "a adds its own secrets table", body=SECRETS, key=KA)
expect(srv, "GET", "/v1/tables/secrets/count", 200, "a's secrets are empty", key=KA, contains='"count":0')
expect(srv, "DELETE", "/v1/schemas/secrets", 200, "a drops its secrets", key=KA)
expect(srv, "GET", "/v1/tables/secrets/count", 200, "b's secrets remain", key=KB, contains='"count":1')
expect(srv, "GET", "/v1/entities/%s/edges" % b1, 200, "b still has its edge", key=KB, contains=b2)

# ---- the endpoints ------------------------------------------------------------------
K = KA
expect(srv, "GET", "/v1/schemas/issues", 200, "schema show", key=K, contains='"indexed_fields"')
expect(srv, "GET", "/v1/schemas/nope", 404, "unknown schema", key=K)
st, _, data = expect(srv, "POST", "/v1/tables/issues/entities", 201, "insert",
                     body={"key": "A-2", "title": "two", "status": "open", "priority": 2}, key=K)
a2 = json.loads(data)["id"]
st, _, data = expect(srv, "POST", "/v1/tables/issues/entities", 201, "batch insert",
                     body=[{"key": "A-%d" % i, "title": "t%d" % i, "priority": i % 5 + 1}
                           for i in range(3, 8)], key=K)
check(len(json.loads(data)["ids"]) == 5, "batch returns 5 ids", data)
st, _, data = expect(srv, "GET", "/v1/tables/issues/count", 200, "count", key=K)
n_before = json.loads(data)["count"]
check(n_before == 7, "7 issues in a", data)
st, _, data = expect(srv, "POST", "/v1/tables/issues/entities", 422, "batch with a bad item",
                     body=[{"key": "A-20", "title": "ok"}, {"key": "A-21"}], key=K,
                     contains="item 1")
check("nothing was inserted" in jerr(data), "batch failure says nothing was written", data)
expect(srv, "GET", "/v1/tables/issues/count", 200, "failed batch wrote nothing", key=K,
       contains='"count":%d' % n_before)
st, _, data = expect(srv, "POST", "/v1/tables/issues/entities", 400, "batch item not an object",
                     body=[{"key": "A-22", "title": "ok"}, 5], key=K)
expect(srv, "GET", "/v1/tables/issues/count", 200, "nothing written", key=K,
       contains='"count":%d' % n_before)
bad_insert = '{"key":"A-30","title":5}'
st, _, data = expect(srv, "POST", "/v1/tables/issues/entities", 422, "insert against the schema",
                     body=bad_insert, key=K)
http_insert_err = jerr(data)
st, _, data = expect(srv, "POST", "/v1/tables/issues/entities", 400, "insert of broken JSON",
                     body='{"key": "A-31", ', key=K)
http_json_err = jerr(data)
expect(srv, "POST", "/v1/tables/nope/entities", 404, "insert into an unknown table",
       body={"a": 1}, key=K)
expect(srv, "GET", "/v1/entities/" + a2, 200, "get", key=K, contains='"title":"two"')
expect(srv, "PATCH", "/v1/entities/" + a2, 200, "merge patch", body={"title": "TWO", "status": None},
       key=K, contains='"title":"TWO"')
st, _, data = expect(srv, "PATCH", "/v1/entities/" + a2, 422, "patch against the schema",
                     body={"priority": "high"}, key=K)
http_patch_err = jerr(data)
expect(srv, "GET", "/v1/entities/" + a2, 200, "failed patch changed nothing", key=K,
       contains='"title":"TWO"')
expect(srv, "DELETE", "/v1/entities/" + a2, 200, "soft delete", key=K, contains='"hard":false')
expect(srv, "GET", "/v1/entities/" + a2, 404, "soft-deleted is gone", key=K)
expect(srv, "GET", "/v1/entities/%s?deleted=true" % a2, 200, "...unless asked for", key=K)
expect(srv, "GET", "/v1/entities/%s?deleted=maybe" % a2, 400, "bad boolean", key=K,
       contains="deleted must be true or false")
expect(srv, "GET", "/v1/entities/%s?deleted=1&deleted=0" % a2, 400, "repeated parameter", key=K,
       contains="given twice")
# graph
a3 = json.loads(srv.req("POST", "/v1/lookup", body={"keys": ["A-3"]}, key=K)[2])[0]["entity"]["id"]
a4 = json.loads(srv.req("POST", "/v1/lookup", body={"keys": ["A-4"]}, key=K)[2])[0]["entity"]["id"]
expect(srv, "POST", "/v1/edges", 201, "add edge a1->a3", body={"src": a1, "dst": a3, "type": "blocks",
                                                          "props": {"why": "test"}, "weight": 0.5}, key=K)
expect(srv, "POST", "/v1/edges", 201, "add edge a3->a4", body={"src": a3, "dst": a4, "type": "blocks"}, key=K)
expect(srv, "POST", "/v1/edges", 400, "edge props not an object",
       body={"src": a1, "dst": a3, "type": "x", "props": [1]}, key=K)
expect(srv, "GET", "/v1/entities/%s/edges?type=blocks" % a1, 200, "edge list", key=K, contains=a3)
st, _, data = expect(srv, "GET", "/v1/entities/%s/traverse?depth=2&type=blocks" % a1, 200,
                     "traverse", key=K)
check({n["id"] for n in json.loads(data)["nodes"]} >= {a3, a4}, "traverse reaches a3 and a4", data)
expect(srv, "GET", "/v1/entities/%s/traverse?depth=99" % a1, 400, "depth out of range", key=K,
       contains="depth must be a number from 0 to 64")
expect(srv, "GET", "/v1/entities/%s/traverse?direction=up" % a1, 400, "bad direction", key=K)
st, _, data = expect(srv, "GET", "/v1/path?from=%s&to=%s&direction=out" % (a1, a4), 200, "path", key=K)
check(json.loads(data)["length"] == 2, "path a1 -> a4 has 2 hops", data)
expect(srv, "DELETE", "/v1/edges?src=%s&dst=%s&type=blocks" % (a3, a4), 200, "edge delete", key=K)
expect(srv, "DELETE", "/v1/edges?src=%s&dst=%s&type=blocks" % (a3, a4), 404, "edge delete again", key=K)
# lookup, ingest, search
st, _, data = expect(srv, "POST", "/v1/lookup", 200, "lookup", body={"keys": ["a1", "A-3"]}, key=K)
check([m["match"] for m in json.loads(data)] == ["normalized", "key"], "lookup matches", data)
expect(srv, "POST", "/v1/lookup", 400, "lookup without keys", body={}, key=K)
doc = "# Cats\n\nCats purr and sleep in the sun.\n\n# Dogs\n\nDogs bark at the mail carrier.\n"
st, _, data = expect(srv, "POST", "/v1/ingest", 201, "ingest",
                     body={"uri": "mem://pets.md", "text": doc, "name": "pets"}, key=K)
check(json.loads(data)["chunks"] >= 1, "ingest made chunks", data)
st, hd, data = expect(srv, "POST", "/v1/search", 200, "search",
                      body={"table": "resources", "query": "dogs bark", "k": 3,
                            "where": "chunk_ordinal >= 0", "explain": True}, key=K)
res = json.loads(data)
check(len(res) >= 1 and "bark" in res[0]["entity"]["content"], "search finds the dog chunk", data)
check("x-remdb-plan" in hd, "explain gives the plan header", hd)
expect(srv, "POST", "/v1/search", 400, "search without a query", body={"table": "resources"}, key=K)
# full-text and hybrid modes (resources has both indexes)
st, hd, data = expect(srv, "POST", "/v1/search", 200, "keyword search",
                      body={"table": "resources", "query": "bark", "mode": "keyword",
                            "snippets": True, "explain": True}, key=K)
res = json.loads(data)
check(len(res) >= 1 and "[bark]" in res[0]["snippets"]["content"], "keyword search marks the match", data)
check("keyword" in hd.get("x-remdb-plan", ""), "keyword plan header", hd)
st, hd, data = expect(srv, "POST", "/v1/search", 200, "hybrid search",
                      body={"table": "resources", "query": "dogs bark", "mode": "hybrid", "rrf_k": 5}, key=K)
res = json.loads(data)
check(len(res) >= 1 and res[0]["keyword_rank"] == 1 and "vector_rank" in res[0], "hybrid ranks", data)
expect(srv, "POST", "/v1/search", 400, "search with a bad mode",
       body={"table": "resources", "query": "x", "mode": "fuzzy"}, key=K)
expect(srv, "POST", "/v1/search", 400, "keyword search with a malformed query",
       body={"table": "resources", "query": "\"open", "mode": "keyword"}, key=K)
expect(srv, "POST", "/v1/search", 400, "search k out of range",
       body={"table": "resources", "query": "x", "k": 0}, key=K)
expect(srv, "POST", "/v1/ingest", 400, "ingest without text", body={"uri": "mem://x"}, key=K)
# SQL
st, hd, data = expect(srv, "POST", "/v1/sql", 200, "sql with parameters",
                      body={"sql": "SELECT key, priority FROM issues WHERE priority >= ?1 AND key <> ?2 ORDER BY key",
                            "params": [3, "A-4"]}, key=K)
rows = [json.loads(l) for l in data.splitlines()]
check([r["key"] for r in rows] == ["A-3", "A-7"], "sql rows as JSON lines", data)
check(hd.get("content-type") == "application/x-ndjson", "sql content type", hd)
st, _, data = expect(srv, "POST", "/v1/sql", 200, "sql parameter types",
                     body={"sql": "SELECT ?1 AS n, ?2 AS b, ?3 AS r, ?4 AS s, ?5 AS o, ?6 AS z",
                           "params": [None, True, 1.5, "x\"y", {"a": [1]}, -7]}, key=K)
check(json.loads(data) == {"n": None, "b": 1, "r": 1.5, "s": "x\"y", "o": '{"a":[1]}', "z": -7},
      "parameters bind by type", data)
TYPES_SQL = ("SELECT 4.0 AS r, 1.5 AS f, x'00ff10' AS b, 'a\"b\\c' || char(10, 127) AS s, "
             "NULL AS n, 7 AS i, 1e300 * 1e300 AS inf, CAST(x'61ff62' AS TEXT) AS bad")
st, _, types_body = expect(srv, "POST", "/v1/sql", 200, "sql value types", body={"sql": TYPES_SQL}, key=K)
check(json.loads(types_body) == {"r": 4.0, "f": 1.5, "b": "AP8Q", "s": "a\"b\\c\n\x7f", "n": None,
                                 "i": 7, "inf": None, "bad": "a\ufffdb"}, "sql values as JSON", types_body)
check('"r":4.0' in types_body, "a REAL keeps its decimal point", types_body)
expect(srv, "POST", "/v1/sql", 400, "too many parameters", body={"sql": "SELECT ?1", "params": [1, 2]},
       key=K, contains="no parameter ?2")
expect(srv, "POST", "/v1/sql", 400, "params not an array", body={"sql": "SELECT 1", "params": 1}, key=K)
st, _, data = expect(srv, "POST", "/v1/sql", 400, "sql syntax error", body={"sql": "SELEC 1"}, key=K)
http_sql_err = jerr(data)
expect(srv, "POST", "/v1/sql", 400, "two statements", body={"sql": "SELECT 1; DELETE FROM issues"},
       key=K, contains="one SQL statement per request")
expect(srv, "GET", "/v1/tables/issues/count", 200, "the second statement did not run", key=K,
       contains='"count":%d' % (n_before - 1))
expect(srv, "POST", "/v1/sql", 200, "trailing comment is fine",
       body={"sql": "SELECT 1 AS x; -- done\n"}, key=K, contains='{"x":1}')
expect(srv, "POST", "/v1/sql", 400, "TEMP objects refused", body={"sql": "CREATE TEMP TABLE t(x)"},
       key=K, contains="CREATE is not available over HTTP")
expect(srv, "POST", "/v1/sql", 400, "no statement", body={"sql": " -- nothing"}, key=K)
expect(srv, "POST", "/v1/sql", 200, "sql insert",
       body={"sql": "INSERT INTO issues(key, title) VALUES (?, ?)", "params": ["A-40", "via sql"]}, key=K)
expect(srv, "GET", "/v1/tables/issues/count", 200, "sql insert committed", key=K,
       contains='"count":%d' % n_before)
st, _, data = expect(srv, "POST", "/v1/sql", 422, "sql insert against the schema",
                     body={"sql": "INSERT INTO issues(key, title, priority) VALUES ('A-41', 't', 'high')"},
                     key=K)
expect(srv, "GET", "/v1/tables/issues/count", 200, "failed sql insert wrote nothing", key=K,
       contains='"count":%d' % n_before)
# a result larger than the first buffer is streamed (chunked), whole
big = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
       "SELECT x, printf('%.200c', 'a') AS pad FROM c")
st, hd, data = expect(srv, "POST", "/v1/sql", 200, "streamed result", body={"sql": big}, key=K)
lines = data.splitlines()
check(len(lines) == 20000 and json.loads(lines[-1])["x"] == 20000, "all 20000 rows streamed",
      "%d lines" % len(lines))
check(hd.get("transfer-encoding") == "chunked", "a large result is chunked", hd)
# the row limit (--max-rows 30000) cuts a streamed result: an error line,
# and the connection closes without the chunk terminator
over = big.replace("20000", "40000")
c = http.client.HTTPConnection("127.0.0.1", srv.port)
c.request("POST", "/v1/sql", body=json.dumps({"sql": over}), headers={"Authorization": "Bearer " + K})
r = c.getresponse()
try:
    got = r.read()
    incomplete = False
except http.client.IncompleteRead as e:
    got = e.partial
    incomplete = True
c.close()
tail = got.decode().splitlines()[-1]
check(r.status == 200 and incomplete, "row limit: a truncated stream", (r.status, incomplete))
check("error" in json.loads(tail) and "30000" in tail, "row limit: the last line says why", tail)
# request limits and malformed requests
st, hd, data = expect(srv, "POST", "/v1/tables/issues/entities", 413, "body over --max-body",
                      body=json.dumps({"key": "A-50", "title": "x" * 70000}), key=K,
                      contains="65536")
expect(srv, "GET", "/v1/tables/issues/count", 200, "the big body wrote nothing", key=K,
       contains='"count":%d' % n_before)
# a refused request's body (larger than the socket buffers) is read and
# dropped, so the client can send it all and then read the answer
bulk = json.dumps({"key": "A-53", "title": "x" * (4 << 20)})
expect(srv, "POST", "/v1/tables/issues/entities", 413, "4 MiB body over --max-body", body=bulk,
       key=K, contains="--max-body")
expect(srv, "POST", "/v1/tables/issues/entities", 401, "4 MiB body without a key", body=bulk,
       contains="missing API key")
expect(srv, "POST", "/v1/tables/issues/nothing", 404, "4 MiB body to no endpoint", body=bulk, key=K)
expect(srv, "GET", "/v1/tables/issues/count", 200, "still nothing written; the connection lives on",
       key=K, contains='"count":%d' % n_before)


def chunked_post(path, payload):
    s = socket.create_connection(("127.0.0.1", srv.port))
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" % (path, K))
    s.sendall(head.encode())
    for i in range(0, len(payload), 8192):
        part = payload[i:i + 8192]
        s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    s.sendall(b"0\r\n\r\n")
    resp = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        resp += d
    s.close()
    return resp.decode("utf-8", "replace")


resp = chunked_post("/v1/tables/issues/entities",
                    json.dumps({"key": "A-51", "title": "y" * 80000}).encode())
check(resp.startswith("HTTP/1.1 413"), "chunked body over --max-body -> 413", resp[:200])
resp = chunked_post("/v1/tables/issues/entities", json.dumps({"key": "A-52", "title": "z"}).encode())
check(resp.startswith("HTTP/1.1 201"), "chunked body within the limit is accepted", resp[:200])
expect(srv, "POST", "/v1/sql", 400, "body not JSON", body="SELECT 1", key=K, contains="invalid JSON")
expect(srv, "POST", "/v1/sql", 400, "body not an object", body=[1], key=K,
       contains="must be a JSON object")
expect(srv, "GET", "/v1/stats", 400, "a GET with a body", body="{}", key=K, contains="takes no request body")
st, hd, data = expect(srv, "PUT", "/v1/entities/" + a1, 405, "wrong method", key=K)
check(hd.get("allow") == "GET, PATCH, DELETE", "405 lists the allowed methods", hd)
expect(srv, "GET", "/v2/entities/x", 404, "unknown endpoint", key=K)
expect(srv, "GET", "/v1/stats", 200, "stats", key=K, contains='"tenant":"a"')
expect(srv, "GET", "/v1/verify", 200, "verify over HTTP", key=K, contains='"ok":true')
expect(srv, "GET", "/v1/verify", 200, "verify of b over HTTP", key=KB, contains='"ok":true')

# ---- many clients at once: writes and reads on pooled handles -------------------------
errors = []


def client(n):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port)
        hdr = {"Authorization": "Bearer " + (KA if n % 2 == 0 else KB)}
        for i in range(40):
            body = json.dumps({"key": "C-%d-%d" % (n, i), "title": "conc", "priority": i % 5 + 1})
            conn.request("POST", "/v1/tables/issues/entities", body=body, headers=hdr)
            r = conn.getresponse()
            d = r.read()
            if r.status != 201:
                errors.append(d)
                continue
            eid = json.loads(d)["id"]
            conn.request("GET", "/v1/entities/" + eid, headers=hdr)
            r = conn.getresponse()
            d = r.read()
            if r.status != 200 or b"C-%d-%d" % (n, i) not in d:
                errors.append(d)
            conn.request("POST", "/v1/sql", headers=hdr, body=json.dumps(
                {"sql": "SELECT count(*) AS n FROM issues WHERE priority = ?", "params": [i % 5 + 1]}))
            r = conn.getresponse()
            d = r.read()
            if r.status != 200:
                errors.append(d)
        conn.close()
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))


threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(not errors, "8 concurrent clients: no errors", errors[:3])
st, _, data = srv.req("POST", "/v1/sql", key=KA,
                      body={"sql": "SELECT count(*) AS n FROM issues WHERE key LIKE 'C-%'"})
check(json.loads(data)["n"] == 160, "a got its 160 concurrent inserts", data)
st, _, data = srv.req("POST", "/v1/sql", key=KB,
                      body={"sql": "SELECT count(*) AS n FROM issues WHERE key LIKE 'C-%'"})
check(json.loads(data)["n"] == 160, "b got its 160 concurrent inserts", data)

# ---- graceful shutdown: a request in flight finishes -------------------------------------
huge = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000) "
        "SELECT x, printf('%.1000c', 'q') AS pad FROM c")
s = socket.create_connection(("127.0.0.1", srv.port))
body = json.dumps({"sql": huge}).encode()
s.sendall(b"POST /v1/sql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + K.encode() +
          b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
got = b""
while b"\r\n\r\n" not in got:  # the response has begun
    d = s.recv(4096)
    if not d:
        break
    got += d
check(got.startswith(b"HTTP/1.1 200"), "in-flight request started", got[:100])
srv.p.send_signal(signal.SIGTERM)
line = srv.p.stderr.readline()
# (an earlier request's completion may still be being counted: at least 1)
m = re.search(r"shutting down \((\d+) requests in flight\)", line)
check(m is not None and int(m.group(1)) >= 1, "the server counts the request in flight", line)
try:
    socket.create_connection(("127.0.0.1", srv.port)).close()
    refused = False
except ConnectionRefusedError:
    refused = True
check(refused, "no new connections after SIGTERM")
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    got += d
s.close()
check(got.endswith(b"\r\n0\r\n\r\n"), "the in-flight response is complete", got[-40:])
check(got.count(b'"pad":') == 25000, "all 25000 rows arrived", got.count(b'"pad":'))
rest = srv.p.stderr.read()
rc = srv.p.wait()
srv.p.stdout.close()
srv.p.stderr.close()
check(rc == 0, "the server exits 0 after SIGTERM", rc)
check("stopped; database closed" in rest, "the server says it closed the database", rest)
check(not any(x in rest for x in SAN), "no sanitizer report from the server", rest)

# ---- the error texts are the CLI's --------------------------------------------------
rc, out, err = cli("insert", "issues", bad_insert, tenant="a")
check(err.strip() == "error: " + http_insert_err, "insert error text = CLI's", (http_insert_err, err))
rc, out, err = cli("insert", "issues", '{"key": "A-31", ', tenant="a")
check(err.strip() == "error: " + http_json_err, "bad JSON error text = CLI's", (http_json_err, err))
rc, out, err = cli("update", a3, '{"priority": "high"}', tenant="a")
check(err.strip() == "error: " + http_patch_err.replace(a2, a3), "update error text = CLI's",
      (http_patch_err, err))
rc, out, err = cli("sql", TYPES_SQL, "--format", "jsonl", tenant="a")
check(out == types_body, "sql rows are byte for byte the CLI's jsonl", (out, types_body))
rc, out, err = cli("sql", "SELEC 1", tenant="a")
check(err.strip() == "error: " + http_sql_err, "sql error text = CLI's", (http_sql_err, err))
rc, out, err = cli("sql", "SELECT * FROM secrets", tenant="a")
check(err.strip() == "error: " + sql_err_a, "sql table error text = CLI's", (sql_err_a, err))
for t in ("a", "b"):
    rc, out, err = cli("verify", tenant=t)
    check(rc == 0 and out.startswith("ok"), "verify tenant %s after the server" % t, out + err)
check(cli_ok("count", "issues", tenant="b") == "162", "b's issues: 2 + 160")

# ---- without a keys file: one tenant, loopback only ------------------------------------
srv = Server("--max-rows", "10", tenant="a")
st, _, data = srv.req("GET", "/v1/entities/" + a1)
check(st == 200 and "alpha one" in data, "no keys: the -t tenant without a key", data)
# the row limit hit before anything was sent: a plain 413
expect(srv, "POST", "/v1/sql", 413, "row limit before the first byte",
       body={"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20) SELECT x FROM c"},
       contains="more than 10 rows")
expect(srv, "POST", "/v1/sql", 200, "10 rows are within the limit",
       body={"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x FROM c"})
st, _, data = srv.req("GET", "/v1/entities/" + b1, key=KB)
check(st == 404, "no keys: a key does not switch the tenant", data)
rc, rest = srv.stop()
check(rc == 0, "no-keys server stops cleanly", rest)
# --timeout: checked between rows; a microsecond is over by the first row
srv = Server("--timeout", "0.000001", tenant="a")
expect(srv, "POST", "/v1/sql", 503, "a statement over --timeout",
       body={"sql": "SELECT key FROM issues"}, contains="--timeout")
expect(srv, "POST", "/v1/sql", 200, "a write returns no row: --timeout never cuts it",
       body={"sql": "UPDATE issues SET title = 'timed' WHERE key = 'A-3'"})
expect(srv, "GET", "/v1/entities/" + a3, 200, "the write committed", contains='"timed"')
rc, rest = srv.stop()
check(rc == 0, "the --timeout server stops cleanly", rest)
# ---- stopping while clients connect: never an abort -----------------------------------
# (libmicrohttpd's own quiesce raced its epoll workers and aborted the process
# about once in thirty stops; remdb now accepts connections itself)
def hammer(port, stop):
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port)
            c.request("GET", "/v1/entities/" + a1)
            c.getresponse().read()
            c.close()
        except (OSError, http.client.HTTPException):
            pass  # refused, reset or cut by the stop: all fine here
stops_ok = 0
for cycle in range(8):
    srv = Server(tenant="a")
    stop = threading.Event()
    ts = [threading.Thread(target=hammer, args=(srv.port, stop)) for _ in range(3)]
    for t in ts:
        t.start()
    st, _, data = srv.req("GET", "/v1/entities/" + a1)
    rc, rest = srv.stop()
    stop.set()
    for t in ts:
        t.join()
    if rc == 0 and st == 200 and "stopped; database closed" in rest and \
            not any(x in rest for x in SAN):
        stops_ok += 1
    else:
        check(False, "stop %d while clients connect" % cycle, (rc, st, rest[-600:]))
check(stops_ok == 8, "8 stops while 3 clients connect: each exits 0 and closes the database",
      stops_ok)
# ---- --max-connections: a connection beyond it is closed unanswered ------------------
srv = Server("--threads", "1", "--max-connections", "2", tenant="a")
held = []
for i in range(2):
    c = http.client.HTTPConnection("127.0.0.1", srv.port)
    c.request("GET", "/v1/entities/" + a1)
    r = c.getresponse()
    r.read()
    check(r.status == 200, "kept-alive connection %d answered" % i, r.status)
    held.append(c)
try:
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    c.request("GET", "/v1/entities/" + a1)
    third = c.getresponse().status
except (OSError, http.client.HTTPException):
    third = None
check(third is None, "a third connection beyond --max-connections 2 is closed", third)
held.pop().close()
deadline = time.time() + 120  # the server notices the close in its own time
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        c.request("GET", "/v1/entities/" + a1)
        st = c.getresponse().status
        c.close()
        break
    except (OSError, http.client.HTTPException):
        st = None
        if time.time() > deadline:
            break
        time.sleep(0.05)
check(st == 200, "a connection is served again once one is closed", st)
held.pop().close()
rc, rest = srv.stop()
check(rc == 0, "the --max-connections server stops cleanly", rest)
for args, want in ((["--listen", "0.0.0.0:0"], "not a loopback address"),
                   (["--keys", "nokeys.txt"], "cannot open keys file"),
                   (["--listen", "localhost"], "--listen takes HOST:PORT"),
                   (["--max-rows", "0"], "--max-rows must be")):
    rc, out, err = cli("serve", *args)
    check(rc != 0 and err.startswith("error: ") and want in err, "serve refuses " + " ".join(args), err)
with open("short.txt", "w") as f:
    f.write("short a\n")
rc, out, err = cli("serve", "--keys", "short.txt", "--listen", "127.0.0.1:0")
check(rc != 0 and "short.txt line 1" in err, "a short key is refused", err)
with open("badtenant.txt", "w") as f:
    f.write("0123456789abcdef0123 a\n0123456789abcdef0124 bad/tenant\n")
os.chmod("badtenant.txt", 0o600)
rc, out, err = cli("serve", "--keys", "badtenant.txt", "--listen", "127.0.0.1:0")
check(rc != 0 and err.startswith("error: serve: badtenant.txt line 2: ") and
      "invalid tenant name" in err, "a bad tenant name is refused at start", err)
os.chmod("badtenant.txt", 0o644)
rc, out, err = cli("serve", "--keys", "badtenant.txt", "--listen", "127.0.0.1:0")
check("readable by other users" in err, "a keys file others can read is warned about", err)
rc, out, err = subprocess.run([BIN, "-d", "nodb", "serve", "--listen", "127.0.0.1:0"],
                              capture_output=True, text=True).returncode, "", ""
check(rc != 0, "serve without a database fails")

print("serve_test: %d checks, %d failed" % (CHECKS, FAILS))
with open("serve_test.checks", "w") as f:
    f.write("%d\n" % CHECKS)
sys.exit(1 if FAILS else 0)
