/*
** xplan.h: the plan shared by exec/parse.c (which builds it) and
** exec/run.c (which runs it).  Private to exec/.
*/
#ifndef REMDB_EXEC_XPLAN_H
#define REMDB_EXEC_XPLAN_H

#include "exec.h"

/* A column the plan reads, typed as SQL reads it through the vtab. */
enum xcol_type {
  XT_INT,  /* "integer": INTEGER */
  XT_BOOL, /* "boolean": INTEGER 0/1 */
  XT_REAL, /* "number" (integer or number): REAL */
  XT_TEXT, /* "string", the time stamps: TEXT */
  XT_ID,   /* id: TEXT, 36 chars */
  XT_ANY,  /* no single type (unions, untyped): INTEGER, REAL or TEXT per
           ** row, with no affinity (row source only) */
};
/* The vector type of an XT_ANY column: tags per row (xbatch.tag) */
#define COLV_ANY ((enum colv_type)100)

typedef struct xcol {
  char name[72];   /* as SQL names it (the schema's spelling) */
  uint16_t field;  /* record field id; 0 for id */
  uint8_t type;    /* xcol_type */
} xcol;

enum xkey_kind {
  XK_COL,    /* the column's value */
  XK_DATE,   /* date(col) */
  XK_YM,     /* strftime('%Y-%m', col) */
  XK_SUBSTR, /* substr(col, 1, n) */
};

typedef struct xkey {
  uint8_t kind;
  int col;
  int64_t n; /* XK_SUBSTR */
} xkey;

enum xagg_kind {
  XG_COUNT_STAR,
  XG_COUNT,
  XG_COUNT_DISTINCT,
  XG_SUM,
  XG_TOTAL,
  XG_AVG,
  XG_MIN,
  XG_MAX,
};

typedef struct xagg {
  uint8_t kind;
  int col; /* -1 for COUNT(*) */
} xagg;

enum xpred_op {
  XP_CMP,     /* col <cmp> arg */
  XP_IS,      /* col IS arg (neg: IS NOT): NULL-safe, never NULL */
  XP_IN,      /* col IN (args[arg .. arg+narg)) (neg: NOT IN) */
  XP_BETWEEN, /* col BETWEEN arg AND arg+1 (neg: NOT BETWEEN) */
  XP_ISNULL,  /* col IS NULL (neg: IS NOT NULL) */
  XP_LIKE,    /* col LIKE arg (neg: NOT LIKE) */
  XP_AND,
  XP_OR,
  XP_NOT,
};
enum xcmp { XC_EQ, XC_NE, XC_LT, XC_LE, XC_GT, XC_GE };

typedef struct xpred {
  uint8_t op, cmp;
  bool neg;
  int col;
  int arg, narg;
  int a, b; /* children (AND, OR: a and b; NOT: a) */
} xpred;

struct xplan {
  sch_table *t; /* own reference */
  bool all;     /* the <table>_all view: soft-deleted rows too */
  bool join;    /* the plan aggregates one table of a join by its key */
  bool lookup;  /* a join's ON may look the key up (same affinity class on
                ** both sides, so the lookup finds every row SQL would) */
  xcol cols[X_MAX_SLOTS * 2];
  int ncols;
  xkey keys[X_MAX_SLOTS];
  int nkeys;
  xagg aggs[X_MAX_SLOTS];
  int naggs;
  xpred *preds;
  int npreds, cappreds;
  int root; /* the WHERE's predicate, or -1 */
  int nargs;
};

#endif
