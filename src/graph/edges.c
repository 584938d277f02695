/*
** edges.c: writing, deleting and listing edges (see graph.h).
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sql/sql.h"
#include "graph.h"

static int check_type(remdb *db, const char *type) {
  if (type == NULL || !ident_valid(type, 64))
    return err_set(&db->err, REMDB_INVALID,
                   "edge type \"%.64s\" must match [A-Za-z_][A-Za-z0-9_]* "
                   "and be at most 64 characters",
                   type ? type : "(null)");
  return REMDB_OK;
}

bool graph_live(remdb *db, const snap_t *snap, const uuid16_t *id) {
  return ent_live(db, snap, id);
}

void graph_edge_json(const gedge *e, buf_t *out) {
  char s[REMDB_ID_LEN + 1], d[REMDB_ID_LEN + 1];
  uuid_format(&e->src, s);
  uuid_format(&e->dst, d);
  buf_addf(out, "{\"src\":\"%s\",\"dst\":\"%s\",\"type\":", s, d);
  buf_add_json_str(out, e->type, strlen(e->type));
  char w[40];
  snprintf(w, sizeof w, "%.17g", e->rec.weight);
  buf_addf(out, ",\"weight\":%s,\"created_at\":\"%s\",\"props\":", w,
           e->created);
  if (e->rec.props && e->rec.props_len)
    buf_add(out, e->rec.props, e->rec.props_len);
  else
    buf_adds(out, "{}");
  buf_addc(out, '}');
}

int graph_each_edge(remdb *db, const snap_t *snap, const uuid16_t *id,
                    int dir, const char *type, gedge_fn fn, void *ctx) {
  return graph_each_edge_seen(db, snap, id, dir, type, NULL, fn, ctx);
}

/* Edges are read in groups; the liveness of their far ends is then
** checked with two batched reads per group instead of two gets an edge. */
#define EDGE_GROUP 64

typedef struct egroup {
  gedge e[EDGE_GROUP];
  uuid16_t other[EDGE_GROUP];
  size_t val_off[EDGE_GROUP], val_len[EDGE_GROUP];
  size_t n;
  buf_t vals; /* the edge records, copied out of the iterator */
} egroup;

/* Call fn for the live edges of the group; returns fn's stop value. */
static int flush_group(remdb *db, const snap_t *snap, egroup *g,
                       gedge_fn fn, void *ctx) {
  bool live[EDGE_GROUP];
  int stop = 0;
  ent_live_many(db, snap, g->other, g->n, live);
  for (size_t i = 0; i < g->n && !stop; i++) {
    err_t de;
    if (!live[i] || erec_decode(g->vals.p + g->val_off[i], g->val_len[i],
                                &g->e[i].rec, &de) != REMDB_OK)
      continue;
    memcpy(g->e[i].created, g->e[i].rec.created, TS_LEN);
    g->e[i].created[TS_LEN] = 0;
    stop = fn(ctx, &g->e[i]);
  }
  g->n = 0;
  buf_reset(&g->vals);
  return stop;
}

int graph_each_edge_seen(remdb *db, const snap_t *snap, const uuid16_t *id,
                         int dir, const char *type, gseen_fn seen,
                         gedge_fn fn, void *ctx) {
  egroup *g = calloc(1, sizeof *g);
  if (g == NULL) return err_nomem(&db->err);
  int rc = REMDB_OK, stop = 0;
  for (int d = 0; d < 2 && !rc && !stop; d++) {
    char kdir = d ? 'R' : 'F';
    if (!(dir & (d ? REMDB_IN : REMDB_OUT))) continue;
    unsigned char lo[KEY_EDGE_MAX], hi[KEY_EDGE_MAX];
    key_edge_prefix(lo, db->tid, kdir, id->b);
    size_t lol = 21;
    if (type) { /* narrow to TYPE 0 */
      size_t tl = strlen(type);
      memcpy(lo + 21, type, tl);
      lo[21 + tl] = 0;
      lol = 22 + tl;
    }
    size_t hil = kv_prefix_end(lo, lol, hi);
    kv_iter_t *it;
    rc = kv_iter_new(db->st->kv, snap ? snap->kv : NULL, KV_EDGE, lo, lol, hi,
                     hil, &it, &db->err);
    if (rc) break;
    for (kv_iter_first(it); !stop && kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl, vl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      const char *v = kv_iter_value(it, &vl);
      char kd;
      const unsigned char *a, *b;
      const char *t;
      size_t tl;
      gedge *e = &g->e[g->n];
      if (!key_edge_parse(k, kl, &kd, &a, &t, &tl, &b) || tl >= sizeof e->type)
        continue;
      uuid16_t other;
      memcpy(other.b, b, 16);
      if (seen && seen(ctx, &other)) continue; /* no need to check it */
      memcpy(e->type, t, tl);
      e->type[tl] = 0;
      memcpy(e->src.b, kd == 'F' ? a : b, 16);
      memcpy(e->dst.b, kd == 'F' ? b : a, 16);
      g->other[g->n] = other;
      /* the record is decoded at flush, from a copy: the iterator moves */
      g->val_off[g->n] = g->vals.len;
      g->val_len[g->n] = vl;
      buf_add(&g->vals, v, vl);
      if (g->vals.oom) {
        rc = err_nomem(&db->err);
        break;
      }
      if (++g->n == EDGE_GROUP) stop = flush_group(db, snap, g, fn, ctx);
    }
    if (!rc) rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
  }
  if (!rc && !stop && g->n) flush_group(db, snap, g, fn, ctx);
  buf_free(&g->vals);
  free(g);
  return rc;
}

