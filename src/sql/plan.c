/*
** plan.c: the planner's half of the virtual table.  xBestIndex looks at
** the constraints SQLite offers and picks one route:
**
**   point   id = ? or id IN (...): one get per id
**   index   =, IN, IS NULL, <, <=, >, >=, BETWEEN, IS NOT NULL on an
**           indexed field, or ORDER BY an indexed field: a scan of that
**           field's index entries, then a get per entity
**   full    everything else: a scan of the table's entity keys
**
** Costs come from the table's row counter (kept in the write path) and,
** for an equality whose value is a literal, from counting that value's
** index entries (up to a cap), so the most selective index wins.  An IN
** list is not shown to xBestIndex: it is costed as IN_GUESS values, each
** as common as the values of a sample of the field's index.
**
** No constraint is ever marked omitted: SQLite re-checks every one, so a
** route only has to return a superset of the matching rows (values are
** converted with the column's affinity first, exactly as SQLite compares
** them, so it is never a subset).  But every constraint a route filters
** by is given an argvIndex, IS NULL and IS NOT NULL too (their argument, a
** NULL, is not read): SQLite's first xBestIndex call marks every term
** usable, also a LEFT JOIN's ON term on the left table (`l LEFT JOIN r ON
** l.d IS NULL`), and rejects such a plan only by the terms it was told the
** plan uses.  For the same reason LIMIT and OFFSET
** are never consumed by a route, only used to estimate its cost: SQLite
** 3.40 offers them even when the WHERE clause holds terms it does not show
** to xBestIndex (a column compared with another column of the same table,
** `a = b`, `a > b + 0`, get no operator and are left out of aConstraint),
** so a route that stopped after LIMIT rows could stop before the rows
** that pass those terms.  SQLite counts LIMIT and OFFSET after its own
** checks; the cursors read lazily, so it stops reading when SQLite does.
**
** The plan travels to xFilter as idxNum (P_* flags, sql.h) and idxStr
** ("<kind><field id>"); xFilter's arguments come in the order
** equality/IN, lower bound, upper bound.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

#define EQ_PROBE_CAP 1000

/* Usable for a route: indexed, and no rebuild of its entries pending. */
static bool is_indexed(const rvtab *vt, uint16_t f) {
  const cat_table *t = cat_by_id(vt->sess->db, vt->s->table_id);
  return t && cat_index_ready(t, f);
}

static uint16_t col_field(const rvtab *vt, int col) {
  return col >= 0 && col < vt->ncol && vt->kind[col] == COL_FIELD
             ? vt->field[col]
             : 0;
}

enum enc_result plan_encode(const rvtab *vt, int col, sqlite3_value *v,
                            buf_t *out) {
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL || t == SQLITE_BLOB) return ENC_NONE;
  enum col_aff a = (enum col_aff)vt->aff[col];
  if (a == AFF_TEXT || a == AFF_JSON || a == AFF_NONE) {
    /* A number against a text (or untyped) column compares by rules that
    ** depend on the affinity of the expression it came from, which the
    ** virtual table cannot see: with none, the column's converts the
    ** number to text; with a numeric one (CAST, a numeric column), the
    ** column's numeric-looking texts become numbers.  No key covers both. */
    if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) return ENC_ANY;
  } else {
    t = sqlite3_value_numeric_type(v); /* well-formed numeric text -> number */
  }
  if (a == AFF_REAL && (t == SQLITE_INTEGER || t == SQLITE_FLOAT)) {
    /* SQL reads a REAL column's value as a double, also an integer stored
    ** beyond 2^53 (its entry keeps the exact integer as a tie after the
    ** double): every entry of the double matches, whatever its tie */
    if (t == SQLITE_FLOAT) {
      okey_real_prefix(out, sqlite3_value_double(v));
      return ENC_KEY;
    }
    sqlite3_int64 i = sqlite3_value_int64(v);
    double d = (double)i;
    okey_real_prefix(out, d);
    /* (double)i is exact unless |i| > 2^53; 2^63 is out of int64 range */
    return d < 9223372036854775808.0 && (sqlite3_int64)d == i ? ENC_KEY
                                                             : ENC_NEAR;
  }
  switch (t) {
    case SQLITE_INTEGER: okey_int(out, sqlite3_value_int64(v)); return ENC_KEY;
    case SQLITE_FLOAT: okey_real(out, sqlite3_value_double(v)); return ENC_KEY;
    case SQLITE_TEXT:
      okey_text(out, (const char *)sqlite3_value_text(v),
                (size_t)sqlite3_value_bytes(v));
      return ENC_KEY;
    default: return ENC_NONE;
  }
}

