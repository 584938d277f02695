/*
** schema.c: compiling a schema document into a sch_table: the node tree
** for validation, the field-id dictionary, and the REM keys (indexed
** fields, key field, embedding settings).  Every error names the key of
** the document that is wrong.
*/
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define MAX_INDEXED 64
#define MAX_NAME 63

bool sch_is_system(const char *n) {
  return strcmp(n, "id") == 0 || strcmp(n, "type") == 0 ||
         strcmp(n, "created_at") == 0 || strcmp(n, "modified_at") == 0 ||
         strcmp(n, "deleted_at") == 0;
}

static void node_free(sch_node *n) {
  if (n == NULL) return;
  for (uint32_t i = 0; i < n->nprops; i++) {
    free(n->prop_names[i]);
    node_free(n->props[i]);
  }
  free(n->prop_names);
  free(n->props);
  for (uint32_t i = 0; i < n->nrequired; i++) free(n->required[i]);
  free(n->required);
  node_free(n->additional);
  node_free(n->items);
  for (uint32_t i = 0; i < n->nany; i++) node_free(n->any[i]);
  free(n->any);
  free(n);
}

static int type_bit(const char *s) {
  static const struct {
    const char *name;
    int bit;
  } t[] = {{"string", SCH_STRING},   {"integer", SCH_INTEGER},
           {"number", SCH_NUMBER},   {"boolean", SCH_BOOLEAN},
           {"object", SCH_OBJECT},   {"array", SCH_ARRAY},
           {"null", SCH_NULL}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(s, t[i].name) == 0) return t[i].bit;
  return 0;
}

static int nonneg_int(json_t *v, int64_t *out, const char *path,
                      const char *key, err_t *e) {
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return err_set(e, REMDB_INVALID, "%s.%s: must be a non-negative integer",
                   path, key);
  *out = json_integer_value(v);
  return REMDB_OK;
}

static int number(json_t *v, double *out, const char *path, const char *key,
                  err_t *e) {
  if (!json_is_number(v))
    return err_set(e, REMDB_INVALID, "%s.%s: must be a number", path, key);
  *out = json_number_value(v);
  return REMDB_OK;
}

/* Keywords that change validation but remdb does not enforce: refusing them
** keeps a schema from being enforced less strictly than written. */
static bool unsupported(const char *k) {
  static const char *const u[] = {
      "$ref",        "$defs",        "definitions",      "oneOf",
      "allOf",       "not",          "if",               "then",
      "else",        "pattern",      "patternProperties", "propertyNames",
      "dependencies", "dependentRequired", "dependentSchemas",
      "uniqueItems", "contains",     "prefixItems",      "minProperties",
      "maxProperties", "unevaluatedProperties", "unevaluatedItems",
      "additionalItems", "minContains", "maxContains"};
  for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
    if (strcmp(k, u[i]) == 0) return true;
  return false;
}

static int compile_node(json_t *j, const char *path, int depth, bool top,
                        sch_node **out, err_t *e);

static const struct {
  const char *name;
  int fmt;
} formats[] = {{"date-time", SCH_FMT_DATETIME}, {"date", SCH_FMT_DATE},
               {"time", SCH_FMT_TIME},          {"email", SCH_FMT_EMAIL},
               {"uri", SCH_FMT_URI},            {"uuid", SCH_FMT_UUID},
               {"ipv4", SCH_FMT_IPV4},          {"ipv6", SCH_FMT_IPV6}};

int sch_format_of(const char *name) {
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
    if (strcmp(name, formats[i].name) == 0) return formats[i].fmt;
  return SCH_FMT_OTHER;
}

static int compile_props(sch_node *n, json_t *v, const char *path, int depth,
                         err_t *e) {
  if (!json_is_object(v))
    return err_set(e, REMDB_INVALID, "%s.properties: must be an object",
                   path);
  size_t cnt = json_object_size(v);
  n->prop_names = calloc(cnt ? cnt : 1, sizeof *n->prop_names);
  n->props = calloc(cnt ? cnt : 1, sizeof *n->props);
  if (!n->prop_names || !n->props) return err_nomem(e);
  const char *k;
  json_t *pv;
  json_object_foreach(v, k, pv) {
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, k);
    uint32_t i = n->nprops;
    n->prop_names[i] = strdup(k);
    if (n->prop_names[i] == NULL) return err_nomem(e);
    n->nprops++;
    int rc = compile_node(pv, sub, depth + 1, false, &n->props[i], e);
    if (rc) return rc;
  }
  return REMDB_OK;
}

