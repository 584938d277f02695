/*
** fts_corpus.h: the full-text benchmarks' corpus (bench_fts.c, the library
** in memory; bench_ftsdb.c, remdb end to end): the Debian manual pages
** under /usr/share/man/man{2,3,5,7} (packages manpages, manpages-dev),
** decompressed with zlib and stripped of roff markup crudely, then chunked
** as `remdb ingest` does (1000 characters, 100 of overlap).  Each chunk is
** a document with two fields: the page name and the chunk text.  And the
** generated queries: single terms, two-term AND, five-term OR and two-word
** phrases, from the tokens of random chunks.
*/
#ifndef REMDB_BENCH_FTS_CORPUS_H
#define REMDB_BENCH_FTS_CORPUS_H

#include <dirent.h>
#include <math.h>
#include <zlib.h>

#include "common.h"
#include "ingest/ingest.h"
#include "text/analyze.h"

typedef struct doc {
  char *title;
  const char *text; /* into its page's text */
  size_t len;
} doc;

static doc *docs;
static size_t ndocs, capdocs;
static char **pages, **titles;
static size_t npages;

/* Crude roff stripping: macro lines keep their arguments, escapes go. */
static inline char *strip_roff(const char *in, size_t n, size_t *outlen) {
  char *out = malloc(n + 1);
  size_t o = 0;
  size_t i = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && in[e] != '\n') e++;
    const char *l = in + i;
    size_t ll = e - i;
    if (ll >= 3 && (l[0] == '.' || l[0] == '\'') && l[1] == '\\' && l[2] == '"') {
      i = e + 1; /* comment */
      continue;
    }
    size_t j = 0;
    if (ll && (l[0] == '.' || l[0] == '\'')) { /* macro: drop its name */
      while (j < ll && l[j] != ' ') j++;
    }
    for (; j < ll; j++) {
      char c = l[j];
      if (c == '\\' && j + 1 < ll) {
        char d = l[j + 1];
        if (d == 'f' && j + 2 < ll) { /* font: \fB, \f(XX */
          j += l[j + 2] == '(' ? 4 : 2;
          continue;
        }
        if (d == '(' && j + 3 < ll) { /* special character */
          out[o++] = ' ';
          j += 3;
          continue;
        }
        if (d == '*' && j + 2 < ll) {
          j += l[j + 2] == '(' ? 4 : 2;
          continue;
        }
        if (d == '-' || d == 'e' || d == '&' || d == '|' || d == ' ') {
          out[o++] = d == '-' ? '-' : d == 'e' ? '\\' : ' ';
          j++;
          continue;
        }
        j++;
        continue;
      }
      if (c == '"') c = ' ';
      out[o++] = c;
    }
    out[o++] = '\n';
    i = e + 1;
  }
  out[o] = 0;
  *outlen = o;
  return out;
}

static inline char *read_gz(const char *path, size_t *len) {
  gzFile f = gzopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  for (;;) {
    if (n + 65536 > cap) {
      cap *= 2;
      b = realloc(b, cap);
    }
    int r = gzread(f, b + n, 65536);
    if (r <= 0) break;
    n += (size_t)r;
  }
  gzclose(f);
  *len = n;
  return b;
}

static inline void load(const char *dirs, size_t maxpages) {
  char list[1024];
  snprintf(list, sizeof list, "%s", dirs);
  for (char *dir = strtok(list, ":"); dir; dir = strtok(NULL, ":")) {
    DIR *d = opendir(dir);
    if (!d) continue;
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0;
    while ((de = readdir(d))) {
      size_t k = strlen(de->d_name);
      if (k < 4 || strcmp(de->d_name + k - 3, ".gz") != 0) continue;
      names = realloc(names, (nn + 1) * sizeof *names);
      names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < nn; i++)
      for (size_t j = i + 1; j < nn; j++)
        if (strcmp(names[j], names[i]) < 0) {
          char *t = names[i];
          names[i] = names[j];
          names[j] = t;
        }
    for (size_t i = 0; i < nn; i++) {
      if (maxpages && npages >= maxpages) break;
      char path[2048];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      size_t rl, sl;
      char *raw = read_gz(path, &rl);
      if (!raw) continue;
      if (rl < 200 || memcmp(raw, ".so ", 4) == 0) { /* a link page */
        free(raw);
        continue;
      }
      char *text = strip_roff(raw, rl, &sl);
      free(raw);
      char *title = strdup(names[i]);
      title[strlen(title) - 3] = 0;
      pages = realloc(pages, (npages + 1) * sizeof *pages);
      titles = realloc(titles, (npages + 1) * sizeof *titles);
      titles[npages] = title;
      pages[npages++] = text;
      chunk_list cl = {0};
      chunk_text(text, sl, 1000, 100, &cl);
      for (size_t c = 0; c < cl.n; c++) {
        if (ndocs == capdocs) {
          capdocs = capdocs ? capdocs * 2 : 1024;
          docs = realloc(docs, capdocs * sizeof *docs);
        }
        docs[ndocs++] = (doc){title, text + cl.c[c].off, cl.c[c].len};
      }
      chunk_list_free(&cl);
    }
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
  }
}

/* ---- queries ------------------------------------------------------------ */

enum { KIND_TERM, KIND_AND, KIND_OR, KIND_PHRASE, NKIND };
static const char *const kind_name[NKIND] = {"single term", "two-term AND",
                                             "five-term OR", "phrase (2 words)"};

typedef struct tokv {
  char t[64][FTS_MAX_TERM + 1];
  size_t n;
} tokv;

static inline int grab(void *ctx, const fts_token *t) {
  tokv *v = ctx;
  if (v->n >= 64) return 1;
  if (t->len > 40) return 0;
  memcpy(v->t[v->n], t->term, t->len);
  v->t[v->n][t->len] = 0;
  v->n++;
  return 0;
}

/* A query of kind k from the tokens of a random document, as remdb query
** text (each term quoted, so no term reads as an operator). */
static inline bool make_query(fts_analyzer *a, int k, uint64_t *seed, char *out,
                       size_t cap) {
  static tokv v;
  v.n = 0;
  const doc *d = &docs[xorshift64(seed) % ndocs];
  fts_analyze(a, d->text, d->len, 0, grab, &v, NULL);
  if (v.n < 8) return false;
  size_t at = xorshift64(seed) % (v.n - 6);
  switch (k) {
  case KIND_TERM:
    snprintf(out, cap, "\"%s\"", v.t[at]);
    break;
  case KIND_AND: {
    size_t b = at + 1 + xorshift64(seed) % 5;
    if (!strcmp(v.t[at], v.t[b])) return false;
    snprintf(out, cap, "\"%s\" \"%s\"", v.t[at], v.t[b]);
    break;
  }
  case KIND_OR: {
    size_t n = 0;
    for (int i = 0; i < 5; i++) {
      size_t w = xorshift64(seed) % v.n;
      n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", i ? " OR " : "", v.t[w]);
    }
    break;
  }
  default:
    snprintf(out, cap, "\"%s %s\"", v.t[at], v.t[at + 1]);
    break;
  }
  return true;
}

static inline double pct(double *v, size_t n, double p) {
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)ceil(p * (double)n) - 1;
  if (i >= n) i = n - 1;
  return v[i];
}


#define FTS_DEFAULT_MAN                                                    \
  "/usr/share/man/man2:/usr/share/man/man3:/usr/share/man/man5:"           \
  "/usr/share/man/man7"

static inline void corpus_free(void) {
  for (size_t i = 0; i < npages; i++) {
    free(pages[i]);
    free(titles[i]);
  }
  free(pages);
  free(titles);
  free(docs);
}

#endif
