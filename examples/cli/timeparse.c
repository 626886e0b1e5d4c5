/*
 * timeparse.c — unix-seconds and ISO 8601 timestamp parsing for the scv program (timeparse.h).
 */
#include "timeparse.h"

#include "word.h"

/* Parse exactly `n` decimal digits at s[*i]; advance *i. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out) {
    int v = 0;
    int k;
    if (len - *i < (size_t)n) {
        return 0;
    }
    for (k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9') {
            return 0;
        }
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return 1;
}

static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* Skip one or more digits (a fraction); return whether there was at least one. */
static int skip_digits(const char *s, size_t len, size_t *i) {
    size_t start = *i;
    while (*i < len && is_digit(s[*i])) {
        (*i)++;
    }
    return *i > start;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return days[m - 1];
}

/*
 * If s[0..8) are all decimal digits, set *out to their value. The eight bytes are taken as
 * one little-endian word (byte k of s is byte k of the word, whatever the machine) and
 * checked and converted together: a digit is 0x30..0x39, i.e. its high nibble is 3 and stays
 * 3 when 6 is added (which then cannot carry into the next byte); pairs of digits, then
 * quadruples, then the two halves are combined with one multiply each.
 */
static int eight_digits(const char *s, uint64_t *out) {
    const uint64_t high = (uint64_t)0xF0F0F0F0F0F0F0F0u;
    const uint64_t zeros = (uint64_t)0x3030303030303030u;
    uint64_t w = word_load_le(s);
    if ((w & high) != zeros || ((w + (uint64_t)0x0606060606060606u) & high) != zeros) {
        return 0;
    }
    w -= zeros;
    /* Byte k holds digit k, the first (most significant) in the lowest byte. */
    w = (w * 10 + (w >> 8)) & (uint64_t)0x00FF00FF00FF00FFu;
    w = (w * 100 + (w >> 16)) & (uint64_t)0x0000FFFF0000FFFFu;
    w = (w * 10000 + (w >> 32)) & (uint64_t)0xFFFFFFFFu;
    *out = w;
    return 1;
}

/* "-12345" or "12345.678": at most 18 integer digits. */
static int parse_unix(const char *s, size_t len, int64_t *out) {
    size_t i = 0;
    int negative = 0;
    int64_t v = 0;
    size_t start;
    int fraction = 0;
    if (i < len && s[i] == '-') {
        negative = 1;
        i++;
    }
    start = i;
    while (i < len && is_digit(s[i])) {
        if (i - start >= 18) {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == start) {
        return 0;
    }
    if (i < len && s[i] == '.') {
        size_t f;
        i++;
        f = i;
        if (!skip_digits(s, len, &i)) {
            return 0;
        }
        for (; f < i; f++) {
            fraction |= s[f] != '0';
        }
    }
    if (i != len) {
        return 0;
    }
    /* Floor: "-1.5" is -2. */
    *out = negative ? -v - fraction : v;
    return 1;
}

/* The zone designator at s[*i..len): none, Z, +HH, +HH:MM, +HHMM. Offset in seconds east. */
static int parse_zone(const char *s, size_t len, size_t i, int64_t *offset) {
    int hh = 0;
    int mm = 0;
    int sign;
    if (i == len) {
        *offset = 0;
        return 1;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        *offset = 0;
        return 1;
    }
    if (s[i] != '+' && s[i] != '-') {
        return 0;
    }
    sign = s[i] == '-' ? -1 : 1;
    i++;
    if (!digits(s, len, &i, 2, &hh)) {
        return 0;
    }
    if (i < len) {
        if (s[i] == ':') {
            i++;
        }
        if (!digits(s, len, &i, 2, &mm)) {
            return 0;
        }
    }
    if (i != len || hh > 23 || mm > 59) {
        return 0;
    }
    *offset = sign * (int64_t)(hh * 3600 + mm * 60);
    return 1;
}

static int parse_iso(const char *s, size_t len, int64_t *out) {
    size_t i = 0;
    int y;
    int mo;
    int d;
    int hh = 0;
    int mi = 0;
    int ss = 0;
    int64_t offset;
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &mo) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &d)) {
        return 0;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return 0;
    }
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, len, &i, 2, &hh) || i >= len || s[i++] != ':' ||
            !digits(s, len, &i, 2, &mi)) {
            return 0;
        }
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &ss)) {
                return 0;
            }
            if (i < len && s[i] == '.') {
                i++;
                if (!skip_digits(s, len, &i)) {
                    return 0;
                }
            }
        }
        if (hh > 23 || mi > 59 || ss > 60) {
            return 0;
        }
    }
    if (!parse_zone(s, len, i, &offset)) {
        return 0;
    }
    *out = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
    return 1;
}

/* s[0..len), 1 to 18 bytes, is all decimal digits: set *out to their value. Anything else
 * (a sign, a fraction, a date) is for the parsers of timeparse(), which read it from the
 * start. */
static int plain_seconds(const char *s, size_t len, int64_t *out) {
    uint64_t u = 0;
    size_t i = 0;
    if (len >= 8) {
        if (!eight_digits(s, &u)) {
            return 0;
        }
        i = 8;
    }
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) {
            return 0;
        }
        u = u * 10 + d;
    }
    *out = (int64_t)u;
    return 1;
}

/* timeparse() past plain seconds: a date, a sign or a fraction. A function of its own (not
 * inlined) so that timeparse() itself, which most rows only need for plain seconds, saves
 * and restores none of the registers these parsers use. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int timeparse_text(const char *s, size_t len, int64_t *unix_seconds) {
    int64_t v;
    int ok;
    if (len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
        s[4] == '-') {
        ok = parse_iso(s, len, &v);
    } else {
        ok = parse_unix(s, len, &v);
    }
    if (ok) {
        *unix_seconds = v;
    }
    return ok;
}

int timeparse(const char *s, size_t len, int64_t *unix_seconds) {
    if (s == NULL || len == 0) {
        return 0;
    }
    if (len <= 18 && plain_seconds(s, len, unix_seconds)) {
        return 1; /* plain unix seconds, all digits: what most files hold */
    }
    return timeparse_text(s, len, unix_seconds);
}
