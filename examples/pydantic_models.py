"""pydantic_models.py: Pydantic models as remdb tables, as in the REM
reference design (pydantic v2; v1's `class Config: schema_extra = {...}`
works the same).  Run by make test where pydantic is importable.
Usage: python3 pydantic_models.py [DIR]"""

import os
import sys
import tempfile
from typing import List, Optional

import pydantic
from pydantic import BaseModel

import remdb

V2 = not pydantic.VERSION.startswith("1.")

EXTRA = {
    "indexed_fields": ["category"],
    "key_field": "name",
    "embedding_fields": ["content"],
    "embedding": {"dim": 64, "provider": "hash"},
    "fully_qualified_name": "example.models.Note",
}

if V2:
    class Note(BaseModel):
        model_config = pydantic.ConfigDict(json_schema_extra=EXTRA)

        id: Optional[str] = None
        name: str
        content: str
        category: Optional[str] = None
        tags: List[str] = []
else:
    class Note(BaseModel):  # type: ignore[no-redef]
        class Config:
            schema_extra = EXTRA

        id: Optional[str] = None
        name: str
        content: str
        category: Optional[str] = None
        tags: List[str] = []

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.mkdtemp(), "models.db")
with remdb.open(path, sync="none") as db:
    table = db.register(Note)  # the table is "notes": Note, snake_case, plural
    print("table:", table)
    nid = db.insert(Note(name="milk", content="remember the milk", category="errands"))
    db.insert_many(Note, [Note(name=f"n{i}", content=f"note {i}", category="misc") for i in range(3)])
    note = db.get(Note, nid)  # a Note instance
    print("get:", type(note).__name__, note.name, note.category)
    print("find:", sorted(n.name for n in db.find(Note, category="misc")))
    print("search:", db.search(Note, "milk", k=1)[0]["entity"].name)
    db.insert(Note(name="milk", content="remember the oat milk"))  # same key: an upsert
    print("count:", db.count(Note), db.get(Note, nid).content)
