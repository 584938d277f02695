/*
** colstub.c: stand-ins for core/colread.h until the columnar store
** (core/columns.c) is merged: every table reads as keeping no columns, so
** the executor reads rows.  Weak, so the real reader replaces them; this
** file goes when the store lands.
*/
#include "exec.h"

__attribute__((weak)) int colr_open(remdb *db, const snap_t *snap,
                                    const sch_table *t, col_reader **out) {
  (void)snap;
  *out = NULL;
  return err_set(&db->err, REMDB_NOTFOUND, "%s keeps no columnar copy",
                 t->name);
}
__attribute__((weak)) void colr_close(col_reader *r) { (void)r; }
__attribute__((weak)) int colr_find(col_reader *r, const char *name) {
  (void)r;
  (void)name;
  return -1;
}
__attribute__((weak)) enum colv_type colr_type(col_reader *r, int col) {
  (void)r;
  (void)col;
  return COLV_INT;
}
__attribute__((weak)) uint32_t colr_nsegs(col_reader *r) {
  (void)r;
  return 0;
}
__attribute__((weak)) int colr_zone(col_reader *r, uint32_t seg, int col,
                                    col_zone *out) {
  (void)r;
  (void)seg;
  (void)col;
  (void)out;
  return REMDB_NOTFOUND;
}
__attribute__((weak)) int colr_visible(col_reader *r, uint32_t seg,
                                       const uint64_t **bits, uint32_t *n) {
  (void)r;
  (void)seg;
  *bits = NULL;
  *n = 0;
  return REMDB_NOTFOUND;
}
__attribute__((weak)) int colr_read(col_reader *r, uint32_t seg, int col,
                                    col_vec *out) {
  (void)r;
  (void)seg;
  (void)col;
  (void)out;
  return REMDB_NOTFOUND;
}
__attribute__((weak)) int colr_pos(col_reader *r, const uuid16_t *id,
                                   uint64_t *pos) {
  (void)r;
  (void)id;
  (void)pos;
  return REMDB_NOTFOUND;
}