/* "type": a name or a list of names. */
static int compile_type(sch_node *n, json_t *v, const char *path, err_t *e) {
  if (json_is_string(v)) {
    n->types = (unsigned)type_bit(json_string_value(v));
    if (!n->types)
      return err_set(e, REMDB_INVALID, "%s.type: unknown type \"%s\"", path,
                     json_string_value(v));
    return REMDB_OK;
  }
  if (!json_is_array(v) || json_array_size(v) == 0)
    return err_set(e, REMDB_INVALID,
                   "%s.type: must be a type name or a list of them", path);
  size_t i;
  json_t *t;
  json_array_foreach(v, i, t) {
    int b = json_is_string(t) ? type_bit(json_string_value(t)) : 0;
    if (!b)
      return err_set(e, REMDB_INVALID, "%s.type[%zu]: not a type name", path,
                     i);
    n->types |= (unsigned)b;
  }
  return REMDB_OK;
}

/* The numeric bounds: minimum, maximum, exclusiveMinimum/Maximum (a number,
** or draft 4's boolean) and multipleOf.  *handled tells whether k is one. */
static int compile_bound(sch_node *n, const char *k, json_t *v,
                         const char *path, bool *handled, err_t *e) {
  *handled = true;
  if (strcmp(k, "minimum") == 0) {
    n->has_min = true;
    return number(v, &n->min, path, k, e);
  }
  if (strcmp(k, "maximum") == 0) {
    n->has_max = true;
    return number(v, &n->max, path, k, e);
  }
  if (strcmp(k, "exclusiveMinimum") == 0) {
    if (json_is_boolean(v)) { /* draft 4 form */
      n->excl_min = json_is_true(v);
      return REMDB_OK;
    }
    n->has_min = n->excl_min = true;
    return number(v, &n->min, path, k, e);
  }
  if (strcmp(k, "exclusiveMaximum") == 0) {
    if (json_is_boolean(v)) {
      n->excl_max = json_is_true(v);
      return REMDB_OK;
    }
    n->has_max = n->excl_max = true;
    return number(v, &n->max, path, k, e);
  }
  if (strcmp(k, "multipleOf") == 0) {
    int rc = number(v, &n->multiple_of, path, k, e);
    if (!rc && !(n->multiple_of > 0))
      rc = err_set(e, REMDB_INVALID, "%s.multipleOf: must be > 0", path);
    return rc;
  }
  *handled = false;
  return REMDB_OK;
}

/* The lengths: minLength, maxLength, minItems, maxItems. */
static int compile_length(sch_node *n, const char *k, json_t *v,
                          const char *path, bool *handled, err_t *e) {
  int64_t *dst = strcmp(k, "minLength") == 0   ? &n->min_len
             : strcmp(k, "maxLength") == 0 ? &n->max_len
             : strcmp(k, "minItems") == 0  ? &n->min_items
             : strcmp(k, "maxItems") == 0  ? &n->max_items
                                           : NULL;
  *handled = dst != NULL;
  return dst ? nonneg_int(v, dst, path, k, e) : REMDB_OK;
}

static int compile_required(sch_node *n, json_t *v, const char *path,
                            err_t *e) {
  if (!json_is_array(v))
    return err_set(e, REMDB_INVALID, "%s.required: must be an array", path);
  n->required = calloc(json_array_size(v) + 1, sizeof *n->required);
  if (n->required == NULL) return err_nomem(e);
  size_t i;
  json_t *r;
  json_array_foreach(v, i, r) {
    if (!json_is_string(r))
      return err_set(e, REMDB_INVALID, "%s.required[%zu]: not a string", path,
                     i);
    n->required[n->nrequired] = strdup(json_string_value(r));
    if (n->required[n->nrequired++] == NULL) return err_nomem(e);
  }
  return REMDB_OK;
}

static int compile_any_of(sch_node *n, json_t *v, const char *path,
                          int depth, err_t *e) {
  if (!json_is_array(v) || json_array_size(v) == 0)
    return err_set(e, REMDB_INVALID, "%s.anyOf: must be a non-empty array",
                   path);
  n->any = calloc(json_array_size(v), sizeof *n->any);
  if (n->any == NULL) return err_nomem(e);
  size_t i;
  json_t *a;
  json_array_foreach(v, i, a) {
    char sub[512];
    snprintf(sub, sizeof sub, "%s.anyOf[%zu]", path, i);
    int rc = compile_node(a, sub, depth + 1, false, &n->any[i], e);
    if (rc) return rc;
    n->nany++;
  }
  return REMDB_OK;
}

/* The subschemas: additionalProperties (or its boolean form) and items. */
static int compile_sub(sch_node *n, const char *k, json_t *v,
                       const char *path, int depth, err_t *e) {
  char sub[512];
  snprintf(sub, sizeof sub, "%s.%s", path, k);
  if (strcmp(k, "additionalProperties") == 0) {
    if (json_is_boolean(v)) {
      n->no_additional = json_is_false(v);
      return REMDB_OK;
    }
    return compile_node(v, sub, depth + 1, false, &n->additional, e);
  }
  if (json_is_array(v))
    return err_set(e, REMDB_INVALID,
                   "%s: tuple validation (an array) is not supported", sub);
  return compile_node(v, sub, depth + 1, false, &n->items, e);
}

