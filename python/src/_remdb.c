/*
** _remdb.c: the CPython extension module remdb._remdb, a thin layer over
** include/remdb.h.  The C API stays the one source of behaviour: this file
** converts arguments, releases the GIL around every call that touches
** storage, turns result codes into exceptions carrying remdb's message and
** code, and keeps the C API's thread and lifetime rules for Python users.
** JSON (entities, schemas, results) crosses as text; the Python package
** (remdb/__init__.py) encodes and decodes it and adds Pydantic models.
**
** Threads.  remdb.h allows a handle to be used by one thread at a time.
** Every Handle carries a lock, taken around each call on the handle and by
** the objects that belong to it (cursors, batches, iterators), so a Handle
** may be shared by threads: their calls run one at a time.  For calls that
** run in parallel, give each thread its own Handle (Handle.open_tenant(),
** which shares the storage).  The lock is re-entrant for its thread and is
** only ever waited for with the GIL released; remdb calls run with the GIL
** released while the lock is held.
**
** A batch holds the handle's lock from its first insert to its commit (or
** close), as it may hold the database's write lock, which in remdb belongs
** to a thread: so a Batch may only be used by the thread that began it,
** which this module enforces.  (Without that hold, another thread could
** take the handle's lock and wait inside remdb for the write lock, while
** the batch's thread waits for the handle's lock.)
**
** Lifetimes.  remdb.h requires statements, batches and iterators to be
** freed before their handle is closed.  Each such object keeps a reference
** to its Handle and sits on the handle's list of children; Handle.close()
** frees every child first, and a child used after that raises Misuse.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remdb.h"

/* ---- exceptions ------------------------------------------------------- */

static PyObject *Error, *InvalidInput, *ValidationError, *NotFound, *Exists,
    *TooBig, *NoMemory, *StorageError, *Corrupt, *Busy, *Misuse;

static PyObject *exc_for(int rc) {
  switch (rc) {
  case REMDB_INVALID: return InvalidInput;
  case REMDB_SCHEMA: return ValidationError;
  case REMDB_NOTFOUND: return NotFound;
  case REMDB_EXISTS: return Exists;
  case REMDB_TOOBIG: return TooBig;
  case REMDB_NOMEM: return NoMemory;
  case REMDB_IO: return StorageError;
  case REMDB_CORRUPT: return Corrupt;
  case REMDB_BUSY: return Busy;
  case REMDB_MISUSE: return Misuse;
  default: return Error;
  }
}

/* Raise the exception class of rc with message msg; e.code = rc. */
static PyObject *raise_rc(int rc, const char *msg) {
  PyObject *cls = exc_for(rc);
  if (msg == NULL || msg[0] == 0 || strcmp(msg, "not an error") == 0)
    msg = remdb_errstr(rc);
  PyObject *m = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
  if (m == NULL) return NULL;
  PyObject *e = PyObject_CallFunctionObjArgs(cls, m, NULL);
  if (e != NULL) {
    PyObject *code = PyLong_FromLong(rc);
    if (code == NULL || PyObject_SetAttrString(e, "code", code) < 0 ||
        PyObject_SetAttrString(e, "message", m) < 0) {
      Py_XDECREF(code);
      Py_DECREF(e);
      Py_DECREF(m);
      return NULL;
    }
    Py_DECREF(code);
    PyErr_SetObject(cls, e);
    Py_DECREF(e);
  }
  Py_DECREF(m);
  return NULL;
}

/* ---- handles ------------------------------------------------------------ */

typedef struct child child;
struct child {
  child *prev, *next;
  void (*release)(child *); /* free the C object; the handle is held */
};

typedef struct {
  PyObject_HEAD
  remdb *db;
  PyThread_type_lock lock;
  unsigned long owner; /* thread holding lock (valid while depth > 0) */
  int depth;           /* re-entrant holds by owner */
  child kids;          /* sentinel of the children list */
  PyObject *path;      /* str, the database directory */
  PyObject *weakrefs;
} Handle;

static PyTypeObject HandleType, CursorType, BatchType, IterType;

#define KID_OF(type, p) ((type *)((char *)(p) - offsetof(type, link)))

static void kid_add(Handle *h, child *c) {
  c->next = h->kids.next;
  c->prev = &h->kids;
  h->kids.next->prev = c;
  h->kids.next = c;
}

static void kid_remove(child *c) {
  if (c->next == NULL) return;
  c->prev->next = c->next;
  c->next->prev = c->prev;
  c->next = c->prev = NULL;
}

/* Take h's lock; re-entrant for the thread that holds it.  Waits, when
** it must, with the GIL released.  Called with the GIL. */
static void hold_any(Handle *h) {
  unsigned long me = PyThread_get_thread_ident();
  if (h->depth > 0 && h->owner == me) {
    h->depth++;
    return;
  }
  if (!PyThread_acquire_lock(h->lock, NOWAIT_LOCK)) {
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(h->lock, WAIT_LOCK);
    Py_END_ALLOW_THREADS
  }
  h->owner = me;
  h->depth = 1;
}

static void unhold(Handle *h) {
  if (--h->depth == 0) {
    h->owner = 0;
    PyThread_release_lock(h->lock);
  }
}

static PyObject *raise_closed(void) {
  return raise_rc(REMDB_MISUSE, "the database is closed");
}

/* hold_any(), then fail with Misuse if the handle is closed. */
static int hold(Handle *h) {
  hold_any(h);
  if (h->db == NULL) {
    unhold(h);
    raise_closed();
    return -1;
  }
  return 0;
}

/* Raise the error of the last call on h (h held). */
static PyObject *fail(Handle *h, int rc) {
  return raise_rc(rc, h->db ? remdb_errmsg(h->db) : NULL);
}

/* Run expr with the GIL released. */
#define NOGIL(expr)                                                          \
  do {                                                                       \
    Py_BEGIN_ALLOW_THREADS expr;                                             \
    Py_END_ALLOW_THREADS                                                     \
  } while (0)

/* Free every child, then the handle (h held). */
static void handle_close_held(Handle *h) {
  while (h->kids.next != &h->kids) {
    child *c = h->kids.next;
    kid_remove(c);
    c->release(c);
  }
  remdb *db = h->db;
  h->db = NULL;
  if (db) NOGIL(remdb_close(db));
}

static PyObject *Handle_new(PyTypeObject *type, PyObject *args,
                            PyObject *kw) {
  (void)args;
  (void)kw;
  Handle *h = (Handle *)type->tp_alloc(type, 0);
  if (h == NULL) return NULL;
  h->kids.next = h->kids.prev = &h->kids;
  h->lock = PyThread_allocate_lock();
  if (h->lock == NULL) {
    Py_DECREF(h);
    return PyErr_NoMemory();
  }
  return (PyObject *)h;
}

static void Handle_dealloc(Handle *h) {
  if (h->weakrefs) PyObject_ClearWeakRefs((PyObject *)h);
  if (h->lock) {
    /* children keep the handle alive, so none is left here */
    hold_any(h);
    handle_close_held(h);
    unhold(h);
    PyThread_free_lock(h->lock);
  }
  Py_XDECREF(h->path);
  Py_TYPE(h)->tp_free((PyObject *)h);
}

/* size_t option: None keeps the default */
static int opt_size(PyObject *v, const char *name, size_t *out) {
  if (v == NULL || v == Py_None) return 0;
  if (!PyLong_Check(v) || PyBool_Check(v)) {
    PyErr_Format(PyExc_TypeError, "option %s: expected an int, got %s", name,
                 Py_TYPE(v)->tp_name);
    return -1;
  }
  unsigned long long n = PyLong_AsUnsignedLongLong(v);
  if (n == (unsigned long long)-1 && PyErr_Occurred()) {
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError,
                 "option %s: expected a non-negative int that fits 64 bits",
                 name);
    return -1;
  }
  *out = (size_t)n;
  return 0;
}

static int opt_bool(PyObject *v, int *out) {
  if (v == NULL || v == Py_None) return 0;
  int b = PyObject_IsTrue(v);
  if (b < 0) return -1;
  *out = b;
  return 0;
}

