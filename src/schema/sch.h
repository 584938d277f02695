/*
** sch.h: schemas.  A table is declared by a JSON Schema document with REM
** keys at its top level.  This layer compiles the document once into a tree
** of sch_node (so that validating an entity never re-reads the document),
** assigns field ids, and validates and normalises entities.
**
** Layer: above util and record; core compiles each stored table with it.
**
** Supported validation keywords: type (a name or a list of names),
** enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
** multipleOf, minLength, maxLength, format (date-time, date, time, email,
** uri, uuid, ipv4, ipv6; other names are refused), properties,
** required, additionalProperties (boolean), items, minItems, maxItems,
** anyOf.  Annotations (title, description, default, examples, ...) are
** kept and ignored.  Keywords that would change validation but are not
** supported ($ref, oneOf, allOf, not, if, pattern, ...) make the schema
** invalid, so that no rule is silently skipped.
**
** Normalisation: a date-time is rewritten to the canonical UTC form
** (util.h), and a number with no fraction in an integer-only field becomes
** an integer.
*/
#ifndef REMDB_SCH_H
#define REMDB_SCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../record/rec.h"
#include "../util/util.h"

enum sch_type_bit {
  SCH_STRING = 1,
  SCH_INTEGER = 2,
  SCH_NUMBER = 4,
  SCH_BOOLEAN = 8,
  SCH_OBJECT = 16,
  SCH_ARRAY = 32,
  SCH_NULL = 64,
};

enum sch_format {
  SCH_FMT_NONE,
  SCH_FMT_DATETIME,
  SCH_FMT_DATE,
  SCH_FMT_TIME,
  SCH_FMT_EMAIL,
  SCH_FMT_URI,
  SCH_FMT_UUID,
  SCH_FMT_IPV4,
  SCH_FMT_IPV6,
  SCH_FMT_OTHER, /* a name remdb does not check: refused by schema add, an
                 ** annotation in a schema stored before that rule */
};

typedef struct sch_node sch_node;

typedef struct sch_limits {
  size_t max_value_bytes;
  int max_depth;
} sch_limits;

/* HNSW defaults, by measurement (BENCHMARKS.md, vector search): with M 16
** and ef_construction 200, ef_search 128 is the smallest power of two
** that gives recall@10 >= 0.99 on 100k clustered 384-d vectors (64 gives
** 0.97 there, as it does for hnswlib). */
#define SCH_HNSW_M 16
#define SCH_HNSW_EF_CONSTRUCTION 200
#define SCH_HNSW_EF_SEARCH 128
/* Limits of the http provider's settings (bytes, without the NUL). */
#define SCH_EMBED_URL_MAX 1024
#define SCH_EMBED_MODEL_MAX 256
#define SCH_EMBED_ENV_MAX 128

/* The embedding block's metric and provider, compiled from their names
** once (sch_metric_name, sch_provider_name give them back). */
enum sch_metric { SCH_COSINE, SCH_IP, SCH_L2 };
enum sch_provider { SCH_PROVIDER_HASH, SCH_PROVIDER_HTTP, SCH_PROVIDER_NONE };
const char *sch_metric_name(enum sch_metric m);
const char *sch_provider_name(enum sch_provider p);

typedef struct sch_embedding {
  int dim;            /* 0: no embedding block */
  enum sch_metric metric;
  enum sch_provider provider;
  int M;               /* HNSW links per node (2M on layer 0) */
  int ef_construction; /* HNSW candidates while linking */
  int ef_search;       /* HNSW candidates while searching (default) */
  /* the http provider (empty string: not given; REMDB_EMBED_URL,
  ** REMDB_EMBED_MODEL and REMDB_EMBED_API_KEY_ENV override these at use
  ** time, so they are not required here) */
  char url[SCH_EMBED_URL_MAX + 1];
  char model[SCH_EMBED_MODEL_MAX + 1];
  char api_key_env[SCH_EMBED_ENV_MAX + 1]; /* the variable's name, not the key */
  int batch;          /* texts per request: 1..2048, default 64 */
  long timeout_ms;    /* whole request: 1..3600000, default 30000 */
} sch_embedding;

/* The "fulltext" block: which fields a BM25 index covers and how their
** text is analysed (src/text/analyze.h; the index: src/core/fts.c):
**   "fulltext": {"fields": [...], "language": "english" | "none" | another
**     Snowball language, "stemmer": true | false, "stopwords": [...] |
**     "default" | "none", "tokenizer": "remdb" | "unicode61",
**     "k1": 1.2, "b": 0.75}
** Defaults: fields = embedding_fields; language english; stemming on
** (when the language has a stemmer); stop words: the English list for
** english, none otherwise; tokenizer remdb; k1 1.2; b 0.75. */
enum sch_stop { SCH_STOP_NONE, SCH_STOP_ENGLISH, SCH_STOP_CUSTOM };
typedef struct sch_fulltext {
  uint32_t nfields;      /* 0: no full-text index */
  uint16_t *fields;      /* field ids, in field-number order */
  char **names;          /* their names */
  char *stemmer;         /* Snowball algorithm, NULL: none */
  enum sch_stop stop;
  char **stopwords;      /* SCH_STOP_CUSTOM */
  size_t nstopwords;
  bool unicode61;        /* FTS5's unicode61 tokenizer */
  double k1, b;
  /* what the stored index depends on (fields, analysis), as canonical
  ** JSON: an index built under another signature must be rebuilt */
  char *signature;
} sch_fulltext;