/* One keyword of a schema object.  Everything not listed is an annotation
** (title, description, default, examples, $schema, $id, $comment,
** readOnly, x-..., and at the top level the REM keys, read by
** sch_compile). */
static int compile_keyword(sch_node *n, const char *k, json_t *v,
                           const char *path, int depth, bool *nullable,
                           err_t *e) {
  bool handled;
  int rc;
  if (unsupported(k))
    return err_set(e, REMDB_INVALID, "%s: keyword \"%s\" is not supported",
                   path, k);
  if ((rc = compile_bound(n, k, v, path, &handled, e)) || handled) return rc;
  if ((rc = compile_length(n, k, v, path, &handled, e)) || handled) return rc;
  if (strcmp(k, "type") == 0) return compile_type(n, v, path, e);
  if (strcmp(k, "enum") == 0) {
    n->enum_vals = v;
    if (!json_is_array(v) || json_array_size(v) == 0)
      return err_set(e, REMDB_INVALID, "%s.enum: must be a non-empty array",
                     path);
  } else if (strcmp(k, "const") == 0) {
    n->const_val = v;
  } else if (strcmp(k, "format") == 0) {
    if (!json_is_string(v))
      return err_set(e, REMDB_INVALID, "%s.format: must be a string", path);
    n->format_name = json_string_value(v);
    n->format = sch_format_of(n->format_name);
  } else if (strcmp(k, "nullable") == 0) {
    *nullable = json_is_true(v);
  } else if (strcmp(k, "properties") == 0) {
    return compile_props(n, v, path, depth, e);
  } else if (strcmp(k, "required") == 0) {
    return compile_required(n, v, path, e);
  } else if (strcmp(k, "additionalProperties") == 0 ||
             strcmp(k, "items") == 0) {
    return compile_sub(n, k, v, path, depth, e);
  } else if (strcmp(k, "anyOf") == 0) {
    return compile_any_of(n, v, path, depth, e);
  }
  return REMDB_OK;
}

static int compile_node(json_t *j, const char *path, int depth, bool top,
                        sch_node **out, err_t *e) {
  *out = NULL;
  if (depth > 32)
    return err_set(e, REMDB_INVALID, "%s: schema nested too deeply", path);
  sch_node *n = calloc(1, sizeof *n);
  if (n == NULL) return err_nomem(e);
  n->min_len = n->max_len = n->min_items = n->max_items = -1;
  int rc = REMDB_OK;
  if (json_is_boolean(j)) {
    n->reject_all = json_is_false(j);
    *out = n;
    return REMDB_OK;
  }
  if (!json_is_object(j)) {
    node_free(n);
    return err_set(e, REMDB_INVALID, "%s: a schema must be an object", path);
  }
  bool nullable = false;
  const char *k;
  json_t *v;
  json_object_foreach(j, k, v) {
    rc = compile_keyword(n, k, v, path, depth, &nullable, e);
    if (rc) break;
  }
  if (!rc && nullable && n->types) n->types |= SCH_NULL;
  if (!rc && top && n->types && n->types != SCH_OBJECT)
    rc = err_set(e, REMDB_INVALID, "%s.type: a table schema must be \"object\"",
                 path);
  if (rc) {
    node_free(n);
    return rc;
  }
  *out = n;
  return REMDB_OK;
}

static const sch_node *prop_node(const sch_node *root, const char *name) {
  for (uint32_t i = 0; i < root->nprops; i++)
    if (strcmp(root->prop_names[i], name) == 0) return root->props[i];
  return NULL;
}

/* Optional string key k of the embedding block into out (at most max
** bytes); absent or null leaves out empty. */
static int emb_string(sch_table *t, json_t *v, const char *k, char *out,
                      size_t max, err_t *e) {
  json_t *x = json_object_get(v, k);
  out[0] = '\0';
  if (x == NULL || json_is_null(x)) return REMDB_OK;
  if (!json_is_string(x))
    return err_set(e, REMDB_INVALID, "%s.embedding.%s: must be a string",
                   t->name, k);
  size_t n = json_string_length(x);
  if (n > max)
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.%s: %zu bytes, at most %zu allowed", t->name,
                   k, n, max);
  /* an embedded NUL would silently shorten the value */
  if (strlen(json_string_value(x)) != n)
    return err_set(e, REMDB_INVALID, "%s.embedding.%s: contains a NUL byte",
                   t->name, k);
  memcpy(out, json_string_value(x), n + 1);
  return REMDB_OK;
}

/* Optional integer key k of the embedding block, lo..hi, else dflt. */
static int emb_int(sch_table *t, json_t *v, const char *k, long lo, long hi,
                   long dflt, long *out, err_t *e) {
  json_t *x = json_object_get(v, k);
  *out = dflt;
  if (x == NULL || json_is_null(x)) return REMDB_OK;
  if (!json_is_integer(x) || json_integer_value(x) < lo ||
      json_integer_value(x) > hi)
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.%s: must be an integer from %ld to %ld",
                   t->name, k, lo, hi);
  *out = (long)json_integer_value(x);
  return REMDB_OK;
}

