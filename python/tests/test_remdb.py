"""Tests of the remdb Python package (make test-python).  Standard library
unittest; the Pydantic round trip runs where pydantic is importable, NumPy
cases where numpy is.  Nothing here depends on the machine's speed."""

import array
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import unittest

import remdb

try:
    import pydantic
except ImportError as e:  # pragma: no cover - depends on the machine
    pydantic = None
    print(f"test_remdb: pydantic is not importable ({e}): the Pydantic round trip is skipped",
          file=sys.stderr)

try:
    import numpy
except ImportError as e:  # pragma: no cover
    numpy = None
    print(f"test_remdb: numpy is not importable ({e}): the NumPy vector cases are skipped",
          file=sys.stderr)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ISSUES = {
    "name": "issues",
    "properties": {
        "key": {"type": "string", "maxLength": 16},
        "title": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "score": {"type": "number"},
        "labels": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["key", "status"],
    "key_field": "key",
    "indexed_fields": ["status", "priority"],
    "embedding_fields": ["title"],
    "embedding": {"dim": 32, "metric": "cosine", "provider": "hash"},
}


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="remdb-py-")
        self.path = os.path.join(self.dir, "db")
        self.db = remdb.open(self.path, sync="none")
        self.db.init()
        self.db.register(ISSUES)

    def tearDown(self):
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def issue(self, n, **kw):
        d = {"key": f"T-{n}", "title": f"issue {n}", "status": "open", "priority": 1 + n % 5}
        d.update(kw)
        return self.db.insert("issues", d)


class TestOpen(Base):
    def test_context_manager_closes(self):
        with remdb.open(os.path.join(self.dir, "x")) as db:
            self.assertFalse(db.closed)
            self.assertEqual(db.tenant, "default")
            self.assertIsInstance(db, remdb.Database)
        self.assertTrue(db.closed)
        with self.assertRaises(remdb.Misuse) as cm:
            db.count("issues")
        self.assertIn("closed", str(cm.exception))
        self.assertEqual(cm.exception.code, remdb.MISUSE)
        db.close()  # idempotent

    def test_options(self):
        with self.assertRaises(TypeError):
            remdb.open(os.path.join(self.dir, "x"), no_such_option=1)
        with self.assertRaises(ValueError):
            remdb.open(os.path.join(self.dir, "x"), sync="sometimes")
        with self.assertRaises(TypeError):
            remdb.open(os.path.join(self.dir, "x"), cache_bytes="big")
        with self.assertRaises(remdb.Error):
            remdb.open(os.path.join(self.dir, "missing"), create_if_missing=False)
        # a limit set from Python reaches remdb
        with remdb.open(os.path.join(self.dir, "small"), max_value_bytes=8) as db:
            db.register({"name": "t", "properties": {"s": {"type": "string"}}})
            with self.assertRaises(remdb.TooBig):
                db.insert("t", {"s": "x" * 100})

    def test_bad_tenant(self):
        with self.assertRaises(remdb.InvalidInput) as cm:
            remdb.open(os.path.join(self.dir, "x"), "../evil")
        self.assertEqual(cm.exception.code, remdb.INVALID)

    def test_tenants_are_isolated(self):
        i = self.issue(1)
        other = self.db.open_tenant("acme")
        try:
            self.assertIsInstance(other, remdb.Database)
            self.assertEqual(other.tenant, "acme")
            with self.assertRaises(remdb.NotFound):
                other.get(i)
            self.assertNotIn("issues", other.schemas())
        finally:
            other.close()
        self.assertEqual(self.db.get(i)["key"], "T-1")

    def test_read_only(self):
        self.issue(1)
        self.db.close()
        with remdb.open(self.path, read_only=True) as ro:
            self.assertEqual(ro.count("issues"), 1)
            with self.assertRaises(remdb.Error):
                ro.insert("issues", {"key": "T-2", "status": "open"})
        self.db = remdb.open(self.path)

    def test_error_classes(self):
        self.assertEqual(remdb.NotFound.code, remdb.NOTFOUND)
        self.assertEqual(remdb.Busy.code, remdb.BUSY)
        self.assertEqual(remdb.Error.code, remdb.ERROR)
        self.assertEqual(remdb.NotFound("mine").code, remdb.NOTFOUND)  # raised by a user
        for cls in (remdb.InvalidInput, remdb.ValidationError, remdb.NotFound, remdb.Exists, remdb.TooBig,
                    remdb.NoMemory, remdb.StorageError, remdb.Corrupt, remdb.Busy, remdb.Misuse):
            self.assertTrue(issubclass(cls, remdb.Error))
        self.assertTrue(issubclass(remdb.NotFound, LookupError))

    def test_errstr_and_version(self):
        self.assertTrue(remdb.errstr(remdb.NOTFOUND))
        self.assertEqual(remdb.__version__, remdb.VERSION)
        self.assertEqual(remdb.paramstyle, "qmark")


