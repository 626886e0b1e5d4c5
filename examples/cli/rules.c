/* rules.c — see rules.h. */
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rules_option_name(const char *name, rule_kind *kind)
{
    static const struct {
        const char *name;
        rule_kind kind;
    } names[] = {{"limit", RULE_LIMIT},
                 {"priority", RULE_PRIORITY},
                 {"block", RULE_BLOCK},
                 {"generic-threshold", RULE_GENERIC}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *kind = names[i].kind;
            return 1;
        }
    }
    return 0;
}

static int fail(const char *option, const char *text, const char *why)
{
    fprintf(stderr, "scv: --%s %s: %s\n", option, text, why);
    return 2;
}

/* A kind named by s[0..len). */
static int find_kind(const scv_engine *e, const char *s, size_t len, scv_kind *kind)
{
    return scv_engine_kind(e, s, len, kind) == SCV_OK;
}

/* A whole non-negative decimal number below 2^32. */
static int parse_count(const char *s, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9') return 0;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno == 0 && *end == '\0' && *out <= 0xFFFFFFFFul;
}

static int apply_limit(scv_engine *e, const char *text)
{
    const char *eq = strchr(text, '=');
    scv_kind kind;
    unsigned long n;
    if (eq == NULL) return fail("limit", text, "expected KIND=N");
    if (!find_kind(e, text, (size_t)(eq - text), &kind)) return fail("limit", text, "unknown kind");
    if (!parse_count(eq + 1, &n)) return fail("limit", text, "N must be a whole number");
    if (scv_engine_set_limit(e, kind, (uint32_t)n) != SCV_OK)
        return fail("limit", text, scv_engine_errmsg(e));
    return 0;
}

static int apply_priority(scv_engine *e, const char *text)
{
    scv_kind kinds[SCV_MAX_KINDS];
    size_t n = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == SCV_MAX_KINDS || !find_kind(e, p, len, &kinds[n]))
            return fail("priority", text, "unknown kind");
        n++;
        p += len + (comma != NULL);
    }
    if (scv_engine_set_priority(e, kinds, n) != SCV_OK)
        return fail("priority", text, scv_engine_errmsg(e));
    return 0;
}

static int apply_block(scv_engine *e, const char *text)
{
    const char *eq = strchr(text, '=');
    scv_kind kind;
    if (eq == NULL) return fail("block", text, "expected KIND=VALUE");
    if (!find_kind(e, text, (size_t)(eq - text), &kind)) return fail("block", text, "unknown kind");
    if (scv_engine_block(e, kind, eq + 1, strlen(eq + 1)) != SCV_OK)
        return fail("block", text, scv_engine_errmsg(e));
    return 0;
}

static int apply_generic(scv_engine *e, const char *text)
{
    const char *eq = strchr(text, '=');
    unsigned long n;
    if (eq == NULL) {
        if (!parse_count(text, &n)) return fail("generic-threshold", text, "expected N or KIND=N");
        for (scv_kind k = 0; k < scv_engine_kind_count(e); k++)
            (void)scv_engine_set_generic_threshold(e, k, (uint32_t)n);
        return 0;
    }
    scv_kind kind;
    if (!find_kind(e, text, (size_t)(eq - text), &kind))
        return fail("generic-threshold", text, "unknown kind");
    if (!parse_count(eq + 1, &n)) return fail("generic-threshold", text, "N must be a whole number");
    if (scv_engine_set_generic_threshold(e, kind, (uint32_t)n) != SCV_OK)
        return fail("generic-threshold", text, scv_engine_errmsg(e));
    return 0;
}

int rules_apply(scv_engine *engine, const rule_option *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int r = 0;
        switch (opts[i].kind) {
        case RULE_LIMIT: r = apply_limit(engine, opts[i].text); break;
        case RULE_PRIORITY: r = apply_priority(engine, opts[i].text); break;
        case RULE_BLOCK: r = apply_block(engine, opts[i].text); break;
        case RULE_GENERIC: r = apply_generic(engine, opts[i].text); break;
        }
        if (r != 0) return r;
    }
    return 0;
}

