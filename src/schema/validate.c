/*
** validate.c: checking an entity against a compiled schema, and
** normalising it in place (canonical time stamps, integral numbers as
** integers).  Errors name the path of the value and the rule it broke:
**
**     issues.priority: expected integer, got string "high"
**     issues.tags[2]: longer than maxLength 20
*/
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "node.h"

/* The path of the value being checked, kept as a stack of segments and
** rendered into text only when a rule fails: checking a valid entity costs
** no formatting. */
#define MAX_SEG 32

typedef struct vctx {
  const sch_limits *lim;
  err_t *e;
  const char *table;
  struct seg {
    const char *key; /* NULL: an array index */
    size_t idx;
  } seg[MAX_SEG];
  int depth;
} vctx;

static void push_key(vctx *c, const char *k) {
  if (c->depth < MAX_SEG) c->seg[c->depth] = (struct seg){k, 0};
  c->depth++;
}

static void push_idx(vctx *c, size_t i) {
  if (c->depth < MAX_SEG) c->seg[c->depth] = (struct seg){NULL, i};
  c->depth++;
}

static void pop(vctx *c) { c->depth--; }

static void render_path(const vctx *c, char *out, size_t n) {
  size_t len = (size_t)snprintf(out, n, "%s", c->table);
  for (int i = 0; i < c->depth && len < n; i++) {
    int w;
    if (i >= MAX_SEG)
      w = snprintf(out + len, n - len, "...");
    else if (c->seg[i].key)
      w = snprintf(out + len, n - len, ".%s", c->seg[i].key);
    else
      w = snprintf(out + len, n - len, "[%zu]", c->seg[i].idx);
    if (w < 0 || i >= MAX_SEG) break;
    len += (size_t)w;
  }
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
  }
}

static void types_text(unsigned types, char *out, size_t n) {
  static const char *const names[] = {"string", "integer", "number", "boolean",
                                      "object", "array",   "null"};
  out[0] = 0;
  size_t len = 0;
  for (int i = 0; i < 7; i++) {
    if (!(types & (1u << i))) continue;
    int w = snprintf(out + len, n - len, "%s%s", len ? " or " : "", names[i]);
    if (w < 0 || (size_t)w >= n - len) break;
    len += (size_t)w;
  }
}

/* A short rendering of a scalar for messages: "high", 42, true. */
static void preview(const json_t *v, char *out, size_t n) {
  out[0] = 0;
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    snprintf(out, n, " \"%.*s%s\"", (int)(len > 40 ? 40 : len), s,
             len > 40 ? "..." : "");
  } else if (json_is_integer(v)) {
    snprintf(out, n, " %lld", (long long)json_integer_value(v));
  } else if (json_is_real(v)) {
    snprintf(out, n, " %.15g", json_real_value(v));
  }
}

static int fail(vctx *c, int code, const char *fmt, const char *detail) {
  char path[512];
  render_path(c, path, sizeof path);
  return err_set(c->e, code, "%s: %s%s", path, fmt, detail ? detail : "");
}

/* Numbers compare by value, so enum [1] accepts 1.0. */
static bool values_equal(json_t *a, json_t *b) {
  if (json_is_number(a) && json_is_number(b))
    return json_number_value(a) == json_number_value(b) &&
           (!json_is_integer(a) || !json_is_integer(b) ||
            json_integer_value(a) == json_integer_value(b));
  return json_equal(a, b);
}

static int check(vctx *c, const sch_node *n, json_t *v, json_t **repl,
                 int depth);

/* Validate a child value (its key or index already pushed). */
static int check_child(vctx *c, const sch_node *n, json_t *v, json_t **repl,
                       int depth) {
  int rc = check(c, n, v, repl, depth + 1);
  if (rc == REMDB_OK) pop(c);
  return rc;
}