static int Handle_init(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"path",
                           "tenant",
                           "create_if_missing",
                           "read_only",
                           "sync",
                           "cache_bytes",
                           "vector_cache_bytes",
                           "write_buffer_bytes",
                           "max_value_bytes",
                           "max_entity_bytes",
                           "max_depth",
                           "max_sql_bytes",
                           "max_result_rows",
                           NULL};
  PyObject *path = NULL;
  const char *tenant = "default";
  PyObject *create = NULL, *ro = NULL, *sync = NULL, *cache = NULL,
           *vcache = NULL, *wbuf = NULL, *maxval = NULL, *maxent = NULL,
           *maxdepth = NULL, *maxsql = NULL, *maxrows = NULL;
  if (!PyArg_ParseTupleAndKeywords(
          args, kw, "O&|s$OOOOOOOOOOO:open", kwlist, PyUnicode_FSConverter,
          &path, &tenant, &create, &ro, &sync, &cache, &vcache, &wbuf, &maxval,
          &maxent, &maxdepth, &maxsql, &maxrows))
    return -1;
  remdb_options o;
  remdb_options_init(&o);
  size_t depth = (size_t)o.max_depth, rows = (size_t)o.max_result_rows;
  int bad = opt_bool(create, &o.create_if_missing) ||
            opt_bool(ro, &o.read_only) ||
            opt_size(cache, "cache_bytes", &o.cache_bytes) ||
            opt_size(vcache, "vector_cache_bytes", &o.vector_cache_bytes) ||
            opt_size(wbuf, "write_buffer_bytes", &o.write_buffer_bytes) ||
            opt_size(maxval, "max_value_bytes", &o.max_value_bytes) ||
            opt_size(maxent, "max_entity_bytes", &o.max_entity_bytes) ||
            opt_size(maxdepth, "max_depth", &depth) ||
            opt_size(maxsql, "max_sql_bytes", &o.max_sql_bytes) ||
            opt_size(maxrows, "max_result_rows", &rows);
  if (!bad && depth > 100000) {
    PyErr_SetString(PyExc_ValueError, "option max_depth: at most 100000");
    bad = 1;
  }
  o.max_depth = (int)depth;
  o.max_result_rows = (uint64_t)rows;
  if (!bad && sync != NULL && sync != Py_None) {
    const char *s = PyUnicode_Check(sync) ? PyUnicode_AsUTF8(sync) : NULL;
    if (s && !strcmp(s, "full")) o.sync = REMDB_SYNC_FULL;
    else if (s && !strcmp(s, "none")) o.sync = REMDB_SYNC_NONE;
    else if (s && !strcmp(s, "group")) o.sync = REMDB_SYNC_GROUP;
    else {
      if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError,
                        "option sync: expected 'full', 'group' or 'none'");
      bad = 1;
    }
  }
  if (bad) {
    Py_DECREF(path);
    return -1;
  }
  hold_any(h);
  if (h->db != NULL) {
    unhold(h);
    Py_DECREF(path);
    raise_rc(REMDB_MISUSE, "the handle is already open");
    return -1;
  }
  remdb *db = NULL;
  int rc;
  const char *p = PyBytes_AS_STRING(path);
  NOGIL(rc = remdb_open(p, tenant, &o, &db));
  if (rc != REMDB_OK) {
    raise_rc(rc, db ? remdb_errmsg(db) : "out of memory");
    NOGIL(remdb_close(db));
    unhold(h);
    Py_DECREF(path);
    return -1;
  }
  h->db = db;
  Py_XSETREF(h->path, PyUnicode_DecodeFSDefault(p));
  unhold(h);
  Py_DECREF(path);
  return h->path ? 0 : -1;
}

static PyObject *Handle_close(Handle *h, PyObject *unused) {
  (void)unused;
  hold_any(h);
  handle_close_held(h);
  unhold(h);
  Py_RETURN_NONE;
}

static PyObject *Handle_enter(Handle *h, PyObject *unused) {
  (void)unused;
  if (h->db == NULL) return raise_closed();
  Py_INCREF(h);
  return (PyObject *)h;
}

static PyObject *Handle_exit(Handle *h, PyObject *args) {
  (void)args;
  return Handle_close(h, NULL);
}

static PyObject *Handle_get_closed(Handle *h, void *c) {
  (void)c;
  return PyBool_FromLong(h->db == NULL);
}

static PyObject *Handle_get_tenant(Handle *h, void *c) {
  (void)c;
  if (hold(h) < 0) return NULL;
  PyObject *r = PyUnicode_FromString(remdb_tenant(h->db));
  unhold(h);
  return r;
}

static PyObject *Handle_get_path(Handle *h, void *c) {
  (void)c;
  if (h->path == NULL) Py_RETURN_NONE;
  Py_INCREF(h->path);
  return h->path;
}

static PyObject *Handle_open_tenant(Handle *h, PyObject *args) {
  const char *tenant;
  if (!PyArg_ParseTuple(args, "s:open_tenant", &tenant)) return NULL;
  PyObject *empty = PyTuple_New(0);
  if (empty == NULL) return NULL;
  Handle *n = (Handle *)Py_TYPE(h)->tp_new(Py_TYPE(h), empty, NULL);
  Py_DECREF(empty);
  if (n == NULL) return NULL;
  if (hold(h) < 0) {
    Py_DECREF(n);
    return NULL;
  }
  remdb *db = NULL;
  int rc;
  NOGIL(rc = remdb_open_tenant(h->db, tenant, &db));
  if (rc != REMDB_OK) {
    if (db) raise_rc(rc, remdb_errmsg(db));
    else fail(h, rc);
    NOGIL(remdb_close(db));
    unhold(h);
    Py_DECREF(n);
    return NULL;
  }
  unhold(h);
  n->db = db;
  Py_XINCREF(h->path);
  n->path = h->path;
  return (PyObject *)n;
}

/* A call returning only a code: the macro body runs with the GIL released
** and h held; `rc` is set by it. */
#define SIMPLE_CALL(h, call)                                                 \
  do {                                                                       \
    if (hold(h) < 0) return NULL;                                            \
    int rc;                                                                  \
    NOGIL(rc = (call));                                                      \
    if (rc != REMDB_OK) {                                                    \
      fail(h, rc);                                                           \
      unhold(h);                                                             \
      return NULL;                                                           \
    }                                                                        \
    unhold(h);                                                               \
  } while (0)

/* A call returning an allocated string in `out`, converted to str. */
static PyObject *take_str(char *s, size_t len) {
  PyObject *r = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "replace");
  remdb_free(s);
  return r;
}

#define STRING_CALL(h, call, out)                                            \
  do {                                                                       \
    if (hold(h) < 0) return NULL;                                            \
    int rc;                                                                  \
    out = NULL;                                                              \
    NOGIL(rc = (call));                                                      \
    if (rc != REMDB_OK) {                                                    \
      fail(h, rc);                                                           \
      unhold(h);                                                             \
      remdb_free(out);                                                       \
      return NULL;                                                           \
    }                                                                        \
    unhold(h);                                                               \
  } while (0)

static PyObject *Handle_init_builtins(Handle *h, PyObject *unused) {
  (void)unused;
  SIMPLE_CALL(h, remdb_init(h->db));
  Py_RETURN_NONE;
}

static PyObject *Handle_schema_put(Handle *h, PyObject *args) {
  const char *json;
  Py_ssize_t len;
  if (!PyArg_ParseTuple(args, "s#:schema_put", &json, &len)) return NULL;
  SIMPLE_CALL(h, remdb_schema_put(h->db, json, (size_t)len));
  Py_RETURN_NONE;
}

static PyObject *Handle_schema_get(Handle *h, PyObject *args) {
  const char *name;
  char *out;
  if (!PyArg_ParseTuple(args, "s:schema_get", &name)) return NULL;
  STRING_CALL(h, remdb_schema_get(h->db, name, &out), out);
  return take_str(out, strlen(out));
}

static PyObject *Handle_schema_list(Handle *h, PyObject *unused) {
  (void)unused;
  char *out;
  STRING_CALL(h, remdb_schema_list(h->db, &out), out);
  return take_str(out, strlen(out));
}

static PyObject *Handle_schema_drop(Handle *h, PyObject *args) {
  const char *name;
  if (!PyArg_ParseTuple(args, "s:schema_drop", &name)) return NULL;
  SIMPLE_CALL(h, remdb_schema_drop(h->db, name));
  Py_RETURN_NONE;
}

static PyObject *Handle_insert(Handle *h, PyObject *args) {
  const char *table, *json;
  Py_ssize_t len;
  char id[REMDB_ID_LEN + 1];
  if (!PyArg_ParseTuple(args, "ss#:insert", &table, &json, &len)) return NULL;
  SIMPLE_CALL(h, remdb_insert(h->db, table, json, (size_t)len, id));
  return PyUnicode_FromStringAndSize(id, REMDB_ID_LEN);
}

static PyObject *Handle_validate(Handle *h, PyObject *args) {
  const char *table, *json;
  Py_ssize_t len;
  if (!PyArg_ParseTuple(args, "ss#:validate", &table, &json, &len))
    return NULL;
  SIMPLE_CALL(h, remdb_validate(h->db, table, json, (size_t)len));
  Py_RETURN_NONE;
}

static PyObject *Handle_update(Handle *h, PyObject *args) {
  const char *id, *json;
  Py_ssize_t len;
  if (!PyArg_ParseTuple(args, "ss#:update", &id, &json, &len)) return NULL;
  SIMPLE_CALL(h, remdb_update(h->db, id, json, (size_t)len));
  Py_RETURN_NONE;
}

static PyObject *Handle_delete(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"id", "hard", NULL};
  const char *id;
  int hard = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|p:delete", kwlist, &id,
                                   &hard))
    return NULL;
  SIMPLE_CALL(h, remdb_delete(h->db, id, hard ? REMDB_HARD : 0));
  Py_RETURN_NONE;
}

static PyObject *Handle_get(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"id", "table", "include_deleted", NULL};
  const char *id, *table = NULL;
  int del = 0;
  char *out;
  size_t len = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zp:get", kwlist, &id, &table,
                                   &del))
    return NULL;
  STRING_CALL(h,
              remdb_get(h->db, table, id, del ? REMDB_INCLUDE_DELETED : 0,
                        &out, &len),
              out);
  return take_str(out, len);
}

static PyObject *Handle_count(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"table", "include_deleted", NULL};
  const char *table;
  int del = 0;
  uint64_t n = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|p:count", kwlist, &table,
                                   &del))
    return NULL;
  SIMPLE_CALL(h, remdb_count(h->db, table, del ? REMDB_INCLUDE_DELETED : 0,
                             &n));
  return PyLong_FromUnsignedLongLong(n);
}

static PyObject *Handle_find(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"table", "field", "value", "include_deleted", NULL};
  const char *table, *field, *value;
  int del = 0;
  char *out;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sss|p:find", kwlist, &table,
                                   &field, &value, &del))
    return NULL;
  STRING_CALL(h,
              remdb_find(h->db, table, field, value,
                         del ? REMDB_INCLUDE_DELETED : 0, &out),
              out);
  return take_str(out, strlen(out));
}

