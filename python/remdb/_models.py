"""Pydantic models as remdb schemas (v1 ``.schema()`` and v2
``.model_json_schema()``), found by duck typing: pydantic is never imported
here, so the package works without it."""

from __future__ import annotations

import copy
import re
import weakref
from typing import Any, Dict, Optional, Tuple

# Top-level keys of a remdb schema that a model's json_schema_extra (v2) or
# Config.schema_extra (v1) may carry; they are merged into the generated
# schema by pydantic itself and passed on as they are.
REM_KEYS = (
    "name",
    "indexed_fields",
    "embedding_fields",
    "key_field",
    "category",
    "version",
    "description",
    "fully_qualified_name",
    "embedding",
)

# The system fields remdb keeps on every entity.
SYSTEM_FIELDS = ("id", "type", "created_at", "modified_at", "deleted_at")


def is_model_class(obj: Any) -> bool:
    """A pydantic model class, v2 or v1 (including pydantic.v1)."""
    if not isinstance(obj, type):
        return False
    if hasattr(obj, "model_json_schema") and hasattr(obj, "model_validate"):
        return True
    return hasattr(obj, "parse_obj") and hasattr(obj, "schema") and hasattr(obj, "__fields__")


def is_model(obj: Any) -> bool:
    """An instance of a pydantic model."""
    return not isinstance(obj, type) and is_model_class(type(obj))


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def table_name_for(cls_name: str) -> str:
    """The table of a model without an explicit ``name``: CamelCase to
    snake_case, pluralised (Resource -> resources, CodeFile -> code_files,
    Entity -> entities), as in the REM reference design."""
    return _plural(_snake(cls_name))


