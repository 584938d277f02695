/*
** ftsr_stub.c: TEMPORARY stand-in for core/fts.c (branch t14-ftsstore),
** so this branch builds before the full-text store is merged: every table
** reads as having no full-text index.  Deleted by the merge of
** t14-ftsstore.
*/
#include "../core/ftsread.h"

int ftsr_open(remdb *db, const snap_t *snap, const sch_table *t,
              fts_reader **out) {
  (void)snap;
  *out = NULL;
  return err_set(&db->err, REMDB_NOTFOUND, "%s: no full-text index",
                 t->name);
}
void ftsr_close(fts_reader *r) { (void)r; }
const fts_source *ftsr_source(fts_reader *r) {
  (void)r;
  return NULL;
}
fts_analyzer *ftsr_analyzer(fts_reader *r) {
  (void)r;
  return NULL;
}
const char *const *ftsr_fields(fts_reader *r, size_t *n) {
  (void)r;
  *n = 0;
  return NULL;
}
int ftsr_id(fts_reader *r, uint64_t docno, uuid16_t *id) {
  (void)r;
  (void)docno;
  (void)id;
  return REMDB_NOTFOUND;
}
int ftsr_docno(fts_reader *r, const uuid16_t *id, uint64_t *docno) {
  (void)r;
  (void)id;
  (void)docno;
  return REMDB_NOTFOUND;
}
