"""remdb: an embedded database for AI-agent memory (REM: Resources,
Entities, Moments), from Python.

    import remdb

    with remdb.open("/tmp/app.db", sync="none") as db:
        db.init()                                   # built-in tables
        db.register({"name": "notes", "properties": {"text": {"type": "string"}},
                     "embedding_fields": ["text"],
                     "embedding": {"dim": 64, "provider": "hash"}})
        nid = db.insert("notes", {"text": "remember the milk"})
        db.get("notes", nid)                        # -> dict
        db.sql("SELECT text FROM notes WHERE text LIKE ?", ["%milk%"])
        db.search("notes", "milk", k=3)             # -> [{id, score, entity}]

The work is done by the C library (``remdb._remdb`` over ``remdb.h``); this
module encodes and decodes JSON and maps Pydantic models to schemas.

Threads: a ``Database`` may be shared by threads; its calls then run one at a
time (each handle has a lock, and the GIL is released while remdb works).
For calls that run in parallel, give each thread its own handle with
``db.open_tenant(db.tenant)`` (it shares the storage).  A ``Batch`` belongs
to the thread that began it.
"""

from __future__ import annotations

import builtins as _builtins
import datetime as _dt
import decimal as _decimal
import enum as _enum
import json as _json
import os as _os
import uuid as _uuid
from collections.abc import Iterable, Mapping
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from . import _models
from ._remdb import (
    VERSION,
    Busy,
    Corrupt,
    Cursor,
    Error,
    Exists,
    Handle as _Handle,
    InvalidInput,
    Misuse,
    NoMemory,
    NotFound,
    StorageError,
    TooBig,
    ValidationError,
    errstr,
)

__all__ = [
    "open",
    "Database",
    "Batch",
    "Cursor",
    "SearchResults",
    "Error",
    "InvalidInput",
    "ValidationError",
    "NotFound",
    "Exists",
    "TooBig",
    "NoMemory",
    "StorageError",
    "Corrupt",
    "Busy",
    "Misuse",
    "errstr",
    "table_name_for",
    "model_schema",
]

__version__ = VERSION

# DB-API 2.0 module globals (the cursor follows its style)
apilevel = "2.0"
threadsafety = 2  # threads may share the module and databases
paramstyle = "qmark"

# remdb's result codes (remdb.h)
OK, ERROR, INVALID, SCHEMA, NOTFOUND, EXISTS, TOOBIG, NOMEM, IO, CORRUPT, BUSY, MISUSE = range(12)

SEARCH_MODES = {None: 0, "keyword": 1, "vector": 2, "hybrid": 3}  # remdb_search_mode

table_name_for = _models.table_name_for
model_schema = _models.model_schema


def _default(o: Any) -> Any:
    if isinstance(o, (_dt.datetime, _dt.date, _dt.time)):
        return o.isoformat()
    if isinstance(o, _uuid.UUID):
        return str(o)
    if isinstance(o, _enum.Enum):
        return o.value
    if isinstance(o, _decimal.Decimal):
        return float(o)
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if _models.is_model(o):
        return _models.dump(o)
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


_dumps = _json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
).encode
_loads = _json.loads


def _error(cls: type, code: int, message: str) -> Error:
    e = cls(message)
    e.code = code
    e.message = message
    return e


