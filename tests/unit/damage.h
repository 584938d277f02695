/* damage.h: for tests that check verify: remove, behind remdb's back, the
** first key of a column family that a predicate picks.  The database must
** be closed.  Returns the number of keys removed (0 or 1), -1 on error. */
#ifndef REMDB_TEST_DAMAGE_H
#define REMDB_TEST_DAMAGE_H

#include <stdbool.h>

#include "kv/kv.h"

static inline int damage_delete_first(const char *dir, int cf,
                                      bool (*pick)(const char *k, size_t n)) {
  kv_t *kv;
  err_t e;
  kv_options ko = {.sync = true, .cache_bytes = 1 << 20,
                   .write_buffer_bytes = 1 << 20};
  if (kv_open(dir, &ko, &kv, &e) != REMDB_OK) return -1;
  kv_iter_t *it;
  int removed = -1;
  if (kv_iter_new(kv, NULL, cf, NULL, 0, NULL, 0, &it, &e) == REMDB_OK) {
    kv_batch_t *kb = kv_batch_new(kv);
    removed = 0;
    for (kv_iter_first(it); kv_iter_valid(it); kv_iter_next(it)) {
      size_t kl;
      const char *k = kv_iter_key(it, &kl);
      if (pick(k, kl)) {
        kv_batch_del(kb, cf, k, kl);
        removed = 1;
        break;
      }
    }
    kv_iter_free(it);
    if (kv_write(kv, kb, 1, &e) != REMDB_OK) removed = -1;
    kv_batch_free(kb);
  }
  kv_close(kv);
  return removed;
}

#endif