/* Keep a sequence of str as C strings: the sequence object keeps them. */
static PyObject *str_array(PyObject *seq, const char *what,
                           const char ***out, Py_ssize_t *n) {
  PyObject *fast = PySequence_Fast(seq, what);
  if (fast == NULL) return NULL;
  *n = PySequence_Fast_GET_SIZE(fast);
  *out = PyMem_Calloc((size_t)(*n > 0 ? *n : 1), sizeof **out);
  if (*out == NULL) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < *n; i++) {
    PyObject *s = PySequence_Fast_GET_ITEM(fast, i);
    Py_ssize_t l;
    const char *c = PyUnicode_Check(s) ? PyUnicode_AsUTF8AndSize(s, &l) : NULL;
    if (c == NULL || (Py_ssize_t)strlen(c) != l) {
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "%s: item %zd must be a str without NUL",
                     what, i);
      PyMem_Free(*out);
      Py_DECREF(fast);
      return NULL;
    }
    (*out)[i] = c;
  }
  return fast;
}

static PyObject *Handle_lookup(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"keys", "fuzzy", NULL};
  PyObject *keys;
  int fuzzy = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:lookup", kwlist, &keys,
                                   &fuzzy))
    return NULL;
  const char **arr;
  Py_ssize_t n;
  PyObject *fast = str_array(keys, "lookup keys", &arr, &n);
  if (fast == NULL) return NULL;
  char *out = NULL;
  int rc = REMDB_OK;
  if (hold(h) == 0) {
    NOGIL(rc = remdb_lookup(h->db, arr, (size_t)n, fuzzy ? REMDB_FUZZY : 0,
                            &out));
    if (rc != REMDB_OK) fail(h, rc);
    unhold(h);
  } else {
    rc = -1;
  }
  PyMem_Free(arr);
  Py_DECREF(fast);
  if (rc != REMDB_OK) {
    remdb_free(out);
    return NULL;
  }
  return take_str(out, strlen(out));
}

/* ---- vectors: a list of numbers or a buffer (NumPy array, array.array,
** memoryview) of float32 (used in place when contiguous) or float64 ---- */

typedef struct {
  Py_buffer view;
  int has_view;
  float *owned; /* PyMem, when converted */
  const float *v;
  size_t n;
} vecarg;

static void vec_release(vecarg *va) {
  if (va->has_view) PyBuffer_Release(&va->view);
  PyMem_Free(va->owned);
  memset(va, 0, sizeof *va);
}

static int vec_from(PyObject *o, vecarg *va) {
  memset(va, 0, sizeof *va);
  if (PyObject_CheckBuffer(o)) {
    if (PyObject_GetBuffer(o, &va->view, PyBUF_RECORDS_RO) < 0) return -1;
    va->has_view = 1;
    Py_buffer *b = &va->view;
    const char *f = b->format ? b->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    int is_f32 = !strcmp(f, "f") && b->itemsize == 4;
    int is_f64 = !strcmp(f, "d") && b->itemsize == 8;
    if (!is_f32 && !is_f64) {
      PyErr_Format(PyExc_TypeError,
                   "vector: expected float32 or float64 items, got buffer "
                   "format '%s'",
                   b->format ? b->format : "B");
      vec_release(va);
      return -1;
    }
    if (b->ndim != 1) {
      PyErr_Format(PyExc_ValueError,
                   "vector: expected a one-dimensional array, got %d "
                   "dimensions",
                   b->ndim);
      vec_release(va);
      return -1;
    }
    Py_ssize_t n = b->shape[0];
    Py_ssize_t stride = b->strides ? b->strides[0] : b->itemsize;
    va->n = (size_t)n;
    if (is_f32 && stride == 4 &&
        (uintptr_t)b->buf % _Alignof(float) == 0) { /* in place, no copy */
      va->v = (const float *)b->buf;
      return 0;
    }
    va->owned = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (va->owned == NULL) {
      vec_release(va);
      PyErr_NoMemory();
      return -1;
    }
    const char *p = (const char *)b->buf;
    for (Py_ssize_t i = 0; i < n; i++, p += stride) {
      if (is_f32) {
        memcpy(&va->owned[i], p, sizeof(float));
      } else {
        double d;
        memcpy(&d, p, sizeof d);
        va->owned[i] = (float)d;
      }
    }
    va->v = va->owned;
    return 0;
  }
  PyObject *fast = PySequence_Fast(
      o, "query must be a str, a sequence of numbers or a float buffer");
  if (fast == NULL) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
  va->owned = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  if (va->owned == NULL) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *it = PySequence_Fast_GET_ITEM(fast, i);
    double d = PyFloat_AsDouble(it);
    if (d == -1.0 && PyErr_Occurred()) {
      PyErr_Format(PyExc_TypeError, "vector: item %zd is not a number (%s)",
                   i, Py_TYPE(it)->tp_name);
      Py_DECREF(fast);
      vec_release(va);
      return -1;
    }
    va->owned[i] = (float)d;
  }
  Py_DECREF(fast);
  va->v = va->owned;
  va->n = (size_t)n;
  return 0;
}

static PyObject *Handle_search(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"table",     "query",  "k",     "min_score",
                           "where",     "ef_search", "method", "mode",
                           "snippets", "rrf_k", NULL};
  const char *table, *where = NULL;
  PyObject *query, *min_score = Py_None;
  Py_ssize_t k = 10;
  int ef = 0, method = REMDB_SEARCH_AUTO, mode = REMDB_MODE_DEFAULT;
  int snippets = 0;
  double rrf_k = 60;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sO|nOziiipd:search", kwlist,
                                   &table, &query, &k, &min_score, &where, &ef,
                                   &method, &mode, &snippets, &rrf_k))
    return NULL;
  remdb_search_options so;
  remdb_search_options_init(&so);
  if (k < 1 || k > 10000) {
    PyErr_SetString(PyExc_ValueError, "k must be from 1 to 10000");
    return NULL;
  }
  if (method < REMDB_SEARCH_AUTO || method > REMDB_SEARCH_HNSW) {
    PyErr_SetString(PyExc_ValueError, "method: unknown search method");
    return NULL;
  }
  so.k = (size_t)k;
  so.where = where;
  so.ef_search = ef;
  so.method = method;
  so.mode = mode; /* checked by remdb_search_ex */
  so.snippets = snippets;
  so.rrf_k = rrf_k;
  if (min_score != Py_None) {
    so.min_score = PyFloat_AsDouble(min_score);
    if (so.min_score == -1.0 && PyErr_Occurred()) return NULL;
  }
  const char *text = NULL;
  vecarg va;
  memset(&va, 0, sizeof va);
  if (PyUnicode_Check(query)) {
    Py_ssize_t l;
    text = PyUnicode_AsUTF8AndSize(query, &l);
    if (text == NULL) return NULL;
    if ((Py_ssize_t)strlen(text) != l) {
      PyErr_SetString(PyExc_ValueError, "query text contains a NUL");
      return NULL;
    }
  } else {
    if (vec_from(query, &va) < 0) return NULL;
    so.vector = va.v;
    so.vector_dim = va.n;
  }
  char *out = NULL, *plan = NULL;
  int rc = -1;
  if (hold(h) == 0) {
    NOGIL(rc = remdb_search_ex(h->db, table, text, &so, &out, &plan));
    if (rc != REMDB_OK) fail(h, rc);
    unhold(h);
  }
  vec_release(&va);
  if (rc != REMDB_OK) {
    remdb_free(out);
    remdb_free(plan);
    return NULL;
  }
  PyObject *hits = take_str(out, strlen(out));
  PyObject *p = plan ? take_str(plan, strlen(plan)) : (Py_INCREF(Py_None), Py_None);
  if (hits == NULL || p == NULL) {
    Py_XDECREF(hits);
    Py_XDECREF(p);
    return NULL;
  }
  return Py_BuildValue("(NN)", hits, p);
}

static PyObject *Handle_ingest(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"table",       "uri",           "name", "text",
                           "chunk_chars", "overlap_chars", "jsonl", NULL};
  const char *table, *uri, *name, *text;
  Py_ssize_t len;
  PyObject *chunk = Py_None, *overlap = Py_None;
  int jsonl = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "zszs#|OOp:ingest", kwlist,
                                   &table, &uri, &name, &text, &len, &chunk,
                                   &overlap, &jsonl))
    return NULL;
  remdb_ingest_options o;
  remdb_ingest_options_init(&o);
  if (opt_size(chunk, "chunk_chars", &o.chunk_chars) < 0 ||
      opt_size(overlap, "overlap_chars", &o.overlap_chars) < 0)
    return NULL;
  o.jsonl = jsonl;
  size_t n = 0;
  SIMPLE_CALL(h, remdb_ingest(h->db, table, uri, name, text, (size_t)len, &o,
                              &n));
  return PyLong_FromSize_t(n);
}

static int parse_dir(PyObject *o, int *dir) {
  const char *s = o && PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : NULL;
  if (s && !strcmp(s, "out")) *dir = REMDB_OUT;
  else if (s && !strcmp(s, "in")) *dir = REMDB_IN;
  else if (s && !strcmp(s, "both")) *dir = REMDB_BOTH;
  else {
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_ValueError,
                      "direction must be 'out', 'in' or 'both'");
    return -1;
  }
  return 0;
}

static PyObject *Handle_edge_put(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"src", "dst", "type", "props", "weight", NULL};
  const char *src, *dst, *type, *props = NULL;
  Py_ssize_t plen = 0;
  double w = 1.0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sss|z#d:edge_put", kwlist, &src,
                                   &dst, &type, &props, &plen, &w))
    return NULL;
  SIMPLE_CALL(h, remdb_edge_put(h->db, src, dst, type, props, (size_t)plen,
                                w));
  Py_RETURN_NONE;
}

