"""agent_memory.py: remdb from Python, the REM way: typed entities, a
document, search, lookup, a graph and SQL.  Run by make test
(python/tests/test_remdb.py).  Usage: python3 agent_memory.py [DIR]"""

import os
import sys
import tempfile

import remdb

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.mkdtemp(), "memory.db")

with remdb.open(path, sync="none") as db:
    db.init()  # built-in tables: resources, moments, agents, sessions, messages
    db.register({
        "name": "people",
        "properties": {"handle": {"type": "string"}, "team": {"type": "string"},
                       "bio": {"type": "string"}},
        "required": ["handle"],
        "key_field": "handle",  # deterministic ids: inserting alice again updates her
        "indexed_fields": ["team"],
        "embedding_fields": ["bio"],
        "embedding": {"dim": 64, "metric": "cosine", "provider": "hash"},
    })

    # many rows, one atomic commit; an exception inside would write nothing
    with db.batch() as b:
        alice = b.insert("people", {"handle": "alice", "team": "auth", "bio": "token refresh and sessions"})
        bob = b.insert("people", {"handle": "bob", "team": "search", "bio": "vector indexes and ranking"})
    print("people:", db.count("people"))

    # a document, chunked by headings; each chunk is a resources row
    doc = os.path.join(os.path.dirname(path), "auth.md")
    with open(doc, "w") as f:
        f.write("# Auth\n\nTokens are refreshed an hour before expiry.\n\n"
                "## Sessions\n\nA session ends after 30 days idle.\n")
    for uri, chunks in db.ingest(doc).items():
        print(f"ingested {os.path.basename(uri)}: {chunks} chunks")

    # edges and traversal
    db.edge_add(alice, bob, "reviews", {"since": 2024})
    hops = db.traverse(alice, depth=1)
    print("alice reviews:", [n["entity"]["handle"] for n in hops["nodes"] if n["depth"] == 1])

    # similarity search, filtered inside the search
    hits = db.search("people", "refresh token", k=1, where="team = 'auth'")
    print("search:", hits[0]["entity"]["handle"], "via", hits.plan)

    # key lookup across tables
    print("lookup:", [m["entity"]["id"] == bob for m in db.lookup("bob")])

    # SQL, with parameters; a cursor streams rows
    print("sql:", db.sql("SELECT handle, team FROM people WHERE team = ?", ["search"]))
    cur = db.execute("SELECT handle FROM people ORDER BY handle")
    print("cursor:", [c[0] for c in cur.description], [row[0] for row in cur])

    try:
        db.insert("people", {"team": "auth"})  # handle is required
    except remdb.ValidationError as e:
        print(f"error {e.code}: {e}")

    print("verify:", "ok" if not db.verify() else "problems")