class TestEntities(Base):
    def test_insert_get_update_delete(self):
        i = self.issue(1, labels=["a", "b"], score=0.5)
        e = self.db.get("issues", i)
        self.assertEqual(e["id"], i)
        self.assertEqual(e["type"], "issues")
        self.assertEqual(e["labels"], ["a", "b"])
        self.assertIsNone(e["deleted_at"])
        self.assertEqual(self.db.get(i), e)  # any table
        self.db.update(i, {"status": "closed", "labels": None})
        e2 = self.db.get(i)
        self.assertEqual(e2["status"], "closed")
        self.assertNotIn("labels", e2)
        self.assertEqual(e2["created_at"], e["created_at"])
        self.db.delete(i)
        with self.assertRaises(remdb.NotFound):
            self.db.get(i)
        self.assertEqual(self.db.get(i, include_deleted=True)["status"], "closed")
        self.assertEqual(self.db.count("issues"), 0)
        self.assertEqual(self.db.count("issues", include_deleted=True), 1)
        self.db.delete(e, hard=True)  # an entity dict works as an id
        with self.assertRaises(remdb.NotFound):
            self.db.get(i, include_deleted=True)

    def test_key_field_upserts(self):
        a = self.issue(1)
        b = self.issue(1, title="again")
        self.assertEqual(a, b)
        self.assertEqual(self.db.count("issues"), 1)
        self.assertEqual(self.db.get(a)["title"], "again")

    def test_json_text_and_unicode(self):
        i = self.db.insert("issues", '{"key":"T-9","status":"open","title":"caf\u00e9 \u2603"}')
        self.assertEqual(self.db.get(i)["title"], "caf\u00e9 \u2603")

    def test_validation_errors(self):
        with self.assertRaises(remdb.ValidationError) as cm:
            self.db.insert("issues", {"key": "T-1", "status": "open", "priority": "high"})
        e = cm.exception
        self.assertEqual(e.code, remdb.SCHEMA)
        self.assertIn("issues.priority", str(e))
        self.assertEqual(e.message, str(e))
        self.assertIsInstance(e, ValueError)
        with self.assertRaises(remdb.ValidationError):
            self.db.validate("issues", {"key": "T-1", "status": "maybe"})
        self.db.validate("issues", {"key": "T-1", "status": "open"})
        self.assertEqual(self.db.count("issues"), 0)  # nothing written
        with self.assertRaises(remdb.NotFound):
            self.db.insert("nope", {})
        with self.assertRaises(remdb.InvalidInput):
            self.db.insert("issues", "{not json")
        with self.assertRaises(ValueError):  # NaN is not JSON
            self.db.insert("issues", {"key": "T-1", "status": "open", "score": float("nan")})
        with self.assertRaises(TypeError):
            self.db.insert("issues", 42)

    def test_find_and_scan(self):
        for n in range(10):
            self.issue(n, status="closed" if n % 3 == 0 else "open")
        open_ = self.db.find("issues", status="open")
        self.assertEqual(len(open_), 6)
        self.assertTrue(all(r["status"] == "open" for r in open_))
        both = self.db.find("issues", status="open", priority=2)
        self.assertEqual(sorted(r["key"] for r in both), ["T-1"])
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.find("issues", title="issue 1")
        self.assertIn("not an indexed field", str(cm.exception))
        keys = [r["key"] for r in self.db.scan("issues")]
        self.assertEqual(len(keys), 10)
        self.assertEqual(len(self.db.find("issues")), 10)

    def test_insert_many(self):
        ids = self.db.insert_many("issues", ({"key": f"M-{n}", "status": "open"} for n in range(25)), batch=10)
        self.assertEqual(len(ids), 25)
        self.assertEqual(self.db.count("issues"), 25)
        self.assertEqual(self.db.get(ids[7])["key"], "M-7")
        rows = [{"key": f"B-{n}", "status": "open"} for n in range(25)]
        rows[22] = {"key": "B-22", "status": "bad"}
        with self.assertRaises(remdb.ValidationError) as cm:
            self.db.insert_many("issues", rows, batch=10)
        self.assertIn("row 22:", str(cm.exception))
        self.assertEqual(cm.exception.code, remdb.SCHEMA)
        # the two full batches committed; nothing of the failing one
        self.assertEqual(self.db.count("issues"), 45)
        with self.assertRaises(remdb.ValidationError):
            self.db.insert_many("issues", rows[20:], batch=None)
        self.assertEqual(self.db.count("issues"), 45)

    def test_schemas(self):
        self.assertIn("issues", self.db.schemas())
        s = self.db.schema("issues")
        self.assertEqual(s["key_field"], "key")
        self.assertEqual(self.db.register(json.dumps({"name": "t2", "properties": {}})), "t2")
        self.assertEqual(self.db.register({"properties": {}}, name="t3"), "t3")
        with self.assertRaises(remdb.InvalidInput):
            self.db.register({"properties": {}})
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.register({"name": "t4", "properties": {"a": {"type": "string", "pattern": "x"}}})
        self.assertIn("pattern", str(cm.exception))
        self.db.drop("t2")
        self.assertNotIn("t2", self.db.schemas())

    def test_maintenance(self):
        for n in range(5):
            self.issue(n)
        self.assertEqual(self.db.verify(), [])
        self.db.reindex("issues")
        self.db.reindex()
        self.assertEqual(self.db.stats()["tenant"], "default")
        self.db.compact()
        dest = os.path.join(self.dir, "copy")
        self.db.backup(dest)
        with remdb.open(dest) as copy:
            self.assertEqual(copy.count("issues"), 5)

    def test_export_parquet(self):
        for n in range(5):
            self.issue(n)
        path = os.path.join(self.dir, "issues.parquet")
        self.assertEqual(self.db.export_parquet("issues", path), 5)
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual((data[:4], data[-4:]), (b"PAR1", b"PAR1"))
        self.assertEqual(self.db.export_parquet("issues", path, "key = 'T-1'",
                                                compression="none"), 1)
        with self.assertRaises(remdb.Error) as cm:
            self.db.export_parquet("nosuch", path)
        self.assertIn("nosuch", str(cm.exception))
        with self.assertRaises(ValueError):
            self.db.export_parquet("issues", path, compression="lz4")