static PyObject *Handle_edge_delete(Handle *h, PyObject *args) {
  const char *src, *dst, *type;
  if (!PyArg_ParseTuple(args, "sss:edge_delete", &src, &dst, &type))
    return NULL;
  SIMPLE_CALL(h, remdb_edge_delete(h->db, src, dst, type));
  Py_RETURN_NONE;
}

static PyObject *Handle_edges(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"id", "direction", "type", NULL};
  const char *id, *type = NULL;
  PyObject *d = NULL;
  int dir = REMDB_OUT;
  char *out;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|Oz:edges", kwlist, &id, &d,
                                   &type))
    return NULL;
  if (d && parse_dir(d, &dir) < 0) return NULL;
  STRING_CALL(h, remdb_edges(h->db, id, dir, type, &out), out);
  return take_str(out, strlen(out));
}

static PyObject *Handle_traverse(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"start", "depth", "direction", "type",
                           "max_nodes", "exact_depth", NULL};
  const char *start, *type = NULL;
  int depth = 2, exact = 0, dir = REMDB_OUT;
  PyObject *d = NULL;
  Py_ssize_t maxn = 0;
  char *out;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|iOznp:traverse", kwlist,
                                   &start, &depth, &d, &type, &maxn, &exact))
    return NULL;
  if (d && parse_dir(d, &dir) < 0) return NULL;
  if (maxn < 0) {
    PyErr_SetString(PyExc_ValueError, "max_nodes must not be negative");
    return NULL;
  }
  STRING_CALL(h,
              remdb_traverse(h->db, start, depth, dir, type, (size_t)maxn,
                             exact ? REMDB_EXACT_DEPTH : 0, &out),
              out);
  return take_str(out, strlen(out));
}

static PyObject *Handle_shortest_path(Handle *h, PyObject *args,
                                      PyObject *kw) {
  static char *kwlist[] = {"src", "dst", "max_depth", "direction", "type",
                           NULL};
  const char *a, *b, *type = NULL;
  int depth = 6, dir = REMDB_BOTH;
  PyObject *d = NULL;
  char *out;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|iOz:shortest_path", kwlist,
                                   &a, &b, &depth, &d, &type))
    return NULL;
  if (d && parse_dir(d, &dir) < 0) return NULL;
  STRING_CALL(h,
              remdb_shortest_path(h->db, a, b, depth, dir, type, &out), out);
  return take_str(out, strlen(out));
}

/* verify: problems collected in C (the GIL is released), listed after */
typedef struct {
  char **v;
  size_t n, cap;
  int nomem;
} strlist;

static void collect_problem(void *ctx, const char *problem) {
  strlist *l = ctx;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    char **nv = realloc(l->v, cap * sizeof *nv);
    if (nv == NULL) {
      l->nomem = 1;
      return;
    }
    l->v = nv;
    l->cap = cap;
  }
  char *s = strdup(problem);
  if (s == NULL) {
    l->nomem = 1;
    return;
  }
  l->v[l->n++] = s;
}

static PyObject *Handle_verify(Handle *h, PyObject *unused) {
  (void)unused;
  strlist l = {NULL, 0, 0, 0};
  uint64_t problems = 0;
  PyObject *res = NULL;
  if (hold(h) < 0) return NULL;
  int rc;
  NOGIL(rc = remdb_verify(h->db, collect_problem, &l, &problems));
  if (rc != REMDB_OK) fail(h, rc);
  unhold(h);
  if (rc == REMDB_OK) {
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < l.n; i++) {
      PyObject *s = PyUnicode_DecodeUTF8(l.v[i], (Py_ssize_t)strlen(l.v[i]),
                                         "replace");
      if (s == NULL || PyList_Append(list, s) < 0) Py_CLEAR(list);
      Py_XDECREF(s);
    }
    if (list) res = Py_BuildValue("(KN)", (unsigned long long)problems, list);
  }
  for (size_t i = 0; i < l.n; i++) free(l.v[i]);
  free(l.v);
  return res;
}

static PyObject *Handle_reindex(Handle *h, PyObject *args) {
  const char *table = NULL;
  if (!PyArg_ParseTuple(args, "|z:reindex", &table)) return NULL;
  SIMPLE_CALL(h, remdb_reindex(h->db, table));
  Py_RETURN_NONE;
}

static PyObject *Handle_stats(Handle *h, PyObject *unused) {
  (void)unused;
  char *out;
  STRING_CALL(h, remdb_stats(h->db, &out), out);
  return take_str(out, strlen(out));
}

static PyObject *Handle_backup(Handle *h, PyObject *args) {
  PyObject *dest;
  if (!PyArg_ParseTuple(args, "O&:backup", PyUnicode_FSConverter, &dest))
    return NULL;
  const char *d = PyBytes_AS_STRING(dest);
  if (hold(h) < 0) {
    Py_DECREF(dest);
    return NULL;
  }
  int rc;
  NOGIL(rc = remdb_backup(h->db, d));
  if (rc != REMDB_OK) fail(h, rc);
  unhold(h);
  Py_DECREF(dest);
  if (rc != REMDB_OK) return NULL;
  Py_RETURN_NONE;
}

static PyObject *Handle_export_parquet(Handle *h, PyObject *args,
                                       PyObject *kw) {
  static char *kwlist[] = {"table", "path", "where", "compression", NULL};
  const char *table, *where = NULL, *z = "zstd";
  PyObject *path;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sO&|z$s:export_parquet", kwlist,
                                   &table, PyUnicode_FSConverter, &path,
                                   &where, &z))
    return NULL;
  int comp = !strcmp(z, "zstd")     ? REMDB_PARQUET_ZSTD
             : !strcmp(z, "snappy") ? REMDB_PARQUET_SNAPPY
             : !strcmp(z, "none")   ? REMDB_PARQUET_NONE
                                    : -1;
  if (comp < 0) {
    Py_DECREF(path);
    PyErr_Format(PyExc_ValueError,
                 "compression must be 'zstd', 'snappy' or 'none', not '%s'", z);
    return NULL;
  }
  const char *p = PyBytes_AS_STRING(path);
  if (hold(h) < 0) {
    Py_DECREF(path);
    return NULL;
  }
  int rc;
  uint64_t rows = 0;
  NOGIL(rc = remdb_export_parquet(h->db, table, p, where, comp, &rows));
  if (rc != REMDB_OK) fail(h, rc);
  unhold(h);
  Py_DECREF(path);
  if (rc != REMDB_OK) return NULL;
  return PyLong_FromUnsignedLongLong(rows);
}

static PyObject *Handle_compact(Handle *h, PyObject *unused) {
  (void)unused;
  SIMPLE_CALL(h, remdb_compact(h->db));
  Py_RETURN_NONE;
}

/* ---- SQL helpers -------------------------------------------------------- */

/* Compile the one statement of sql (h held).  *out may be NULL (no
** statement).  More than one statement is an error. */
static int prepare_one(Handle *h, PyObject *sql, remdb_stmt **out) {
  *out = NULL;
  if (!PyUnicode_Check(sql)) {
    PyErr_Format(PyExc_TypeError, "SQL must be a str, not %s",
                 Py_TYPE(sql)->tp_name);
    return -1;
  }
  Py_ssize_t n;
  const char *s = PyUnicode_AsUTF8AndSize(sql, &n);
  if (s == NULL) return -1;
  size_t used = (size_t)n;
  int rc;
  NOGIL(rc = remdb_prepare(h->db, s, (size_t)n, out, &used));
  if (rc != REMDB_OK) {
    fail(h, rc);
    return -1;
  }
  if (*out != NULL && used < (size_t)n) {
    remdb_stmt *more = NULL;
    NOGIL(rc = remdb_prepare(h->db, s + used, (size_t)n - used, &more, NULL));
    if (rc != REMDB_OK || more != NULL) {
      remdb_stmt *first = *out;
      *out = NULL;
      NOGIL(remdb_finalize(more); remdb_finalize(first));
      raise_rc(REMDB_INVALID,
               "the SQL text holds more than one statement: run one at a "
               "time, or a script with executescript()");
      return -1;
    }
  }
  return 0;
}

/* Bind a sequence of parameters (qmark style), checking their number. */
static int bind_params(Handle *h, remdb_stmt *st, PyObject *params) {
  if (params == NULL || params == Py_None) params = NULL;
  if (params && (PyUnicode_Check(params) || PyBytes_Check(params) ||
                 PyDict_Check(params) || !PySequence_Check(params))) {
    PyErr_Format(PyExc_TypeError,
                 "SQL parameters must be a sequence (list or tuple) for '?' "
                 "placeholders, not %s",
                 Py_TYPE(params)->tp_name);
    return -1;
  }
  PyObject *fast = params ? PySequence_Fast(params, "SQL parameters") : NULL;
  if (params && fast == NULL) return -1;
  Py_ssize_t n = fast ? PySequence_Fast_GET_SIZE(fast) : 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *v = PySequence_Fast_GET_ITEM(fast, i);
    int idx = (int)i + 1, rc;
    if (v == Py_None) {
      rc = remdb_bind_null(st, idx);
    } else if (PyLong_Check(v)) {
      long long x = PyLong_AsLongLong(v);
      if (x == -1 && PyErr_Occurred()) {
        Py_DECREF(fast);
        return -1;
      }
      rc = remdb_bind_int64(st, idx, (int64_t)x);
    } else if (PyFloat_Check(v)) {
      rc = remdb_bind_double(st, idx, PyFloat_AS_DOUBLE(v));
    } else if (PyUnicode_Check(v)) {
      Py_ssize_t l;
      const char *s = PyUnicode_AsUTF8AndSize(v, &l);
      if (s == NULL) {
        Py_DECREF(fast);
        return -1;
      }
      rc = remdb_bind_text(st, idx, s, (size_t)l);
    } else {
      PyErr_Format(PyExc_TypeError,
                   "SQL parameter %d: unsupported type %s (use None, int, "
                   "float or str)",
                   idx, Py_TYPE(v)->tp_name);
      Py_DECREF(fast);
      return -1;
    }
    if (rc != REMDB_OK) {
      if (rc == REMDB_INVALID) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the statement has fewer parameters than the %zd given", n);
        raise_rc(rc, msg);
      } else {
        fail(h, rc);
      }
      Py_DECREF(fast);
      return -1;
    }
  }
  Py_XDECREF(fast);
  /* one more binds only if the statement wants more than were given */
  if (remdb_bind_null(st, (int)n + 1) == REMDB_OK) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "the statement has more parameters than the %zd given", n);
    raise_rc(REMDB_INVALID, msg);
    return -1;
  }
  return 0;
}