int graph_stage_edge(wtx_t *w, const uuid16_t *s, const uuid16_t *d,
                     const char *type, const char *props, size_t props_len,
                     double weight) {
  remdb *db = wtx_db(w);
  unsigned char fk[KEY_EDGE_MAX], rk[KEY_EDGE_MAX];
  size_t fl = key_edge(fk, db->tid, 'F', s->b, type, d->b);
  size_t rl = key_edge(rk, db->tid, 'R', d->b, type, s->b);
  /* an upsert keeps the edge's created_at */
  char created[TS_LEN + 1];
  ts_format(ts_now(), created);
  kv_val old = {0};
  err_t e;
  if (kv_get(db->st->kv, NULL, KV_EDGE, fk, fl, &old, &e) == REMDB_OK) {
    erec er;
    if (erec_decode(old.data, old.len, &er, &e) == REMDB_OK)
      memcpy(created, er.created, TS_LEN);
    kv_val_free(&old);
  }
  buf_t v;
  buf_init(&v);
  erec_encode(&v, weight, created, props, props_len);
  int rc = v.oom ? err_nomem(&db->err) : wtx_note_edge(w, s, d);
  if (rc == REMDB_OK) {
    kv_batch_put(wtx_batch(w), KV_EDGE, fk, fl, v.p, v.len);
    kv_batch_put(wtx_batch(w), KV_EDGE, rk, rl, v.p, v.len);
  }
  buf_free(&v);
  return rc;
}

/* An edge as given to remdb_edge_put, checked: its ends, and its
** properties as compact JSON text (NULL: none). */
typedef struct edge_in {
  const char *src, *dst, *type;
  uuid16_t s, d;
  char *props;
  double weight;
} edge_in;

static int edge_check(remdb *db, edge_in *e, const char *props,
                      size_t props_len) {
  json_t *pj = NULL;
  int rc = parse_id(db, e->src, &e->s);
  if (rc == REMDB_OK) rc = parse_id(db, e->dst, &e->d);
  if (rc == REMDB_OK) rc = check_type(db, e->type);
  if (rc == REMDB_OK && !isfinite(e->weight))
    rc = err_set(&db->err, REMDB_INVALID, "edge weight must be a number");
  if (rc == REMDB_OK && props) {
    rc = core_parse_json(db, "edge props", props, props_len, &pj);
    if (rc == REMDB_OK && !json_is_object(pj))
      rc = err_set(&db->err, REMDB_INVALID,
                   "edge props: must be a JSON object");
    /* the nesting and value-size limits of entities */
    if (rc == REMDB_OK)
      rc = sch_check_limits("edge props", pj, &db->lim, &db->err);
    if (rc == REMDB_OK && (e->props = json_dumps(pj, JSON_COMPACT)) == NULL)
      rc = err_nomem(&db->err);
  }
  json_decref(pj);
  return rc;
}

/* Stage a checked edge into w, whose view of the entities (its staged
** versions first) must find both ends live. */
static int edge_put_in(wtx_t *w, const edge_in *e) {
  remdb *db = wtx_db(w);
  int rc = wtx_lock(w);
  /* both endpoints must be live entities of this tenant */
  if (rc == REMDB_OK && !wtx_live(w, &e->s))
    rc = err_set(&db->err, REMDB_NOTFOUND, "edge source %s: no such entity",
                 e->src);
  if (rc == REMDB_OK && !wtx_live(w, &e->d))
    rc = err_set(&db->err, REMDB_NOTFOUND, "edge target %s: no such entity",
                 e->dst);
  if (rc == REMDB_OK)
    rc = graph_stage_edge(w, &e->s, &e->d, e->type, e->props,
                          e->props ? strlen(e->props) : 0, e->weight);
  return rc;
}