class TestBatch(Base):
    def test_commit_on_success(self):
        with self.db.batch() as b:
            ids = [b.insert("issues", {"key": f"B-{n}", "status": "open"}) for n in range(5)]
            self.assertEqual(len(b), 5)
            self.assertEqual(self.db.count("issues"), 0)  # not visible before commit
        self.assertTrue(b.closed)
        self.assertEqual(b.committed, 5)
        self.assertEqual(self.db.count("issues"), 5)
        self.assertEqual(self.db.get(ids[3])["key"], "B-3")

    def test_rollback_on_exception(self):
        with self.assertRaises(KeyError):
            with self.db.batch() as b:
                b.insert("issues", {"key": "B-1", "status": "open"})
                raise KeyError("boom")
        self.assertEqual(self.db.count("issues"), 0)
        # the write lock was released: other writes go on
        self.issue(1)
        self.assertEqual(self.db.count("issues"), 1)

    def test_bad_row_leaves_batch_usable(self):
        with self.db.batch() as b:
            b.insert("issues", {"key": "B-1", "status": "open"})
            with self.assertRaises(remdb.ValidationError):
                b.insert("issues", {"key": "B-2", "status": "nope"})
            b.insert("issues", {"key": "B-3", "status": "open"})
            self.assertEqual(b.commit(), 2)
            b.insert("issues", {"key": "B-4", "status": "open"})
        self.assertEqual(self.db.count("issues"), 3)
        with self.assertRaises(remdb.Misuse):
            b.insert("issues", {"key": "B-5", "status": "open"})

    def test_other_thread_may_not_use_it(self):
        errors = []
        with self.db.batch() as b:
            b.insert("issues", {"key": "B-1", "status": "open"})

            def use():
                try:
                    b.insert("issues", {"key": "B-2", "status": "open"})
                except remdb.Misuse as e:
                    errors.append(str(e))

            t = threading.Thread(target=use)
            t.start()
            t.join()
        self.assertEqual(len(errors), 1)
        self.assertIn("thread that began it", errors[0])
        self.assertEqual(self.db.count("issues"), 1)

    def test_committed_batch_frees_the_database(self):
        """After a commit the batch no longer holds its database: another
        thread's write on it goes through while the batch is still open
        (if the batch kept it, joining that thread here would never end)."""
        with self.db.batch() as b:
            b.insert("issues", {"key": "B-1", "status": "open"})
            b.commit()
            t = threading.Thread(target=self.issue, args=(2,))
            t.start()
            t.join()
            b.insert("issues", {"key": "B-3", "status": "open"})
        self.assertEqual(self.db.count("issues"), 3)

    def test_batch_outliving_its_thread(self):
        box = []

        def begin():
            box.append(self.db.batch())
            box.append(self.db.batch())
            box[1].insert("issues", {"key": "B-1", "status": "open"})
            box[1].commit()

        t = threading.Thread(target=begin)
        t.start()
        t.join()
        box.pop()  # freed here, by another thread: nothing was left staged
        self.issue(2)
        self.db.close()  # frees the other one
        self.assertTrue(box[0].closed)
        self.db = remdb.open(self.path)
        self.assertEqual(self.db.count("issues"), 2)

    def test_batch_with_staged_rows_dropped_by_another_thread(self):
        """It cannot be freed there (remdb's write lock is its thread's): a
        ResourceWarning, no crash, and its thread's close frees it."""
        box, ready, go = [], threading.Event(), threading.Event()

        def owner():
            b = self.db.batch()
            b.insert("issues", {"key": "B-1", "status": "open"})
            box.append(b)
            del b
            ready.set()
            go.wait()
            self.db.close()

        t = threading.Thread(target=owner)
        t.start()
        ready.wait()
        with self.assertWarns(ResourceWarning):
            box.pop()
        go.set()
        t.join()
        self.db = remdb.open(self.path)
        self.assertEqual(self.db.count("issues"), 0)
        self.issue(1)  # the write lock is free

    def test_write_beside_open_batch_is_refused(self):
        with self.db.batch() as b:
            b.insert("issues", {"key": "B-1", "status": "open"})
            with self.assertRaises(remdb.Misuse):  # remdb refuses, it does not hang
                self.db.insert("issues", {"key": "B-2", "status": "open"})
            self.assertEqual(self.db.count("issues"), 0)  # reads are fine
        self.assertEqual(self.db.count("issues"), 1)

    def test_close_database_with_open_batch(self):
        b = self.db.batch()
        b.insert("issues", {"key": "B-1", "status": "open"})
        self.db.close()
        self.assertTrue(b.closed)
        with self.assertRaises(remdb.Misuse):
            b.insert("issues", {"key": "B-2", "status": "open"})
        self.db = remdb.open(self.path)
        self.assertEqual(self.db.count("issues"), 0)