static PyObject *column_value(remdb_stmt *st, int i) {
  size_t len = 0;
  const char *s;
  switch (remdb_column_type(st, i)) {
  case REMDB_INTEGER: return PyLong_FromLongLong(remdb_column_int64(st, i));
  case REMDB_FLOAT: return PyFloat_FromDouble(remdb_column_double(st, i));
  case REMDB_TEXT:
    s = remdb_column_text(st, i, &len);
    return PyUnicode_DecodeUTF8(s ? s : "", (Py_ssize_t)len, "replace");
  case REMDB_BLOB:
    s = remdb_column_text(st, i, &len);
    return PyBytes_FromStringAndSize(s ? s : "", (Py_ssize_t)len);
  default: Py_RETURN_NONE;
  }
}

static PyObject *row_tuple(remdb_stmt *st, int ncol) {
  PyObject *t = PyTuple_New(ncol);
  for (int i = 0; t && i < ncol; i++) {
    PyObject *v = column_value(st, i);
    if (v == NULL) Py_CLEAR(t);
    else PyTuple_SET_ITEM(t, i, v);
  }
  return t;
}

static PyObject *column_names(remdb_stmt *st) {
  int n = remdb_column_count(st);
  PyObject *t = PyTuple_New(n);
  for (int i = 0; t && i < n; i++) {
    const char *c = remdb_column_name(st, i);
    PyObject *s = PyUnicode_FromString(c ? c : "");
    if (s == NULL) Py_CLEAR(t);
    else {
      PyUnicode_InternInPlace(&s);
      PyTuple_SET_ITEM(t, i, s);
    }
  }
  return t;
}

/* sql(query, params=()) -> list of dicts, every row read at once */
static PyObject *Handle_sql(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"query", "params", NULL};
  PyObject *sql, *params = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "U|O:sql", kwlist, &sql,
                                   &params))
    return NULL;
  if (hold(h) < 0) return NULL;
  remdb_stmt *st = NULL;
  PyObject *rows = NULL, *names = NULL;
  if (prepare_one(h, sql, &st) < 0) goto done;
  if (st != NULL && bind_params(h, st, params) < 0) goto done;
  if ((rows = PyList_New(0)) == NULL || st == NULL) goto done;
  if ((names = column_names(st)) == NULL) goto fail;
  int ncol = (int)PyTuple_GET_SIZE(names);
  for (size_t nrows = 1;; nrows++) {
    int rc;
    if (nrows % 4096 == 0 && PyErr_CheckSignals() < 0) goto fail; /* ^C */
    NOGIL(rc = remdb_step(st));
    if (rc == REMDB_DONE) break;
    if (rc != REMDB_ROW) {
      fail(h, rc);
      goto fail;
    }
    PyObject *d = PyDict_New();
    if (d == NULL) goto fail;
    for (int i = 0; i < ncol; i++) {
      PyObject *v = column_value(st, i);
      if (v == NULL || PyDict_SetItem(d, PyTuple_GET_ITEM(names, i), v) < 0) {
        Py_XDECREF(v);
        Py_DECREF(d);
        goto fail;
      }
      Py_DECREF(v);
    }
    int r = PyList_Append(rows, d);
    Py_DECREF(d);
    if (r < 0) goto fail;
  }
  goto done;
fail:
  Py_CLEAR(rows);
done:
  if (st) NOGIL(remdb_finalize(st));
  Py_XDECREF(names);
  unhold(h);
  return rows;
}

/* executescript(sql): every statement in turn, rows discarded */
static PyObject *Handle_executescript(Handle *h, PyObject *args) {
  const char *s;
  Py_ssize_t n;
  if (!PyArg_ParseTuple(args, "s#:executescript", &s, &n)) return NULL;
  if (hold(h) < 0) return NULL;
  size_t off = 0;
  int rc = REMDB_OK;
  while (off < (size_t)n) {
    remdb_stmt *st = NULL;
    size_t used = 0;
    NOGIL(rc = remdb_prepare(h->db, s + off, (size_t)n - off, &st, &used));
    if (rc != REMDB_OK || st == NULL) break;
    NOGIL(while ((rc = remdb_step(st)) == REMDB_ROW) {});
    if (rc == REMDB_DONE) rc = REMDB_OK;
    if (rc != REMDB_OK) {
      fail(h, rc);
      NOGIL(remdb_finalize(st));
      unhold(h);
      return NULL;
    }
    NOGIL(remdb_finalize(st));
    off += used ? used : (size_t)n - off;
  }
  if (rc != REMDB_OK) {
    fail(h, rc);
    unhold(h);
    return NULL;
  }
  unhold(h);
  Py_RETURN_NONE;
}

/* ---- Cursor: DB-API 2.0 style, streaming rows through remdb_step ------ */

typedef struct {
  PyObject_HEAD
  Handle *h;
  child link;
  remdb_stmt *st;
  PyObject *names;       /* tuple of str, or NULL */
  PyObject *description; /* tuple of 7-tuples, or None */
  PyObject *pending;     /* the row read ahead by execute, or NULL */
  int ncol;
  int closed;
  Py_ssize_t arraysize;
  Py_ssize_t rowcount;
  PyObject *weakrefs;
} Cursor;

static void cursor_reset_held(Cursor *c) {
  if (c->st) {
    remdb_stmt *st = c->st;
    c->st = NULL;
    NOGIL(remdb_finalize(st));
  }
  Py_CLEAR(c->pending);
}

static void cursor_release(child *k) {
  Cursor *c = KID_OF(Cursor, k);
  cursor_reset_held(c);
}

static PyObject *Handle_cursor(Handle *h, PyObject *unused) {
  (void)unused;
  if (h->db == NULL) return raise_closed();
  Cursor *c = PyObject_GC_New(Cursor, &CursorType);
  if (c == NULL) return NULL;
  Py_INCREF(h);
  c->h = h;
  c->link.next = c->link.prev = NULL;
  c->link.release = cursor_release;
  c->st = NULL;
  c->names = NULL;
  Py_INCREF(Py_None);
  c->description = Py_None;
  c->pending = NULL;
  c->ncol = 0;
  c->closed = 0;
  c->arraysize = 1;
  c->rowcount = -1;
  c->weakrefs = NULL;
  hold_any(h);
  kid_add(h, &c->link);
  unhold(h);
  PyObject_GC_Track(c);
  return (PyObject *)c;
}

static int Cursor_traverse(Cursor *c, visitproc visit, void *arg) {
  Py_VISIT(c->h);
  Py_VISIT(c->pending);
  Py_VISIT(c->description);
  return 0;
}

static int Cursor_clear(Cursor *c) {
  Py_CLEAR(c->pending);
  Py_CLEAR(c->description);
  Py_CLEAR(c->names);
  return 0;
}

static void Cursor_dealloc(Cursor *c) {
  PyObject_GC_UnTrack(c);
  if (c->weakrefs) PyObject_ClearWeakRefs((PyObject *)c);
  if (c->h) {
    hold_any(c->h);
    kid_remove(&c->link);
    cursor_reset_held(c);
    unhold(c->h);
  }
  Cursor_clear(c);
  Py_CLEAR(c->h);
  PyObject_GC_Del(c);
}

/* hold the cursor's handle, refusing a closed cursor or database */
static int cursor_hold(Cursor *c) {
  if (c->closed) {
    raise_rc(REMDB_MISUSE, "the cursor is closed");
    return -1;
  }
  return hold(c->h);
}

/* Step c's statement; the row goes to *row (NULL at the end, which also
** frees the statement).  Handle held.  -1 on error. */
static int cursor_step(Cursor *c, PyObject **row) {
  *row = NULL;
  if (c->st == NULL) return 0;
  int rc;
  NOGIL(rc = remdb_step(c->st));
  if (rc == REMDB_ROW) {
    *row = row_tuple(c->st, c->ncol);
    return *row ? 0 : -1;
  }
  if (rc != REMDB_DONE) fail(c->h, rc);
  remdb_stmt *st = c->st;
  c->st = NULL;
  NOGIL(remdb_finalize(st));
  return rc == REMDB_DONE ? 0 : -1;
}

static PyObject *make_description(PyObject *names) {
  Py_ssize_t n = PyTuple_GET_SIZE(names);
  if (n == 0) Py_RETURN_NONE;
  PyObject *d = PyTuple_New(n);
  for (Py_ssize_t i = 0; d && i < n; i++) {
    PyObject *t = Py_BuildValue("(OOOOOOO)", PyTuple_GET_ITEM(names, i),
                                Py_None, Py_None, Py_None, Py_None, Py_None,
                                Py_None);
    if (t == NULL) Py_CLEAR(d);
    else PyTuple_SET_ITEM(d, i, t);
  }
  return d;
}

