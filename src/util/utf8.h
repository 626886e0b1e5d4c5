/* utf8.h — strict UTF-8 validation. Internal. */
#ifndef SCV_UTIL_UTF8_H
#define SCV_UTIL_UTF8_H

#include <stddef.h>

/*
 * Returns len when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF) and holds no NUL byte; otherwise the offset of the first bad byte.
 */
size_t scv__utf8_check(const char *s, size_t len);

#endif
