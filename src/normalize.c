/* normalize.c — identifier normalizers: e-mail, phone (E.164), exact and case-folded.
 *
 * Every normalizer first trims white space at both ends (space, tab, CR, LF, and U+00A0
 * NO-BREAK SPACE as C2 A0; exact, case-folded and phone also VT and FF). Offsets in rejections
 * are byte offsets into the original input, before trimming; -1 means the whole value.
 *
 * E-mail: ASCII letters are lower-cased, other bytes kept. Valid means: exactly one '@', a
 * non-empty local part of at most 64 bytes, at most 254 bytes in all, no space, NBSP or control
 * byte (< 0x20, 0x7F) anywhere, and a domain of at least two non-empty labels made of
 * [a-z0-9-] and non-ASCII bytes (no leading, trailing or double dot). The local part is
 * otherwise not checked (quoted local parts and RFC 5322 comments are not parsed). With
 * SCV__EMAIL_PROVIDER_RULES, for gmail.com and googlemail.com the local part loses its dots
 * and everything from the first '+', and the domain becomes gmail.com.
 *
 * Phone, to E.164 ("+" and 8..15 digits): separators ' ', '-', '.', '(', ')', '/' and NBSP
 * are ignored. A leading '+', or "00", or "011" when the default region's calling code is 1,
 * means a calling code follows; it is matched against the region table (longest match, 1..3
 * digits) and a "(0)" right after it is dropped, as is a plain "0" when that region's trunk
 * prefix is "0". Without one, the default region's trunk
 * prefix is stripped when present and its calling code prepended. An extension ("ext", "x" or
 * "#" and digits) is cut off. The national significant number (NSN) must fit the region's
 * length range and must not be one repeated digit or, as a whole, a run of >= 7 ascending or
 * descending digits; '0' may sit at either end ("0123456789", "1234567890", "0987654321").
 *
 * Known differences from libphonenumber (see also phone_regions.c):
 *   - a trunk prefix written after a calling code is dropped only when it is "0" (as in
 *     "+49 030..." or "+44 (0)20..."); other trunk prefixes ("8" in RU) are kept there, since
 *     "+7 812..." is a real number;
 *   - no per-prefix validity: any digits of a plausible length pass;
 *   - only "+", "00" and (NANP) "011" are recognised as international prefixes, not each
 *     region's own ("0011" AU, "010" JP, "8~10" RU...);
 *   - no vanity numbers (letters are rejected, not mapped to digits), no full-width or other
 *     non-ASCII digits, no carrier codes, no national-only short numbers;
 *   - the default region is used only for numbers without a calling code; a number with one
 *     is never checked against the default region.
 *
 * Exact: trimmed, otherwise byte-exact. Case-folded: trimmed, then ASCII A-Z lower-cased;
 * non-ASCII letters are left unchanged (no Unicode case folding or normalization: "Ä" and "ä",
 * or composed and decomposed forms, stay different).
 *
 * Every identifier of every record comes through here, so the common case is kept short: a
 * value that needs no trimming is seen to need none by its two end bytes; an e-mail is read
 * once for all its checks (eight bytes at a time up to the '@'), then copied lower-cased eight
 * bytes at a time; a phone number's digits are taken eight at a time where they run on. The
 * rules and the order of the rejections are the ones above; tests/test_normalize.c pins them.
 */
#include "normalize.h"

#include <string.h>

#define EMAIL_MAX_LOCAL 64  /* RFC 5321 4.5.3.1.1 */
#define EMAIL_MAX_TOTAL 254 /* RFC 5321 path limit minus the angle brackets */

#define E164_MIN_DIGITS 8
#define E164_MAX_DIGITS 15
/* Digits kept while scanning a phone number: the longest prefix ("011"), a 3-digit calling
 * code, a "(0)" and a 15-digit number fit; more means too long anyway. */
#define PHONE_MAX_DIGITS 24
#define NO_INDEX ((size_t)-1)

static const char REASON_EMPTY[] = "empty value";

/* ---------------------------------------------------------------------------------------- */
/* Shared helpers                                                                           */
/* ---------------------------------------------------------------------------------------- */

static scv_status reject(scv__norm_err *err, const char *reason, int64_t offset)
{
    if (err != NULL) {
        err->reason = reason;
        err->offset = offset;
    }
    return SCV_EREJECTED;
}

static int64_t off(size_t i)
{
    return (int64_t)i;
}