static PyObject *Cursor_execute(Cursor *c, PyObject *args) {
  PyObject *sql, *params = NULL;
  if (!PyArg_ParseTuple(args, "U|O:execute", &sql, &params)) return NULL;
  if (cursor_hold(c) < 0) return NULL;
  cursor_reset_held(c);
  Py_CLEAR(c->names);
  Py_INCREF(Py_None);
  Py_XSETREF(c->description, Py_None);
  c->rowcount = -1;
  c->ncol = 0;
  remdb_stmt *st;
  if (prepare_one(c->h, sql, &st) < 0) goto fail;
  c->st = st;
  if (st == NULL) goto ok;
  if (bind_params(c->h, st, params) < 0) goto fail;
  if ((c->names = column_names(st)) == NULL) goto fail;
  c->ncol = (int)PyTuple_GET_SIZE(c->names);
  PyObject *desc = make_description(c->names);
  if (desc == NULL) goto fail;
  Py_XSETREF(c->description, desc);
  /* run to the first row now: a write commits here, errors show here */
  if (cursor_step(c, &c->pending) < 0) goto fail;
ok:
  unhold(c->h);
  Py_INCREF(c);
  return (PyObject *)c;
fail:
  cursor_reset_held(c);
  unhold(c->h);
  return NULL;
}

static PyObject *Cursor_executemany(Cursor *c, PyObject *args) {
  PyObject *sql, *seq;
  if (!PyArg_ParseTuple(args, "UO:executemany", &sql, &seq)) return NULL;
  PyObject *it = PyObject_GetIter(seq);
  if (it == NULL) return NULL;
  if (cursor_hold(c) < 0) {
    Py_DECREF(it);
    return NULL;
  }
  cursor_reset_held(c);
  Py_CLEAR(c->names);
  Py_INCREF(Py_None);
  Py_XSETREF(c->description, Py_None);
  c->rowcount = -1;
  remdb_stmt *st = NULL;
  Py_ssize_t done = 0;
  if (prepare_one(c->h, sql, &st) < 0) goto fail;
  if (st == NULL) goto ok;
  PyObject *params;
  while ((params = PyIter_Next(it)) != NULL) {
    int rc = REMDB_OK;
    if (done > 0) NOGIL(rc = remdb_reset(st));
    if (rc != REMDB_OK) {
      fail(c->h, rc);
      Py_DECREF(params);
      goto fail;
    }
    if (bind_params(c->h, st, params) < 0) {
      Py_DECREF(params);
      goto fail;
    }
    Py_DECREF(params);
    NOGIL(while ((rc = remdb_step(st)) == REMDB_ROW) {});
    if (rc != REMDB_DONE) {
      fail(c->h, rc);
      goto fail;
    }
    done++;
  }
  if (PyErr_Occurred()) goto fail;
ok:
  if (st) NOGIL(remdb_finalize(st));
  c->rowcount = -1;
  unhold(c->h);
  Py_DECREF(it);
  Py_INCREF(c);
  return (PyObject *)c;
fail:
  if (st) NOGIL(remdb_finalize(st));
  unhold(c->h);
  Py_DECREF(it);
  return NULL;
}

/* the next row, or NULL without an exception at the end */
static PyObject *cursor_next_row(Cursor *c) {
  if (c->h->db == NULL) return raise_closed();
  if (c->pending) {
    PyObject *r = c->pending;
    c->pending = NULL;
    return r;
  }
  if (c->st == NULL) return NULL;
  if (cursor_hold(c) < 0) return NULL;
  PyObject *row;
  cursor_step(c, &row);
  unhold(c->h);
  return row;
}

static PyObject *Cursor_fetchone(Cursor *c, PyObject *unused) {
  (void)unused;
  if (c->closed) return raise_rc(REMDB_MISUSE, "the cursor is closed");
  PyObject *r = cursor_next_row(c);
  if (r == NULL && !PyErr_Occurred()) Py_RETURN_NONE;
  return r;
}

static PyObject *cursor_fetch(Cursor *c, Py_ssize_t max) {
  if (c->closed) return raise_rc(REMDB_MISUSE, "the cursor is closed");
  PyObject *list = PyList_New(0);
  if (list == NULL) return NULL;
  for (Py_ssize_t i = 0; max < 0 || i < max; i++) {
    PyObject *r = cursor_next_row(c);
    if (r == NULL) {
      if (PyErr_Occurred()) Py_CLEAR(list);
      break;
    }
    int e = PyList_Append(list, r);
    Py_DECREF(r);
    if (e < 0) {
      Py_CLEAR(list);
      break;
    }
  }
  return list;
}

static PyObject *Cursor_fetchmany(Cursor *c, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"size", NULL};
  Py_ssize_t size = c->arraysize;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|n:fetchmany", kwlist, &size))
    return NULL;
  return cursor_fetch(c, size < 0 ? 0 : size);
}

static PyObject *Cursor_fetchall(Cursor *c, PyObject *unused) {
  (void)unused;
  return cursor_fetch(c, -1);
}

static PyObject *Cursor_close(Cursor *c, PyObject *unused) {
  (void)unused;
  if (!c->closed) {
    hold_any(c->h);
    kid_remove(&c->link);
    cursor_reset_held(c);
    unhold(c->h);
    c->closed = 1;
  }
  Py_RETURN_NONE;
}

static PyObject *Cursor_iternext(Cursor *c) {
  if (c->closed) return raise_rc(REMDB_MISUSE, "the cursor is closed");
  return cursor_next_row(c);
}

static PyObject *Cursor_noop(Cursor *c, PyObject *args) {
  (void)c;
  (void)args;
  Py_RETURN_NONE;
}

static PyObject *Cursor_enter(Cursor *c, PyObject *unused) {
  (void)unused;
  Py_INCREF(c);
  return (PyObject *)c;
}

static PyObject *Cursor_exit(Cursor *c, PyObject *args) {
  (void)args;
  return Cursor_close(c, NULL);
}

static PyObject *Cursor_get_description(Cursor *c, void *x) {
  (void)x;
  Py_INCREF(c->description ? c->description : Py_None);
  return c->description ? c->description : Py_None;
}

static PyObject *Cursor_get_rowcount(Cursor *c, void *x) {
  (void)x;
  return PyLong_FromSsize_t(c->rowcount);
}

static PyObject *Cursor_get_connection(Cursor *c, void *x) {
  (void)x;
  Py_INCREF(c->h);
  return (PyObject *)c->h;
}

static PyObject *Cursor_get_none(Cursor *c, void *x) {
  (void)c;
  (void)x;
  Py_RETURN_NONE;
}

static PyObject *Cursor_get_arraysize(Cursor *c, void *x) {
  (void)x;
  return PyLong_FromSsize_t(c->arraysize);
}

static int Cursor_set_arraysize(Cursor *c, PyObject *v, void *x) {
  (void)x;
  if (v == NULL) {
    PyErr_SetString(PyExc_AttributeError, "arraysize cannot be deleted");
    return -1;
  }
  Py_ssize_t n = PyLong_AsSsize_t(v);
  if (n == -1 && PyErr_Occurred()) return -1;
  if (n < 1) {
    PyErr_SetString(PyExc_ValueError, "arraysize must be at least 1");
    return -1;
  }
  c->arraysize = n;
  return 0;
}