class TestSQL(Base):
    def test_sql_types_and_params(self):
        self.issue(1, score=1.5, labels=["x"])
        self.issue(2)
        rows = self.db.sql("SELECT key, priority, score, labels, title FROM issues WHERE key = ?", ["T-1"])
        self.assertEqual(rows, [{"key": "T-1", "priority": 2, "score": 1.5, "labels": '["x"]', "title": "issue 1"}])
        rows = self.db.sql("SELECT key, score FROM issues WHERE priority >= ? AND key <> ? ORDER BY key", (1, "T-1"))
        self.assertEqual(rows, [{"key": "T-2", "score": None}])
        self.assertEqual(self.db.sql("SELECT ? a, ? b, ? c, ? d", [None, 2.5, True, "s"]),
                         [{"a": None, "b": 2.5, "c": 1, "d": "s"}])
        self.assertEqual(self.db.sql("SELECT count(*) n FROM issues"), [{"n": 2}])
        self.assertEqual(self.db.sql("  -- nothing\n"), [])

    def test_sql_errors(self):
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.sql("SELEC 1")
        self.assertIn("offset", str(cm.exception))
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.sql("SELECT ?, ?", [1])
        self.assertIn("more parameters", str(cm.exception))
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.sql("SELECT ?", [1, 2])
        self.assertIn("fewer parameters", str(cm.exception))
        with self.assertRaises(TypeError):
            self.db.sql("SELECT ?", [b"bytes"])
        with self.assertRaises(TypeError):
            self.db.sql("SELECT ?", "1")
        with self.assertRaises(OverflowError):
            self.db.sql("SELECT ?", [2 ** 70])
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.sql("SELECT 1; SELECT 2")
        self.assertIn("more than one statement", str(cm.exception))
        with self.assertRaises(remdb.Error):
            self.db.sql("ATTACH 'x' AS y")

    def test_dml_and_executescript(self):
        self.db.sql("INSERT INTO issues (key, status, priority) VALUES (?, ?, ?)", ["S-1", "open", 3])
        self.assertEqual(self.db.find("issues", priority=3)[0]["key"], "S-1")
        with self.assertRaises(remdb.ValidationError):
            self.db.sql("INSERT INTO issues (key, status) VALUES ('S-2', 'bad')")
        self.db.executescript("UPDATE issues SET status = 'closed' WHERE key = 'S-1';"
                              "INSERT INTO issues (key, status) VALUES ('S-3', 'open');")
        self.assertEqual(self.db.sql("SELECT key, status FROM issues ORDER BY key"),
                         [{"key": "S-1", "status": "closed"}, {"key": "S-3", "status": "open"}])

    def test_cursor_streams(self):
        self.db.insert_many("issues", ({"key": f"C-{n:03}", "status": "open", "priority": 1} for n in range(250)))
        cur = self.db.cursor()
        self.assertIsNone(cur.description)
        self.assertIs(cur.execute("SELECT key, priority FROM issues ORDER BY key"), cur)
        self.assertEqual([d[0] for d in cur.description], ["key", "priority"])
        self.assertEqual(len(cur.description[0]), 7)
        self.assertEqual(cur.fetchone(), ("C-000", 1))
        cur.arraysize = 10
        self.assertEqual(len(cur.fetchmany()), 10)
        self.assertEqual(cur.fetchmany(5)[0], ("C-011", 1))
        rest = list(cur)
        self.assertEqual(len(rest), 250 - 16)
        self.assertIsNone(cur.fetchone())
        self.assertEqual(cur.fetchall(), [])
        self.assertEqual(cur.rowcount, -1)
        self.assertIs(cur.connection, self.db)
        # an abandoned cursor is re-executed, then closed
        cur.execute("SELECT key FROM issues WHERE key > ? ORDER BY key", ["C-247"])
        self.assertEqual(cur.fetchall(), [("C-248",), ("C-249",)])
        cur.close()
        with self.assertRaises(remdb.Misuse):
            cur.execute("SELECT 1")
        with self.db.execute("SELECT count(*) FROM issues") as c2:
            self.assertEqual(c2.fetchone(), (250,))

    def test_cursor_executemany(self):
        cur = self.db.cursor()
        cur.executemany("INSERT INTO issues (key, status, priority) VALUES (?, 'open', ?)",
                        [(f"E-{n}", 1 + n % 5) for n in range(20)])
        self.assertEqual(self.db.count("issues"), 20)
        with self.assertRaises(remdb.ValidationError):
            cur.executemany("INSERT INTO issues (key, status) VALUES (?, ?)", [("E-100", "open"), ("E-101", "bad")])
        self.assertEqual(self.db.count("issues"), 21)  # each statement is atomic on its own

    def test_cursor_after_close(self):
        cur = self.db.execute("SELECT 1")
        self.db.close()
        with self.assertRaises(remdb.Misuse):
            cur.fetchone()
        with self.assertRaises(remdb.Misuse):
            cur.execute("SELECT 1")
        self.db = remdb.open(self.path)

    def test_explain(self):
        self.issue(1)
        rows = self.db.sql("EXPLAIN SELECT * FROM issues WHERE status = 'open'")
        self.assertEqual(rows[0]["table"], "issues")
        self.assertEqual(set(rows[0]), {"table", "route", "scans", "rows_examined", "rows_returned"})


