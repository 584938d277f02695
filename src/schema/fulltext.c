/*
** fulltext.c: a schema's "fulltext" block (sch.h: sch_fulltext), compiled
** and checked: the fields must be text properties, the language one that
** libstemmer knows (or "none"), the BM25 parameters in range.
*/
#include <stdlib.h>
#include <string.h>

#include "../text/analyze.h"
#include "../text/postings.h"
#include "sch.h"

void sch_fulltext_free(sch_fulltext *f) {
  for (uint32_t i = 0; f->names && i < f->nfields; i++) free(f->names[i]);
  for (size_t i = 0; i < f->nstopwords; i++) free(f->stopwords[i]);
  free(f->names);
  free(f->fields);
  free(f->stemmer);
  free(f->stopwords);
  free(f->signature);
  memset(f, 0, sizeof *f);
}

static bool known_language(const char *name) {
  const char **l = fts_stemmer_list();
  for (size_t i = 0; l && l[i]; i++)
    if (strcmp(l[i], name) == 0) return true;
  return false;
}

static void languages(char *out, size_t n) {
  const char **l = fts_stemmer_list();
  size_t o = 0;
  out[0] = 0;
  for (size_t i = 0; l && l[i] && o + 2 < n; i++)
    o += (size_t)snprintf(out + o, n - o, "%s%s", i ? ", " : "", l[i]);
}