static char lower_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* U+00A0 (C2 A0) starts at in[i], within [.., end). */
static int is_nbsp_at(const char *in, size_t i, size_t end)
{
    return i + 1 < end && (unsigned char)in[i] == 0xC2 && (unsigned char)in[i + 1] == 0xA0;
}

/* An ASCII white-space byte that trimming removes; VT and FF only when `vt_ff`. */
static int is_trim_byte(char c, int vt_ff)
{
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return 1;
    return vt_ff && (c == '\v' || c == '\f');
}

/* 0x21..0x7E: ASCII, neither space nor control. */
static int is_printable_ascii(char c)
{
    return (unsigned char)c > 0x20 && (unsigned char)c < 0x7F;
}

/* trim() when there is something to take off. */
static void trim_ends(const char *in, size_t len, int vt_ff, size_t *start, size_t *end)
{
    size_t s = 0, e = len;
    for (;;) {
        if (s < e && is_trim_byte(in[s], vt_ff)) {
            s++;
        } else if (is_nbsp_at(in, s, e)) {
            s += 2;
        } else {
            break;
        }
    }
    for (;;) {
        if (e > s && is_trim_byte(in[e - 1], vt_ff)) {
            e--;
        } else if (e - s >= 2 && is_nbsp_at(in, e - 2, e)) {
            e -= 2;
        } else {
            break;
        }
    }
    *start = s;
    *end = e;
}

/* The value without surrounding white space and NBSPs: in[*start, *end). Most values need no
 * trimming, and every byte trimming takes off is <= 0x20 or part of an NBSP (>= 0x80), so
 * printable ASCII at both ends settles it here, inline. */
static inline void trim(const char *in, size_t len, int vt_ff, size_t *start, size_t *end)
{
    if (len > 0 && is_printable_ascii(in[0]) && is_printable_ascii(in[len - 1])) {
        *start = 0;
        *end = len;
    } else {
        trim_ends(in, len, vt_ff, start, end);
    }
}

/* ---- eight bytes at a time ---------------------------------------------------------------- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w); /* an unaligned load: one instruction */
    return w;
}

/* Non-zero when a byte of w is below n (n <= 0x80): subtracting n borrows into the high bit
 * exactly where a byte was below it, and ~w drops the bytes that had the high bit already. */
static uint64_t has_below(uint64_t w, unsigned n)
{
    return (w - ONES * n) & ~w & HIGHS;
}

/* w with the ASCII letters A-Z lower-cased, every other byte as it was. On the low seven
 * bits of each byte (no carry between bytes), adding 0x80 - 'A' sets the high bit from 'A'
 * up and adding 0x80 - 'Z' - 1 from past 'Z'; the difference, for bytes below 0x80, marks the
 * capitals, and the mark shifted to 0x20 is what lower-cases them. */
static uint64_t lower8(uint64_t w)
{
    uint64_t low7 = w & ~HIGHS;
    uint64_t upper = (low7 + ONES * (0x80 - 'A')) & ~(low7 + ONES * (0x80 - 'Z' - 1)) & ~w & HIGHS;
    return w | (upper >> 2);
}

/* Copy in[from, to) to out lower-casing ASCII letters; returns the bytes written. Eight bytes
 * at a time; the last word overlaps the one before rather than leave a tail, which is
 * harmless since it writes the same bytes again. */
static size_t copy_lower_any(const char *in, size_t n, char *out)
{
    size_t i;
    if (n < 8) {
        for (i = 0; i < n; i++) out[i] = lower_ascii(in[i]);
        return n;
    }
    for (i = 0; n - i >= 8; i += 8) {
        uint64_t w = lower8(load8(in + i));
        memcpy(out + i, &w, sizeof w);
    }
    if (i < n) {
        uint64_t w = lower8(load8(in + n - 8));
        memcpy(out + n - 8, &w, sizeof w);
    }
    return n;
}

/* copy_lower_any(in + from, to - from, out), with the usual lengths of e-mails and ids
 * inline: 8 to 32 bytes as two or four words that may overlap. */
static inline size_t copy_lower(const char *in, size_t from, size_t to, char *out)
{
    size_t n = to - from;
    uint64_t a, b, c, d;
    in += from;
    if (n >= 8 && n <= 16) {
        a = lower8(load8(in));
        b = lower8(load8(in + n - 8));
        memcpy(out, &a, sizeof a);
        memcpy(out + n - 8, &b, sizeof b);
        return n;
    }
    if (n > 16 && n <= 32) {
        a = lower8(load8(in));
        b = lower8(load8(in + 8));
        c = lower8(load8(in + n - 16));
        d = lower8(load8(in + n - 8));
        memcpy(out, &a, sizeof a);
        memcpy(out + 8, &b, sizeof b);
        memcpy(out + n - 16, &c, sizeof c);
        memcpy(out + n - 8, &d, sizeof d);
        return n;
    }
    return copy_lower_any(in, n, out);
}