typedef struct sch_table {
  int refs;           /* sch_free releases one reference */
  char *name;
  uint32_t table_id;
  json_t *doc;        /* the schema document as given */
  sch_node *root;
  rec_dict dict;      /* field ids, including retired ones */
  uint16_t next_field;
  uint16_t *indexed;  /* field ids of indexed_fields, in order */
  uint32_t n_indexed;
  char *key_field;    /* NULL if none */
  bool id_from_uri;   /* resources: id from uri + chunk_ordinal */
  sch_embedding embedding;
  /* the columnar copy (core/columns.c): on unless "columnar": false;
  ** cols lists its columns (system fields, then the scalar properties of
  ** one JSON type in field-id order, narrowed by "columnar_fields") */
  bool columnar;
  struct sch_col *cols;
  uint32_t ncols;
  sch_fulltext fulltext;
} sch_table;

/* A column of the columnar copy: field id (0: the entity id, REC_F_* the
** system time stamps) and kind, numbered as core/colread.h's colv_type. */
enum sch_col_kind {
  SCH_COL_INT,
  SCH_COL_REAL,
  SCH_COL_BOOL,
  SCH_COL_TEXT,
  SCH_COL_TIME,
  SCH_COL_ID,
};
typedef struct sch_col {
  uint16_t field;
  uint8_t kind;
} sch_col;
/* Do a and b keep the same columns? */
bool sch_same_columns(const sch_table *a, const sch_table *b);

/* Compile `doc` (borrowed; a reference is taken).  `fields`, if not NULL,
** is the stored name->id object of an earlier version of the table, whose
** ids are kept; new properties get fresh ids.  On error *out is NULL and e
** names the offending key. */
int sch_compile(json_t *doc, json_t *fields, sch_table **out, err_t *e);
/* The rules a schema must meet to be added, or to replace another, beyond
** those sch_compile checks: names SQL can declare (no property equal to a
** system column or to another property when case is ignored, as SQL
** ignores it; for a new table, no name the SQL layer reserves); only the
** formats remdb checks; and nothing that no value could meet (minimum
** above maximum and the like, a required name missing from the declared
** properties, embedding_fields without an embedding or naming a property
** that cannot hold text).  Stored schemas are compiled without these
** rules, so that a database written before them still opens. */
int sch_check_new(const sch_table *t, bool new_table, err_t *e);
/* Whether SQL takes names a and b for the same (ASCII case ignored). */
bool sch_same_sql_name(const char *a, const char *b);

/* Compile doc's "fulltext" block into t->fulltext (fulltext.c); errors
** name the key.  sch_fulltext_free releases it. */
int sch_compile_fulltext(sch_table *t, json_t *doc, err_t *e);
void sch_fulltext_free(sch_fulltext *f);

/* Take another reference (for readers that outlive a catalog refresh). */
sch_table *sch_retain(sch_table *t);
/* Release a reference; the last one frees the table.  NULL is a no-op. */
void sch_free(sch_table *t);

/* The JSON types a top-level property may hold (sch_type_bit mask; enum
** and const values count), 0 if unconstrained or unknown. */
unsigned sch_prop_types(const sch_table *t, const char *name);

/* The name->id object of t's dictionary (new reference), to be stored. */
json_t *sch_fields_json(const sch_table *t);

/* Validate entity (a JSON object) against t, normalising it in place.
** System fields are not checked here.  The error names the field path and
** the rule, e.g. "issues.priority: expected integer, got string". */
int sch_validate(const sch_table *t, json_t *entity, const sch_limits *lim,
                 err_t *e);

/* The limits every entity value obeys (nesting depth, bytes of a
** string), for other stored JSON such as edge properties; `what` starts
** the path in the message ("edge props.a.b: nested deeper than ..."). */
int sch_check_limits(const char *what, json_t *v, const sch_limits *lim,
                     err_t *e);

/* Normalise one value of top-level property `field` (or of a system time
** stamp) as a write would (canonical date-time, integral number as
** integer); *v may be replaced.  A value that breaks the property's rules
** is left as it is (a lookup of it finds nothing). */
int sch_normalize_value(const sch_table *t, const char *field, json_t **v,
                        const sch_limits *lim, err_t *e);

/* The built-in schema documents registered by remdb_init. */
extern const char *const sch_builtin[];
extern const int sch_builtin_count;

#endif /* REMDB_SCH_H */