/* Count index entries of field f equal to v, up to cap; -1 if the index
** cannot serve the comparison.  (Planning reads the latest state: no
** statement snapshot exists yet.) */
static double probe_eq(const rvtab *vt, int col, sqlite3_value *v,
                       uint64_t cap) {
  remdb *db = vt->sess->db;
  buf_t k;
  buf_init(&k);
  enum enc_result r = plan_encode(vt, col, v, &k);
  if ((r != ENC_KEY && r != ENC_NEAR) || k.oom) {
    buf_free(&k);
    return r == ENC_NONE ? 0 : -1; /* -1: the index cannot serve it */
  }
  scan_key val = {k.p, k.len};
  scan_spec sp = {.kind = SCAN_INDEX, .field = vt->field[col], .in = true,
                  .vals = &val, .nvals = 1};
  uint64_t n, distinct;
  int rc = scan_count(db, NULL, vt->s, &sp, cap, &n, &distinct);
  buf_free(&k);
  return rc ? -1 : (double)n;
}

/* Index entries per distinct non-NULL value of field f, from the first
** GROUP_SAMPLE entries of its index (IN lists and sqlite3_vtab_in give no
** values to probe in xBestIndex).  A sample of one value says only that
** values are common: a quarter of the table is assumed, as for a probe
** that reaches its cap.  -1 if the index cannot be read. */
#define GROUP_SAMPLE 256
static double probe_group(const rvtab *vt, uint16_t f, double N) {
  remdb *db = vt->sess->db;
  /* IN never matches NULL: the values above it */
  scan_spec sp = {.kind = SCAN_INDEX, .field = f, .nonnull = true};
  uint64_t n64, d64;
  if (scan_count(db, NULL, vt->s, &sp, GROUP_SAMPLE, &n64, &d64) != REMDB_OK)
    return -1;
  double n = (double)n64, distinct = (double)d64;
  if (distinct == 0) return 1;
  if (distinct == 1 && n >= GROUP_SAMPLE) return fmax(n, N / 4);
  return n / distinct;
}

/* How many values an IN list is taken to hold: SQLite 3.40 does not show
** the list to xBestIndex. */
#define IN_GUESS 10

int plan_key_col(const rvtab *vt) {
  if (vt->s->key_field == NULL) return -1;
  uint16_t f = rec_dict_id(&vt->s->dict, vt->s->key_field);
  for (int col = 5; f && col < vt->ncol; col++)
    if (vt->kind[col] == COL_FIELD && vt->field[col] == f)
      return vt->aff[col] == AFF_TEXT || vt->aff[col] == AFF_INTEGER ||
                     vt->aff[col] == AFF_REAL
                 ? col
                 : -1;
  return -1;
}

/* The key_field value, as JSON, that a stored entity whose key equals v
** (as SQLite compares it with the column's affinity) holds: 1 and *out
** set; 0 if no stored key can equal v; -1 if that cannot be told here
** (the key route scans the table instead).  Equal keys hash alike: a JSON
** number is hashed by value, and below 2^53 a double and an int64 that
** SQL finds equal are the same number. */
int plan_key_value(const rvtab *vt, int col, sqlite3_value *v,
                   json_t **out) {
  int t = sqlite3_value_type(v);
  *out = NULL;
  if (t == SQLITE_NULL) return 0;
  if (t == SQLITE_BLOB) return -1;
  if (vt->aff[col] == AFF_TEXT) {
    /* a number meets a text column by rules that depend on where it came
    ** from (plan_encode): only text is looked up by its bytes */
    if (t != SQLITE_TEXT) return -1;
    *out = json_stringn((const char *)sqlite3_value_text(v),
                        (size_t)sqlite3_value_bytes(v));
    return *out ? 1 : 0; /* not UTF-8: no stored key equals it */
  }
  t = sqlite3_value_numeric_type(v);
  if (t == SQLITE_INTEGER) {
    sqlite3_int64 i = sqlite3_value_int64(v);
    if (i <= -9007199254740992LL || i >= 9007199254740992LL) return -1;
    *out = json_integer(i);
  } else if (t == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (!(d > -9007199254740992.0 && d < 9007199254740992.0)) return -1;
    *out = json_real(d);
  } else {
    return 0; /* text that is no number: a number column holds none */
  }
  return *out ? 1 : -1;
}

