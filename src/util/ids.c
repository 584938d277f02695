/*
** ids.c: UUIDs and identifier checks.  New ids are version 7 (RFC 9562):
** a 48-bit millisecond time stamp, a 12-bit counter that keeps ids of one
** process increasing within a millisecond, and 62 random bits from the
** kernel's getrandom().  Time-ordered ids make new entity keys land at the
** end of the key space: memtable inserts stay local and compaction moves
** whole files instead of rewriting them.  Deterministic ids (upserts by
** key_field) are version 8 UUIDs whose 122 free bits come from XXH3-128 of
** the key.
*/
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "util.h"

/* Monotonic (ms, counter) state shared by the process. */
static pthread_mutex_t v7_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t v7_ms;
static unsigned v7_seq;

/* Random bytes are drawn from the kernel 256 at a time, per thread; a
** forked child drops what it inherited so it never repeats its parent. */
static _Thread_local unsigned char pool[256];
static _Thread_local size_t pool_left;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_after_fork(void) {
  pool_left = 0;
  v7_ms = 0;
}

static void install_atfork(void) {
  pthread_atfork(NULL, NULL, forget_after_fork);
}

static bool random_bytes(unsigned char *out, size_t n) {
  pthread_once(&atfork_once, install_atfork);
  if (pool_left < n) {
    size_t got = 0;
    while (got < sizeof pool) {
      ssize_t r = getrandom(pool + got, sizeof pool - got, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      got += (size_t)r;
    }
    pool_left = sizeof pool;
  }
  memcpy(out, pool + sizeof pool - pool_left, n);
  pool_left -= n;
  return true;
}

bool uuid_random(uuid16_t *u) {
  if (!random_bytes(u->b, sizeof u->b)) return false;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  pthread_mutex_lock(&v7_lock);
  if (ms > v7_ms) {
    v7_ms = ms;
    v7_seq = u->b[7] & 0x3ff; /* a random start, with headroom */
  } else if (++v7_seq > 0xfff) { /* 4096 ids in one ms: borrow the next */
    v7_ms++;
    v7_seq = 0;
  }
  ms = v7_ms;
  unsigned seq = v7_seq;
  pthread_mutex_unlock(&v7_lock);
  for (int i = 0; i < 6; i++) u->b[i] = (unsigned char)(ms >> (40 - 8 * i));
  u->b[6] = (unsigned char)(0x70 | (seq >> 8));
  u->b[7] = (unsigned char)seq;
  u->b[8] = (unsigned char)((u->b[8] & 0x3f) | 0x80);
  return true;
}

void uuid_from_hash(uuid16_t *u, const void *data, size_t n) {
  XXH128_hash_t h = XXH3_128bits(data, n);
  put_u64be(u->b, h.high64);
  put_u64be(u->b + 8, h.low64);
  u->b[6] = (unsigned char)((u->b[6] & 0x0f) | 0x80);
  u->b[8] = (unsigned char)((u->b[8] & 0x3f) | 0x80);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool uuid_parse(const char *s, size_t n, uuid16_t *u) {
  if (n != REMDB_ID_LEN) return false;
  size_t j = 0;
  for (size_t i = 0; i < n;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i++] != '-') return false;
      continue;
    }
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    u->b[j++] = (unsigned char)(hi << 4 | lo);
    i += 2;
  }
  return j == 16;
}

void uuid_format(const uuid16_t *u, char out[REMDB_ID_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[u->b[i] >> 4];
    out[o++] = hex[u->b[i] & 15];
  }
  out[o] = '\0';
}

size_t utf8_len(const char *s, size_t n) {
  size_t cps = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80) cps++;
  return cps;
}

bool ident_valid(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max) return false;
  if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
        (s[0] >= 'A' && s[0] <= 'Z')))
    return false;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')))
      return false;
  }
  return true;
}
