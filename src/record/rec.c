/*
** rec.c: reading and writing the record format described in rec.h.
*/
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

static uint16_t ld16(const unsigned char *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t ld32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static uint64_t ld64(const unsigned char *p) {
  return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32);
}
static void st16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
static void st32(unsigned char *p, uint32_t v) {
  st16(p, (uint16_t)v);
  st16(p + 2, (uint16_t)(v >> 16));
}
static void st64(unsigned char *p, uint64_t v) {
  st32(p, (uint32_t)v);
  st32(p + 4, (uint32_t)(v >> 32));
}

int rec_open(rec_view *v, const void *data, size_t len, err_t *e) {
  const unsigned char *d = data;
  if (len < REC_HDR) return err_set(e, REMDB_CORRUPT, "record truncated");
  if (d[0] != REC_VERSION)
    return err_set(e, REMDB_CORRUPT, "record format version %u unknown",
                   d[0]);
  uint32_t n = ld16(d + 2);
  size_t dir = REC_HDR + (size_t)n * REC_SLOT;
  if (dir > len)
    return err_set(e, REMDB_CORRUPT, "record directory overruns the value");
  size_t body_len = len - dir;
  uint32_t prev_id = 0, prev_off = 0;
  for (uint32_t i = 0; i < n; i++) {
    const unsigned char *s = d + REC_HDR + (size_t)i * REC_SLOT;
    uint32_t id = ld16(s), off = ld32(s + 4);
    uint8_t type = s[2];
    if (id == 0 || (i > 0 && id <= prev_id))
      return err_set(e, REMDB_CORRUPT, "record field ids out of order");
    if (type > REC_JSON || s[3] != 0)
      return err_set(e, REMDB_CORRUPT, "record field %u has bad type", id);
    if (off < prev_off || off > body_len)
      return err_set(e, REMDB_CORRUPT, "record field %u offset out of range",
                     id);
    size_t end = i + 1 < n ? ld32(s + REC_SLOT + 4) : body_len;
    if (end < off || end > body_len)
      return err_set(e, REMDB_CORRUPT, "record field %u length out of range",
                     id);
    size_t flen = end - off;
    if ((type <= REC_TRUE && flen != 0) ||
        ((type == REC_INT || type == REC_REAL) && flen != 8))
      return err_set(e, REMDB_CORRUPT, "record field %u has bad length", id);
    prev_id = id;
    prev_off = off;
  }
  v->data = d;
  v->len = len;
  v->n = n;
  v->body = d + dir;
  v->body_len = body_len;
  return REMDB_OK;
}

void rec_at(const rec_view *v, uint32_t i, rec_field *f) {
  assert(i < v->n);
  const unsigned char *s = v->data + REC_HDR + (size_t)i * REC_SLOT;
  uint32_t off = ld32(s + 4);
  size_t end = i + 1 < v->n ? ld32(s + REC_SLOT + 4) : v->body_len;
  f->id = ld16(s);
  f->type = s[2];
  f->p = (const char *)v->body + off;
  f->n = end - off;
}