/* s[0, len) equals the lower-case literal `lit`, ignoring ASCII case. */
static int equals_ignore_case(const char *s, size_t len, const char *lit)
{
    size_t i;
    if (len != strlen(lit)) return 0;
    for (i = 0; i < len; i++) {
        if (lower_ascii(s[i]) != lit[i]) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* E-mail                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* A Unicode space or invisible character at in[i] (UTF-8): U+2000..U+200F (spaces, zero
 * widths, marks), U+2028/2029, U+202F, U+205F, U+2060, U+3000, U+FEFF. Such a character
 * would make one address into two identifiers, so an e-mail holding one is rejected. */
static int is_unicode_space_at(const char *in, size_t i, size_t end)
{
    const unsigned char *u = (const unsigned char *)in + i;
    if (end - i < 3) return 0;
    if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] <= 0x8F || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
        return 1;
    if (u[0] == 0xE2 && u[1] == 0x81 && (u[2] == 0x9F || u[2] == 0xA0)) return 1;
    if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) return 1;
    return u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF;
}

/* Byte classes for the e-mail scan. */
#define EB_SPACE 0x01      /* space or control byte: rejected anywhere */
#define EB_HIGH 0x02       /* part of a multi-byte character: a domain byte, unless a space */
#define EB_AT 0x04         /* '@' */
#define EB_DOT 0x08        /* '.' */
#define EB_NOT_DOMAIN 0x10 /* ASCII that no domain label holds */

/* What the scan must stop at: in the local part, and in the domain while no fault was
 * found in it (after one, only spaces and a second '@' still matter). */
#define EB_STOP_LOCAL (EB_SPACE | EB_HIGH | EB_AT)
#define EB_STOP_DOMAIN (EB_STOP_LOCAL | EB_DOT | EB_NOT_DOMAIN)

#define SP EB_SPACE
#define HI EB_HIGH
#define AT EB_AT
#define DT EB_DOT
#define ND EB_NOT_DOMAIN
#define OK 0 /* letters, digits, '-': fine anywhere */
static const unsigned char email_bytes[256] = {
    /* 0x00 */ SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
    /* 0x10 */ SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
    /* 0x20 */ SP, ND, ND, ND, ND, ND, ND, ND, ND, ND, ND, ND, ND, OK, DT, ND,
    /* 0x30 */ OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, ND, ND, ND, ND, ND, ND,
    /* 0x40 */ AT, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK,
    /* 0x50 */ OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, ND, ND, ND, ND, ND,
    /* 0x60 */ ND, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK,
    /* 0x70 */ OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, ND, ND, ND, ND, SP,
    /* 0x80 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0x90 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0xA0 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0xB0 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0xC0 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0xD0 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0xE0 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    /* 0xF0 */ HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
};
#undef SP
#undef HI
#undef AT
#undef DT
#undef ND
#undef OK

/* The bytes of a word the scan must stop at where the domain is not being checked: a space or
 * control byte (< 0x21, 0x7F), an '@', or non-ASCII (EB_STOP_LOCAL). The high bit of each such
 * byte is set, exactly (no borrow or carry crosses a byte: every sum is of 7-bit values), so
 * that the first one is found by its position and bytes can be masked off by position. (The
 * domain is scanned a byte at a time: its labels are short, and a word's test for letters,
 * digits and '-' measured dearer than the bytes it saves.) */
static uint64_t email_stop_local(uint64_t w)
{
    uint64_t x = w & ~HIGHS;
    uint64_t control = ~(x + ONES * (0x80 - 0x21)); /* x < 0x21 */
    uint64_t del = x + ONES;                         /* x == 0x7F */
    uint64_t at = ~((x ^ (ONES * '@')) + ONES * 0x7F);
    return (control | del | at | w) & HIGHS;
}

/* The index (0..7, in memory order) of the first byte flagged in m (m != 0, high bits only). */
static size_t first_flagged(uint64_t m)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(m) >> 3;
#else
    unsigned char b[8];
    size_t k = 0;
    memcpy(b, &m, sizeof b);
    while ((b[k] & 0x80) == 0) k++;
    return k;
#endif
}