typedef struct cand {
  char kind;
  int flags;
  uint16_t field;
  int eq, lo, hi, nul; /* constraint indexes, -1 if none; nul: IS [NOT] NULL */
  double rows, cost;
  bool once; /* a point get that reads at most one row */
} cand;

/* What xBestIndex is asked, read once. */
typedef struct ask {
  rvtab *vt;
  sqlite3_index_info *info;
  double N;          /* rows the route would see */
  double limit_rows; /* a literal LIMIT (+ OFFSET), else -1 */
  int ob_col;        /* ORDER BY a single column (-2: none) */
  bool ob_desc;
  double best_rows;  /* rows of the best index route so far (-1: none) */
} ask;

/* A literal LIMIT (+ OFFSET): an ordered route can stop after that many
** rows (roughly: other predicates may reject some); -1 if none. */
static double limit_of(sqlite3_index_info *info) {
  double limit_rows = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    sqlite3_value *v = NULL;
    int op = info->aConstraint[i].op;
    if ((op != SQLITE_INDEX_CONSTRAINT_LIMIT &&
         op != SQLITE_INDEX_CONSTRAINT_OFFSET) ||
        sqlite3_vtab_rhs_value(info, i, &v) != SQLITE_OK || v == NULL)
      continue;
    double x = sqlite3_value_double(v);
    if (op == SQLITE_INDEX_CONSTRAINT_LIMIT && x >= 0)
      limit_rows = (limit_rows < 0 ? 0 : limit_rows) + x * 2;
    else if (op == SQLITE_INDEX_CONSTRAINT_OFFSET && x > 0 && limit_rows >= 0)
      limit_rows += x;
  }
  return limit_rows;
}

static bool binary_collation(sqlite3_index_info *info, int i) {
  const char *coll = sqlite3_vtab_collation(info, i);
  return coll == NULL || sqlite3_stricmp(coll, "BINARY") == 0;
}

/* Point gets: on id, or on key_field (the id derives from it). */
static void point_route(const ask *a, cand *best) {
  rvtab *vt = a->vt;
  sqlite3_index_info *info = a->info;
  int kcol = plan_key_col(vt);
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (!c->usable || (c->iColumn != 0 && c->iColumn != kcol)) continue;
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ &&
        c->op != SQLITE_INDEX_CONSTRAINT_IS)
      continue;
    if (!binary_collation(info, i)) continue;
    bool in = sqlite3_vtab_in(info, i, -1);
    double rows = in ? 10 : 1;
    bool key = c->iColumn != 0, once = !in;
    if (key && !in) {
      /* the key route reads one row only for a value its id derives
      ** from; any other value (a number against a text key, beyond 2^53,
      ** key IS NULL) scans the table, which must then not be declared a
      ** one-row scan (SQLite's UPDATE and DELETE would stop after the
      ** first row read).  A literal that scans is no point get at all */
      sqlite3_value *rhs = NULL, *cp = NULL;
      once = false;
      if (sqlite3_vtab_rhs_value(info, i, &rhs) == SQLITE_OK && rhs &&
          (cp = sqlite3_value_dup(rhs)) != NULL) {
        json_t *j = NULL;
        int r = plan_key_value(vt, kcol, cp, &j);
        json_decref(j);
        bool scans = r < 0 || (c->op == SQLITE_INDEX_CONSTRAINT_IS &&
                               sqlite3_value_type(cp) == SQLITE_NULL);
        sqlite3_value_free(cp);
        if (scans) continue;
        once = true;
      }
    }
    if (rows < best->cost) {
      *best = (cand){key ? PLAN_KEY : PLAN_POINT,
                     P_EQ | (in ? P_IN : 0) |
                         (c->op == SQLITE_INDEX_CONSTRAINT_IS ? P_IS : 0),
                     key ? vt->field[kcol] : 0, i, -1, -1, -1, rows, rows,
                     once};
    }
  }
}

