/*
** time.c: RFC 3339 time stamps.  Entities store times as the canonical
** fixed-width text "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, microseconds), so
** that comparing the text, as SQL does, compares the instants.  Parsing
** accepts any RFC 3339 date-time and converts its offset to UTC.
**
** Day counting uses the proleptic Gregorian calendar; days_from_civil is
** the well-known era-based formula (400-year cycles of 146097 days).
*/
#include <string.h>
#include <time.h>

#include "util.h"

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int y, unsigned m) {
  static const unsigned dm[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

int64_t ts_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void put_digits(char *p, int n, unsigned v) {
  for (int i = n - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
}

void ts_format(int64_t t, char out[TS_LEN + 1]) {
  int64_t secs = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
  int64_t us = t - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  int y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  /* fixed layout, written digit by digit: y is 0..9999 by construction */
  static const char tmpl[] = "0000-00-00T00:00:00.000000Z";
  memcpy(out, tmpl, sizeof tmpl);
  put_digits(out, 4, (unsigned)y);
  put_digits(out + 5, 2, m);
  put_digits(out + 8, 2, d);
  put_digits(out + 11, 2, (unsigned)(sod / 3600));
  put_digits(out + 14, 2, (unsigned)(sod / 60 % 60));
  put_digits(out + 17, 2, (unsigned)(sod % 60));
  put_digits(out + 20, 6, (unsigned)us);
}

/* Read exactly n decimal digits at s[*i]; false if any is not a digit. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *v) {
  if (*i + (size_t)n > len) return false;
  int r = 0;
  for (int k = 0; k < n; k++) {
    char c = s[*i + (size_t)k];
    if (c < '0' || c > '9') return false;
    r = r * 10 + (c - '0');
  }
  *i += (size_t)n;
  *v = r;
  return true;
}

static bool parse_date(const char *s, size_t n, size_t *i, int *y,
                       unsigned *m, unsigned *d) {
  int yy, mm, dd;
  if (!digits(s, n, i, 4, &yy) || *i >= n || s[(*i)++] != '-') return false;
  if (!digits(s, n, i, 2, &mm) || *i >= n || s[(*i)++] != '-') return false;
  if (!digits(s, n, i, 2, &dd)) return false;
  if (mm < 1 || mm > 12 || dd < 1 || (unsigned)dd > days_in_month(yy, mm))
    return false;
  *y = yy;
  *m = (unsigned)mm;
  *d = (unsigned)dd;
  return true;
}

/* ts_parse for the canonical form only ("YYYY-MM-DDTHH:MM:SS.ffffffZ",
** what remdb itself writes): the same answer as ts_parse on such text,
** false on any other, at a fraction of its cost (the columnar copy
** converts three or more date-times per row written). */
bool ts_parse_canonical(const char *s, size_t n, int64_t *t_out) {
  if (n != TS_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z')
    return false;
  const unsigned char *u = (const unsigned char *)s;
#define D(i) ((unsigned)u[i] - '0')
  if (D(0) > 9 || D(1) > 9 || D(2) > 9 || D(3) > 9 || D(5) > 9 || D(6) > 9 ||
      D(8) > 9 || D(9) > 9 || D(11) > 9 || D(12) > 9 || D(14) > 9 ||
      D(15) > 9 || D(17) > 9 || D(18) > 9 || D(20) > 9 || D(21) > 9 ||
      D(22) > 9 || D(23) > 9 || D(24) > 9 || D(25) > 9)
    return false;
  unsigned y = D(0) * 1000 + D(1) * 100 + D(2) * 10 + D(3);
  unsigned m = D(5) * 10 + D(6), d = D(8) * 10 + D(9);
  unsigned hh = D(11) * 10 + D(12), mi = D(14) * 10 + D(15);
  unsigned ss = D(17) * 10 + D(18);
  unsigned us = D(20) * 100000 + D(21) * 10000 + D(22) * 1000 + D(23) * 100 +
                D(24) * 10 + D(25);
#undef D
  if (m < 1 || m > 12 || d < 1 || d > days_in_month((int)y, m) || hh > 23 ||
      mi > 59 || ss > 59)
    return false;
  int64_t secs = days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss;
  *t_out = secs * 1000000 + us;
  return true;
}

bool date_valid(const char *s, size_t n) {
  size_t i = 0;
  int y;
  unsigned m, d;
  return parse_date(s, n, &i, &y, &m, &d) && i == n;
}

bool ts_parse(const char *s, size_t n, int64_t *t_out) {
  size_t i = 0;
  int y, hh, mi, ss;
  unsigned m, d;
  if (!parse_date(s, n, &i, &y, &m, &d)) return false;
  if (i >= n || (s[i] != 'T' && s[i] != 't')) return false;
  i++;
  if (!digits(s, n, &i, 2, &hh) || i >= n || s[i++] != ':') return false;
  if (!digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':') return false;
  if (!digits(s, n, &i, 2, &ss)) return false;
  if (hh > 23 || mi > 59 || ss > 59) return false;
  int64_t us = 0;
  if (i < n && s[i] == '.') {
    i++;
    int nd = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (nd < 6) us = us * 10 + (s[i] - '0');
      nd++;
      i++;
    }
    if (nd == 0 || nd > 9) return false;
    for (int k = nd; k < 6; k++) us *= 10;
  }
  int64_t off = 0;
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i++] == '-' ? -1 : 1, oh, om;
    if (!digits(s, n, &i, 2, &oh) || i >= n || s[i++] != ':') return false;
    if (!digits(s, n, &i, 2, &om) || oh > 23 || om > 59) return false;
    off = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (i != n) return false;
  int64_t secs = days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss;
  secs -= off;
  /* keep the canonical form four-digit: years 0000..9999 only */
  if (secs < days_from_civil(0, 1, 1) * 86400 ||
      secs >= days_from_civil(10000, 1, 1) * 86400)
    return false;
  *t_out = secs * 1000000 + us;
  return true;
}