bool rec_find(const rec_view *v, uint16_t id, rec_field *f) {
  uint32_t lo = 0, hi = v->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint16_t mid_id = ld16(v->data + REC_HDR + (size_t)mid * REC_SLOT);
    if (mid_id == id) {
      rec_at(v, mid, f);
      return true;
    }
    if (mid_id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

int64_t rec_int(const rec_field *f) {
  return (int64_t)ld64((const unsigned char *)f->p);
}

double rec_real(const rec_field *f) {
  uint64_t u = ld64((const unsigned char *)f->p);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* ---- dictionary --------------------------------------------------------- */

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

void rec_dict_init(rec_dict *d) { memset(d, 0, sizeof *d); }

void rec_dict_free(rec_dict *d) {
  for (uint32_t i = 0; i < d->cap; i++) free(d->names[i]);
  free(d->names);
  free(d->slots);
  rec_dict_init(d);
}

static bool dict_insert_slot(uint16_t *slots, uint32_t nslots, char **names,
                             uint16_t id) {
  uint32_t i = name_hash(names[id]) & (nslots - 1);
  while (slots[i] != 0) i = (i + 1) & (nslots - 1);
  slots[i] = id;
  return true;
}

bool rec_dict_set(rec_dict *d, uint16_t id, const char *name) {
  if (id >= d->cap) {
    uint32_t cap = d->cap ? d->cap : 32;
    while (cap <= id) cap *= 2;
    char **nn = realloc(d->names, cap * sizeof *nn);
    if (nn == NULL) return false;
    memset(nn + d->cap, 0, (cap - d->cap) * sizeof *nn);
    d->names = nn;
    d->cap = cap;
  }
  char *copy = strdup(name);
  if (copy == NULL) return false;
  /* keep the hash at most half full */
  uint32_t used = 0;
  for (uint32_t i = 0; i < d->cap; i++) used += d->names[i] != NULL;
  if ((used + 1) * 2 > d->nslots) {
    uint32_t ns = d->nslots ? d->nslots * 2 : 64;
    while ((used + 1) * 2 > ns) ns *= 2;
    uint16_t *slots = calloc(ns, sizeof *slots);
    if (slots == NULL) {
      free(copy);
      return false;
    }
    for (uint32_t i = 0; i < d->cap; i++)
      if (d->names[i]) dict_insert_slot(slots, ns, d->names, (uint16_t)i);
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
  }
  d->names[id] = copy;
  dict_insert_slot(d->slots, d->nslots, d->names, id);
  return true;
}

uint16_t rec_dict_id(const rec_dict *d, const char *name) {
  if (d->nslots == 0) return 0;
  uint32_t i = name_hash(name) & (d->nslots - 1);
  while (d->slots[i] != 0) {
    if (strcmp(d->names[d->slots[i]], name) == 0) return d->slots[i];
    i = (i + 1) & (d->nslots - 1);
  }
  return 0;
}

const char *rec_dict_name(const rec_dict *d, uint16_t id) {
  return id < d->cap ? d->names[id] : NULL;
}

/* ---- builder ------------------------------------------------------------ */

void rec_builder_init(rec_builder *b) {
  memset(b, 0, sizeof *b);
  buf_init(&b->scratch);
}

void rec_builder_free(rec_builder *b) {
  free(b->f);
  buf_free(&b->scratch);
  memset(b, 0, sizeof *b);
}

void rec_builder_reset(rec_builder *b) {
  b->n = 0;
  buf_reset(&b->scratch);
}

static bool add_entry(rec_builder *b, uint16_t id, uint8_t type,
                      const void *p, size_t off, size_t n, bool scratch) {
  if (b->n == b->cap) {
    uint32_t cap = b->cap ? b->cap * 2 : 16;
    rec_entry *f = realloc(b->f, cap * sizeof *f);
    if (f == NULL) return false;
    b->f = f;
    b->cap = cap;
  }
  b->f[b->n++] = (rec_entry){id, type, scratch, p, off, n};
  return true;
}

bool rec_add(rec_builder *b, uint16_t id, uint8_t type, const void *p,
             size_t n) {
  return add_entry(b, id, type, p, 0, n, false);
}

/* Fixed-width and nested values are written into scratch, which may move
** as it grows, so their entries hold an offset resolved in rec_build. */
static bool add_scratch(rec_builder *b, uint16_t id, uint8_t type,
                        const void *p, size_t n) {
  size_t off = b->scratch.len;
  buf_add(&b->scratch, p, n);
  return !b->scratch.oom && add_entry(b, id, type, NULL, off, n, true);
}

int rec_add_json(rec_builder *b, uint16_t id, json_t *v, err_t *e) {
  bool ok;
  unsigned char t[8];
  switch (json_typeof(v)) {
    case JSON_NULL: ok = rec_add(b, id, REC_NULL, NULL, 0); break;
    case JSON_TRUE: ok = rec_add(b, id, REC_TRUE, NULL, 0); break;
    case JSON_FALSE: ok = rec_add(b, id, REC_FALSE, NULL, 0); break;
    case JSON_INTEGER:
      st64(t, (uint64_t)json_integer_value(v));
      ok = add_scratch(b, id, REC_INT, t, 8);
      break;
    case JSON_REAL: {
      double d = json_real_value(v);
      uint64_t u;
      memcpy(&u, &d, 8);
      st64(t, u);
      ok = add_scratch(b, id, REC_REAL, t, 8);
      break;
    }
    case JSON_STRING:
      ok = rec_add(b, id, REC_TEXT, json_string_value(v),
                   json_string_length(v));
      break;
    default: {
      size_t need = json_dumpb(v, NULL, 0, JSON_COMPACT);
      size_t off = b->scratch.len;
      if (need == 0) return err_set(e, REMDB_INVALID, "cannot encode value");
      if (!buf_reserve(&b->scratch, need)) return err_nomem(e);
      json_dumpb(v, b->scratch.p + off, need, JSON_COMPACT);
      b->scratch.len += need;
      ok = add_entry(b, id, REC_JSON, NULL, off, need, true);
      break;
    }
  }
  return ok ? REMDB_OK : err_nomem(e);
}

static int entry_cmp(const void *a, const void *b) {
  const rec_entry *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

int rec_build(rec_builder *b, buf_t *out, err_t *e) {
  if (b->n > REC_MAX_FIELDS)
    return err_set(e, REMDB_TOOBIG, "entity has more than %d fields",
                   REC_MAX_FIELDS);
  if (b->n > 32) {
    qsort(b->f, b->n, sizeof *b->f, entry_cmp);
  } else { /* a record's few fields: an insertion sort (stable, as is
           ** glibc's qsort; every insert pays it) */
    for (uint32_t i = 1; i < b->n; i++) {
      rec_entry v = b->f[i];
      uint32_t j = i;
      for (; j > 0 && b->f[j - 1].id > v.id; j--) b->f[j] = b->f[j - 1];
      b->f[j] = v;
    }
  }
  size_t body = 0;
  for (uint32_t i = 0; i < b->n; i++) {
    if (i > 0 && b->f[i].id == b->f[i - 1].id)
      return err_set(e, REMDB_INVALID, "field %u given twice", b->f[i].id);
    body += b->f[i].n;
  }
  if (body > UINT32_MAX)
    return err_set(e, REMDB_TOOBIG, "entity record exceeds 4 GiB");
  size_t dir = REC_HDR + (size_t)b->n * REC_SLOT;
  size_t start = out->len;
  if (!buf_reserve(out, dir + body)) return err_nomem(e);
  unsigned char *d = (unsigned char *)out->p + start;
  d[0] = REC_VERSION;
  d[1] = 0;
  st16(d + 2, (uint16_t)b->n);
  size_t off = 0;
  for (uint32_t i = 0; i < b->n; i++) {
    const rec_entry *f = &b->f[i];
    unsigned char *s = d + REC_HDR + (size_t)i * REC_SLOT;
    st16(s, f->id);
    s[2] = f->type;
    s[3] = 0;
    st32(s + 4, (uint32_t)off);
    const char *src = f->scratch ? b->scratch.p + f->off : f->p;
    if (f->n) memcpy(d + dir + off, src, f->n);
    off += f->n;
  }
  out->len += dir + body;
  return REMDB_OK;
}

static bool is_system_key(const char *k) {
  return strcmp(k, "id") == 0 || strcmp(k, "type") == 0 ||
         strcmp(k, "created_at") == 0 || strcmp(k, "modified_at") == 0 ||
         strcmp(k, "deleted_at") == 0;
}

int rec_from_json(const rec_dict *d, json_t *obj, const char *created,
                  const char *modified, const char *deleted, buf_t *out,
                  err_t *e) {
  rec_builder b;
  rec_builder_init(&b);
  json_t *extra = NULL;
  int rc = REMDB_OK;
  const char *k;
  json_t *v;
  if (!rec_add(&b, REC_F_CREATED, REC_TEXT, created, strlen(created)) ||
      !rec_add(&b, REC_F_MODIFIED, REC_TEXT, modified, strlen(modified)) ||
      (deleted &&
       !rec_add(&b, REC_F_DELETED, REC_TEXT, deleted, strlen(deleted)))) {
    rc = err_nomem(e);
    goto done;
  }
  json_object_foreach(obj, k, v) {
    if (is_system_key(k)) continue;
    uint16_t id = rec_dict_id(d, k);
    if (id >= REC_F_FIRST) {
      rc = rec_add_json(&b, id, v, e);
      if (rc) goto done;
      continue;
    }
    if (extra == NULL && (extra = json_object()) == NULL) {
      rc = err_nomem(e);
      goto done;
    }
    if (json_object_set(extra, k, v) != 0) {
      rc = err_nomem(e);
      goto done;
    }
  }
  if (extra) {
    rc = rec_add_json(&b, REC_F_EXTRA, extra, e);
    if (rc) goto done;
  }
  rc = rec_build(&b, out, e);
done:
  json_decref(extra);
  rec_builder_free(&b);
  return rc;
}

/* ---- JSON output -------------------------------------------------------- */

void rec_field_json(const rec_field *f, buf_t *out) {
  switch (f->type) {
    case REC_NULL: buf_add(out, "null", 4); break;
    case REC_FALSE: buf_add(out, "false", 5); break;
    case REC_TRUE: buf_add(out, "true", 4); break;
    case REC_INT: { /* by hand: printf is a measurable share of a get */
      int64_t v = rec_int(f);
      char t[24], *p = t + sizeof t;
      uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      do *--p = (char)('0' + u % 10);
      while ((u /= 10) != 0);
      if (v < 0) *--p = '-';
      buf_add(out, p, (size_t)(t + sizeof t - p));
      break;
    }
    case REC_REAL: {
      double d = rec_real(f);
      char t[40];
      if (!isfinite(d)) {
        buf_add(out, "null", 4);
        break;
      }
      /* shortest of %.15g/%.16g/%.17g that reads back exactly */
      for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, d);
        if (strtod(t, NULL) == d) break;
      }
      buf_adds(out, t);
      if (strpbrk(t, ".eEn") == NULL) buf_add(out, ".0", 2);
      break;
    }
    case REC_TEXT: buf_add_json_str(out, f->p, f->n); break;
    case REC_JSON: buf_add(out, f->p, f->n); break;
  }
}

int rec_to_json(const rec_dict *d, const rec_view *v, const char *id,
                const char *type, buf_t *out, err_t *e) {
  rec_field f;
  buf_add(out, "{\"id\":", 6);
  buf_add_json_str(out, id, strlen(id));
  buf_add(out, ",\"type\":", 8);
  buf_add_json_str(out, type, strlen(type));
  static const char *const sys[] = {NULL, ",\"created_at\":",
                                    ",\"modified_at\":", ",\"deleted_at\":"};
  for (uint16_t s = REC_F_CREATED; s <= REC_F_DELETED; s++) {
    buf_adds(out, sys[s]);
    if (rec_find(v, s, &f))
      rec_field_json(&f, out);
    else
      buf_add(out, "null", 4);
  }
  const rec_field *extra = NULL;
  rec_field xf;
  for (uint32_t i = 0; i < v->n; i++) {
    rec_at(v, i, &f);
    if (f.id == REC_F_EXTRA && f.type == REC_JSON) {
      xf = f;
      extra = &xf;
    }
    if (f.id < REC_F_FIRST) continue;
    const char *name = rec_dict_name(d, f.id);
    buf_addc(out, ',');
    if (name) {
      buf_add_json_str(out, name, strlen(name));
    } else {
      buf_addf(out, "\"_field_%u\"", f.id);
    }
    buf_addc(out, ':');
    rec_field_json(&f, out);
  }
  /* splice the members of the extra object: drop its braces */
  if (extra && extra->n > 2) {
    buf_addc(out, ',');
    buf_add(out, extra->p + 1, extra->n - 2);
  }
  buf_addc(out, '}');
  return out->oom ? err_nomem(e) : REMDB_OK;
}

/* ---- edge records ------------------------------------------------------- */

void erec_encode(buf_t *out, double weight, const char *created,
                 const char *props, size_t props_len) {
  uint64_t u;
  memcpy(&u, &weight, 8);
  buf_addc(out, EREC_VERSION);
  buf_add_u64be(out, u);
  buf_add(out, created, TS_LEN);
  if (props) buf_add(out, props, props_len);
}

int erec_decode(const void *data, size_t len, erec *out, err_t *e) {
  const unsigned char *d = data;
  if (len < EREC_HDR || d[0] != EREC_VERSION)
    return err_set(e, REMDB_CORRUPT, "edge record is malformed");
  uint64_t u = get_u64be(d + 1);
  memcpy(&out->weight, &u, 8);
  out->created = (const char *)d + 9;
  out->props = len > EREC_HDR ? (const char *)d + EREC_HDR : NULL;
  out->props_len = len - EREC_HDR;
  return REMDB_OK;
}
