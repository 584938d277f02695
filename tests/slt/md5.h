/* md5.h: MD5 (RFC 1321), written from the RFC's description of the
** algorithm; used only to compare sqllogictest result hashes. */
#ifndef SLT_MD5_H
#define SLT_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct md5_ctx {
  uint32_t s[4];
  uint64_t bytes;      /* message length so far */
  unsigned char buf[64];
  size_t nbuf;         /* bytes waiting in buf */
} md5_ctx;

void md5_init(md5_ctx *c);
void md5_update(md5_ctx *c, const void *p, size_t n);
/* Finish and write the digest as 32 lowercase hex digits and a NUL. */
void md5_hex(md5_ctx *c, char out[33]);

#endif