/* The http provider's settings.  Only their form is checked here: whether
** a url is set at all is known at use time, when REMDB_EMBED_URL may
** supply it. */
static int compile_http(sch_table *t, json_t *v, err_t *e) {
  sch_embedding *m = &t->embedding;
  long batch;
  int rc = emb_string(t, v, "url", m->url, SCH_EMBED_URL_MAX, e);
  if (!rc) rc = emb_string(t, v, "model", m->model, SCH_EMBED_MODEL_MAX, e);
  if (!rc)
    rc = emb_string(t, v, "api_key_env", m->api_key_env, SCH_EMBED_ENV_MAX, e);
  if (!rc) rc = emb_int(t, v, "batch", 1, 2048, 64, &batch, e);
  if (!rc)
    rc = emb_int(t, v, "timeout_ms", 1, 3600000, 30000, &m->timeout_ms, e);
  if (rc) return rc;
  m->batch = (int)batch;
  if (m->url[0] && strncmp(m->url, "http://", 7) &&
      strncmp(m->url, "https://", 8))
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.url: must start with http:// or https://",
                   t->name);
  if (m->api_key_env[0] && !ident_valid(m->api_key_env, SCH_EMBED_ENV_MAX))
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.api_key_env: must be the name of an "
                   "environment variable ([A-Za-z_][A-Za-z0-9_]*)",
                   t->name);
  return REMDB_OK;
}

static const char *const metric_names[] = {"cosine", "ip", "l2"};
static const char *const provider_names[] = {"hash", "http", "none"};

const char *sch_metric_name(enum sch_metric m) {
  return (unsigned)m < 3 ? metric_names[m] : "?";
}

const char *sch_provider_name(enum sch_provider p) {
  return (unsigned)p < 3 ? provider_names[p] : "?";
}