class TestSearch(Base):
    def setUp(self):
        super().setUp()
        self.ids = {}
        for n, t in enumerate(["token refresh fails", "login page slow", "refresh token expiry", "dark mode"]):
            self.ids[t] = self.issue(n, title=t, status="closed" if n == 2 else "open")

    def test_text(self):
        hits = self.db.search("issues", "token refresh", k=2)
        self.assertEqual(len(hits), 2)
        self.assertEqual({h["entity"]["title"] for h in hits}, {"token refresh fails", "refresh token expiry"})
        self.assertGreaterEqual(hits[0]["score"], hits[1]["score"])
        self.assertTrue(hits.plan)
        hits = self.db.search("issues", "token refresh", k=5, where="status = 'open'")
        self.assertNotIn("refresh token expiry", [h["entity"]["title"] for h in hits])
        self.assertIn("filtered", hits.plan)
        exact = self.db.search("issues", "token refresh", k=2, method="exact")
        self.assertIn("exact", exact.plan)
        self.assertEqual(len(self.db.search("issues", "token", k=4, min_score=0.99)), 0)

    def test_vectors(self):
        q = [0.0] * 32
        q[3] = 1.0
        base = self.db.search("issues", q, k=4, method="exact")
        self.assertEqual(len(base), 4)
        want = [(h["id"], h["score"]) for h in base]
        for v in (tuple(q), array.array("f", q), array.array("d", q), memoryview(array.array("f", q)),
                  memoryview(array.array("f", [x for y in q for x in (y, 9.0)]))[::2]):
            got = self.db.search("issues", v, k=4, method="exact")
            self.assertEqual([(h["id"], h["score"]) for h in got], want, type(v))
        with self.assertRaises(TypeError):
            self.db.search("issues", array.array("i", [1] * 32))
        with self.assertRaises(TypeError):
            self.db.search("issues", b"\x00" * 128)
        with self.assertRaises(TypeError):
            self.db.search("issues", ["a"] * 32)
        with self.assertRaises(remdb.Error):  # wrong dimension: remdb says so
            self.db.search("issues", [1.0] * 31)
        with self.assertRaises(ValueError):
            self.db.search("issues", q, k=0)

    @unittest.skipIf(numpy is None, "numpy is not importable")
    def test_numpy(self):
        q = numpy.zeros(32, dtype=numpy.float32)
        q[3] = 1.0
        want = [(h["id"], h["score"]) for h in self.db.search("issues", q.tolist(), k=4, method="exact")]
        for v in (q, q.astype(numpy.float64), numpy.repeat(q, 2)[::2], q.reshape(1, 32)[0]):
            got = self.db.search("issues", v, k=4, method="exact")
            self.assertEqual([(h["id"], h["score"]) for h in got], want)
        with self.assertRaises(ValueError):
            self.db.search("issues", q.reshape(2, 16))
        with self.assertRaises(TypeError):
            self.db.search("issues", q.astype(numpy.float16))
        # big-endian floats are not taken for native ones
        with self.assertRaises(TypeError):
            self.db.search("issues", q.astype(">f4"))

    def test_modes(self):
        self.assertEqual(len(self.db.search("issues", "token", k=1, mode="vector")), 1)
        for mode in ("keyword", "hybrid"):
            with self.assertRaises(remdb.InvalidInput) as cm:
                self.db.search("issues", "token", mode=mode)
            self.assertIn("no full-text index", str(cm.exception))
        with self.assertRaises(remdb.InvalidInput):
            self.db.search("issues", "token", mode="fuzzy")

    def test_keyword_hybrid(self):
        notes = dict(ISSUES, name="notes", key_field=None, fulltext={"fields": ["title"]})
        del notes["key_field"]
        self.db.register(notes)
        for n, t in enumerate(["token refresh fails", "login page slow", "refresh token expiry", "dark mode"]):
            self.db.insert("notes", {"key": f"N-{n}", "title": t, "status": "closed" if n == 2 else "open"})
        hits = self.db.search("notes", "refresh", mode="keyword", snippets=True)
        self.assertEqual({h["entity"]["title"] for h in hits}, {"token refresh fails", "refresh token expiry"})
        self.assertIn("[refresh]", hits[0]["snippets"]["title"])
        self.assertIn("keyword", hits.plan)
        hits = self.db.search("notes", "refresh", mode="keyword", where="status = 'open'")
        self.assertEqual([h["entity"]["title"] for h in hits], ["token refresh fails"])
        hits = self.db.search("notes", "login page", rrf_k=10)  # hybrid: the default with both indexes
        self.assertEqual(hits[0]["keyword_rank"], 1)
        self.assertIn("vector_rank", hits[0])
        self.assertAlmostEqual(hits[0]["score"], 1 / (10 + hits[0]["keyword_rank"]) + (1 / (10 + hits[0]["vector_rank"]) if hits[0]["vector_rank"] else 0))
        with self.assertRaises(remdb.InvalidInput) as cm:
            self.db.search("notes", '"open phrase', mode="keyword")
        self.assertIn("at position 1", str(cm.exception))