/* A mask of the bytes of a word from index k (0..7, in memory order) on. */
static uint64_t bytes_from(size_t k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return ~(uint64_t)0 << (8 * k);
#else
    unsigned char b[8];
    uint64_t m;
    memset(b, 0, k);
    memset(b + k, 0xFF, sizeof b - k);
    memcpy(&m, b, sizeof m);
    return m;
#endif
}

/* The first byte at or after in[i] (before e) that is a space or control byte, an '@' or
 * non-ASCII, or e. Eight bytes at a time, the first such byte of a word found by its
 * position in the word (no byte-by-byte tail to the '@'). */
static size_t email_skip_plain(const char *in, size_t i, size_t e)
{
    uint64_t m;
    while (e - i >= 8) {
        m = email_stop_local(load8(in + i));
        if (m != 0) return i + first_flagged(m);
        i += 8;
    }
    /* Fewer than eight bytes left: the last eight bytes of the input, those before i masked
     * off (the masks are exact, so bytes masked off do not disturb the others). */
    if (i < e && e >= 8) {
        m = email_stop_local(load8(in + e - 8)) & bytes_from(i - (e - 8));
        return m != 0 ? e - 8 + first_flagged(m) : e;
    }
    while (i < e && (email_bytes[(unsigned char)in[i]] & EB_STOP_LOCAL) == 0) i++;
    return i;
}

/* What one pass over a trimmed e-mail in[s, e) found: everything the checks need, so that
 * the value is read once. Offsets are NO_INDEX when there is none. */
typedef struct email_scan {
    size_t space;           /* first space, NBSP, Unicode space or control byte */
    size_t at, second_at;   /* first and second '@' */
    size_t domain_bad;      /* first fault in the domain (after the first '@') */
    const char *domain_why; /* what that fault is */
    size_t sep;             /* the last '.' of the domain, or the '@' before it */
    int dotted;             /* the domain has a '.' */
} email_scan;

/* Scan in[s, e) into *sc. Bytes that need no attention are passed over, eight at a time
 * where the domain is not being checked (before the '@', and after a fault in the domain or
 * a second '@', when only spaces still matter). The scan ends at a space, since that
 * rejection comes before all others. */
static void email_scan_value(const char *in, size_t s, size_t e, email_scan *sc)
{
    size_t i = s, at = NO_INDEX, second_at = NO_INDEX, bad = NO_INDEX, sep = NO_INDEX;
    int domain = 0, dotted = 0;
    sc->space = NO_INDEX;
    sc->domain_why = "";
    for (;; i++) {
        unsigned cls;
        if (!domain) {
            i = email_skip_plain(in, i, e);
        } else {
            while (i < e && (email_bytes[(unsigned char)in[i]] & EB_STOP_DOMAIN) == 0) i++;
        }
        if (i == e) break;
        cls = email_bytes[(unsigned char)in[i]];
        if (cls & EB_SPACE) {
            sc->space = i;
            break;
        }
        if (cls & EB_HIGH) {
            if (is_nbsp_at(in, i, e) || is_unicode_space_at(in, i, e)) {
                sc->space = i;
                break;
            }
        } else if (cls & EB_AT) {
            if (at == NO_INDEX) {
                at = sep = i;
                domain = 1;
            } else {
                if (second_at == NO_INDEX) second_at = i;
                domain = 0; /* reported before anything in the domain */
            }
        } else if (cls & EB_DOT) {
            if (i == sep + 1) {
                bad = i;
                sc->domain_why = "e-mail domain has an empty label";
                domain = 0;
            } else {
                sep = i;
                dotted = 1;
            }
        } else {
            bad = i;
            sc->domain_why = "e-mail domain has an invalid character";
            domain = 0;
        }
    }
    sc->at = at;
    sc->second_at = second_at;
    sc->domain_bad = bad;
    sc->sep = sep;
    sc->dotted = dotted;
}

/* The rejections, in the order they are reported: a space or control byte anywhere; the
 * '@' (exactly one, with a local part of 1..64 bytes) and the total length; the domain (not
 * empty, its first bad byte or empty label, no trailing dot, at least one dot). */