/* The rows an equality (or IN list) constraint i on column col, field f,
** leaves; -1 if no index key can express its value. */
static double eq_rows_of(const ask *a, int i, int col, uint16_t f,
                         bool in) {
  sqlite3_value *rhs = NULL;
  double r = -1;
  if (!in && sqlite3_vtab_rhs_value(a->info, i, &rhs) == SQLITE_OK && rhs) {
    /* the index route wins below a quarter of the table (see the costs
    ** in plan_best_index): counting that far decides it exactly, for
    ** less than either route reads (a filtered search's 10% of a table
    ** was taken for a quarter, and scanned in full); under a LIMIT the
    ** statement may read far fewer rows than that, so the count stops
    ** at EQ_PROBE_CAP */
    double cap = a->limit_rows >= 0 ? EQ_PROBE_CAP
                                    : fmax(EQ_PROBE_CAP, a->N / 4 + 1);
    /* past the rows of an index route already found, this one loses:
    ** counting further only costs (status = 'open' beside assignee = ?
    ** counted a quarter of the table) */
    if (a->best_rows >= 0 && a->best_rows + 1 < cap)
      cap = fmax(EQ_PROBE_CAP, a->best_rows + 1);
    r = probe_eq(a->vt, col, rhs, (uint64_t)cap);
    if (r < 0) return -1; /* a value no index key expresses */
    /* the probe stops at its cap: a value that common is taken to be a
    ** quarter of the table, not just the rows counted */
    if (r >= cap) r = fmax(r, a->N / 4);
  }
  if (in) {
    /* each value about as common as the index's values are */
    double g = probe_group(a->vt, f, a->N);
    r = g < 0 ? fmax(1, a->N / 10) : fmin(a->N, g * IN_GUESS);
  } else if (r < 0) {
    r = fmax(1, a->N / 10);
  }
  return r;
}

/* The constraints an index on column col (field f) can serve, gathered
** into cd: its best equality (or IS NULL), else a range, else IS NOT
** NULL.  Returns the rows an equality leaves (-1 if none). */
static double index_constraints(const ask *a, int col, uint16_t f,
                                cand *cd) {
  sqlite3_index_info *info = a->info;
  double eq_rows = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (!c->usable || c->iColumn != col) continue;
    if (!binary_collation(info, i)) continue;
    switch (c->op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
      case SQLITE_INDEX_CONSTRAINT_IS: {
        if (cd->flags & (P_EQ | P_ISNULL)) break;
        bool in = sqlite3_vtab_in(info, i, -1);
        double r = eq_rows_of(a, i, col, f, in);
        if (r < 0) continue;
        eq_rows = r;
        cd->flags = (cd->flags & ~(P_LO | P_HI | P_LO_INCL | P_HI_INCL |
                                   P_NOTNULL)) |
                    P_EQ | (in ? P_IN : 0) |
                    (c->op == SQLITE_INDEX_CONSTRAINT_IS ? P_IS : 0);
        cd->eq = i;
        cd->lo = cd->hi = cd->nul = -1;
        break;
      }
      case SQLITE_INDEX_CONSTRAINT_ISNULL:
        if (cd->flags & (P_EQ | P_ISNULL)) break;
        cd->flags = P_ISNULL;
        eq_rows = fmax(1, a->N / 10);
        cd->lo = cd->hi = -1;
        cd->nul = i;
        break;
      case SQLITE_INDEX_CONSTRAINT_GT:
      case SQLITE_INDEX_CONSTRAINT_GE:
        if (cd->flags & (P_EQ | P_ISNULL | P_LO)) break;
        cd->flags |= P_LO |
                     (c->op == SQLITE_INDEX_CONSTRAINT_GE ? P_LO_INCL : 0);
        cd->flags &= ~P_NOTNULL;
        cd->lo = i;
        cd->nul = -1;
        break;
      case SQLITE_INDEX_CONSTRAINT_LT:
      case SQLITE_INDEX_CONSTRAINT_LE:
        if (cd->flags & (P_EQ | P_ISNULL | P_HI)) break;
        cd->flags |= P_HI |
                     (c->op == SQLITE_INDEX_CONSTRAINT_LE ? P_HI_INCL : 0);
        cd->flags &= ~P_NOTNULL;
        cd->hi = i;
        cd->nul = -1;
        break;
      case SQLITE_INDEX_CONSTRAINT_ISNOTNULL:
        if (!(cd->flags & (P_EQ | P_ISNULL | P_LO | P_HI))) {
          cd->flags |= P_NOTNULL;
          cd->nul = i;
        }
        break;
      default: break;
    }
  }
  return eq_rows;
}