class TestGraphLookupIngest(Base):
    def test_edges_traverse_path(self):
        a, b, c = self.issue(1), self.issue(2), self.issue(3)
        self.db.edge_add(a, b, "blocks", {"why": "api"}, weight=2.0)
        self.db.edge_add(b, c, "blocks")
        out = self.db.edge_list(a)
        self.assertEqual(len(out), 1)
        self.assertEqual((out[0]["dst"], out[0]["type"], out[0]["weight"], out[0]["props"]),
                         (b, "blocks", 2.0, {"why": "api"}))
        self.assertEqual([e["src"] for e in self.db.edge_list(b, direction="in")], [a])
        self.assertEqual(len(self.db.edge_list(b, "both", type="blocks")), 2)
        t = self.db.traverse(a, depth=2)
        self.assertEqual({n["id"]: n["depth"] for n in t["nodes"]}, {a: 0, b: 1, c: 2})
        self.assertFalse(t["truncated"])
        self.assertEqual([n["id"] for n in self.db.traverse(a, 2, exact_depth=True)["nodes"]], [c])
        p = self.db.path(a, c)
        self.assertEqual(p["length"], 2)
        self.assertIsNone(self.db.path(c, a, direction="out")["length"])
        with self.assertRaises(ValueError):
            self.db.edge_list(a, direction="sideways")
        with self.assertRaises(remdb.NotFound):
            self.db.edge_add(a, "01a227ea-0000-7000-8000-000000000000", "blocks")
        self.db.edge_delete(a, b, "blocks")
        self.assertEqual(self.db.edge_list(a), [])
        with self.assertRaises(remdb.NotFound):
            self.db.edge_delete(a, b, "blocks")

    def test_lookup(self):
        i = self.issue(1234)
        m = self.db.lookup("T-1234")
        self.assertEqual((m[0]["match"], m[0]["entity"]["id"]), ("key", i))
        self.assertEqual(self.db.lookup("t1234")[0]["match"], "normalized")
        self.assertEqual(self.db.lookup("T-1243"), [])
        self.assertEqual(self.db.lookup("T-1243", fuzzy=True)[0]["match"], "fuzzy")
        self.assertEqual(len(self.db.lookup("T-1234", i)), 2)
        with self.assertRaises(TypeError):
            self.db.lookup()

    def test_ingest(self):
        md = os.path.join(self.dir, "doc.md")
        with open(md, "w") as f:
            f.write("# One\n\nfirst part\n\n# Two\n\nsecond part\n")
        out = self.db.ingest(md)
        uri = "file://" + os.path.realpath(md)
        self.assertEqual(out, {uri: 2})
        rows = self.db.sql("SELECT chunk_ordinal, content FROM resources WHERE uri = ? ORDER BY chunk_ordinal", [uri])
        self.assertEqual([r["chunk_ordinal"] for r in rows], [-1, 0, 1])
        jl = os.path.join(self.dir, "notes.jsonl")
        with open(jl, "w") as f:
            f.write('{"content": "a"}\n{"content": "b"}\n{"content": "c"}\n')
        self.assertEqual(list(self.db.ingest([jl]).values()), [3])
        self.assertEqual(self.db.ingest_text("mem://x", "hello world", name="x"), 1)
        with self.assertRaises(OSError):
            self.db.ingest(os.path.join(self.dir, "missing.md"))


class TestModelsWithoutPydantic(unittest.TestCase):
    def test_table_names(self):
        for cls, table in [("Resource", "resources"), ("Moment", "moments"), ("CodeFile", "code_files"),
                           ("Entity", "entities"), ("Box", "boxes"), ("HTTPRequest", "http_requests"),
                           ("Day", "days")]:
            self.assertEqual(remdb.table_name_for(cls), table)

    def test_not_a_table(self):
        with tempfile.TemporaryDirectory() as d, remdb.open(os.path.join(d, "db")) as db:
            with self.assertRaises(TypeError):
                db.count(42)
            with self.assertRaises(TypeError):
                db.register(42)