/* The index of name in names[0..n), or -1. */
static int name_index(const char *name, const char *const *names, int n) {
  for (int i = 0; name && i < n; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

static int compile_embedding(sch_table *t, json_t *v, err_t *e) {
  if (!json_is_object(v))
    return err_set(e, REMDB_INVALID, "%s.embedding: must be an object",
                   t->name);
  json_t *dim = json_object_get(v, "dim");
  json_t *metric = json_object_get(v, "metric");
  json_t *prov = json_object_get(v, "provider");
  if (!json_is_integer(dim) || json_integer_value(dim) < 1 ||
      json_integer_value(dim) > 4096)
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.dim: must be an integer from 1 to 4096",
                   t->name);
  t->embedding.dim = (int)json_integer_value(dim);
  int m = name_index(metric ? json_string_value(metric) : "cosine",
                     metric_names, 3);
  if (m < 0)
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.metric: must be cosine, ip or l2", t->name);
  int p = name_index(prov ? json_string_value(prov) : "hash", provider_names,
                     3);
  if (p < 0)
    return err_set(e, REMDB_INVALID,
                   "%s.embedding.provider: must be hash, http or none",
                   t->name);
  t->embedding.metric = (enum sch_metric)m;
  t->embedding.provider = (enum sch_provider)p;
  t->embedding.M = SCH_HNSW_M;
  t->embedding.ef_construction = SCH_HNSW_EF_CONSTRUCTION;
  t->embedding.ef_search = SCH_HNSW_EF_SEARCH;
  const char *k;
  json_t *x;
  json_object_foreach(v, k, x) {
    int *slot = !strcmp(k, "M")                 ? &t->embedding.M
                : !strcmp(k, "ef_construction") ? &t->embedding.ef_construction
                : !strcmp(k, "ef_search")       ? &t->embedding.ef_search
                                                : NULL;
    if (slot == NULL) continue;
    int max = slot == &t->embedding.M ? 100 : 4096;
    if (!json_is_integer(x) || json_integer_value(x) < 2 ||
        json_integer_value(x) > max)
      return err_set(e, REMDB_INVALID,
                     "%s.embedding.%s: must be an integer from 2 to %d",
                     t->name, k, max);
    *slot = (int)json_integer_value(x);
  }
  return compile_http(t, v, e);
}

static int compile_rem_keys(sch_table *t, json_t *doc, err_t *e) {
  static const char *const str_keys[] = {"category", "description",
                                         "fully_qualified_name"};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = json_object_get(doc, str_keys[i]);
    if (v && !json_is_string(v) && !json_is_null(v))
      return err_set(e, REMDB_INVALID, "%s.%s: must be a string", t->name,
                     str_keys[i]);
  }
  json_t *ver = json_object_get(doc, "version");
  if (ver && !json_is_string(ver) && !json_is_number(ver))
    return err_set(e, REMDB_INVALID, "%s.version: must be a string or number",
                   t->name);
  json_t *idx = json_object_get(doc, "indexed_fields");
  if (idx) {
    if (!json_is_array(idx) || json_array_size(idx) > MAX_INDEXED)
      return err_set(e, REMDB_INVALID,
                     "%s.indexed_fields: must be an array of at most %d names",
                     t->name, MAX_INDEXED);
    t->indexed = calloc(json_array_size(idx) + 1, sizeof *t->indexed);
    if (t->indexed == NULL) return err_nomem(e);
    size_t i;
    json_t *f;
    json_array_foreach(idx, i, f) {
      const char *name = json_string_value(f);
      if (name == NULL)
        return err_set(e, REMDB_INVALID, "%s.indexed_fields[%zu]: not a string",
                       t->name, i);
      uint16_t id = 0;
      if (!strcmp(name, "created_at")) id = REC_F_CREATED;
      else if (!strcmp(name, "modified_at")) id = REC_F_MODIFIED;
      else if (!strcmp(name, "deleted_at")) id = REC_F_DELETED;
      else if (prop_node(t->root, name)) id = rec_dict_id(&t->dict, name);
      if (id == 0)
        return err_set(e, REMDB_INVALID,
                       "%s.indexed_fields: \"%s\" is not a property", t->name,
                       name);
      for (uint32_t j = 0; j < t->n_indexed; j++)
        if (t->indexed[j] == id)
          return err_set(e, REMDB_INVALID,
                         "%s.indexed_fields: \"%s\" listed twice", t->name,
                         name);
      t->indexed[t->n_indexed++] = id;
    }
  }
  json_t *emb = json_object_get(doc, "embedding_fields");
  if (emb) {
    if (!json_is_array(emb))
      return err_set(e, REMDB_INVALID, "%s.embedding_fields: must be an array",
                     t->name);
    size_t i;
    json_t *f;
    json_array_foreach(emb, i, f) {
      const char *name = json_string_value(f);
      const sch_node *pn = name ? prop_node(t->root, name) : NULL;
      if (pn == NULL)
        return err_set(e, REMDB_INVALID,
                       "%s.embedding_fields[%zu]: not a property", t->name, i);
      if (pn->types && !(pn->types & SCH_STRING))
        return err_set(e, REMDB_INVALID,
                       "%s.embedding_fields: \"%s\" is not a text field",
                       t->name, name);
    }
  }
  json_t *kf = json_object_get(doc, "key_field");
  if (kf && !json_is_null(kf)) {
    const char *name = json_string_value(kf);
    const sch_node *pn = name ? prop_node(t->root, name) : NULL;
    if (pn == NULL)
      return err_set(e, REMDB_INVALID, "%s.key_field: must name a property",
                     t->name);
    if (pn->types & (SCH_OBJECT | SCH_ARRAY))
      return err_set(e, REMDB_INVALID,
                     "%s.key_field: \"%s\" must be a string or number",
                     t->name, name);
    t->key_field = strdup(name);
    if (t->key_field == NULL) return err_nomem(e);
  } else if (prop_node(t->root, "uri") && prop_node(t->root, "chunk_ordinal")) {
    t->id_from_uri = true;
  }
  json_t *eb = json_object_get(doc, "embedding");
  if (eb && !json_is_null(eb)) return compile_embedding(t, eb, e);
  return REMDB_OK;
}

static int compile_columns(sch_table *t, json_t *doc, err_t *e);