/* The removal of a checked edge (both keys) staged into w.  An edge this
** transaction staged is not in storage yet: when both ends have staged
** edges the removal is staged without asking (it applies in order). */
static int edge_delete_in(wtx_t *w, const edge_in *e) {
  remdb *db = wtx_db(w);
  int rc = wtx_lock(w);
  if (rc) return rc;
  unsigned char fk[KEY_EDGE_MAX], rk[KEY_EDGE_MAX];
  size_t fl = key_edge(fk, db->tid, 'F', e->s.b, e->type, e->d.b);
  size_t rl = key_edge(rk, db->tid, 'R', e->d.b, e->type, e->s.b);
  kv_val old = {0};
  rc = kv_get(db->st->kv, NULL, KV_EDGE, fk, fl, &old, &db->err);
  kv_val_free(&old);
  if (rc == REMDB_NOTFOUND && wtx_edge_end(w, &e->s) && wtx_edge_end(w, &e->d))
    rc = REMDB_OK;
  if (rc == REMDB_NOTFOUND)
    return err_set(&db->err, REMDB_NOTFOUND, "no %s edge from %s to %s",
                   e->type, e->src, e->dst);
  if (rc) return rc;
  kv_batch_del(wtx_batch(w), KV_EDGE, fk, fl);
  kv_batch_del(wtx_batch(w), KV_EDGE, rk, rl);
  return REMDB_OK;
}

int remdb_edge_put(remdb *db, const char *src, const char *dst,
                   const char *type, const char *props, size_t props_len,
                   double weight) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  edge_in e = {src, dst, type, {{0}}, {{0}}, NULL, weight};
  wtx_t *w = NULL;
  int rc = cat_refresh(db);
  if (rc == REMDB_OK) rc = edge_check(db, &e, props, props_len);
  if (rc == REMDB_OK) rc = wtx_begin(db, &w);
  if (rc == REMDB_OK) rc = edge_put_in(w, &e);
  if (rc == REMDB_OK) rc = wtx_commit(w, -1);
  wtx_free(w);
  free(e.props);
  return rc;
}

int remdb_edge_delete(remdb *db, const char *src, const char *dst,
                      const char *type) {
  if (db == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  edge_in e = {src, dst, type, {{0}}, {{0}}, NULL, 0};
  wtx_t *w = NULL;
  int rc = cat_refresh(db);
  if (rc == REMDB_OK) rc = edge_check(db, &e, NULL, 0);
  if (rc == REMDB_OK) rc = wtx_begin(db, &w);
  if (rc == REMDB_OK) rc = edge_delete_in(w, &e);
  if (rc == REMDB_OK) rc = wtx_commit(w, -1);
  wtx_free(w);
  return rc;
}

int remdb_batch_edge_put(remdb_batch *b, const char *src, const char *dst,
                         const char *type, const char *props,
                         size_t props_len, double weight) {
  wtx_t *w;
  int rc = batch_op(b, "edge put", &w);
  if (rc) return rc;
  edge_in e = {src, dst, type, {{0}}, {{0}}, NULL, weight};
  rc = edge_check(wtx_db(w), &e, props, props_len);
  if (rc == REMDB_OK) rc = edge_put_in(w, &e);
  free(e.props);
  return rc;
}

int remdb_batch_edge_delete(remdb_batch *b, const char *src, const char *dst,
                            const char *type) {
  wtx_t *w;
  int rc = batch_op(b, "edge delete", &w);
  if (rc) return rc;
  edge_in e = {src, dst, type, {{0}}, {{0}}, NULL, 0};
  rc = edge_check(wtx_db(w), &e, NULL, 0);
  return rc ? rc : edge_delete_in(w, &e);
}

static int list_one(void *ctx, const gedge *e) {
  buf_t *out = ctx;
  if (out->len > 1) buf_addc(out, ',');
  graph_edge_json(e, out);
  return 0;
}

int remdb_edges(remdb *db, const char *id, int direction, const char *type,
                char **json_out) {
  if (db == NULL || json_out == NULL) return REMDB_MISUSE;
  err_clear(&db->err);
  *json_out = NULL;
  uuid16_t u;
  int rc = cat_refresh(db);
  if (rc == REMDB_OK) rc = parse_id(db, id, &u);
  if (rc == REMDB_OK && type) rc = check_type(db, type);
  if (rc == REMDB_OK && (direction < REMDB_OUT || direction > REMDB_BOTH))
    rc = err_set(&db->err, REMDB_MISUSE, "edge direction must be out, in or both");
  if (rc) return rc;
  snap_t *snap;
  if ((rc = snap_take(db, &snap))) return rc;
  buf_t out;
  buf_init(&out);
  buf_addc(&out, '[');
  if (!graph_live(db, snap, &u))
    rc = err_set(&db->err, REMDB_NOTFOUND, "no entity with id %s", id);
  else
    rc = graph_each_edge(db, snap, &u, direction, type, list_one, &out);
  buf_addc(&out, ']');
  snap_release(snap);
  rc = core_hand_out(db, rc, &out, json_out);
  return rc;
}

/* ---- what core reaches through its hooks (core/hooks.c) ---------------- */

/* Every edge touching id, both keys of each, removed in kb: a hard delete
** or a dropped table's rows (the writer holds the lock: the latest state
** is read). */
static int edges_remove(remdb *db, kv_batch_t *kb, const uuid16_t *id) {
  for (int d = 0; d < 2; d++) {
    unsigned char lo[21], hi[21];
    key_edge_prefix(lo, db->tid, d ? 'R' : 'F', id->b);
    size_t hil = kv_prefix_end(lo, sizeof lo, hi);
    kv_iter_t *it;
    int rc = kv_iter_new(db->st->kv, NULL, KV_EDGE, lo, sizeof lo, hi, hil,
                         &it, &db->err);
    if (rc) return rc;
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl;
      const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
      unsigned char twin[KEY_EDGE_MAX];
      size_t tn = key_edge_twin(k, kl, twin);
      kv_batch_del(kb, KV_EDGE, k, kl);
      if (tn) kv_batch_del(kb, KV_EDGE, twin, tn);
    }
    rc = kv_iter_status(it, &db->err);
    kv_iter_free(it);
    if (rc) return rc;
  }
  return REMDB_OK;
}