static int compile(sch_table *t, json_t *ft, sch_fulltext *f, err_t *e) {
  const char *tn = t->name;
  if (!json_is_object(ft))
    return err_set(e, REMDB_INVALID,
                   "%s.fulltext: must be an object, e.g. {\"fields\": "
                   "[\"content\"], \"language\": \"english\"}",
                   tn);
  static const char *const keys[] = {"fields",    "language", "stemmer",
                                     "stopwords", "tokenizer", "k1", "b"};
  const char *k;
  json_t *v;
  json_object_foreach(ft, k, v) {
    bool ok = false;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
      ok |= strcmp(k, keys[i]) == 0;
    if (!ok)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext: unknown key \"%s\" (known: fields, "
                     "language, stemmer, stopwords, tokenizer, k1, b)",
                     tn, k);
  }
  /* fields: given, else the embedding_fields */
  json_t *fl = json_object_get(ft, "fields");
  const char *what = "fulltext.fields";
  if (fl == NULL || json_is_null(fl)) {
    fl = json_object_get(t->doc, "embedding_fields");
    what = "fulltext.fields (defaulted to embedding_fields)";
    if (json_array_size(fl) == 0)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext.fields: missing, and the schema has no "
                     "embedding_fields to default to: list the text "
                     "properties to index",
                     tn);
  }
  if (!json_is_array(fl) || json_array_size(fl) == 0 ||
      json_array_size(fl) > FTS_MAX_FIELDS)
    return err_set(e, REMDB_INVALID,
                   "%s.%s: must be an array of 1 to %d property names", tn,
                   what, FTS_MAX_FIELDS);
  size_t n = json_array_size(fl);
  f->fields = calloc(n, sizeof *f->fields);
  f->names = calloc(n, sizeof *f->names);
  if (!f->fields || !f->names) return err_nomem(e);
  json_t *props = json_object_get(t->doc, "properties");
  for (size_t i = 0; i < n; i++) {
    const char *name = json_string_value(json_array_get(fl, i));
    if (name == NULL)
      return err_set(e, REMDB_INVALID, "%s.%s[%zu]: not a string", tn, what,
                     i);
    uint16_t id = rec_dict_id(&t->dict, name);
    if (json_object_get(props, name) == NULL || id == 0)
      return err_set(e, REMDB_INVALID,
                     "%s.%s: \"%s\" is not a property of the table", tn, what,
                     name);
    unsigned ty = sch_prop_types(t, name);
    if (ty && !(ty & SCH_STRING))
      return err_set(e, REMDB_INVALID,
                     "%s.%s: \"%s\" is not a text field (only string "
                     "properties can be indexed)",
                     tn, what, name);
    for (uint32_t j = 0; j < f->nfields; j++)
      if (f->fields[j] == id)
        return err_set(e, REMDB_INVALID, "%s.%s: \"%s\" listed twice", tn,
                       what, name);
    if ((f->names[f->nfields] = strdup(name)) == NULL) return err_nomem(e);
    f->fields[f->nfields++] = id;
  }
  /* language and stemming */
  json_t *lang = json_object_get(ft, "language");
  const char *ln = "english";
  if (lang && !json_is_null(lang)) {
    ln = json_string_value(lang);
    if (ln == NULL)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext.language: must be a string (\"english\", "
                     "\"none\", ...)",
                     tn);
  }
  if (strcmp(ln, "none") != 0 && !known_language(ln)) {
    char list[1024];
    languages(list, sizeof list);
    return err_set(e, REMDB_INVALID,
                   "%s.fulltext.language: \"%s\" is not a language remdb "
                   "knows; use \"none\" or one of: %s",
                   tn, ln, list);
  }
  json_t *st = json_object_get(ft, "stemmer");
  if (st && !json_is_boolean(st) && !json_is_null(st))
    return err_set(e, REMDB_INVALID,
                   "%s.fulltext.stemmer: must be true or false", tn);
  bool stem = !st || json_is_null(st) || json_is_true(st);
  if (stem && strcmp(ln, "none") != 0 && (f->stemmer = strdup(ln)) == NULL)
    return err_nomem(e);
  /* stop words */
  json_t *sw = json_object_get(ft, "stopwords");
  f->stop = strcmp(ln, "english") == 0 ? SCH_STOP_ENGLISH : SCH_STOP_NONE;
  if (json_is_string(sw)) {
    const char *s = json_string_value(sw);
    if (strcmp(s, "none") == 0) f->stop = SCH_STOP_NONE;
    else if (strcmp(s, "english") == 0) f->stop = SCH_STOP_ENGLISH;
    else if (strcmp(s, "default") != 0)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext.stopwords: \"%s\": use a list of words, "
                     "\"default\", \"english\" or \"none\"",
                     tn, s);
  } else if (json_is_array(sw)) {
    f->stop = SCH_STOP_CUSTOM;
    f->nstopwords = 0;
    f->stopwords = calloc(json_array_size(sw) + 1, sizeof *f->stopwords);
    if (!f->stopwords) return err_nomem(e);
    size_t i;
    json_array_foreach(sw, i, v) {
      const char *w = json_string_value(v);
      if (w == NULL)
        return err_set(e, REMDB_INVALID,
                       "%s.fulltext.stopwords[%zu]: not a string", tn, i);
      if ((f->stopwords[f->nstopwords++] = strdup(w)) == NULL)
        return err_nomem(e);
    }
  } else if (sw && !json_is_null(sw)) {
    return err_set(e, REMDB_INVALID,
                   "%s.fulltext.stopwords: must be a list of words, "
                   "\"default\", \"english\" or \"none\"",
                   tn);
  }
  json_t *tok = json_object_get(ft, "tokenizer");
  if (tok && !json_is_null(tok)) {
    const char *s = json_string_value(tok);
    if (s && strcmp(s, "unicode61") == 0) f->unicode61 = true;
    else if (!s || strcmp(s, "remdb") != 0)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext.tokenizer: must be \"remdb\" or "
                     "\"unicode61\"",
                     tn);
  }
  f->k1 = 1.2;
  f->b = 0.75;
  json_t *k1 = json_object_get(ft, "k1"), *b = json_object_get(ft, "b");
  if (k1 && !json_is_null(k1)) {
    if (!json_is_number(k1) || !(json_number_value(k1) > 0) ||
        json_number_value(k1) > 100)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext.k1: must be a number above 0 (at most 100)",
                     tn);
    f->k1 = json_number_value(k1);
  }
  if (b && !json_is_null(b)) {
    if (!json_is_number(b) || json_number_value(b) < 0 ||
        json_number_value(b) > 1)
      return err_set(e, REMDB_INVALID,
                     "%s.fulltext.b: must be a number from 0 to 1", tn);
    f->b = json_number_value(b);
  }
  /* the signature: what the stored postings depend on */
  json_t *sig = json_object(), *names = json_array(), *sws = NULL;
  int bad = !sig || !names;
  for (uint32_t i = 0; !bad && i < f->nfields; i++)
    bad |= json_array_append_new(names, json_string(f->names[i]));
  if (f->stop == SCH_STOP_CUSTOM) {
    sws = json_array();
    bad |= !sws;
    for (size_t i = 0; !bad && i < f->nstopwords; i++)
      bad |= json_array_append_new(sws, json_string(f->stopwords[i]));
  } else {
    sws = json_string(f->stop == SCH_STOP_ENGLISH ? "english" : "none");
  }
  if (!bad) {
    bad |= json_object_set(sig, "fields", names);
    bad |= json_object_set_new(sig, "stemmer", f->stemmer
                                                   ? json_string(f->stemmer)
                                                   : json_null());
    bad |= json_object_set(sig, "stopwords", sws);
    bad |= json_object_set_new(
        sig, "tokenizer", json_string(f->unicode61 ? "unicode61" : "remdb"));
  }
  if (!bad) f->signature = json_dumps(sig, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(sig);
  json_decref(names);
  json_decref(sws);
  if (bad || !f->signature) return err_nomem(e);
  return REMDB_OK;
}

int sch_compile_fulltext(sch_table *t, json_t *doc, err_t *e) {
  json_t *ft = json_object_get(doc, "fulltext");
  if (ft == NULL || json_is_null(ft)) return REMDB_OK;
  int rc = compile(t, ft, &t->fulltext, e);
  if (rc) sch_fulltext_free(&t->fulltext);
  return rc;
}