def _entity_json(obj: Any) -> str:
    """An entity (dict, model instance, or JSON text) as JSON text."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).decode("utf-8")
    if isinstance(obj, Mapping):
        return _dumps(obj if isinstance(obj, dict) else dict(obj))
    if _models.is_model(obj):
        return _dumps(_models.dump(obj))
    raise TypeError(f"an entity must be a dict, a pydantic model or JSON text, not {type(obj).__name__}")


def _id_of(x: Any) -> str:
    """An id given as a str, an entity dict or a model with an id."""
    if isinstance(x, str):
        return x
    if isinstance(x, _uuid.UUID):
        return str(x)
    if isinstance(x, Mapping) and "id" in x:
        return str(x["id"])
    v = getattr(x, "id", None)
    if v is not None:
        return str(v)
    raise TypeError(f"expected an id (str), got {type(x).__name__}")


def _table_for(table: Any, obj: Any) -> Any:
    """insert(model_instance) names its table through its class."""
    if obj is None and _models.is_model(table):
        return type(table), table
    if obj is None:
        raise TypeError("insert() needs a table and an entity")
    return table, obj


class SearchResults(List[Dict[str, Any]]):
    """The hits of a search, best first: dicts with ``id``, ``score`` and
    ``entity`` (a model instance when searched by model).  ``plan`` tells
    the route taken, e.g. ``"exact over 120 filtered rows"``."""

    plan: Optional[str] = None


class Batch:
    """Inserts staged and committed at once (``db.batch()``).

    As a context manager it commits on success and discards everything
    uncommitted on an exception.  From its first insert to its commit a
    batch holds remdb's write lock (other writers wait) and its
    ``Database`` (other threads' calls on it wait): keep that short.  Only
    the thread that began it may use it.
    """

    __slots__ = ("_b",)

    def __init__(self, db: "Database") -> None:
        self._b = db._batch()

    def insert(self, table: Any, obj: Any = None) -> str:
        """Validate and stage one entity; returns its id."""
        table, obj = _table_for(table, obj)
        name, _ = _models.resolve(table)
        return self._b.insert(name, _entity_json(obj))

    def commit(self, sync: Optional[bool] = None) -> int:
        """Commit what is staged (atomically); returns how many entities.
        ``sync`` overrides the database's durability for this commit."""
        return self._b.commit(sync)

    def rollback(self) -> None:
        """Discard what is staged and close the batch."""
        self._b.close()

    close = rollback

    @property
    def closed(self) -> bool:
        return self._b.closed

    @property
    def committed(self) -> int:
        """Entities committed by this batch so far."""
        return self._b.committed

    def __len__(self) -> int:
        return len(self._b)

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and not self._b.closed:
                self._b.commit(None)
        finally:
            self._b.close()


class Database(_Handle):
    """An open remdb database for one tenant.  Use ``remdb.open()``.

    Tables may be named by str or by a Pydantic model class; entities are
    given as dicts, model instances or JSON text, and read back as dicts, or
    as model instances when the table was named by its model.
    """

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"tenant={self.tenant!r}"
        return f"<remdb.Database {self.directory!r} {state}>"

    # ---- schemas ---------------------------------------------------------

    def register(self, schema: Any, *, name: Optional[str] = None) -> str:
        """Register or replace a table from a JSON-Schema dict (with the REM
        keys indexed_fields, key_field, embedding_fields, embedding, ...), a
        Pydantic model class, or JSON text.  Returns the table name."""
        if _models.is_model_class(schema):
            doc = _models.model_schema(schema)
        elif isinstance(schema, Mapping):
            doc = dict(schema)
        elif isinstance(schema, str):
            doc = _loads(schema)
        else:
            raise TypeError(f"schema must be a dict, a pydantic model class or JSON text, not {type(schema).__name__}")
        if name is not None:
            doc["name"] = name
        if not isinstance(doc.get("name"), str):
            raise _error(InvalidInput, INVALID, 'schema: "name" (the table) is missing')
        self._schema_put(_dumps(doc))
        return doc["name"]

    def schemas(self) -> List[str]:
        """The names of the tenant's tables, sorted."""
        return _loads(self._schema_list())

    def schema(self, table: Any) -> Dict[str, Any]:
        """The stored schema of a table."""
        return _loads(self._schema_get(_models.resolve(table)[0]))

    # ---- entities --------------------------------------------------------

    def insert(self, table: Any, obj: Any = None) -> str:
        """Insert (or, when its id exists, replace) one entity; returns its
        id.  ``insert(model_instance)`` uses the model's table."""
        if type(table) is str and type(obj) is dict:  # the common case, fast
            return self._insert(table, _dumps(obj))
        table, obj = _table_for(table, obj)
        return self._insert(_models.resolve(table)[0], _entity_json(obj))

    def insert_many(self, table: Any, rows: Iterable[Any], batch: Optional[int] = 1000) -> List[str]:
        """Insert many entities through batches of ``batch`` rows, each
        committed atomically (``batch=None``: all rows in one commit).  On a
        bad row nothing of its batch is written, earlier batches stay, and
        the error says which row (0-based).  Returns the ids in order."""
        name, _ = _models.resolve(table)
        if batch is not None and batch < 1:
            raise ValueError("batch must be at least 1, or None")
        ids: List[str] = []
        b = self._batch()
        try:
            for i, row in enumerate(rows):
                try:
                    ids.append(b.insert(name, _entity_json(row)))
                except Error as e:
                    raise _error(type(e), getattr(e, "code", ERROR), f"row {i}: {e}") from None
                if batch is not None and len(b) >= batch:
                    b.commit(None)
            b.commit(None)
        finally:
            b.close()
        return ids

    def validate(self, table: Any, obj: Any) -> None:
        """Check that insert(table, obj) would succeed now, writing nothing."""
        self._validate(_models.resolve(table)[0], _entity_json(obj))

    def get(self, table: Any, id: Any = None, *, include_deleted: bool = False) -> Any:
        """The entity ``id`` as a dict, or as an instance of the model given
        as ``table``.  ``get(id)`` reads it from any table.  Raises NotFound."""
        if type(table) is str and type(id) is str:  # the common case, fast
            return _loads(self._get(id, table, include_deleted))
        if id is None:
            table, id = None, table
        model = None
        name = None
        if table is not None:
            name, model = _models.resolve(table)
        d = _loads(self._get(_id_of(id), name, include_deleted))
        return _models.load(model, d) if model is not None else d

    def update(self, id: Any, patch: Any) -> None:
        """Merge-patch (RFC 7386) the entity; null removes a field."""
        self._update(_id_of(id), _entity_json(patch))

    def delete(self, id: Any, hard: bool = False) -> None:  # type: ignore[override]
        """Soft delete (sets deleted_at), or remove it with ``hard=True``."""
        _Handle.delete(self, _id_of(id), hard)

    def count(self, table: Any, *, include_deleted: bool = False) -> int:
        """The number of entities of a table."""
        return self._count(_models.resolve(table)[0], include_deleted)

    def find(self, table: Any, /, *, include_deleted: bool = False, **equals: Any) -> List[Any]:
        """Entities whose fields equal the given values, e.g.
        ``find("issues", status="open")``, served by the secondary index of
        the first indexed field named (further fields are checked on the
        results).  Without fields: every entity of the table."""
        name, model = _models.resolve(table)
        if not equals:
            return list(self.scan(table, include_deleted=include_deleted))
        rows = None
        first_err: Optional[Error] = None
        used = None
        for field, value in equals.items():
            try:
                rows = _loads(self._find(name, field, _dumps(value), include_deleted))
                used = field
                break
            except InvalidInput as e:
                if "not an indexed field" not in str(e):
                    raise
                first_err = first_err or e
        if rows is None:
            assert first_err is not None
            raise first_err
        rest = [(f, _loads(_dumps(v))) for f, v in equals.items() if f != used]
        out = [r for r in rows if all(r.get(f) == v for f, v in rest)]
        return [_models.load(model, r) for r in out] if model is not None else out

    def scan(self, table: Any, *, include_deleted: bool = False) -> Iterator[Any]:
        """Every entity of a table in id order, from one snapshot."""
        name, model = _models.resolve(table)
        for text in self._scan(name, include_deleted):
            d = _loads(text)
            yield _models.load(model, d) if model is not None else d

    def batch(self) -> Batch:
        """``with db.batch() as b: b.insert(...)`` commits at the end, or
        discards everything on an exception."""
        return Batch(self)

    # ---- search, lookup ----------------------------------------------------

    def search(
        self,
        table: Any,
        query: Any,
        k: int = 10,
        where: Optional[str] = None,
        mode: Optional[str] = None,
        *,
        min_score: Optional[float] = None,
        method: str = "auto",
        ef_search: Optional[int] = None,
        snippets: bool = False,
        rrf_k: float = 60.0,
    ) -> SearchResults:
        """The k entities most similar to ``query``: text (embedded by the
        table's provider) or a vector (a list of numbers, or a float32
        buffer such as a NumPy array, used without a copy; float64 is
        converted).  ``where`` is a SQL predicate applied inside the search
        (never pass it untrusted text).  ``method``: "auto", "exact" or
        "hnsw".  ``mode``: None (hybrid when the table has both a full-text
        index and an embedding, else the one it has), "vector", "keyword"
        (BM25 over the full-text index: terms, "phrases", prefix*,
        -excluded, AND/OR) or "hybrid" (both lists fused by reciprocal
        rank, ``rrf_k``; each hit also has keyword_rank and vector_rank).
        ``snippets``: keyword and hybrid hits get the best matching
        fragment of each text field, matches in [brackets]."""
        if mode not in SEARCH_MODES:
            raise _error(InvalidInput, INVALID, f"search mode must be None, 'vector', 'keyword' or 'hybrid', not {mode!r}")
        methods = {"auto": 0, "exact": 1, "hnsw": 2}
        if method not in methods:
            raise ValueError(f"method must be 'auto', 'exact' or 'hnsw', not {method!r}")
        name, model = _models.resolve(table)
        hits, plan = self._search(name, query, k, min_score, where, ef_search or 0, methods[method], SEARCH_MODES[mode], bool(snippets), float(rrf_k))
        res = SearchResults(_loads(hits))
        if model is not None:
            for h in res:
                h["entity"] = _models.load(model, h["entity"])
        res.plan = plan
        return res

    def lookup(self, *keys: str, fuzzy: bool = False) -> List[Dict[str, Any]]:
        """Entities of any table by key (id, key_field value or name,
        normalised, and with ``fuzzy`` near misses): a list of
        ``{key, match, distance, entity}``."""
        if not keys:
            raise TypeError("lookup() needs at least one key")
        return _loads(self._lookup(list(keys), fuzzy))

    # ---- graph -------------------------------------------------------------

    def edge_add(self, src: Any, dst: Any, type: str, props: Optional[Mapping[str, Any]] = None, weight: float = 1.0) -> None:
        """Add or replace the edge src -type-> dst (ids, or entities)."""
        self._edge_put(_id_of(src), _id_of(dst), type, None if props is None else _dumps(dict(props)), float(weight))

    def edge_delete(self, src: Any, dst: Any, type: str) -> None:  # type: ignore[override]
        """Remove the edge src -type-> dst; NotFound if there is none."""
        _Handle.edge_delete(self, _id_of(src), _id_of(dst), type)

    def edge_list(self, id: Any, direction: str = "out", type: Optional[str] = None) -> List[Dict[str, Any]]:
        """The visible edges of an entity: {src, dst, type, weight, created_at, props}."""
        return _loads(self._edges(_id_of(id), direction, type))

    edges = edge_list

    def traverse(
        self,
        id: Any,
        depth: int = 2,
        direction: str = "out",
        type: Optional[str] = None,
        *,
        max_nodes: int = 0,
        exact_depth: bool = False,
    ) -> Dict[str, Any]:
        """Breadth-first from ``id``: ``{"nodes": [{id, depth, entity, path}], "truncated": bool}``."""
        return _loads(self._traverse(_id_of(id), depth, direction, type, max_nodes, exact_depth))

    def path(self, a: Any, b: Any, *, max_depth: int = 6, direction: str = "both", type: Optional[str] = None) -> Dict[str, Any]:
        """A path with the fewest hops: ``{"length": n, "path": [edges]}``
        (both None when there is none)."""
        return _loads(self._shortest_path(_id_of(a), _id_of(b), max_depth, direction, type))

    # ---- documents ---------------------------------------------------------

    def ingest(
        self,
        paths: Union[str, "_os.PathLike[str]", Iterable[Union[str, "_os.PathLike[str]"]]],
        *,
        table: Optional[str] = None,
        chunk_size: Optional[int] = None,
        overlap: Optional[int] = None,
    ) -> Dict[str, int]:
        """Ingest files as ``remdb ingest`` does: text and markdown are
        chunked by headings and paragraphs, ``.jsonl`` files give a chunk a
        line; each file's uri is ``file://`` + its absolute path, and each
        commits atomically.  Returns {uri: chunks}."""
        if isinstance(paths, (str, bytes, _os.PathLike)):
            paths = [paths]
        out: Dict[str, int] = {}
        for p in paths:
            p = _os.fsdecode(p)
            with _builtins.open(p, "rb") as f:
                data = f.read()
            uri = "file://" + _os.path.realpath(p)
            out[uri] = self.ingest_text(
                uri, data, name=_os.path.basename(p), table=table,
                jsonl=p.endswith(".jsonl"), chunk_size=chunk_size, overlap=overlap,
            )
        return out

    def ingest_text(
        self,
        uri: str,
        text: Union[str, bytes],
        *,
        name: Optional[str] = None,
        table: Optional[str] = None,
        jsonl: bool = False,
        chunk_size: Optional[int] = None,
        overlap: Optional[int] = None,
    ) -> int:
        """Ingest one document given as text; returns its number of chunks."""
        return self._ingest(table, uri, name, text, chunk_size, overlap, jsonl)

    # ---- maintenance -------------------------------------------------------

    def verify(self) -> List[str]:
        """Check entities against index entries and id directory; returns the
        problems found (an empty list when all agree)."""
        _, problems = self._verify()
        return problems

    def stats(self) -> Dict[str, Any]:
        """Counts and sizes of every structure."""
        return _loads(self._stats())





def open(path: Union[str, "_os.PathLike[str]"], tenant: str = "default", **options: Any) -> Database:  # noqa: A001
    """Open (creating it if needed) the database directory ``path`` for
    ``tenant``.  Options (remdb_options): create_if_missing, read_only,
    sync ("full" | "group" | "none"), cache_bytes, vector_cache_bytes,
    write_buffer_bytes, max_value_bytes, max_entity_bytes, max_depth,
    max_sql_bytes, max_result_rows.  Use it as a context manager, or call
    ``close()``."""
    return Database(path, tenant, **options)
