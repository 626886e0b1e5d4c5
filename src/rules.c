/* rules.c — see rules.h. */
#include "rules.h"

#include <string.h>

void scv__rules_init(scv__rules *r)
{
    /* customer_id > loyalty_id > email > phone > device_id > anonymous_id > registered. */
    static const uint8_t builtin_rank[6] = {
        2, /* email */
        3, /* phone */
        0, /* customer_id */
        5, /* anonymous_id */
        4, /* device_id */
        1, /* loyalty_id */
    };
    memset(r, 0, sizeof *r);
    for (uint32_t k = 0; k < SCV_MAX_KINDS; k++) {
        r->rank[k] = (uint8_t)(k < 6 ? builtin_rank[k] : k);
        r->generic[k] = SCV__DEFAULT_GENERIC;
        r->slot[k] = SCV__NO_SLOT;
    }
    r->max_records = SCV__DEFAULT_MAX_RECORDS;
    r->max_identifiers = SCV__DEFAULT_MAX_IDENTIFIERS;
    r->default_blocklist = 1;
}

void scv__rules_add_kind(scv__rules *r, uint32_t kind)
{
    uint8_t lowest = 0;
    for (uint32_t k = 0; k < kind; k++)
        if (r->rank[k] >= lowest) lowest = (uint8_t)(r->rank[k] + 1);
    r->rank[kind] = lowest;
    r->generic[kind] = SCV__DEFAULT_GENERIC;
    r->limit[kind] = 0;
    r->slot[kind] = SCV__NO_SLOT;
}

void scv__rules_set_limit(scv__rules *r, uint32_t kind, uint32_t max_values, uint32_t n_kinds)
{
    r->limit[kind] = max_values;
    r->n_limited = 0;
    for (uint32_t k = 0; k < n_kinds; k++) {
        r->slot[k] = r->limit[k] > 0 ? r->n_limited : SCV__NO_SLOT;
        if (r->limit[k] > 0) r->slot_limit[r->n_limited++] = r->limit[k];
    }
}

int scv__rules_set_priority(scv__rules *r, const uint32_t *kinds, size_t n, uint32_t n_kinds)
{
    uint8_t listed[SCV_MAX_KINDS] = {0};
    uint8_t order[SCV_MAX_KINDS];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (kinds[i] >= n_kinds || listed[kinds[i]]) return 0;
        listed[kinds[i]] = 1;
    }
    /* The unlisted kinds, by their current rank. */
    for (uint8_t rank = 0; m < n_kinds - n; rank++)
        for (uint32_t k = 0; k < n_kinds; k++)
            if (!listed[k] && r->rank[k] == rank) order[m++] = (uint8_t)k;
    for (size_t i = 0; i < n; i++) r->rank[kinds[i]] = (uint8_t)i;
    for (size_t i = 0; i < m; i++) r->rank[order[i]] = (uint8_t)(n + i);
    return 1;
}

/* ---- placeholders -------------------------------------------------------------------------- */

/* The built-in placeholder values, matched ignoring ASCII case. Almost no value is one, and
 * every identifier is checked, so the lists are written as switches on the length, and each
 * entry compares its first byte before the rest: a value is turned down by its length or
 * after a byte or two, instead of after a walk through every entry. */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s[0, n) equals the lower-case literal lit[0, n), ignoring ASCII case. */
static int eq_fold(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lit[i]) return 0;
    return 1;
}

/* The value s[0, len), its first byte folded in c0, is `lit`. Used inside a `case` for the
 * literal's length, where the compiler knows len and drops that test. */
#define IS(lit) (len == sizeof(lit) - 1 && c0 == (lit)[0] && eq_fold(s + 1, (lit) + 1, sizeof(lit) - 2))

/* "-1", "0", "null", "n/a", "(not set)"...: a whole exact or case-folded value. */
static int placeholder_word(const char *s, size_t len)
{
    char c0;
    if (len == 0 || len > 9) return 0;
    c0 = lower(s[0]);
    switch (len) {
    case 1: return IS("0");
    case 2: return IS("-1") || IS("na");
    case 3: return IS("n/a") || IS("nan") || IS("nil") || IS("xxx");
    case 4: return IS("null") || IS("none") || IS("test") || IS("#n/a");
    case 5: return IS("empty") || IS("blank");
    case 7: return IS("unknown") || IS("not set");
    case 9: return IS("undefined") || IS("anonymous") || IS("(not set)");
    default: return 0;
    }
}