/* The route through the index of column col, if it serves a constraint
** or the ORDER BY, replacing *best when it costs less. */
static void index_route(const ask *a, int col, cand *best) {
  uint16_t f = col_field(a->vt, col);
  if (f == 0 || !is_indexed(a->vt, f)) return;
  cand cd = {PLAN_INDEX, 0, f, -1, -1, -1, -1, a->N, 0, false};
  double eq_rows = index_constraints(a, col, f, &cd);
  double N = a->N;
  bool ordered = a->ob_col == col;
  if (cd.flags & (P_EQ | P_ISNULL)) {
    cd.rows = eq_rows;
  } else if ((cd.flags & P_LO) && (cd.flags & P_HI)) {
    cd.rows = fmax(1, N / 16);
  } else if (cd.flags & (P_LO | P_HI)) {
    cd.rows = fmax(1, N / 4);
  } else if (cd.flags & P_NOTNULL) {
    cd.rows = fmax(1, N / 2);
  } else if (!ordered) {
    return; /* no constraint and no order to serve */
  }
  /* an index entry then a random get per row; an ordered route under a
  ** LIMIT reads only the first rows */
  double read = cd.rows;
  if (ordered && a->limit_rows >= 0 && a->limit_rows < read)
    read = a->limit_rows;
  cd.cost = 10 + read * 4;
  if (ordered) cd.flags |= P_ORDER | (a->ob_desc ? P_DESC : 0);
  /* a route that also delivers the ORDER BY saves SQLite's sort */
  double best_cost = best->cost;
  if (a->ob_col >= 0 && !(best->flags & P_ORDER))
    best_cost += best->rows * log2(best->rows + 1) * 0.05;
  double cd_cost = cd.cost;
  if (a->ob_col >= 0 && !ordered) cd_cost += cd.rows * log2(cd.rows + 1) * 0.05;
  if (cd_cost < best_cost) *best = cd;
}

/* Tell SQLite the chosen route: its arguments, order and cost. */
static int wire(sqlite3_index_info *info, const cand *best, bool point) {
  int argv = 1;
  if (best->eq >= 0) {
    info->aConstraintUsage[best->eq].argvIndex = argv++;
    if (best->flags & P_IN) sqlite3_vtab_in(info, best->eq, 1);
  }
  if (best->lo >= 0) info->aConstraintUsage[best->lo].argvIndex = argv++;
  if (best->hi >= 0) info->aConstraintUsage[best->hi].argvIndex = argv++;
  if (best->nul >= 0) info->aConstraintUsage[best->nul].argvIndex = argv++;
  if (best->flags & P_ORDER) info->orderByConsumed = 1;
  info->idxNum = best->flags;
  /* an index route also passes the columns used and its rows (ipos.c) */
  info->idxStr =
      best->kind == PLAN_INDEX
          ? sqlite3_mprintf("%c%u:%llx:%.0f", best->kind, best->field,
                            (unsigned long long)info->colUsed, best->rows)
          : sqlite3_mprintf("%c%u", best->kind, best->field);
  if (info->idxStr == NULL) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  info->estimatedRows = (sqlite3_int64)fmax(1, best->rows);
  info->estimatedCost = best->cost;
  if (point && best->once) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  return SQLITE_OK;
}