/* ---- What the options amount to (for the report) ---------------------------------------- */

/* Library defaults, documented in scv.h. */
#define DEFAULT_GENERIC 10u
#define DEFAULT_MAX_RECORDS 50000u
#define DEFAULT_MAX_IDENTIFIERS 5000u

/* customer_id > loyalty_id > email > phone > device_id > anonymous_id > registered kinds. */
static void default_priority(rules_summary *s)
{
    static const scv_kind builtin[] = {SCV_KIND_CUSTOMER_ID, SCV_KIND_LOYALTY_ID,
                                       SCV_KIND_EMAIL,       SCV_KIND_PHONE,
                                       SCV_KIND_DEVICE_ID,   SCV_KIND_ANONYMOUS_ID};
    uint32_t n = 0;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (builtin[i] < s->nkinds) s->priority[n++] = builtin[i];
    for (scv_kind k = 6; k < s->nkinds; k++) s->priority[n++] = k;
}

/* --priority: the listed kinds first, the others after them in their current order. */
static void summarize_priority(const scv_engine *e, const char *text, rules_summary *s)
{
    scv_kind order[SCV_MAX_KINDS];
    uint8_t listed[SCV_MAX_KINDS] = {0};
    uint32_t n = 0;
    const char *p = text;
    while (*p != '\0' && n < SCV_MAX_KINDS) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (!find_kind(e, p, len, &order[n]) || order[n] >= s->nkinds)
            return;
        listed[order[n++]] = 1;
        p += len + (comma != NULL);
    }
    for (uint32_t i = 0; i < s->nkinds; i++)
        if (!listed[s->priority[i]]) order[n++] = s->priority[i];
    memcpy(s->priority, order, n * sizeof order[0]);
}

/* --limit KIND=N or --generic-threshold [KIND=]N into table[]. */
static void summarize_number(const scv_engine *e, const char *text, uint32_t *table,
                             uint32_t nkinds)
{
    const char *eq = strchr(text, '=');
    unsigned long n;
    scv_kind kind;
    if (eq == NULL) {
        if (parse_count(text, &n))
            for (scv_kind k = 0; k < nkinds; k++) table[k] = (uint32_t)n;
        return;
    }
    if (find_kind(e, text, (size_t)(eq - text), &kind) && kind < nkinds &&
        parse_count(eq + 1, &n))
        table[kind] = (uint32_t)n;
}

void rules_summarize(const scv_engine *engine, const rule_option *opts, size_t n,
                     rules_summary *out)
{
    memset(out, 0, sizeof *out);
    out->nkinds = scv_engine_kind_count(engine);
    if (out->nkinds > SCV_MAX_KINDS) out->nkinds = SCV_MAX_KINDS;
    for (scv_kind k = 0; k < out->nkinds; k++) out->generic[k] = DEFAULT_GENERIC;
    out->max_records = DEFAULT_MAX_RECORDS;
    out->max_identifiers = DEFAULT_MAX_IDENTIFIERS;
    default_priority(out);
    for (size_t i = 0; i < n; i++) {
        switch (opts[i].kind) {
        case RULE_LIMIT: summarize_number(engine, opts[i].text, out->limit, out->nkinds); break;
        case RULE_PRIORITY: summarize_priority(engine, opts[i].text, out); break;
        case RULE_BLOCK: out->blocked++; break;
        case RULE_GENERIC: summarize_number(engine, opts[i].text, out->generic, out->nkinds); break;
        }
    }
}

int rules_apply_to_state(scv_engine *engine, const rule_option *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i].kind != RULE_BLOCK) {
            fprintf(stderr, "scv: %s ignored: the rules of the state file apply\n", opts[i].text);
            continue;
        }
        int r = rules_apply(engine, &opts[i], 1);
        if (r != 0) return r;
    }
    return 0;
}