@unittest.skipIf(pydantic is None, "pydantic is not importable")
class TestPydantic(unittest.TestCase):
    """The reference design's models, with pydantic v2 (json_schema_extra)
    or v1 (Config.schema_extra), whichever is installed."""

    @classmethod
    def setUpClass(cls):
        from datetime import datetime
        from enum import Enum
        from typing import List, Optional

        v2 = not pydantic.VERSION.startswith("1.")

        class Status(str, Enum):
            open = "open"
            done = "done"

        class Owner(pydantic.BaseModel):
            handle: str
            team: Optional[str] = None

        extra = {
            "indexed_fields": ["category", "status"],
            "key_field": "name",
            "embedding_fields": ["content"],
            "embedding": {"dim": 32, "provider": "hash"},
            "fully_qualified_name": "tests.Resource",
            "category": "entity",
        }
        ns = {
            "__annotations__": {
                "id": Optional[str], "name": str, "content": str, "category": Optional[str],
                "status": Status, "tags": List[str], "owner": Optional[Owner], "due": Optional[datetime],
            },
            "id": None, "content": "", "category": None, "status": Status.open, "tags": [],
            "owner": None, "due": None,
        }
        if v2:
            ns["model_config"] = pydantic.ConfigDict(json_schema_extra=extra)
        else:
            ns["Config"] = type("Config", (), {"schema_extra": extra})
        cls.Resource = type("Resource", (pydantic.BaseModel,), dict(ns, __module__=__name__))
        named = dict(extra, name="code_notes")
        ns2 = dict(ns)
        if v2:
            ns2["model_config"] = pydantic.ConfigDict(json_schema_extra=named)
        else:
            ns2["Config"] = type("Config", (), {"schema_extra": named})
        cls.Named = type("Named", (pydantic.BaseModel,), dict(ns2, __module__=__name__))
        cls.Owner, cls.Status = Owner, Status
        strict_ns = {"__annotations__": {"id": Optional[str], "name": str}, "id": None,
                     "__module__": __name__}
        if v2:
            strict_ns["model_config"] = pydantic.ConfigDict(extra="forbid", json_schema_extra={"key_field": "name"})
        else:
            strict_ns["Config"] = type("Config", (), {"extra": "forbid", "schema_extra": {"key_field": "name"}})
        cls.Strict = type("Strict", (pydantic.BaseModel,), strict_ns)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = remdb.open(os.path.join(self.tmp.name, "db"), sync="none")

    def tearDown(self):
        self.db.close()
        self.tmp.cleanup()

    def test_schema(self):
        s = remdb.model_schema(self.Resource)
        self.assertEqual(s["name"], "resources")
        self.assertEqual(s["indexed_fields"], ["category", "status"])
        self.assertEqual(s["key_field"], "name")
        self.assertNotIn("$defs", s)
        self.assertNotIn("definitions", s)
        self.assertIn("null", s["properties"]["category"]["type"])
        self.assertEqual(remdb.model_schema(self.Named)["name"], "code_notes")
        self.assertEqual(self.db.register(self.Resource), "resources")
        stored = self.db.schema(self.Resource)
        self.assertEqual(stored["fully_qualified_name"], "tests.Resource")

    def test_round_trip(self):
        R = self.Resource
        self.db.register(R)
        r = R(name="auth.py", content="token refresh logic", category="code", tags=["py"],
              owner=self.Owner(handle="alice"))
        i = self.db.insert("resources", r)
        got = self.db.get(R, i)
        self.assertIsInstance(got, R)
        self.assertEqual(got.id, i)
        self.assertEqual((got.name, got.content, got.category, got.tags), ("auth.py", "token refresh logic", "code", ["py"]))
        self.assertEqual(got.owner, self.Owner(handle="alice"))
        self.assertIs(got.status, self.Status.open)
        self.assertIsNone(got.due)
        # the key field makes re-inserting the same name an upsert
        self.assertEqual(self.db.insert(R(name="auth.py", content="v2", status=self.Status.done)), i)
        self.assertEqual(self.db.count(R), 1)
        self.assertEqual(self.db.get(R, i).status, self.Status.done)
        self.assertEqual(self.db.insert(got), i)  # a model read back goes back in
        ids = self.db.insert_many(R, [R(name=f"f{n}.py", category="code") for n in range(5)])
        self.assertEqual(len(ids), 5)
        found = self.db.find(R, category="code")
        self.assertEqual(len(found), 6)
        self.assertTrue(all(isinstance(x, R) for x in found))
        hits = self.db.search(R, "token refresh", k=1)
        self.assertIsInstance(hits[0]["entity"], R)
        with self.db.batch() as b:
            b.insert(R(name="batch.py"))
        self.assertEqual(self.db.count(R), 7)
        self.assertIsInstance(next(self.db.scan(R)), R)
        with self.assertRaises(remdb.ValidationError):
            self.db.insert("resources", {"name": "x", "status": "nope"})

    def test_model_forbidding_extra_fields(self):
        """get() leaves out the system fields such a model does not declare."""
        self.assertEqual(self.db.register(self.Strict), "stricts")
        i = self.db.insert(self.Strict(name="a"))
        got = self.db.get(self.Strict, i)
        self.assertEqual((got.id, got.name), (i, "a"))
        self.assertEqual(self.db.insert(got), i)
        self.assertEqual(self.db.insert("stricts", self.db.get(i)), i)

    def test_named_table(self):
        self.assertEqual(self.db.register(self.Named), "code_notes")
        i = self.db.insert(self.Named(name="n"))
        self.assertEqual(self.db.get(self.Named, i).name, "n")
        self.assertEqual(self.db.get(i)["type"], "code_notes")

    def test_example(self):
        out = run_example("pydantic_models.py", os.path.join(self.tmp.name, "ex.db"))
        self.assertIn("table: notes", out)
        self.assertIn("get: Note milk errands", out)
        self.assertIn("count: 4 remember the oat milk", out)


