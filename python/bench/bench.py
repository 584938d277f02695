"""bench.py: the Python side of make bench-python, the same work as bench.c:
N small entities inserted one by one (db.insert with a dict), then with
insert_many (batches of 1000), then each read back with db.get (a dict),
and once more with the raw JSON text (no decoding).
Usage: python3 bench.py DIR N"""

import sys
import time

import remdb

path, n = sys.argv[1], int(sys.argv[2])
with remdb.open(path, sync="none") as db:
    db.register({"name": "items",
                 "properties": {"key": {"type": "string"}, "status": {"type": "string"},
                                "n": {"type": "integer"}},
                 "key_field": "key", "indexed_fields": ["status"]})

    def report(name, t, count=n):
        d = time.perf_counter() - t
        print(f"{name} {d:.3f} {count / d:.0f}")

    t = time.perf_counter()
    ids = [db.insert("items", {"key": f"a-{i}", "status": "open" if i % 3 else "closed", "n": i})
           for i in range(n)]
    report("insert", t)
    t = time.perf_counter()
    db.insert_many("items", ({"key": f"b-{i}", "status": "open" if i % 3 else "closed", "n": i}
                             for i in range(n)))
    report("insert_many", t)
    t = time.perf_counter()
    for i in ids:
        db.get("items", i)
    report("get", t)
    t = time.perf_counter()
    for i in ids:
        db._get(i, "items")
    report("get_raw_json", t)
