/* utf8.h — strict UTF-8 validation. Internal. */
#ifndef SCV_UTIL_UTF8_H
#define SCV_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Returns len when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF) and holds no NUL byte; otherwise the offset of the first bad byte.
 */
size_t scv__utf8_check(const char *s, size_t len);

/* Non-zero unless the eight bytes at p are all in 0x01..0x7F: a byte >= 0x80 shows its high
 * bit, and a 0x00 byte borrows into it in w - 1 per byte; 0x01..0x7F never borrow. */
static inline uint64_t scv__utf8_not_ascii8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w); /* an unaligned load: one instruction */
    return (w | (w - UINT64_C(0x0101010101010101))) & UINT64_C(0x8080808080808080);
}

/* Same for four bytes. */
static inline uint32_t scv__utf8_not_ascii4(const char *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return (w | (w - 0x01010101u)) & 0x80808080u;
}

/*
 * scv__utf8_check(), with the common case inline: the builder checks every record id, value,
 * trait name and trait value, and nearly all of them are up to 64 bytes of ASCII without NUL.
 * Those are settled here by a few loads that may overlap (each byte is looked at at least
 * once); anything else, and any doubt, goes to scv__utf8_check(), which finds the offset.
 * Same result.
 */
static inline size_t scv__utf8_check_fast(const char *s, size_t len)
{
    if (len >= 8 && len <= 16) {
        if ((scv__utf8_not_ascii8(s) | scv__utf8_not_ascii8(s + len - 8)) == 0) return len;
    } else if (len > 16 && len <= 32) {
        if ((scv__utf8_not_ascii8(s) | scv__utf8_not_ascii8(s + 8) |
             scv__utf8_not_ascii8(s + len - 16) | scv__utf8_not_ascii8(s + len - 8)) == 0)
            return len;
    } else if (len > 32 && len <= 64) {
        uint64_t bad = scv__utf8_not_ascii8(s + len - 8);
        for (size_t i = 0; i < len - 8; i += 8) bad |= scv__utf8_not_ascii8(s + i);
        if (bad == 0) return len;
    } else if (len >= 4 && len < 8) {
        if ((scv__utf8_not_ascii4(s) | scv__utf8_not_ascii4(s + len - 4)) == 0) return len;
    } else if (len < 4) {
        /* 0..3 bytes: s[0], s[len / 2] and s[len - 1] are all of them; 0x01..0x7F less one
         * is below 0x7F. */
        if (len == 0) return 0;
        if ((unsigned char)(s[0] - 1) < 0x7F && (unsigned char)(s[len / 2] - 1) < 0x7F &&
            (unsigned char)(s[len - 1] - 1) < 0x7F)
            return len;
    }
    return scv__utf8_check(s, len);
}

#endif