def _inline_refs(node: Any, defs: Dict[str, Any], seen: Tuple[str, ...]) -> Any:
    """Replace local ``$ref``s (#/$defs/X, #/definitions/X) by their
    definitions: remdb refuses ``$ref`` rather than enforcing it partly."""
    if isinstance(node, list):
        return [_inline_refs(x, defs, seen) for x in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        m = re.match(r"^#/(?:\$defs|definitions)/(.+)$", ref)
        if not m or m.group(1) not in defs:
            raise ValueError(f"schema: cannot resolve $ref {ref!r}")
        key = m.group(1)
        if key in seen:
            raise ValueError(f"schema: recursive model {key!r} cannot be a remdb schema")
        target = _inline_refs(copy.deepcopy(defs[key]), defs, seen + (key,))
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if rest:  # v1 wraps a $ref with title/description: keep them
            target = dict(target)
            for k, v in rest.items():
                target.setdefault(k, _inline_refs(v, defs, seen))
        return target
    return {k: _inline_refs(v, defs, seen) for k, v in node.items() if k not in ("$defs", "definitions")}


def _simplify(node: Any) -> Any:
    """``anyOf: [{type: T, ...}, {type: null}]`` (pydantic's Optional[T])
    becomes ``type: [T, "null"]``, which remdb also types as a SQL column."""
    if isinstance(node, list):
        return [_simplify(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _simplify(v) for k, v in node.items()}
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        # pydantic wraps a referenced model or enum this way to add a title
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for k, v in all_of[0].items():
            merged.setdefault(k, v)
        node = merged
    any_of = node.get("anyOf")
    if isinstance(any_of, list) and len(any_of) == 2 and {"type": "null"} in any_of:
        other = any_of[0] if any_of[1] == {"type": "null"} else any_of[1]
        if isinstance(other, dict) and isinstance(other.get("type"), str) and not (
            {"enum", "const", "anyOf"} & other.keys()
        ):
            merged = {k: v for k, v in node.items() if k != "anyOf"}
            for k, v in other.items():
                merged.setdefault(k, v)
            merged["type"] = [other["type"], "null"]
            return merged
    return node


def _v1_nullable(cls: type, raw: Dict[str, Any]) -> Dict[str, Any]:
    """pydantic v1 leaves None out of an Optional field's schema (v2 says
    anyOf [T, null]): add it, so that the None such a field may hold is
    stored as null, as with v2."""
    props = raw.get("properties", {})
    for f in getattr(cls, "__fields__", {}).values():
        p = props.get(getattr(f, "alias", None) or getattr(f, "name", ""))
        if not getattr(f, "allow_none", False) or not isinstance(p, dict):
            continue
        t = p.get("type")
        if isinstance(t, str):
            p["type"] = [t, "null"]
        elif isinstance(t, list):
            if "null" not in t:
                t.append("null")
        elif "$ref" in p or "anyOf" in p or "allOf" in p:
            props[f.alias] = {"anyOf": [p, {"type": "null"}]}
    return raw


def _v1_models(cls: type, acc: Dict[str, type]) -> None:
    """The v1 model classes that cls's fields use, by name (as pydantic v1
    names them under "definitions")."""
    for f in getattr(cls, "__fields__", {}).values():
        stack = [f]
        while stack:
            g = stack.pop()
            t = getattr(g, "type_", None)
            if is_model_class(t) and not hasattr(t, "model_json_schema") and t.__name__ not in acc:
                acc[t.__name__] = t
                _v1_models(t, acc)
            stack.extend(getattr(g, "sub_fields", None) or [])


def model_schema(cls: type) -> Dict[str, Any]:
    """The remdb schema (a JSON Schema dict with REM keys) of a model class."""
    if hasattr(cls, "model_json_schema"):
        raw = cls.model_json_schema()
    else:
        raw = _v1_nullable(cls, cls.schema())
        subs: Dict[str, type] = {}
        _v1_models(cls, subs)
        for key, sub in subs.items():
            d = raw.get("definitions", {}).get(key)
            if isinstance(d, dict):
                _v1_nullable(sub, d)
    defs = dict(raw.get("$defs", {}))
    defs.update(raw.get("definitions", {}))
    s = _simplify(_inline_refs(raw, defs, ()))
    # A model may declare the system fields (id, created_at, ...) so that
    # get() fills them in; remdb keeps those on every entity itself and
    # refuses a schema property of the same name, so leave them out.
    props = s.get("properties")
    if isinstance(props, dict):
        for f in SYSTEM_FIELDS:
            props.pop(f, None)
    req = s.get("required")
    if isinstance(req, list):
        s["required"] = [r for r in req if r not in SYSTEM_FIELDS]
        if not s["required"]:
            del s["required"]
    name = s.get("name") or s.pop("table_name", None) or table_name_for(cls.__name__)
    s.pop("table_name", None)
    s["name"] = name
    return s


_cache: "weakref.WeakKeyDictionary[type, str]" = weakref.WeakKeyDictionary()


def model_table(cls: type) -> str:
    """The table a model class maps to (cached)."""
    try:
        return _cache[cls]
    except (KeyError, TypeError):
        pass
    name = model_schema(cls)["name"]
    try:
        _cache[cls] = name
    except TypeError:
        pass
    return name


def dump(obj: Any) -> Dict[str, Any]:
    """A model instance as a JSON-ready dict (system fields that are None,
    such as an unset id, are left out so remdb assigns them)."""
    if hasattr(obj, "model_dump"):
        d = obj.model_dump(mode="json", by_alias=True)
    else:
        import json

        d = json.loads(obj.json(by_alias=True))
    for f in SYSTEM_FIELDS:
        if f in d and d[f] is None:
            del d[f]
    return d


def _forbids_extra(cls: type) -> bool:
    cfg = getattr(cls, "model_config", None)
    if isinstance(cfg, dict):  # v2
        return cfg.get("extra") == "forbid"
    extra = getattr(getattr(cls, "__config__", None), "extra", None)  # v1
    return getattr(extra, "value", extra) == "forbid"


def _declared(cls: type) -> set:
    names = set()
    fields = getattr(cls, "model_fields", None)
    if not isinstance(fields, dict):
        fields = getattr(cls, "__fields__", {})
    for name, f in fields.items():
        names.add(name)
        alias = getattr(f, "alias", None)
        if alias:
            names.add(alias)
    return names


def load(cls: type, data: Dict[str, Any]) -> Any:
    """A model instance from an entity dict.  A model that forbids extra
    fields does not get the system fields it does not declare."""
    if _forbids_extra(cls):
        keep = _declared(cls)
        data = {k: v for k, v in data.items() if k in keep or k not in SYSTEM_FIELDS}
    if hasattr(cls, "model_validate"):
        return cls.model_validate(data)
    return cls.parse_obj(data)


def resolve(table: Any) -> Tuple[str, Optional[type]]:
    """(table name, model class or None) from a name or a model class."""
    if isinstance(table, str):
        return table, None
    if is_model_class(table):
        return model_table(table), table
    raise TypeError(f"table must be a str or a pydantic model class, not {type(table).__name__}")