static int check_object(vctx *c, const sch_node *n, json_t *v, int depth,
                        bool top) {
  for (uint32_t i = 0; i < n->nrequired; i++) {
    const char *r = n->required[i];
    if (top && sch_is_system(r)) continue;
    if (json_object_get(v, r) == NULL) {
      push_key(c, r);
      return fail(c, REMDB_SCHEMA, "required field is missing", NULL);
    }
  }
  const char *k;
  json_t *m;
  void *tmp;
  json_object_foreach_safe(v, tmp, k, m) {
    if (top && sch_is_system(k)) continue;
    push_key(c, k);
    const sch_node *pn = NULL;
    for (uint32_t i = 0; i < n->nprops; i++)
      if (strcmp(n->prop_names[i], k) == 0) {
        pn = n->props[i];
        break;
      }
    if (pn == NULL) {
      if (n->no_additional)
        return fail(c, REMDB_SCHEMA,
                    "not a declared property (additionalProperties is false)",
                    NULL);
      pn = n->additional;
    }
    if (pn == NULL) {
      pop(c);
      continue;
    }
    json_t *r = NULL;
    int rc = check_child(c, pn, m, &r, depth);
    if (rc) return rc;
    if (r && json_object_set_new(v, k, r) != 0) return err_nomem(c->e);
  }
  return REMDB_OK;
}

static int check_array(vctx *c, const sch_node *n, json_t *v, int depth) {
  size_t len = json_array_size(v);
  char d[48];
  if (n->min_items >= 0 && (int64_t)len < n->min_items) {
    snprintf(d, sizeof d, " %lld", (long long)n->min_items);
    return fail(c, REMDB_SCHEMA, "fewer items than minItems", d);
  }
  if (n->max_items >= 0 && (int64_t)len > n->max_items) {
    snprintf(d, sizeof d, " %lld", (long long)n->max_items);
    return fail(c, REMDB_SCHEMA, "more items than maxItems", d);
  }
  if (n->items == NULL) return REMDB_OK;
  for (size_t i = 0; i < len; i++) {
    push_idx(c, i);
    json_t *r = NULL;
    int rc = check_child(c, n->items, json_array_get(v, i), &r, depth);
    if (rc) return rc;
    if (r && json_array_set_new(v, i, r) != 0) return err_nomem(c->e);
  }
  return REMDB_OK;
}

static int check_number(vctx *c, const sch_node *n, json_t *v) {
  double x = json_number_value(v);
  char d[64];
  if (n->has_min && (n->excl_min ? !(x > n->min) : !(x >= n->min))) {
    snprintf(d, sizeof d, " %g (got %g)", n->min, x);
    return fail(c, REMDB_SCHEMA,
                n->excl_min ? "not above exclusiveMinimum" : "below minimum",
                d);
  }
  if (n->has_max && (n->excl_max ? !(x < n->max) : !(x <= n->max))) {
    snprintf(d, sizeof d, " %g (got %g)", n->max, x);
    return fail(c, REMDB_SCHEMA,
                n->excl_max ? "not below exclusiveMaximum" : "above maximum",
                d);
  }
  if (n->multiple_of > 0) {
    double q = x / n->multiple_of;
    if (fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q))) {
      snprintf(d, sizeof d, " %g", n->multiple_of);
      return fail(c, REMDB_SCHEMA, "not a multiple of", d);
    }
  }
  return REMDB_OK;
}