int plan_best_index(rvtab *vt, sqlite3_index_info *info) {
  remdb *db = vt->sess->db;
  uint64_t nrows = 0, ndel = 0;
  if (db->tid) cnt_read(db, NULL, vt->s->table_id, &nrows, &ndel);
  double N = nrows > 0 ? (double)nrows : 1;
  if (!vt->all) N = fmax(1, N - (double)ndel);
  ask a = {vt, info, N, limit_of(info), -2, false, -1};
  /* ORDER BY a single column, ascending or descending */
  if (info->nOrderBy == 1) {
    a.ob_col = info->aOrderBy[0].iColumn;
    a.ob_desc = info->aOrderBy[0].desc;
  }

  /* a full scan reads every row in key order: a fixed cost plus one unit
  ** per row; an index route pays 4 per row (the entry, then a random get:
  ** measured at 4-8x a sequential row) */
  cand best = {PLAN_FULL, 0, 0, -1, -1, -1, -1, N, 10 + N, false};
  point_route(&a, &best);
  /* index routes: per indexed field, its best equality or range */
  bool point = best.kind == PLAN_POINT || best.kind == PLAN_KEY;
  if (!point) {
    /* a first pass counting each equality to EQ_PROBE_CAP: a selective
    ** one found bounds the counting of the others in the second */
    ask a0 = a;
    a0.limit_rows = 0;
    cand b0 = best;
    for (int col = 2; col < vt->ncol; col++) index_route(&a0, col, &b0);
    if (b0.kind == PLAN_INDEX && (b0.flags & P_EQ) && !(b0.flags & P_IN) &&
        b0.rows < EQ_PROBE_CAP)
      a.best_rows = b0.rows;
  }
  for (int col = 2; !point && col < vt->ncol; col++) index_route(&a, col, &best);

  /* ORDER BY id: the entity keys are in id order */
  if ((best.kind == PLAN_FULL || point) && a.ob_col == 0)
    best.flags |= P_ORDER | (a.ob_desc ? P_DESC : 0);
  return wire(info, &best, point);
}

static void value_text(sqlite3_value *v, buf_t *out) {
  if (v == NULL) {
    buf_addc(out, '?');
    return;
  }
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: buf_adds(out, "NULL"); break;
    case SQLITE_TEXT: {
      const char *t = (const char *)sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      buf_addf(out, "'%.*s%s'", n > 40 ? 40 : n, t, n > 40 ? "..." : "");
      break;
    }
    case SQLITE_BLOB: buf_adds(out, "x'...'"); break;
    default: buf_adds(out, (const char *)sqlite3_value_text(v)); break;
  }
}

void plan_describe(const rvtab *vt, int idxNum, const char *idxStr, int argc,
                   sqlite3_value **argv, buf_t *out) {
  char kind = idxStr ? idxStr[0] : PLAN_FULL;
  uint16_t f = idxStr ? (uint16_t)atoi(idxStr + 1) : 0;
  const char *fname = rec_dict_name(&vt->s->dict, f);
  if (f == REC_F_CREATED) fname = "created_at";
  if (f == REC_F_MODIFIED) fname = "modified_at";
  if (f == REC_F_DELETED) fname = "deleted_at";
  int ai = 0;
  (void)argc;
  if (kind == PLAN_FULL) {
    buf_adds(out, "full scan");
  } else if (kind == PLAN_POINT || kind == PLAN_KEY) {
    if (kind == PLAN_POINT) buf_adds(out, "point get on id");
    else buf_addf(out, "point get on key %s", fname ? fname : "?");
    if (idxNum & P_IN) {
      buf_adds(out, " IN (list)");
    } else {
      buf_adds(out, " = ");
      value_text(argv ? argv[ai] : NULL, out);
    }
    ai++;
  } else {
    buf_addf(out, "index %s on %s",
             (idxNum & (P_EQ | P_ISNULL))                   ? "lookup"
             : (idxNum & (P_LO | P_HI | P_NOTNULL)) ? "range"
                                                          : "scan",
             fname ? fname : "?");
    if (idxNum & P_EQ) {
      if (idxNum & P_IN) {
        buf_adds(out, " IN (list)");
      } else {
        buf_adds(out, " = ");
        value_text(argv ? argv[ai] : NULL, out);
      }
      ai++;
    } else if (idxNum & P_ISNULL) {
      buf_adds(out, " IS NULL");
    } else if (idxNum & (P_LO | P_HI)) {
      buf_adds(out, (idxNum & P_LO_INCL) ? " [" : " (");
      if (idxNum & P_LO) value_text(argv ? argv[ai] : NULL, out), ai++;
      else buf_adds(out, "-inf");
      buf_adds(out, ", ");
      if (idxNum & P_HI) value_text(argv ? argv[ai] : NULL, out), ai++;
      else buf_adds(out, "+inf");
      buf_adds(out, (idxNum & P_HI_INCL) ? "]" : ")");
    } else if (idxNum & P_NOTNULL) {
      buf_adds(out, " IS NOT NULL");
    }
  }
  if (idxNum & P_ORDER)
    buf_addf(out, ", ordered%s", (idxNum & P_DESC) ? " descending" : "");
  if (vt->all) buf_adds(out, ", including deleted rows");
}