static PyMethodDef Cursor_methods[] = {
    {"execute", (PyCFunction)Cursor_execute, METH_VARARGS,
     "execute(sql, params=()) -> self: compile, bind and run to the first "
     "row"},
    {"executemany", (PyCFunction)Cursor_executemany, METH_VARARGS,
     "executemany(sql, seq_of_params) -> self: run once per parameter set"},
    {"fetchone", (PyCFunction)Cursor_fetchone, METH_NOARGS,
     "the next row as a tuple, or None"},
    {"fetchmany", (PyCFunction)(void (*)(void))Cursor_fetchmany,
     METH_VARARGS | METH_KEYWORDS, "fetchmany(size=arraysize) -> list"},
    {"fetchall", (PyCFunction)Cursor_fetchall, METH_NOARGS,
     "the remaining rows as a list of tuples"},
    {"close", (PyCFunction)Cursor_close, METH_NOARGS,
     "free the statement; the cursor cannot be used again"},
    {"setinputsizes", (PyCFunction)Cursor_noop, METH_VARARGS, "no-op"},
    {"setoutputsize", (PyCFunction)Cursor_noop, METH_VARARGS, "no-op"},
    {"__enter__", (PyCFunction)Cursor_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Cursor_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Cursor_getset[] = {
    {"description", (getter)Cursor_get_description, NULL,
     "one (name, None, None, None, None, None, None) per column", NULL},
    {"rowcount", (getter)Cursor_get_rowcount, NULL, "always -1", NULL},
    {"lastrowid", (getter)Cursor_get_none, NULL, "always None", NULL},
    {"connection", (getter)Cursor_get_connection, NULL, "the database", NULL},
    {"arraysize", (getter)Cursor_get_arraysize,
     (setter)Cursor_set_arraysize, "rows fetchmany() returns by default",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject CursorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remdb.Cursor",
    .tp_basicsize = sizeof(Cursor),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A DB-API 2.0 style cursor over remdb's statement API: rows "
              "are read one step at a time.",
    .tp_dealloc = (destructor)Cursor_dealloc,
    .tp_traverse = (traverseproc)Cursor_traverse,
    .tp_clear = (inquiry)Cursor_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Cursor_iternext,
    .tp_methods = Cursor_methods,
    .tp_getset = Cursor_getset,
    .tp_weaklistoffset = offsetof(Cursor, weakrefs),
};

static PyObject *Handle_execute(Handle *h, PyObject *args) {
  PyObject *c = Handle_cursor(h, NULL);
  if (c == NULL) return NULL;
  PyObject *r = Cursor_execute((Cursor *)c, args);
  Py_DECREF(c);
  return r;
}

/* ---- Batch: many inserts, one atomic commit --------------------------- */

typedef struct {
  PyObject_HEAD
  Handle *h;
  child link;
  remdb_batch *b;
  unsigned long thread; /* the thread that began it */
  int held; /* holds h's lock: from its first insert to its commit, while
               it may hold remdb's write lock (a thread's) */
  size_t committed;
} Batch;

static void batch_free_held(Batch *b) {
  if (b->b) {
    remdb_batch *x = b->b;
    b->b = NULL;
    NOGIL(remdb_batch_free(x));
  }
  if (b->held) {
    b->held = 0;
    unhold(b->h);
  }
}

static void batch_release(child *k) { batch_free_held(KID_OF(Batch, k)); }

static PyObject *Handle_batch(Handle *h, PyObject *unused) {
  (void)unused;
  if (hold(h) < 0) return NULL;
  remdb_batch *x = NULL;
  int rc;
  NOGIL(rc = remdb_batch_begin(h->db, &x));
  if (rc != REMDB_OK) {
    fail(h, rc);
    unhold(h);
    return NULL;
  }
  Batch *b = PyObject_New(Batch, &BatchType);
  if (b == NULL) {
    NOGIL(remdb_batch_free(x));
    unhold(h);
    return NULL;
  }
  Py_INCREF(h);
  b->h = h;
  b->b = x;
  b->thread = PyThread_get_thread_ident();
  b->held = 0;
  b->committed = 0;
  b->link.release = batch_release;
  kid_add(h, &b->link);
  unhold(h);
  return (PyObject *)b;
}

static void Batch_dealloc(Batch *b) {
  if (b->h && b->held && b->thread != PyThread_get_thread_ident()) {
    /* remdb's write lock belongs to the thread that began the batch:
    ** freeing the batch here could not release it.  The object stays on
    ** its handle's list (its memory and its handle reference are kept), so
    ** that closing the handle in that thread frees it. */
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (PyErr_WarnEx(PyExc_ResourceWarning,
                     "remdb.Batch with uncommitted inserts dropped by "
                     "another thread than the one that began it: it stays "
                     "open (and its database locked) until that thread "
                     "closes the database",
                     1) < 0)
      PyErr_WriteUnraisable((PyObject *)b);
    PyErr_Restore(t, v, tb);
    return;
  }
  if (b->h) {
    hold_any(b->h);
    kid_remove(&b->link);
    batch_free_held(b);
    unhold(b->h);
  }
  Py_CLEAR(b->h);
  PyObject_Del(b);
}

static int batch_check(Batch *b) {
  if (b->b == NULL) {
    raise_rc(REMDB_MISUSE, b->h && b->h->db ? "the batch is closed"
                                            : "the database is closed");
    return -1;
  }
  if (b->thread != PyThread_get_thread_ident()) {
    raise_rc(REMDB_MISUSE,
             "a batch may only be used by the thread that began it");
    return -1;
  }
  return 0;
}

static PyObject *Batch_insert(Batch *b, PyObject *args) {
  const char *table, *json;
  Py_ssize_t len;
  char id[REMDB_ID_LEN + 1];
  if (!PyArg_ParseTuple(args, "ss#:insert", &table, &json, &len)) return NULL;
  if (batch_check(b) < 0) return NULL;
  if (!b->held) { /* the first insert may take remdb's write lock */
    hold_any(b->h);
    b->held = 1;
  }
  int rc;
  NOGIL(rc = remdb_batch_insert(b->b, table, json, (size_t)len, id));
  if (rc != REMDB_OK) return fail(b->h, rc);
  return PyUnicode_FromStringAndSize(id, REMDB_ID_LEN);
}

static PyObject *Batch_commit(Batch *b, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"sync", NULL};
  PyObject *sync = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:commit", kwlist, &sync))
    return NULL;
  int s = -1;
  if (sync != Py_None) {
    s = PyObject_IsTrue(sync);
    if (s < 0) return NULL;
  }
  if (batch_check(b) < 0) return NULL;
  size_t n = remdb_batch_count(b->b);
  int rc;
  NOGIL(rc = remdb_batch_commit(b->b, s));
  PyObject *r = rc != REMDB_OK ? fail(b->h, rc) : PyLong_FromSize_t(n);
  if (rc == REMDB_OK) b->committed += n;
  if (b->held) { /* a commit, whatever its outcome, ends the transaction */
    b->held = 0;
    unhold(b->h);
  }
  return r;
}

static PyObject *Batch_close(Batch *b, PyObject *unused) {
  (void)unused;
  if (b->held && b->thread != PyThread_get_thread_ident())
    return raise_rc(REMDB_MISUSE,
                    "a batch may only be used by the thread that began it");
  hold_any(b->h);
  kid_remove(&b->link);
  batch_free_held(b);
  unhold(b->h);
  Py_RETURN_NONE;
}

static Py_ssize_t Batch_len(Batch *b) {
  return b->b ? (Py_ssize_t)remdb_batch_count(b->b) : 0;
}

static PyObject *Batch_get_closed(Batch *b, void *x) {
  (void)x;
  return PyBool_FromLong(b->b == NULL);
}

static PyObject *Batch_get_committed(Batch *b, void *x) {
  (void)x;
  return PyLong_FromSize_t(b->committed);
}

static PyMethodDef Batch_methods[] = {
    {"insert", (PyCFunction)Batch_insert, METH_VARARGS,
     "insert(table, json) -> id: validate and stage one entity"},
    {"commit", (PyCFunction)(void (*)(void))Batch_commit,
     METH_VARARGS | METH_KEYWORDS,
     "commit(sync=None) -> n: commit what is staged, atomically; the batch "
     "stays open for more"},
    {"close", (PyCFunction)Batch_close, METH_NOARGS,
     "discard what is staged and free the batch"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Batch_getset[] = {
    {"closed", (getter)Batch_get_closed, NULL, "whether it is closed", NULL},
    {"committed", (getter)Batch_get_committed, NULL,
     "entities committed by it so far", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods Batch_seq = {.sq_length = (lenfunc)Batch_len};

static PyTypeObject BatchType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remdb._remdb.Batch",
    .tp_basicsize = sizeof(Batch),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A remdb batch: inserts staged, then committed at once.",
    .tp_dealloc = (destructor)Batch_dealloc,
    .tp_methods = Batch_methods,
    .tp_getset = Batch_getset,
    .tp_as_sequence = &Batch_seq,
};

/* ---- Iter: the entities of a table, one consistent snapshot ----------- */

typedef struct {
  PyObject_HEAD
  Handle *h;
  child link;
  remdb_iter *it;
} Iter;

static void iter_free_held(Iter *i) {
  if (i->it) {
    remdb_iter *x = i->it;
    i->it = NULL;
    NOGIL(remdb_iter_free(x));
  }
}

static void iter_release(child *k) { iter_free_held(KID_OF(Iter, k)); }

static PyObject *Handle_scan(Handle *h, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"table", "include_deleted", NULL};
  const char *table;
  int del = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|p:scan", kwlist, &table,
                                   &del))
    return NULL;
  if (hold(h) < 0) return NULL;
  remdb_iter *x = NULL;
  int rc;
  NOGIL(rc = remdb_iter_open(h->db, table, del ? REMDB_INCLUDE_DELETED : 0,
                             &x));
  if (rc != REMDB_OK) {
    fail(h, rc);
    unhold(h);
    return NULL;
  }
  Iter *i = PyObject_New(Iter, &IterType);
  if (i == NULL) {
    NOGIL(remdb_iter_free(x));
    unhold(h);
    return NULL;
  }
  Py_INCREF(h);
  i->h = h;
  i->it = x;
  i->link.release = iter_release;
  kid_add(h, &i->link);
  unhold(h);
  return (PyObject *)i;
}

static void Iter_dealloc(Iter *i) {
  if (i->h) {
    hold_any(i->h);
    kid_remove(&i->link);
    iter_free_held(i);
    unhold(i->h);
  }
  Py_CLEAR(i->h);
  PyObject_Del(i);
}

static PyObject *Iter_next(Iter *i) {
  if (i->it == NULL) return NULL;
  if (hold(i->h) < 0) return NULL;
  const char *json = NULL;
  size_t len = 0;
  int rc;
  NOGIL(rc = remdb_iter_next(i->it, &json, &len));
  PyObject *r = NULL;
  if (rc == REMDB_ROW) {
    r = PyUnicode_DecodeUTF8(json, (Py_ssize_t)len, "replace");
  } else {
    if (rc != REMDB_DONE) fail(i->h, rc);
    kid_remove(&i->link);
    iter_free_held(i);
  }
  unhold(i->h);
  return r;
}

static PyTypeObject IterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remdb._remdb.Iter",
    .tp_basicsize = sizeof(Iter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The entities of a table as JSON text, in id order.",
    .tp_dealloc = (destructor)Iter_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Iter_next,
};

/* ---- the Handle type ---------------------------------------------------- */

#define KW(f) (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS

static PyMethodDef Handle_methods[] = {
    {"close", (PyCFunction)Handle_close, METH_NOARGS,
     "close the handle and everything open on it (idempotent)"},
    {"__enter__", (PyCFunction)Handle_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Handle_exit, METH_VARARGS, NULL},
    {"open_tenant", (PyCFunction)Handle_open_tenant, METH_VARARGS,
     "open_tenant(tenant) -> a new handle on the same storage"},
    {"init", (PyCFunction)Handle_init_builtins, METH_NOARGS,
     "register the built-in tables (idempotent)"},
    {"_schema_put", (PyCFunction)Handle_schema_put, METH_VARARGS, NULL},
    {"_schema_get", (PyCFunction)Handle_schema_get, METH_VARARGS, NULL},
    {"_schema_list", (PyCFunction)Handle_schema_list, METH_NOARGS, NULL},
    {"drop", (PyCFunction)Handle_schema_drop, METH_VARARGS,
     "drop(table): drop a table with all its entities"},
    {"_insert", (PyCFunction)Handle_insert, METH_VARARGS, NULL},
    {"_validate", (PyCFunction)Handle_validate, METH_VARARGS, NULL},
    {"_update", (PyCFunction)Handle_update, METH_VARARGS, NULL},
    {"delete", KW(Handle_delete),
     "delete(id, hard=False): soft delete, or remove with hard=True"},
    {"_get", KW(Handle_get), NULL},
    {"_count", KW(Handle_count), NULL},
    {"_find", KW(Handle_find), NULL},
    {"_scan", KW(Handle_scan), NULL},
    {"_lookup", KW(Handle_lookup), NULL},
    {"_search", KW(Handle_search), NULL},
    {"_ingest", KW(Handle_ingest), NULL},
    {"_edge_put", KW(Handle_edge_put), NULL},
    {"edge_delete", (PyCFunction)Handle_edge_delete, METH_VARARGS,
     "edge_delete(src, dst, type)"},
    {"_edges", KW(Handle_edges), NULL},
    {"_traverse", KW(Handle_traverse), NULL},
    {"_shortest_path", KW(Handle_shortest_path), NULL},
    {"_verify", (PyCFunction)Handle_verify, METH_NOARGS, NULL},
    {"reindex", (PyCFunction)Handle_reindex, METH_VARARGS,
     "reindex(table=None): rebuild indexes from the entities"},
    {"_stats", (PyCFunction)Handle_stats, METH_NOARGS, NULL},
    {"export_parquet", KW(Handle_export_parquet),
     "export_parquet(table, path, where=None, *, compression='zstd') -> rows:\n"
     "the live rows of table (those the SQL condition where selects) as a\n"
     "typed Parquet file, written atomically"},
    {"backup", (PyCFunction)Handle_backup, METH_VARARGS,
     "backup(dest): a consistent copy of the whole database in dest"},
    {"compact", (PyCFunction)Handle_compact, METH_NOARGS,
     "compact the storage"},
    {"sql", KW(Handle_sql),
     "sql(query, params=()) -> list of dicts, one per row"},
    {"executescript", (PyCFunction)Handle_executescript, METH_VARARGS,
     "executescript(sql): run each statement of sql in turn"},
    {"cursor", (PyCFunction)Handle_cursor, METH_NOARGS,
     "a new DB-API style cursor"},
    {"execute", (PyCFunction)Handle_execute, METH_VARARGS,
     "execute(sql, params=()) -> a new cursor that ran sql"},
    {"_batch", (PyCFunction)Handle_batch, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Handle_getset[] = {
    {"closed", (getter)Handle_get_closed, NULL, "whether it is closed", NULL},
    {"tenant", (getter)Handle_get_tenant, NULL, "the handle's tenant", NULL},
    {"directory", (getter)Handle_get_path, NULL, "the database directory",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject HandleType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remdb._remdb.Handle",
    .tp_basicsize = sizeof(Handle),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "An open remdb database for one tenant (remdb.h's remdb *).",
    .tp_new = Handle_new,
    .tp_init = (initproc)Handle_init,
    .tp_dealloc = (destructor)Handle_dealloc,
    .tp_methods = Handle_methods,
    .tp_getset = Handle_getset,
    .tp_weaklistoffset = offsetof(Handle, weakrefs),
};

/* ---- the module --------------------------------------------------------- */

static PyObject *mod_errstr(PyObject *m, PyObject *args) {
  (void)m;
  int rc;
  if (!PyArg_ParseTuple(args, "i:errstr", &rc)) return NULL;
  return PyUnicode_FromString(remdb_errstr(rc));
}

static PyMethodDef module_methods[] = {
    {"errstr", mod_errstr, METH_VARARGS,
     "errstr(code) -> the fixed description of a result code"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_remdb",
    "The C extension under the remdb package: remdb.h for Python.", -1,
    module_methods, NULL, NULL, NULL, NULL};

static PyObject *new_exc(PyObject *m, const char *name, PyObject *bases,
                         const char *doc) {
  char full[64];
  snprintf(full, sizeof full, "remdb.%s", name);
  PyObject *e = PyErr_NewExceptionWithDoc(full, doc, bases, NULL);
  if (e == NULL) return NULL;
  Py_INCREF(e);
  if (PyModule_AddObject(m, name, e) < 0) {
    Py_DECREF(e);
    Py_DECREF(e);
    return NULL;
  }
  return e;
}

static PyObject *new_sub(PyObject *m, const char *name, PyObject *extra,
                         const char *doc) {
  PyObject *bases = extra ? PyTuple_Pack(2, Error, extra)
                          : PyTuple_Pack(1, Error);
  if (bases == NULL) return NULL;
  PyObject *e = new_exc(m, name, bases, doc);
  Py_DECREF(bases);
  return e;
}

PyMODINIT_FUNC PyInit__remdb(void) {
  if (PyType_Ready(&HandleType) < 0 || PyType_Ready(&CursorType) < 0 ||
      PyType_Ready(&BatchType) < 0 || PyType_Ready(&IterType) < 0)
    return NULL;
  PyObject *m = PyModule_Create(&moduledef);
  if (m == NULL) return NULL;
  if (!(Error = new_exc(m, "Error", PyExc_Exception,
                        "A remdb call failed: .code is remdb's result code, "
                        ".message its message.")) ||
      !(InvalidInput = new_sub(m, "InvalidInput", PyExc_ValueError,
                               "Malformed input (REMDB_INVALID): bad JSON, "
                               "argument, name or SQL.")) ||
      !(ValidationError = new_sub(m, "ValidationError", PyExc_ValueError,
                                  "Input broke a schema rule "
                                  "(REMDB_SCHEMA).")) ||
      !(NotFound = new_sub(m, "NotFound", PyExc_LookupError,
                           "Unknown table, id or key (REMDB_NOTFOUND).")) ||
      !(Exists = new_sub(m, "Exists", NULL,
                         "The object already exists (REMDB_EXISTS).")) ||
      !(TooBig = new_sub(m, "TooBig", NULL,
                         "A configured limit was exceeded (REMDB_TOOBIG).")) ||
      !(NoMemory = new_sub(m, "NoMemory", PyExc_MemoryError,
                           "Out of memory (REMDB_NOMEM).")) ||
      !(StorageError = new_sub(m, "StorageError", NULL,
                               "A storage (RocksDB) error (REMDB_IO).")) ||
      !(Corrupt = new_sub(m, "Corrupt", NULL,
                          "Stored data failed a check (REMDB_CORRUPT).")) ||
      !(Busy = new_sub(m, "Busy", NULL,
                       "Locked by another process, or an index is being "
                       "rebuilt (REMDB_BUSY): retry later.")) ||
      !(Misuse = new_sub(m, "Misuse", NULL,
                         "The API was used wrongly (REMDB_MISUSE), e.g. a "
                         "closed database.")))
    goto fail;
  {
    /* the class's code, the default of an instance's .code */
    static const struct {
      PyObject **cls;
      int rc;
    } codes[] = {{&Error, REMDB_ERROR},         {&InvalidInput, REMDB_INVALID},
                 {&ValidationError, REMDB_SCHEMA}, {&NotFound, REMDB_NOTFOUND},
                 {&Exists, REMDB_EXISTS},       {&TooBig, REMDB_TOOBIG},
                 {&NoMemory, REMDB_NOMEM},      {&StorageError, REMDB_IO},
                 {&Corrupt, REMDB_CORRUPT},     {&Busy, REMDB_BUSY},
                 {&Misuse, REMDB_MISUSE}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
      PyObject *c = PyLong_FromLong(codes[i].rc);
      int bad = c == NULL || PyObject_SetAttrString(*codes[i].cls, "code", c) < 0;
      Py_XDECREF(c);
      if (bad) goto fail;
    }
  }
  Py_INCREF(&HandleType);
  if (PyModule_AddObject(m, "Handle", (PyObject *)&HandleType) < 0) {
    Py_DECREF(&HandleType);
    goto fail;
  }
  Py_INCREF(&CursorType);
  if (PyModule_AddObject(m, "Cursor", (PyObject *)&CursorType) < 0) {
    Py_DECREF(&CursorType);
    goto fail;
  }
  Py_INCREF(&BatchType);
  if (PyModule_AddObject(m, "Batch", (PyObject *)&BatchType) < 0) {
    Py_DECREF(&BatchType);
    goto fail;
  }
  if (PyModule_AddStringConstant(m, "VERSION", REMDB_VERSION) < 0 ||
      PyModule_AddIntConstant(m, "SEARCH_AUTO", REMDB_SEARCH_AUTO) < 0 ||
      PyModule_AddIntConstant(m, "SEARCH_EXACT", REMDB_SEARCH_EXACT) < 0 ||
      PyModule_AddIntConstant(m, "SEARCH_HNSW", REMDB_SEARCH_HNSW) < 0)
    goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