static scv_status email_check(const email_scan *sc, size_t s, size_t e, scv__norm_err *err)
{
    if (sc->space != NO_INDEX) {
        return reject(err, "e-mail contains a space or control character", off(sc->space));
    }
    if (sc->second_at != NO_INDEX) {
        return reject(err, "e-mail has more than one '@'", off(sc->second_at));
    }
    if (sc->at == NO_INDEX) return reject(err, "e-mail has no '@'", -1);
    if (sc->at == s) return reject(err, "e-mail has an empty local part", off(sc->at));
    if (sc->at - s > EMAIL_MAX_LOCAL) {
        return reject(err, "e-mail local part is longer than 64 bytes", off(s + EMAIL_MAX_LOCAL));
    }
    if (e - s > EMAIL_MAX_TOTAL) {
        return reject(err, "e-mail is longer than 254 bytes", off(s + EMAIL_MAX_TOTAL));
    }
    if (sc->at + 1 == e) return reject(err, "e-mail has an empty domain", off(sc->at));
    if (sc->domain_bad != NO_INDEX) return reject(err, sc->domain_why, off(sc->domain_bad));
    if (sc->sep == e - 1) return reject(err, "e-mail domain ends with a dot", off(e - 1));
    if (!sc->dotted) return reject(err, "e-mail domain has no dot", -1);
    return SCV_OK;
}

static int email_is_gmail(const char *domain, size_t len)
{
    return equals_ignore_case(domain, len, "gmail.com") ||
           equals_ignore_case(domain, len, "googlemail.com");
}

/* The Gmail local part of in[s, at): dots removed, cut at the first '+', lower-cased. Writes
 * to out unless it is NULL; returns the length. */
static size_t email_gmail_local(const char *in, size_t s, size_t at, char *out)
{
    size_t i, n = 0;
    for (i = s; i < at && in[i] != '+'; i++) {
        if (in[i] == '.') continue;
        if (out != NULL) out[n] = lower_ascii(in[i]);
        n++;
    }
    return n;
}

scv_status scv__normalize_email(const char *in, size_t len, unsigned flags, char *out,
                                size_t *out_len, scv__norm_err *err)
{
    size_t at;
    return scv__normalize_email_at(in, len, flags, out, out_len, &at, err);
}