static void problem(core_report_fn report, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(core_report_fn report, void *ctx, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  report(ctx, msg);
}

/* remdb_verify's pass over the edges: every edge key has its twin
** (forward and reverse) holding the same record, and both endpoints
** exist. */
static int edges_verify(remdb *db, const snap_t *snap, core_report_fn report,
                        void *ctx) {
  unsigned char lo[4], hi[4];
  put_u32be(lo, db->tid);
  put_u32be(hi, db->tid + 1);
  kv_iter_t *it;
  int rc = kv_iter_new(db->st->kv, snap->kv, KV_EDGE, lo, 4, hi, 4, &it,
                       &db->err);
  if (rc) return rc;
  for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
    size_t kl, vl;
    const unsigned char *k = (const unsigned char *)kv_iter_key(it, &kl);
    const char *v = kv_iter_value(it, &vl);
    char dir;
    const unsigned char *a, *b;
    const char *type;
    size_t tl;
    char as[REMDB_ID_LEN + 1], bs[REMDB_ID_LEN + 1];
    erec er;
    err_t e;
    unsigned char twin[KEY_EDGE_MAX];
    size_t tn = key_edge_twin(k, kl, twin);
    if (tn == 0 || !key_edge_parse(k, kl, &dir, &a, &type, &tl, &b)) {
      problem(report, ctx, "edge key of length %zu is malformed", kl);
      continue;
    }
    uuid16_t ua, ub;
    memcpy(ua.b, a, 16);
    memcpy(ub.b, b, 16);
    uuid_format(&ua, as);
    uuid_format(&ub, bs);
    const char *src = dir == 'F' ? as : bs, *dst = dir == 'F' ? bs : as;
    if (erec_decode(v, vl, &er, &e) != REMDB_OK)
      problem(report, ctx, "edge %s -%.*s-> %s: record is malformed", src,
              (int)tl, type, dst);
    kv_val tv;
    if (kv_get(db->st->kv, snap->kv, KV_EDGE, twin, tn, &tv, &e) !=
        REMDB_OK) {
      problem(report, ctx, "edge %s -%.*s-> %s: no %s key", src, (int)tl,
              type, dst, dir == 'F' ? "reverse" : "forward");
    } else {
      if (tv.len != vl || memcmp(tv.data, v, vl) != 0)
        problem(report, ctx,
                "edge %s -%.*s-> %s: forward and reverse records differ", src,
                (int)tl, type, dst);
      kv_val_free(&tv);
    }
    if (dir == 'F' && (!ent_known(db, snap, &ua) || !ent_known(db, snap, &ub)))
      problem(report, ctx, "edge %s -%.*s-> %s: an endpoint does not exist",
              src, (int)tl, type, dst);
  }
  rc = kv_iter_status(it, &db->err);
  kv_iter_free(it);
  return rc;
}

void graph_wire(void) {
  static const core_hooks hooks = {edges_remove, edges_verify};
  core_set_hooks(&hooks);
  sql_fn_register(&graph_traverse_fn);
}