int sch_compile(json_t *doc, json_t *fields, sch_table **out, err_t *e) {
  *out = NULL;
  if (!json_is_object(doc))
    return err_set(e, REMDB_INVALID, "schema: must be a JSON object");
  json_t *name = json_object_get(doc, "name");
  if (!json_is_string(name))
    return err_set(e, REMDB_INVALID, "schema: \"name\" (the table) is missing");
  if (!ident_valid(json_string_value(name), MAX_NAME))
    return err_set(e, REMDB_INVALID,
                   "schema: name \"%s\" must match [A-Za-z_][A-Za-z0-9_]* "
                   "and be at most %d characters",
                   json_string_value(name), MAX_NAME);
  if (strchr(json_string_value(name), '_') == json_string_value(name) ||
      strstr(json_string_value(name), "sqlite") == json_string_value(name))
    return err_set(e, REMDB_INVALID,
                   "schema: name \"%s\" is reserved (leading _ or sqlite)",
                   json_string_value(name));
  if (!json_is_object(json_object_get(doc, "properties")))
    return err_set(e, REMDB_INVALID, "%s.properties: must be an object",
                   json_string_value(name));
  sch_table *t = calloc(1, sizeof *t);
  if (t == NULL) return err_nomem(e);
  rec_dict_init(&t->dict);
  t->refs = 1;
  t->doc = json_incref(doc);
  t->name = strdup(json_string_value(name));
  int rc = t->name ? REMDB_OK : err_nomem(e);
  if (!rc) rc = compile_node(doc, t->name, 0, true, &t->root, e);
  /* field ids: keep the stored ones, number new properties after them */
  t->next_field = REC_F_FIRST;
  if (!rc && fields) {
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v) {
      json_int_t id = json_integer_value(v);
      /* 65535 is never assigned: the next id would wrap to the system ids */
      if (id < REC_F_FIRST || id >= 65535 ||
          rec_dict_name(&t->dict, (uint16_t)id)) {
        rc = err_set(e, REMDB_CORRUPT, "%s: stored field map is corrupt",
                     t->name);
        break;
      }
      if (!rec_dict_set(&t->dict, (uint16_t)id, k)) {
        rc = err_nomem(e);
        break;
      }
      if (id >= t->next_field) t->next_field = (uint16_t)(id + 1);
    }
  }
  for (uint32_t i = 0; !rc && i < t->root->nprops; i++) {
    const char *p = t->root->prop_names[i];
    if (sch_is_system(p)) continue; /* system fields are not properties */
    if (!ident_valid(p, 64)) {
      rc = err_set(e, REMDB_INVALID,
                   "%s.properties: \"%s\" must match [A-Za-z_][A-Za-z0-9_]* "
                   "(it becomes a SQL column)",
                   t->name, p);
      break;
    }
    if (rec_dict_id(&t->dict, p)) continue;
    if (t->next_field == 65535) {
      rc = err_set(e, REMDB_TOOBIG, "%s: too many properties", t->name);
      break;
    }
    if (!rec_dict_set(&t->dict, t->next_field++, p)) rc = err_nomem(e);
  }
  if (!rc) rc = compile_rem_keys(t, doc, e);
  if (!rc) rc = compile_columns(t, doc, e);
  if (!rc) rc = sch_compile_fulltext(t, doc, e);
  if (rc) {
    sch_free(t);
    return rc;
  }
  *out = t;
  return REMDB_OK;
}

static char lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool sch_same_sql_name(const char *a, const char *b) {
  for (; *a && lower(*a) == lower(*b); a++, b++) {
  }
  return *a == *b;
}

/* Whether name starts with prefix, case ignored. */
static bool has_prefix(const char *name, const char *prefix) {
  for (; *prefix; name++, prefix++)
    if (lower(*name) != *prefix) return false;
  return true;
}

/* Table names the SQL session cannot declare, or that would hide what it
** declares: SQLite's internal names and its table-valued functions, the
** REM table-valued functions (tvf.c), and <table>_all, the twin the
** session declares for every table. */
static const char *reserved_table(const char *name) {
  static const char *const fixed[] = {"search", "lookup", "traverse",
                                      "json_each", "json_tree"};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
    if (sch_same_sql_name(name, fixed[i]))
      return "a table-valued function of the SQL dialect";
  if (has_prefix(name, "sqlite"))
    return "SQLite reserves names starting with sqlite";
  if (has_prefix(name, "pragma_"))
    return "SQLite reserves names starting with pragma_";
  size_t n = strlen(name);
  if (n >= 4 && sch_same_sql_name(name + n - 4, "_all"))
    return "SQL shows every table T with its soft-deleted rows as T_all";
  return NULL;
}

static unsigned node_types(const sch_node *n);

/* The rules of sch_check_new for node n (at path; top: the table's) and
** the nodes under it: known formats, bounds some value can meet, and
** required names that are declared. */
static int check_tree(const sch_node *n, const char *path, bool top,
                      err_t *e) {
  if (n->has_min && n->has_max &&
      (n->min > n->max ||
       (n->min == n->max && (n->excl_min || n->excl_max))))
    return err_set(e, REMDB_INVALID,
                   "%s: %s %g and %s %g leave no number that fits", path,
                   n->excl_min ? "exclusiveMinimum" : "minimum", n->min,
                   n->excl_max ? "exclusiveMaximum" : "maximum", n->max);
  if (n->min_len >= 0 && n->max_len >= 0 && n->min_len > n->max_len)
    return err_set(e, REMDB_INVALID,
                   "%s: minLength %lld is above maxLength %lld", path,
                   (long long)n->min_len, (long long)n->max_len);
  if (n->min_items >= 0 && n->max_items >= 0 && n->min_items > n->max_items)
    return err_set(e, REMDB_INVALID,
                   "%s: minItems %lld is above maxItems %lld", path,
                   (long long)n->min_items, (long long)n->max_items);
  /* where properties are declared (or no others allowed), a required name
  ** must be one of them: anything else is a typo or an object no value
  ** can be; "name": {} declares a property of any type */
  for (uint32_t i = 0; i < n->nrequired; i++) {
    const char *r = n->required[i];
    if ((n->prop_names == NULL && !n->no_additional) ||
        (top && sch_is_system(r)) || prop_node(n, r))
      continue;
    return err_set(e, REMDB_INVALID,
                   "%s.required: \"%s\" is not in properties (declare it, "
                   "e.g. \"%s\": {} for any value)",
                   path, r, r);
  }
  if (n->format == SCH_FMT_OTHER)
    return err_set(e, REMDB_INVALID,
                   "%s.format: \"%s\" is not a format remdb checks (it "
                   "checks date-time, date, time, email, uri, uuid, ipv4 and "
                   "ipv6); remove it, or say it in \"description\"",
                   path, n->format_name);
  char sub[512];
  int rc = REMDB_OK;
  for (uint32_t i = 0; !rc && i < n->nprops; i++) {
    snprintf(sub, sizeof sub, "%s.%s", path, n->prop_names[i]);
    rc = check_tree(n->props[i], sub, false, e);
  }
  if (!rc && n->additional) {
    snprintf(sub, sizeof sub, "%s.additionalProperties", path);
    rc = check_tree(n->additional, sub, false, e);
  }
  if (!rc && n->items) {
    snprintf(sub, sizeof sub, "%s.items", path);
    rc = check_tree(n->items, sub, false, e);
  }
  for (uint32_t i = 0; !rc && i < n->nany; i++) {
    snprintf(sub, sizeof sub, "%s.anyOf[%u]", path, i);
    rc = check_tree(n->any[i], sub, false, e);
  }
  return rc;
}