/* ---- formats: the common ones of JSON Schema, checked as RFC 3339
** (time), RFC 5321 (email, without quoted local parts), RFC 3986 (uri:
** an absolute URI, ASCII only), RFC 4122 text (uuid) and the address
** texts of inet_pton (ipv4: four decimal octets without leading zeros;
** ipv6). */

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static bool is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_hex(char ch) {
  return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Two digits at s[*i] with a value of at most max. */
static bool two_digits(const char *s, size_t n, size_t *i, int max) {
  if (*i + 2 > n || !is_digit(s[*i]) || !is_digit(s[*i + 1])) return false;
  int v = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
  *i += 2;
  return v <= max;
}

/* HH:MM:SS[.frac][Z|+HH:MM|-HH:MM] */
static bool time_valid(const char *s, size_t n) {
  size_t i = 0;
  if (!two_digits(s, n, &i, 23) || i >= n || s[i++] != ':' ||
      !two_digits(s, n, &i, 59) || i >= n || s[i++] != ':' ||
      !two_digits(s, n, &i, 59))
    return false;
  if (i < n && s[i] == '.') {
    size_t d = ++i;
    while (i < n && is_digit(s[i])) i++;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    i++;
    if (!two_digits(s, n, &i, 23) || i >= n || s[i++] != ':' ||
        !two_digits(s, n, &i, 59))
      return false;
  }
  return i == n;
}

/* A host name: dot-separated labels of letters, digits and '-', 1-63
** bytes each, not starting or ending with '-'; 253 bytes at most. */
static bool hostname_valid(const char *s, size_t n) {
  if (n == 0 || n > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
    } else if (is_alpha(ch) || is_digit(ch) || ch == '-') {
      if (label == 0 && ch == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0 && s[n - 1] != '-';
}

static bool ip_valid(int af, const char *s, size_t n) {
  char buf[64];
  unsigned char addr[16];
  if (n == 0 || n >= sizeof buf || memchr(s, 0, n)) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  return inet_pton(af, buf, addr) == 1;
}

/* local@domain; local: the characters of an RFC 5322 dot-atom */
static bool email_valid(const char *s, size_t n) {
  const char *at = memchr(s, '@', n);
  if (at == NULL || n > 254) return false;
  size_t ln = (size_t)(at - s), dn = n - ln - 1;
  if (ln == 0 || ln > 64 || s[0] == '.' || s[ln - 1] == '.') return false;
  for (size_t i = 0; i < ln; i++) {
    char ch = s[i];
    if (ch == '.' ? s[i + 1] == '.'
                  : !(is_alpha(ch) || is_digit(ch) ||
                      (ch && strchr("!#$%&'*+/=?^_`{|}~-", ch))))
      return false;
  }
  const char *d = at + 1;
  if (dn >= 2 && d[0] == '[' && d[dn - 1] == ']') { /* an address literal */
    if (dn > 7 && memcmp(d + 1, "IPv6:", 5) == 0)
      return ip_valid(AF_INET6, d + 6, dn - 7);
    return ip_valid(AF_INET, d + 1, dn - 2);
  }
  return hostname_valid(d, dn);
}

/* scheme ":" then only the characters RFC 3986 allows, with every % the
** start of a %XX escape */
static bool uri_valid(const char *s, size_t n) {
  size_t i = 0;
  if (n == 0 || !is_alpha(s[0])) return false;
  while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' ||
                   s[i] == '-' || s[i] == '.'))
    i++;
  if (i >= n || s[i] != ':') return false;
  for (i++; i < n; i++) {
    char ch = s[i];
    if (ch == '%') {
      if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!(is_alpha(ch) || is_digit(ch) ||
                 (ch && strchr("-._~:/?#[]@!$&'()*+,;=", ch)))) {
      return false;
    }
  }
  return true;
}

static bool format_valid(int fmt, const char *s, size_t n) {
  uuid16_t u;
  switch (fmt) {
    case SCH_FMT_DATE: return date_valid(s, n);
    case SCH_FMT_TIME: return time_valid(s, n);
    case SCH_FMT_EMAIL: return email_valid(s, n);
    case SCH_FMT_URI: return uri_valid(s, n);
    case SCH_FMT_UUID: return uuid_parse(s, n, &u);
    case SCH_FMT_IPV4: return ip_valid(AF_INET, s, n);
    case SCH_FMT_IPV6: return ip_valid(AF_INET6, s, n);
    default: return true; /* SCH_FMT_OTHER: an annotation (see sch.h) */
  }
}

static int check_string(vctx *c, const sch_node *n, json_t *v,
                        json_t **repl) {
  const char *s = json_string_value(v);
  size_t len = json_string_length(v);
  char d[64];
  if (n->min_len >= 0 || n->max_len >= 0) {
    size_t cps = utf8_len(s, len);
    if (n->min_len >= 0 && (int64_t)cps < n->min_len) {
      snprintf(d, sizeof d, " %lld", (long long)n->min_len);
      return fail(c, REMDB_SCHEMA, "shorter than minLength", d);
    }
    if (n->max_len >= 0 && (int64_t)cps > n->max_len) {
      snprintf(d, sizeof d, " %lld (got %zu characters)",
               (long long)n->max_len, cps);
      return fail(c, REMDB_SCHEMA, "longer than maxLength", d);
    }
  }
  if (n->format == SCH_FMT_DATETIME) {
    int64_t t;
    if (!ts_parse(s, len, &t)) {
      preview(v, d, sizeof d);
      return fail(c, REMDB_SCHEMA,
                  "not an RFC 3339 date-time (format date-time), got", d);
    }
    char canon[TS_LEN + 1];
    ts_format(t, canon);
    if (len != TS_LEN || memcmp(canon, s, TS_LEN) != 0) {
      *repl = json_string(canon);
      if (*repl == NULL) return err_nomem(c->e);
    }
  } else if (n->format != SCH_FMT_NONE && !format_valid(n->format, s, len)) {
    static const char *const what[] = {
        [SCH_FMT_DATE] = "not a YYYY-MM-DD date (format date), got",
        [SCH_FMT_TIME] = "not an RFC 3339 time HH:MM:SS[.frac][Z|+HH:MM] "
                         "(format time), got",
        [SCH_FMT_EMAIL] = "not an email address (format email), got",
        [SCH_FMT_URI] = "not an absolute URI (format uri), got",
        [SCH_FMT_UUID] = "not a UUID (format uuid), got",
        [SCH_FMT_IPV4] = "not an IPv4 address (format ipv4), got",
        [SCH_FMT_IPV6] = "not an IPv6 address (format ipv6), got",
    };
    preview(v, d, sizeof d);
    return fail(c, REMDB_SCHEMA, what[n->format], d);
  }
  return REMDB_OK;
}

static int check(vctx *c, const sch_node *n, json_t *v, json_t **repl,
                 int depth) {
  char d[256];
  *repl = NULL;
  if (depth > c->lim->max_depth) {
    snprintf(d, sizeof d, " %d levels", c->lim->max_depth);
    return fail(c, REMDB_TOOBIG, "nested deeper than", d);
  }
  if (n->reject_all) return fail(c, REMDB_SCHEMA, "no value is allowed", NULL);
  if (n->types) {
    unsigned have;
    switch (json_typeof(v)) {
      case JSON_OBJECT: have = SCH_OBJECT; break;
      case JSON_ARRAY: have = SCH_ARRAY; break;
      case JSON_STRING: have = SCH_STRING; break;
      case JSON_INTEGER: have = SCH_INTEGER | SCH_NUMBER; break;
      case JSON_REAL: have = SCH_NUMBER; break;
      case JSON_TRUE:
      case JSON_FALSE: have = SCH_BOOLEAN; break;
      default: have = SCH_NULL; break;
    }
    bool ok = (have & n->types) != 0;
    if (!ok && json_is_real(v) && (n->types & SCH_INTEGER)) {
      /* 3.0 is an integer in JSON Schema: store it as one */
      double x = json_real_value(v);
      if (x == nearbyint(x) && x >= -9.2233720368547758e18 &&
          x < 9.2233720368547758e18) {
        *repl = json_integer((json_int_t)x);
        if (*repl == NULL) return err_nomem(c->e);
        v = *repl;
        ok = true;
      }
    }
    if (!ok) {
      char want[96], got[64];
      types_text(n->types, want, sizeof want);
      preview(v, got, sizeof got);
      snprintf(d, sizeof d, "%s, got %s%s", want, type_name(v), got);
      return fail(c, REMDB_SCHEMA, "expected ", d);
    }
  }
  if (n->enum_vals) {
    bool found = false;
    size_t i;
    json_t *x;
    json_array_foreach(n->enum_vals, i, x) {
      if (values_equal(v, x)) {
        found = true;
        break;
      }
    }
    if (!found) {
      char *allowed = json_dumps(n->enum_vals, JSON_COMPACT);
      char got[64];
      preview(v, got, sizeof got);
      snprintf(d, sizeof d, " %.50s, got%s", allowed ? allowed : "", got);
      free(allowed);
      return fail(c, REMDB_SCHEMA, "not one of the enum values", d);
    }
  }
  if (n->const_val && !values_equal(v, n->const_val))
    return fail(c, REMDB_SCHEMA, "does not equal the const value", NULL);
  int rc = REMDB_OK;
  json_t *r2 = NULL;
  switch (json_typeof(v)) {
    case JSON_INTEGER:
    case JSON_REAL: rc = check_number(c, n, v); break;
    case JSON_STRING:
      rc = check_string(c, n, v, &r2);
      if (!rc && r2) {
        json_decref(*repl);
        *repl = r2;
      }
      break;
    case JSON_OBJECT: rc = check_object(c, n, v, depth, false); break;
    case JSON_ARRAY: rc = check_array(c, n, v, depth); break;
    default: break;
  }
  if (!rc && n->nany) {
    /* the first branch that accepts a copy of the value wins, with its
    ** normalisation */
    json_t *cur = *repl ? *repl : v;
    int brc = REMDB_SCHEMA;
    for (uint32_t i = 0; i < n->nany; i++) {
      json_t *copy = json_deep_copy(cur);
      if (copy == NULL) return err_nomem(c->e);
      json_t *br = NULL;
      int saved = c->depth;
      brc = check(c, n->any[i], copy, &br, depth);
      c->depth = saved;
      if (brc == REMDB_OK) {
        json_decref(*repl);
        *repl = br ? br : copy;
        if (br) json_decref(copy);
        break;
      }
      json_decref(copy);
      if (brc != REMDB_SCHEMA) return brc;
    }
    if (brc != REMDB_OK)
      return fail(c, REMDB_SCHEMA, "matches none of the anyOf schemas", NULL);
  }
  if (rc) {
    json_decref(*repl);
    *repl = NULL;
  }
  return rc;
}

/* Limits apply to every value, declared or not. */
static int check_limits(vctx *c, json_t *v, int depth) {
  char d[64];
  if (depth > c->lim->max_depth) {
    snprintf(d, sizeof d, " %d levels", c->lim->max_depth);
    return fail(c, REMDB_TOOBIG, "nested deeper than", d);
  }
  if (json_is_string(v) && json_string_length(v) > c->lim->max_value_bytes) {
    snprintf(d, sizeof d, " (%zu bytes, limit %zu)", json_string_length(v),
             c->lim->max_value_bytes);
    return fail(c, REMDB_TOOBIG, "value too long", d);
  }
  if (json_is_object(v)) {
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
      push_key(c, k);
      int rc = check_limits(c, m, depth + 1);
      if (rc) return rc;
      pop(c);
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *m;
    json_array_foreach(v, i, m) {
      push_idx(c, i);
      int rc = check_limits(c, m, depth + 1);
      if (rc) return rc;
      pop(c);
    }
  }
  return REMDB_OK;
}

int sch_check_limits(const char *what, json_t *v, const sch_limits *lim,
                     err_t *e) {
  vctx c = {.lim = lim, .e = e, .table = what};
  return check_limits(&c, v, 1);
}

int sch_validate(const sch_table *t, json_t *entity, const sch_limits *lim,
                 err_t *e) {
  vctx c = {.lim = lim, .e = e, .table = t->name};
  if (!json_is_object(entity))
    return err_set(e, REMDB_INVALID, "%s: an entity must be a JSON object",
                   t->name);
  int rc = check_limits(&c, entity, 1);
  if (rc) return rc;
  if (t->root->reject_all)
    return err_set(e, REMDB_SCHEMA, "%s: schema accepts no entity", t->name);
  return check_object(&c, t->root, entity, 1, true);
}

int sch_normalize_value(const sch_table *t, const char *field, json_t **v,
                        const sch_limits *lim, err_t *e) {
  vctx c = {.lim = lim, .e = e, .table = t->name};
  push_key(&c, field);
  json_t *r = NULL;
  int rc = REMDB_OK;
  if (sch_is_system(field)) {
    int64_t ts;
    char canon[TS_LEN + 1];
    if (json_is_string(*v) &&
        ts_parse(json_string_value(*v), json_string_length(*v), &ts)) {
      ts_format(ts, canon);
      r = json_string(canon);
      if (r == NULL) return err_nomem(e);
    }
  } else {
    const sch_node *n = NULL;
    for (uint32_t i = 0; i < t->root->nprops; i++)
      if (strcmp(t->root->prop_names[i], field) == 0) n = t->root->props[i];
    if (n) rc = check(&c, n, *v, &r, 1);
    /* a value no write could store is looked up as it is: it matches
    ** nothing, which is the right answer for a lookup */
    if (rc == REMDB_SCHEMA) rc = REMDB_OK, err_clear(e);
  }
  if (rc == REMDB_OK && r) {
    json_decref(*v);
    *v = r;
  }
  return rc;
}