/* "noreply", "n/a"...: the local part of an e-mail. */
static int placeholder_local(const char *s, size_t len)
{
    char c0;
    if (len < 2 || len > 12) return 0;
    c0 = lower(s[0]);
    switch (len) {
    case 2: return IS("na");
    case 3: return IS("n/a");
    case 4: return IS("none") || IS("null");
    case 6: return IS("nomail") || IS("nobody");
    case 7:
        return IS("noemail") || IS("no-mail") || IS("noreply") || IS("unknown") || IS("invalid");
    case 8: return IS("no-email") || IS("no_email") || IS("no-reply");
    case 10: return IS("donotreply");
    case 12: return IS("do-not-reply");
    default: return 0;
    }
}

/* "test@test.com"...: a whole e-mail address. */
static int placeholder_address(const char *s, size_t len)
{
    char c0;
    if (len < 7 || len > 15) return 0;
    c0 = lower(s[0]);
    switch (len) {
    case 7: return IS("a@a.com") || IS("a@b.com") || IS("x@x.com");
    case 9: return IS("xx@xx.com") || IS("no@no.com");
    case 11: return IS("abc@abc.com");
    case 12: return IS("test@test.de");
    case 13:
        return IS("test@test.com") || IS("mail@mail.com") || IS("none@none.com") ||
               IS("asdf@asdf.com");
    case 14: return IS("test@gmail.com");
    case 15: return IS("email@email.com") || IS("user@domain.com") || IS("name@domain.com");
    default: return 0;
    }
}

#undef IS

/* s[0, len) ends with the lower-case literal lit[0, n), ignoring ASCII case. */
static int ends_with_fold(const char *s, size_t len, const char *lit, size_t n)
{
    return len >= n && eq_fold(s + len - n, lit, n);
}

/* A reserved domain (RFC 2606, RFC 6761): example.com/.net/.org, or a name under the .test,
 * .invalid, .localhost or .example top-level domains. Sorted out by the last byte. */
static int placeholder_domain(const char *s, size_t len)
{
    if (len == 0) return 0;
    switch (lower(s[len - 1])) {
    case 't':
        return ends_with_fold(s, len, ".test", 5) || ends_with_fold(s, len, ".localhost", 10) ||
               (len == 11 && eq_fold(s, "example.net", 11));
    case 'd': return ends_with_fold(s, len, ".invalid", 8);
    case 'e': return ends_with_fold(s, len, ".example", 8);
    case 'm': return len == 11 && eq_fold(s, "example.com", 11);
    case 'g': return len == 11 && eq_fold(s, "example.org", 11);
    default: return 0;
    }
}

/* Only zeros and dashes, or one character repeated 3+ times ("xxxx", "1111"). The first two
 * bytes rule out both for most values. */
static int degenerate(const char *s, size_t len)
{
    int zeros_dashes = 1, repeated = len >= 3;
    if (len == 0) return 0;
    if (s[0] != '0' && s[0] != '-' && (len < 3 || s[1] != s[0])) return 0;
    for (size_t i = 0; i < len && (zeros_dashes || repeated); i++) {
        if (s[i] != '0' && s[i] != '-') zeros_dashes = 0;
        if (s[i] != s[0]) repeated = 0;
    }
    return zeros_dashes || repeated;
}

int scv__rules_placeholder_email(const char *v, size_t len, size_t at)
{
    return placeholder_address(v, len) || placeholder_local(v, at) || degenerate(v, at) ||
           placeholder_domain(v + at + 1, len - at - 1);
}

int scv__rules_placeholder_word(const char *v, size_t len)
{
    return placeholder_word(v, len) || degenerate(v, len);
}

int scv__rules_placeholder(scv_normalizer norm, const char *value, size_t len)
{
    if (norm == SCV_NORM_EMAIL) {
        const char *at = memchr(value, '@', len);
        return at != NULL && scv__rules_placeholder_email(value, len, (size_t)(at - value));
    }
    if (norm == SCV_NORM_PHONE) return 0; /* the phone normalizer already rejects those */
    return scv__rules_placeholder_word(value, len);
}