int sch_check_new(const sch_table *t, bool new_table, err_t *e) {
  const char *why = new_table ? reserved_table(t->name) : NULL;
  if (why)
    return err_set(e, REMDB_INVALID, "schema: name \"%s\" is reserved (%s)",
                   t->name, why);
  static const char *const sys[] = {"id", "type", "created_at", "modified_at",
                                    "deleted_at"};
  const sch_node *r = t->root;
  for (uint32_t i = 0; i < r->nprops; i++) {
    const char *p = r->prop_names[i];
    for (size_t j = 0; j < sizeof sys / sizeof *sys; j++)
      if (sch_same_sql_name(p, sys[j]))
        return err_set(e, REMDB_INVALID,
                       "%s.properties: \"%s\" %s system field %s, which "
                       "remdb sets on every entity; rename the property",
                       t->name, p,
                       strcmp(p, sys[j]) ? "would clash in SQL (names ignore "
                                           "case) with the"
                                         : "is the",
                       sys[j]);
    for (uint32_t j = 0; j < i; j++)
      if (sch_same_sql_name(p, r->prop_names[j]))
        return err_set(e, REMDB_INVALID,
                       "%s.properties: \"%s\" and \"%s\" would be the same "
                       "SQL column (names ignore case); rename one",
                       t->name, r->prop_names[j], p);
  }
  /* text to embed needs an embedding, and must be able to hold text */
  json_t *ef = json_object_get(t->doc, "embedding_fields");
  if (json_array_size(ef) && t->embedding.dim == 0)
    return err_set(e, REMDB_INVALID,
                   "%s.embedding_fields: listed, but the schema has no "
                   "\"embedding\" block (e.g. {\"dim\": 384, \"metric\": "
                   "\"cosine\", \"provider\": \"hash\"}) to embed them",
                   t->name);
  size_t i;
  json_t *f;
  json_array_foreach(ef, i, f) {
    const sch_node *pn = prop_node(r, json_string_value(f));
    unsigned ty = pn ? node_types(pn) : 0;
    if (ty && !(ty & SCH_STRING))
      return err_set(e, REMDB_INVALID,
                     "%s.embedding_fields: \"%s\" is not a text field",
                     t->name, json_string_value(f));
  }
  return check_tree(r, t->name, true, e);
}

sch_table *sch_retain(sch_table *t) {
  t->refs++;
  return t;
}

void sch_free(sch_table *t) {
  if (t == NULL || --t->refs > 0) return;
  free(t->name);
  json_decref(t->doc);
  node_free(t->root);
  rec_dict_free(&t->dict);
  free(t->indexed);
  free(t->key_field);
  free(t->cols);
  sch_fulltext_free(&t->fulltext);
  free(t);
}

static unsigned value_type(json_t *v) {
  switch (json_typeof(v)) {
    case JSON_STRING: return SCH_STRING;
    case JSON_INTEGER: return SCH_INTEGER;
    case JSON_REAL: return SCH_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return SCH_BOOLEAN;
    case JSON_OBJECT: return SCH_OBJECT;
    case JSON_ARRAY: return SCH_ARRAY;
    default: return SCH_NULL;
  }
}

static unsigned node_types(const sch_node *n) {
  if (n->types) return n->types;
  unsigned t = 0;
  if (n->enum_vals) {
    size_t i;
    json_t *v;
    json_array_foreach(n->enum_vals, i, v) t |= value_type(v);
  } else if (n->const_val) {
    t = value_type(n->const_val);
  } else if (n->nany) {
    for (uint32_t i = 0; i < n->nany; i++) {
      unsigned b = node_types(n->any[i]);
      if (b == 0) return 0;
      t |= b;
    }
  }
  return t;
}