scv_status scv__normalize_email_at(const char *in, size_t len, unsigned flags, char *out,
                                   size_t *out_len, size_t *out_at, scv__norm_err *err)
{
    static const char gmail[] = "@gmail.com";
    email_scan sc;
    size_t s, e, at, n;
    scv_status st;

    trim(in, len, 0, &s, &e);
    if (s == e) return reject(err, REASON_EMPTY, -1);
    email_scan_value(in, s, e, &sc);
    st = email_check(&sc, s, e, err);
    if (st != SCV_OK) return st;

    at = sc.at;
    if ((flags & SCV__EMAIL_PROVIDER_RULES) && email_is_gmail(in + at + 1, e - at - 1)) {
        if (email_gmail_local(in, s, at, NULL) == 0) {
            return reject(err, "e-mail local part is empty after provider rules", -1);
        }
        n = email_gmail_local(in, s, at, out);
        *out_at = n;
        memcpy(out + n, gmail, sizeof gmail - 1);
        n += sizeof gmail - 1;
    } else {
        n = copy_lower(in, s, e, out); /* at most EMAIL_MAX_TOTAL bytes */
        *out_at = at - s;
    }
    *out_len = n;
    return SCV_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Phone                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* The digits of a phone number, as scanned. Where each came from in the input is not kept:
 * only a rejection needs it, and phone_digit_offset() finds it again then. */
typedef struct phone_digits {
    char d[PHONE_MAX_DIGITS]; /* '0'..'9' */
    size_t n;                 /* digits seen; only the first PHONE_MAX_DIGITS are kept */
    size_t zero;              /* index of the digit of the first "(0)", or NO_INDEX */
    int plus;                 /* a '+' came before the first digit */
} phone_digits;

static void phone_push(phone_digits *p, char c)
{
    if (p->n < PHONE_MAX_DIGITS) p->d[p->n] = c;
    p->n++;
}

/* The high bit set in the bytes of w that are not ASCII digits: below '0' (has_below()), or
 * above '9' (adding 0x7F - '9' reaches the high bit), or with it set already. A borrow or
 * carry from a flagged byte may flag the byte after it too, but never one before: the first
 * flagged byte is exact, and w is eight digits exactly when nothing is flagged. */
static uint64_t non_digits8(uint64_t w)
{
    return has_below(w, '0') | (((w + ONES * (0x7F - '9')) | w) & HIGHS);
}

/* Bytes taken by a separator at in[i] (i < e): 1, 2 for NBSP, or 0 when there is none. */
static size_t phone_sep_len(const char *in, size_t i, size_t e)
{
    char c = in[i];
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') return 1;
    return is_nbsp_at(in, i, e) ? 2 : 0;
}

/* Length of an extension marker at in[i] ("ext", "x", "#"; any case), or 0. */
static size_t phone_ext_marker(const char *in, size_t i, size_t e)
{
    char c = lower_ascii(in[i]);
    if (c == '#' || c == 'x') return 1;
    if (c == 'e' && e - i >= 3 && lower_ascii(in[i + 1]) == 'x' && lower_ascii(in[i + 2]) == 't') {
        return 3;
    }
    return 0;
}

/* Check the extension digits in[i, e) after the marker at `mark`: separators and at least one
 * digit. Returns e when they are fine, else the offset to blame (the marker when no digit
 * follows it, otherwise the first stray byte). */
static size_t phone_check_ext(const char *in, size_t mark, size_t i, size_t e)
{
    int digits = 0;
    while (i < e) {
        size_t k = phone_sep_len(in, i, e);
        if (k != 0) {
            i += k;
        } else if (is_digit(in[i])) {
            digits = 1;
            i++;
        } else {
            return digits ? i : mark;
        }
    }
    return digits ? e : mark;
}

/* Collect the digits of in[s, e) into *p. Returns e, or the offset of an invalid byte. */
static size_t phone_scan(const char *in, size_t s, size_t e, phone_digits *p)
{
    size_t i = s, k;
    p->n = 0;
    p->zero = NO_INDEX;
    p->plus = 0;
    while (i < e) {
        char c = in[i];
        if (is_digit(c)) {
            /* A group of digits, counted in a local (a count kept in *p would be reloaded
             * after every byte stored next to it). Eight bytes are loaded and stored whole
             * and their leading digits counted: the bytes after those lie past n, where
             * the next digits go (nothing reads d past n). Fewer than eight bytes before e
             * are the top of the last eight, shifted down (zeros come in above them, which
             * are no digits). Most groups end within their first word, which spares the
             * byte loop (~9 instructions a digit); it is left for digits that would not
             * fit, and for short inputs. */
            size_t n = p->n;
            for (;;) {
                uint64_t w, stop;
                if (e - i >= 8 && n <= PHONE_MAX_DIGITS - 8) {
                    w = load8(in + i);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                } else if (e >= 8 && n <= PHONE_MAX_DIGITS - 8 && i < e) {
                    w = load8(in + e - 8) >> (8 * (i - (e - 8)));
#endif
                } else {
                    for (; i < e && is_digit(c = in[i]); i++) {
                        if (n < PHONE_MAX_DIGITS) p->d[n] = c;
                        n++;
                    }
                    break;
                }
                stop = non_digits8(w);
                memcpy(p->d + n, &w, sizeof w);
                if (stop != 0) {
                    k = first_flagged(stop);
                    n += k;
                    i += k;
                    break;
                }
                n += 8;
                i += 8;
            }
            p->n = n;
        } else if (c == '(' && e - i >= 3 && in[i + 1] == '0' && in[i + 2] == ')') {
            if (p->zero == NO_INDEX) p->zero = p->n;
            phone_push(p, '0');
            i += 3;
        } else if ((k = phone_sep_len(in, i, e)) != 0) {
            i += k;
        } else if (c == '+' && p->n == 0 && !p->plus) {
            p->plus = 1;
            i++;
        } else if (p->n > 0 && (k = phone_ext_marker(in, i, e)) != 0) {
            return phone_check_ext(in, i, i + k, e);
        } else {
            return i;
        }
    }
    return e;
}

/* The input offset of digit number k (from 0) as phone_scan() counted them: the digit of a
 * "(0)" is its '0'. Only for digits the scan kept, so before any extension. Nothing else
 * phone_scan() passes over is a digit or a "(0)", so going byte by byte finds the same. */
static size_t phone_digit_offset(const char *in, size_t s, size_t e, size_t k)
{
    size_t i = s, n = 0;
    while (i < e) {
        if (is_digit(in[i])) {
            if (n++ == k) return i;
            i++;
        } else if (in[i] == '(' && e - i >= 3 && in[i + 1] == '0' && in[i + 2] == ')') {
            if (n++ == k) return i + 1;
            i += 3;
        } else {
            i++;
        }
    }
    return e; /* not reached for a kept digit */
}

static size_t decimal_digits(unsigned v)
{
    return v >= 100 ? 3 : v >= 10 ? 2 : 1;
}

/* The digits start with the ASCII digits of `lit`. */
static int phone_starts_with(const phone_digits *p, const char *lit)
{
    size_t n = strlen(lit);
    return p->n >= n && memcmp(p->d, lit, n) == 0;
}

/* Length of the international prefix ('+' counts 0), or NO_INDEX when there is none. */
static size_t phone_intl_prefix(const phone_digits *p, const scv__region *region)
{
    if (p->plus) return 0;
    if (region != NULL && region->calling_code == 61 && phone_starts_with(p, "0011")) return 4;
    if (phone_starts_with(p, "00")) return 2;
    if (region != NULL && region->calling_code == 1 && phone_starts_with(p, "011")) return 3;
    return NO_INDEX;
}

/* The digits from index `at` start with the calling code of `region`. */
static int phone_has_code_at(const phone_digits *p, size_t at, const scv__region *region)
{
    unsigned cc = region->calling_code, code = 0;
    size_t k = decimal_digits(cc), i;
    if (at + k > p->n) return 0;
    for (i = 0; i < k; i++) code = code * 10 + (unsigned)(p->d[at + i] - '0');
    return code == cc;
}

/* The longest calling code (3..1 digits) at digit `at` known to the table: sets *r and
 * returns its digit count, or 0 when none matches. */
static size_t phone_calling_code(const phone_digits *p, size_t at, const scv__region *region,
                                 const scv__region **r)
{
    size_t k, i;
    if (p->d[at] == '0') return 0; /* no calling code starts with 0 */
    /* Most numbers written with a country code have the default region's. Calling codes are
     * prefix-free (the region table's test checks it), so when that code is there it is the
     * only match, and the table need not be searched. */
    if (region != NULL && phone_has_code_at(p, at, region)) {
        *r = scv__region_main(region);
        return decimal_digits(region->calling_code);
    }
    for (k = 3; k >= 1; k--) {
        unsigned code = 0;
        if (at + k > p->n) continue;
        for (i = 0; i < k; i++) code = code * 10 + (unsigned)(p->d[at + i] - '0');
        *r = scv__region_by_calling_code((uint16_t)code);
        if (*r != NULL) return k;
    }
    return 0;
}

/* Length of the region's trunk prefix at the start of the digits, or 0 when absent. */
static size_t phone_trunk_len(const phone_digits *p, const scv__region *r)
{
    size_t k;
    if (r->trunk == NULL) return 0;
    for (k = 0; r->trunk[k] != '\0'; k++)
        if (k >= p->n || p->d[k] != r->trunk[k]) return 0;
    return k;
}

static int phone_is_repeated(const char *d, size_t n)
{
    size_t i;
    for (i = 1; i < n; i++) {
        if (d[i] != d[0]) return 0;
    }
    return 1;
}

/* Value of digit c when '0' counts as `zero` (0 in "0123...", 10 in keypad order "...890"). */
static int digit_value(char c, int zero)
{
    return c == '0' ? zero : c - '0';
}

/* d[0, n) is one run of >= 7 digits, each `step` (+1 or -1) from the last, with '0' valued
 * `zero`. */
static int phone_is_run(const char *d, size_t n, int step, int zero)
{
    size_t i;
    if (n < 7) return 0;
    for (i = 1; i < n; i++) {
        if (digit_value(d[i], zero) - digit_value(d[i - 1], zero) != step) return 0;
    }
    return 1;
}

/* An ascending or descending run, '0' at either end: "0123456789", "1234567890",
 * "0987654321", "9876543210", "2345678" (but not "9012345678"). Almost every number fails
 * on its first two digits, which in any run are one apart, or "90" or "09" where '0' counts
 * as 10: tested first, that spares the four walks below. */
static int phone_is_sequence(const char *d, size_t n)
{
    if (n < 7) return 0;
    if (d[1] - d[0] != 1 && d[0] - d[1] != 1 && !(d[0] == '9' && d[1] == '0') &&
        !(d[0] == '0' && d[1] == '9'))
        return 0;
    return phone_is_run(d, n, 1, 0) || phone_is_run(d, n, 1, 10) || phone_is_run(d, n, -1, 0) ||
           phone_is_run(d, n, -1, 10);
}

/* Validate the NSN digits[first, n) for region r and write "+<code><nsn>". */
static scv_status phone_finish(const phone_digits *p, size_t first, const scv__region *r,
                               char *out, size_t *out_len, scv__norm_err *err)
{
    const char *nsn = p->d + first;
    size_t len = p->n - first, cc_len = decimal_digits(r->calling_code), i;
    unsigned cc = r->calling_code;

    if (len > r->max_len || cc_len + len > E164_MAX_DIGITS) {
        return reject(err, "phone is too long", -1);
    }
    if (len < r->min_len || cc_len + len < E164_MIN_DIGITS) {
        return reject(err, "phone is too short", -1);
    }
    if (phone_is_repeated(nsn, len)) return reject(err, "phone is one repeated digit", -1);
    /* Where the trunk prefix is "0", no national number starts with 0: what is left after
     * one trunk zero is a typing error. Rejecting it keeps normalization idempotent
     * ("+44 0 44..." would otherwise lose another 0 when normalized again). */
    if (len > 0 && nsn[0] == '0' && strcmp(r->trunk, "0") == 0)
        return reject(err, "phone has an extra 0 after the country code or trunk prefix", -1);
    if (phone_is_sequence(nsn, len)) {
        return reject(err, "phone is a sequence of digits", -1);
    }
    if (r->calling_code == 1 && (nsn[0] == '0' || nsn[0] == '1'))
        return reject(err, "phone has an area code that cannot start with 0 or 1", -1);
    out[0] = '+';
    for (i = cc_len; i > 0; i--) {
        out[i] = (char)('0' + cc % 10);
        cc /= 10;
    }
    scv__copy_short(out + 1 + cc_len, nsn, len);
    *out_len = 1 + cc_len + len;
    return SCV_OK;
}

scv_status scv__normalize_phone(const char *in, size_t len, const scv__region *region, char *out,
                                size_t *out_len, scv__norm_err *err)
{
    phone_digits p;
    const scv__region *r = region;
    size_t s, e, bad, first, cc_len;

    trim(in, len, 1, &s, &e);
    if (s == e) return reject(err, REASON_EMPTY, -1);
    bad = phone_scan(in, s, e, &p);
    if (bad != e) return reject(err, "phone has an invalid character", off(bad));
    if (p.n > PHONE_MAX_DIGITS) return reject(err, "phone is too long", -1);
    /* Placeholders such as "0000000000" would otherwise read as a "00" prefix. */
    if (p.n >= 4 && phone_is_repeated(p.d, p.n)) return reject(err, "phone is one repeated digit", -1);

    first = phone_intl_prefix(&p, region);
    if (first != NO_INDEX) {
        if (first >= p.n) return reject(err, "phone is too short", -1);
        cc_len = phone_calling_code(&p, first, region, &r);
        if (cc_len == 0) {
            return reject(err, "phone has an unknown country code",
                          off(phone_digit_offset(in, s, e, first)));
        }
        first += cc_len;
        /* A "0" trunk prefix written after the calling code, "+49 (0)30..." or "+49 030...",
         * is dropped; where the region has another trunk prefix or none (Italy: "+39 (0)6"
         * keeps its 0, which belongs to the number), the digit stays. */
        if (strcmp(r->trunk, "0") == 0 && first < p.n && p.d[first] == '0') first++;
    } else {
        if (region == NULL) return reject(err, "phone has no country code and no default region", -1);
        first = phone_trunk_len(&p, region);
    }
    return phone_finish(&p, first, r, out, out_len, err);
}

/* ---------------------------------------------------------------------------------------- */
/* Exact and case-folded                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* Trim and check an exact or case-folded value. */
static scv_status id_trim(const char *in, size_t len, size_t *s, size_t *e, scv__norm_err *err)
{
    trim(in, len, 1, s, e);
    if (*s == *e) return reject(err, REASON_EMPTY, -1);
    /* Callers keep values to SCV_MAX_VALUE_LEN; this only guards the output buffer. */
    if (*e - *s > SCV_MAX_NORMALIZED_LEN) {
        return reject(err, "value is too long", off(*s + SCV_MAX_NORMALIZED_LEN));
    }
    return SCV_OK;
}

scv_status scv__normalize_exact(const char *in, size_t len, char *out, size_t *out_len,
                                scv__norm_err *err)
{
    size_t s, e;
    scv_status st = id_trim(in, len, &s, &e, err);
    if (st != SCV_OK) return st;
    scv__copy_short(out, in + s, e - s);
    *out_len = e - s;
    return SCV_OK;
}

scv_status scv__normalize_casefold(const char *in, size_t len, char *out, size_t *out_len,
                                   scv__norm_err *err)
{
    size_t s, e;
    scv_status st = id_trim(in, len, &s, &e, err);
    if (st != SCV_OK) return st;
    *out_len = copy_lower(in, s, e, out);
    return SCV_OK;
}