class TestThreads(Base):
    def test_shared_handle(self):
        """Threads sharing one Database: calls run one at a time, nothing is
        lost or crashes (the handle's lock), while the GIL is released."""
        errors = []

        def work(t):
            try:
                for n in range(200):
                    i = self.db.insert("issues", {"key": f"X-{t}-{n}", "status": "open", "priority": 1 + n % 5})
                    if self.db.get(i)["key"] != f"X-{t}-{n}":
                        errors.append("wrong entity")
                    if n % 50 == 0:
                        self.db.sql("SELECT count(*) FROM issues WHERE priority = ?", [2])
                        list(self.db.execute("SELECT key FROM issues LIMIT 5"))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.db.count("issues"), 800)
        self.assertEqual(self.db.verify(), [])

    def test_handle_per_thread(self):
        errors = []

        def work(t):
            db = self.db.open_tenant(self.db.tenant)
            try:
                with db.batch() as b:
                    for n in range(100):
                        b.insert("issues", {"key": f"Y-{t}-{n}", "status": "open"})
                cur = db.execute("SELECT count(*) FROM issues WHERE key LIKE ?", [f"Y-{t}-%"])
                if cur.fetchone() != (100,):
                    errors.append("count")
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
            finally:
                db.close()

        ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.db.count("issues"), 400)

    def test_gil_released_while_remdb_waits(self):
        """A writer that waits inside remdb for the write lock (held here by
        an open batch) must not hold the GIL: if it did, this thread could
        never commit and the test would hang."""
        other = self.db.open_tenant(self.db.tenant)
        started = threading.Event()
        done = []

        def writer():
            started.set()
            done.append(other.insert("issues", {"key": "W-2", "status": "open"}))

        try:
            with self.db.batch() as b:
                b.insert("issues", {"key": "W-1", "status": "open"})  # takes the write lock
                t = threading.Thread(target=writer)
                t.start()
                started.wait()
                time.sleep(0.05)  # lets it reach the lock; the test holds either way
                for n in range(2, 50):  # Python work while it waits
                    b.insert("issues", {"key": f"W-1-{n}", "status": "open"})
            t.join()
        finally:
            other.close()
        self.assertEqual(len(done), 1)
        self.assertEqual(self.db.count("issues"), 50)

    def test_close_while_other_thread_works(self):
        other = self.db.open_tenant(self.db.tenant)
        stop = []

        def reader():
            try:
                while True:
                    other.count("issues")
            except remdb.Misuse:
                stop.append("closed")

        t = threading.Thread(target=reader)
        t.start()
        for n in range(20):
            self.issue(n)
        other.close()
        t.join()
        self.assertEqual(stop, ["closed"])


class TestLeaks(Base):
    def test_no_python_memory_growth(self):
        """10k inserts and gets (and some SQL, search and cursors): the Python
        heap must not grow with the iterations (a reference leak would keep
        every id string, dict or row).  RocksDB's own memory is not traced."""

        def loop(n0, count):
            for n in range(n0, n0 + count):
                i = self.db.insert("issues", {"key": f"L-{n}", "status": "open", "title": "leak check"})
                self.db.get("issues", i)
                if n % 100 == 0:
                    self.db.sql("SELECT key FROM issues WHERE key = ?", [f"L-{n}"])
                    self.db.search("issues", [0.5] * 32, k=3)
                    cur = self.db.execute("SELECT key FROM issues LIMIT 3")
                    cur.fetchall()
                    try:
                        self.db.get("00000000-0000-7000-8000-000000000000")
                    except remdb.NotFound:
                        pass

        loop(0, 500)  # warm up caches and interned strings
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            loop(500, 10000)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        # 10k leaked ids alone would be ~850 KB
        self.assertLess(after - before, 200_000, f"Python heap grew by {after - before} bytes")


def run_example(name, dbdir):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.path.dirname(os.path.dirname(remdb.__file__)),
                                                     env.get("PYTHONPATH")] if p)
    r = subprocess.run([sys.executable, "-X", "dev", os.path.join(ROOT, "examples", name), dbdir],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise AssertionError(f"{name} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


class TestExample(unittest.TestCase):
    def test_agent_memory(self):
        with tempfile.TemporaryDirectory() as d:
            out = run_example("agent_memory.py", os.path.join(d, "memory.db"))
        for line in ["people: 2", "ingested auth.md: 2 chunks", "alice reviews: ['bob']", "search: alice via exact",
                     "lookup: [True]", "sql: [{'handle': 'bob', 'team': 'search'}]",
                     "cursor: ['handle'] ['alice', 'bob']", "error 3: people.handle: required field is missing",
                     "verify: ok"]:
            self.assertIn(line, out)


if __name__ == "__main__":
    unittest.main()
