/* utf8.c — strict UTF-8 validation with an ASCII fast path. */
#include "util/utf8.h"

/* The eight (four) bytes at p are all in 0x01..0x7F (utf8.h says how that is seen). */
static int ascii8(const unsigned char *p)
{
    return scv__utf8_not_ascii8((const char *)p) == 0;
}

static int ascii4(const unsigned char *p)
{
    return scv__utf8_not_ascii4((const char *)p) == 0;
}

/* Length of a prefix of s[0, len) known to be all 0x01..0x7F: len when the whole string is,
 * else a point before the first other byte. Words overlap at the end rather than leave a
 * tail for the byte loop: most identifiers are short and all ASCII, and this way they are
 * checked with a few loads. */
static size_t ascii_prefix(const unsigned char *s, size_t len)
{
    size_t i = 0;
    if (len >= 8) {
        while (len - i >= 8 && ascii8(s + i)) i += 8;
        if (len - i < 8 && ascii8(s + len - 8)) return len;
        return i;
    }
    if (len >= 4 && ascii4(s) && ascii4(s + len - 4)) return len;
    return 0;
}

size_t scv__utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = ascii_prefix(s, len);
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp, min;
        /* Back in ASCII after a multi-byte character: eight bytes at a time again. */
        if (len - i >= 8 && ascii8(s + i)) {
            i += 8;
            continue;
        }
        if (c < 0x80) {
            if (c == 0) return i;
            i++;
            continue;
        }
        /* Two-byte characters (Latin, Greek, Cyrillic...: most of what names and places hold
         * beyond ASCII) need no range check: C2..DF and one continuation byte give
         * U+0080..U+07FF, never an overlong form or a surrogate. */
        if (c >= 0xC2 && c <= 0xDF && len - i >= 2 && ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        if (len - i <= n) return i;
        for (size_t k = 1; k <= n; k++) {
            unsigned cc = s[i + k];
            if ((cc & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += n + 1;
    }
    return len;
}