unsigned sch_prop_types(const sch_table *t, const char *name) {
  const sch_node *n = prop_node(t->root, name);
  return n ? node_types(n) : 0;
}

json_t *sch_fields_json(const sch_table *t) {
  json_t *o = json_object();
  if (o == NULL) return NULL;
  for (uint32_t i = REC_F_FIRST; i < t->dict.cap; i++) {
    const char *n = rec_dict_name(&t->dict, (uint16_t)i);
    if (n && json_object_set_new(o, n, json_integer(i)) != 0) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

/* ---- the columnar copy's columns ---------------------------------------- */

/* The column kind of property pn, or -1 when it is not a scalar of one
** JSON type (plus null). */
static int col_kind(const sch_node *pn) {
  unsigned ty = node_types(pn) & ~(unsigned)SCH_NULL;
  if (ty == SCH_STRING)
    return pn->format == SCH_FMT_DATETIME ? SCH_COL_TIME : SCH_COL_TEXT;
  if (ty == SCH_INTEGER) return SCH_COL_INT;
  if (ty == SCH_NUMBER || ty == (SCH_INTEGER | SCH_NUMBER)) return SCH_COL_REAL;
  if (ty == SCH_BOOLEAN) return SCH_COL_BOOL;
  return -1;
}

static int compile_columns(sch_table *t, json_t *doc, err_t *e) {
  json_t *on = json_object_get(doc, "columnar");
  json_t *only = json_object_get(doc, "columnar_fields");
  if (on && !json_is_boolean(on))
    return err_set(e, REMDB_INVALID, "%s.columnar: must be true or false",
                   t->name);
  t->columnar = on == NULL || json_is_true(on);
  if (only && !json_is_null(only)) {
    if (!json_is_array(only))
      return err_set(e, REMDB_INVALID,
                     "%s.columnar_fields: must be an array of property names",
                     t->name);
    if (!t->columnar)
      return err_set(e, REMDB_INVALID,
                     "%s.columnar_fields: given while \"columnar\" is false",
                     t->name);
    size_t i, j;
    json_t *f, *g;
    json_array_foreach(only, i, f) {
      const char *name = json_string_value(f);
      if (name == NULL)
        return err_set(e, REMDB_INVALID,
                       "%s.columnar_fields[%zu]: not a string", t->name, i);
      json_array_foreach(only, j, g) {
        if (j >= i) break;
        if (json_equal(f, g))
          return err_set(e, REMDB_INVALID,
                         "%s.columnar_fields: \"%s\" listed twice", t->name,
                         name);
      }
      if (!strcmp(name, "id") || !strcmp(name, "created_at") ||
          !strcmp(name, "modified_at") || !strcmp(name, "deleted_at"))
        continue; /* the system columns are always kept */
      const sch_node *pn = prop_node(t->root, name);
      if (pn == NULL || sch_is_system(name))
        return err_set(e, REMDB_INVALID,
                       "%s.columnar_fields: \"%s\" is not a property",
                       t->name, name);
      if (col_kind(pn) < 0)
        return err_set(e, REMDB_INVALID,
                       "%s.columnar_fields: \"%s\" is not a scalar of one "
                       "type (string, integer, number, boolean or date-time, "
                       "each optionally with null)",
                       t->name, name);
    }
  }
  if (!t->columnar) return REMDB_OK;
  t->cols = calloc((size_t)t->dict.cap + 4, sizeof *t->cols);
  if (t->cols == NULL) return err_nomem(e);
  t->cols[t->ncols++] = (sch_col){0, SCH_COL_ID};
  for (uint16_t f = REC_F_CREATED; f <= REC_F_DELETED; f++)
    t->cols[t->ncols++] = (sch_col){f, SCH_COL_TIME};
  for (uint32_t f = REC_F_FIRST; f < t->dict.cap; f++) {
    const char *name = rec_dict_name(&t->dict, (uint16_t)f);
    const sch_node *pn = name ? prop_node(t->root, name) : NULL;
    if (pn == NULL || sch_is_system(name)) continue;
    int k = col_kind(pn);
    if (k < 0) continue;
    if (only && json_is_array(only)) {
      bool listed = false;
      size_t i;
      json_t *x;
      json_array_foreach(only, i, x) listed |= !strcmp(json_string_value(x), name);
      if (!listed) continue;
    }
    t->cols[t->ncols++] = (sch_col){(uint16_t)f, (uint8_t)k};
  }
  return REMDB_OK;
}

bool sch_same_columns(const sch_table *a, const sch_table *b) {
  if (a->columnar != b->columnar || a->ncols != b->ncols) return false;
  for (uint32_t i = 0; i < a->ncols; i++)
    if (a->cols[i].field != b->cols[i].field ||
        a->cols[i].kind != b->cols[i].kind)
      return false;
  return true;
}
