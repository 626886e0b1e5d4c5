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

static int eq_ci(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (n != len) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return 0;
    }
    return 1;
}

static int in_list(const char *s, size_t len, const char *const *list)
{
    for (; *list != NULL; list++)
        if (eq_ci(s, len, *list)) return 1;
    return 0;
}

static int ends_with_ci(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && eq_ci(s + len - n, n, lit);
}

static const char *const placeholder_words[] = {
    "-1", "0", "null", "none", "n/a", "na", "nan", "nil", "undefined", "unknown", "anonymous",
    "test", "xxx", "not set", "(not set)", "empty", "blank", "#n/a", NULL};

static const char *const placeholder_locals[] = {
    "noemail", "no-email", "no_email", "nomail", "no-mail", "noreply", "no-reply", "donotreply",
    "do-not-reply", "none", "null", "nobody", "unknown", "na", "n/a", "invalid", NULL};

static const char *const placeholder_emails[] = {
    "test@test.com", "test@test.de", "a@a.com", "a@b.com", "x@x.com", "xx@xx.com",
    "email@email.com", "mail@mail.com", "none@none.com", "no@no.com", "asdf@asdf.com",
    "test@gmail.com", "abc@abc.com", "user@domain.com", "name@domain.com", NULL};

static const char *const reserved_domains[] = {"example.com", "example.net", "example.org", NULL};
static const char *const reserved_tlds[] = {".test", ".invalid", ".localhost", ".example", NULL};

/* Only zeros and dashes, or one character repeated 3+ times ("xxxx", "1111"). */
static int degenerate(const char *s, size_t len)
{
    int zeros_dashes = 1, repeated = len >= 3;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '0' && s[i] != '-') zeros_dashes = 0;
        if (s[i] != s[0]) repeated = 0;
    }
    return (len > 0 && zeros_dashes) || repeated;
}

static int placeholder_email(const char *v, size_t len)
{
    const char *at = memchr(v, '@', len);
    if (at == NULL) return 0;
    size_t local = (size_t)(at - v), dlen = len - local - 1;
    const char *domain = at + 1;
    if (in_list(v, len, placeholder_emails) || in_list(v, local, placeholder_locals)) return 1;
    if (degenerate(v, local)) return 1;
    if (in_list(domain, dlen, reserved_domains)) return 1;
    for (const char *const *t = reserved_tlds; *t != NULL; t++)
        if (ends_with_ci(domain, dlen, *t)) return 1;
    return 0;
}

int scv__rules_placeholder(scv_normalizer norm, const char *value, size_t len)
{
    if (norm == SCV_NORM_EMAIL) return placeholder_email(value, len);
    if (norm == SCV_NORM_PHONE) return 0; /* the phone normalizer already rejects those */
    return in_list(value, len, placeholder_words) || degenerate(value, len);
}
