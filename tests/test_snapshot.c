/* test_snapshot.c — snapshots: a round trip keeps every answer and later resolution identical;
 * sizes and buffers; the hash key; corrupt, truncated and hostile input; erased data stays
 * out; allocation failure during load. */
#include "test.h"

#include "hash.h"
#include "snapshot.h"

#define NOW 1700000000LL
#define DAY 86400LL

/* ---- a counting allocator that can fail at the N-th call ------------------------------------ */

typedef struct counter {
    size_t live, peak, blocks;
    long calls, fail_at; /* fail_at 0: never */
} counter;

static int refuse(counter *c)
{
    return c->fail_at != 0 && ++c->calls == c->fail_at;
}

static void *c_alloc(void *ctx, size_t size)
{
    counter *c = ctx;
    if (refuse(c)) return NULL;
    void *p = malloc(size);
    if (p == NULL) return NULL;
    c->live += size;
    c->blocks++;
    if (c->live > c->peak) c->peak = c->live;
    return p;
}

static void *c_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    counter *c = ctx;
    if (refuse(c)) return NULL;
    void *q = realloc(p, new_size);
    if (q == NULL) return NULL;
    c->live = c->live - old_size + new_size;
    if (c->live > c->peak) c->peak = c->live;
    return q;
}

static void c_free(void *ctx, void *p, size_t size)
{
    counter *c = ctx;
    c->live -= size;
    c->blocks--;
    free(p);
}

/* memmem is not C99. */
static const void *memmem(const void *hay, size_t n, const void *needle, size_t m)
{
    const unsigned char *h = hay;
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(h + i, needle, m) == 0) return h + i;
    return NULL;
}

/* ---- engines -------------------------------------------------------------------------------- */

static scv_options *make_options(const scv_allocator *alc, const char *key, scv_retain retain)
{
    scv_options *o = NULL;
    assert_ok(scv_options_new(alc, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, retain));
    assert_ok(scv_options_set_change_capacity(o, 4096));
    if (key != NULL) assert_ok(scv_options_set_hash_key(o, S(key)));
    return o;
}

static scv_engine *make_engine(const char *key, scv_retain retain)
{
    scv_options *o = make_options(NULL, key, retain);
    scv_engine *e = NULL;
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    return e;
}

static scv_source source_of(const scv_engine *e, const char *name)
{
    scv_source s;
    assert_ok(scv_engine_source(e, S(name), &s));
    return s;
}

/* A record with everything a record can hold. */
static void upsert_full(scv_engine *e, const char *source, const char *id, int64_t ts, const char *email,
                        const char *phone, const char *cust, const char *city, double total, int consent)
{
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, source_of(e, source), S(id)));
    if (ts != 0) assert_ok(scv_record_set_timestamp(r, ts));
    if (email != NULL) assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S(email)));
    if (phone != NULL) assert_ok(scv_record_add_identifier(r, SCV_KIND_PHONE, S(phone)));
    if (cust != NULL) assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(cust)));
    if (city != NULL) assert_ok(scv_record_add_trait(r, S("city"), S(city)));
    assert_ok(scv_record_add_trait(r, S("name"), S(id)));
    assert_ok(scv_record_add_trait(r, S("note"), S("")));
    if (total != 0) assert_ok(scv_record_add_measure(r, S("order_total"), total));
    assert_ok(scv_record_add_measure(r, S("spend"), total / 2 + 1));
    if (consent >= 0)
        assert_ok(scv_record_add_consent(r, S("email"), consent, ts != 0 ? ts - 5 : SCV_NO_TIMESTAMP));
    if (consent == 1) assert_ok(scv_record_add_consent(r, S("sms"), 0, SCV_NO_TIMESTAMP));
    assert_ok(scv_engine_upsert(e, r, NULL));
    scv_record_free(r);
}

/* Rules: a limit, priority, a generic threshold, size guards, survivorship, RFM measure. */
static void configure(scv_engine *e)
{
    scv_kind ig, prio[2] = {SCV_KIND_CUSTOMER_ID, SCV_KIND_PHONE};
    scv_source app, order[2] = {SCV_SOURCE_POS, SCV_SOURCE_CRM};
    assert_ok(scv_engine_register_kind(e, S("instagram"), SCV_NORM_CASEFOLD, &ig));
    assert_ok(scv_engine_register_source(e, S("app"), &app));
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    assert_ok(scv_engine_set_limit(e, ig, 2));
    assert_ok(scv_engine_set_priority(e, prio, 2));
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, 3));
    assert_ok(scv_engine_set_profile_limits(e, 40, 300));
    assert_ok(scv_engine_set_trait_rule(e, S("city"), SCV_SURVIVE_MOST_FREQUENT));
    assert_ok(scv_engine_set_trait_rule(e, S("name"), SCV_SURVIVE_SOURCE_PRIORITY));
    assert_ok(scv_engine_set_trait_rule(e, NULL, 0, SCV_SURVIVE_FIRST_SEEN));
    assert_ok(scv_engine_set_source_priority(e, order, 2));
    assert_ok(scv_engine_set_rfm_measure(e, S("spend")));
}

/* Data that exercises every rule: merges, a limit, blocked and host-blocked values, a generic
 * store phone, a split by delete, an erased person, a suppressed value, replacements. */
static void feed_rich(scv_engine *e)
{
    char id[32], mail[48], phone[32], cust[16];
    upsert_full(e, "crm", "a1", NOW - 90 * DAY, "anna@x.de", NULL, "C1", "Berlin", 10, 1);
    upsert_full(e, "web", "a2", NOW - 80 * DAY, NULL, "030 111 2222", NULL, "Hamburg", 20, 0);
    upsert_full(e, "pos", "a3", NOW - 70 * DAY, "anna@x.de", "+49 30 1112222", NULL, "Berlin", 30, -1);
    upsert_full(e, "crm", "b1", NOW - 60 * DAY, "bob@x.de", NULL, "C2", NULL, 0, 1);
    upsert_full(e, "crm", "b2", NOW - 50 * DAY, "bob@x.de", NULL, "C3", "Köln", 5, -1); /* limit */
    upsert_full(e, "web", "c1", 0, "test@test.com", "030 999 8888", NULL, NULL, 0, -1);  /* blocked */
    upsert_full(e, "web", "c2", 0, "test@test.com", NULL, "C9", NULL, 0, -1);
    upsert_full(e, "app", "d1", NOW - 40 * DAY, "shared@family.de", NULL, "C4", NULL, 1, -1);
    upsert_full(e, "app", "d2", NOW - 39 * DAY, "shared@family.de", NULL, NULL, NULL, 2, -1);
    assert_ok(scv_engine_block(e, SCV_KIND_EMAIL, S("shared@family.de")));
    assert_ok(scv_engine_block(e, SCV_KIND_EMAIL, S("never.seen@nowhere.de")));
    for (int i = 0; i < 6; i++) { /* a store phone typed for walk-in customers: generic */
        snprintf(id, sizeof id, "s%d", i);
        snprintf(cust, sizeof cust, "S%d", i);
        upsert_full(e, "pos", id, NOW - (30 - i) * DAY, NULL, "030 5550000", cust, "Store", 3 + i, -1);
    }
    upsert_full(e, "crm", "e1", NOW - 20 * DAY, "eve@x.de", NULL, NULL, NULL, 0, 1);
    upsert_full(e, "web", "e2", NOW - 19 * DAY, "eve@x.de", "0171 2345678", NULL, NULL, 0, -1);
    upsert_full(e, "pos", "e3", NOW - 18 * DAY, NULL, "0171 2345678", NULL, NULL, 7, -1);
    assert_ok(scv_engine_delete(e, SCV_SOURCE_WEB, S("e2"))); /* split */
    upsert_full(e, "crm", "f1", NOW - 17 * DAY, "frank@x.de", NULL, "C7", "Bonn", 1, 1);
    upsert_full(e, "web", "f2", NOW - 16 * DAY, "frank@x.de", NULL, NULL, NULL, 1, -1);
    assert_ok(scv_engine_erase(e, test_profile_of(e, "crm", "f1"), NULL, NULL));
    upsert_full(e, "crm", "g1", NOW - 15 * DAY, "gina@x.de", NULL, NULL, NULL, 0, -1);
    upsert_full(e, "crm", "g2", NOW - 14 * DAY, "gina@x.de", "0160 7654321", NULL, NULL, 0, -1);
    assert_ok(scv_engine_suppress(e, SCV_KIND_EMAIL, S("gina@x.de")));
    upsert_full(e, "crm", "a1", NOW - 10 * DAY, "anna@x.de", NULL, "C1", "Potsdam", 12, 0); /* replace */
    upsert_full(e, "web", "h1", NOW - 9 * DAY, "hans@x.de", "0151 1111111", NULL, NULL, 0, -1);
    upsert_full(e, "web", "h1", NOW - 8 * DAY, "hans@x.de", NULL, NULL, NULL, 0, -1);     /* drops */
    test_upsert(e, "app", "i1", "instagram=@Anna", "email=anna@x.de", NULL);
    test_upsert(e, "app", "i2", "instagram=@Anna2", "instagram=@anna3", "email=anna@x.de", NULL); /* limit 2 */
    for (int i = 0; i < 240; i++) { /* bulk: people with bridges, a limit, repeat visits */
        int p = (i * 7) % 61, q = (p + 1) % 61;
        snprintf(id, sizeof id, "bulk%d", i);
        snprintf(mail, sizeof mail, "%s.Person%d@Bulk.DE", i % 3 ? "" : " ", p);
        snprintf(phone, sizeof phone, "0%d 40%05d", 30 + p % 5, p);
        snprintf(cust, sizeof cust, "B%d", i % 17 == 0 ? q : p);
        upsert_full(e, i % 4 == 0 ? "pos" : i % 4 == 1 ? "web" : "crm", id,
                    i % 9 == 0 ? 0 : NOW - (i % 200) * DAY, i % 2 ? mail : NULL, i % 3 ? phone : NULL,
                    i % 5 ? cust : NULL, i % 2 ? "Berlin" : "Munich", (double)(i % 13), i % 3 - 1);
    }
    assert_ok(scv_engine_delete(e, SCV_SOURCE_CRM, S("bulk10")));
    assert_ok(scv_engine_delete(e, SCV_SOURCE_WEB, S("bulk13")));
}

/* What both engines get after the round trip: more records, deletes, blocks. */
static void feed_more(scv_engine *e)
{
    char id[32], mail[48];
    upsert_full(e, "crm", "m1", NOW - 2 * DAY, "bob@x.de", "030 111 2222", NULL, "Leipzig", 9, 1);
    upsert_full(e, "pos", "m2", NOW - DAY, NULL, "030 5550000", "S9", "Store", 4, -1);
    upsert_full(e, "web", "e2", NOW, "eve@x.de", "0171 2345678", NULL, NULL, 0, 0); /* rejoin */
    upsert_full(e, "crm", "g3", NOW, "gina@x.de", NULL, NULL, NULL, 0, -1);       /* suppressed */
    assert_ok(scv_engine_delete(e, SCV_SOURCE_POS, S("s0")));
    assert_ok(scv_engine_delete(e, SCV_SOURCE_POS, S("s1")));
    assert_ok(scv_engine_delete(e, SCV_SOURCE_POS, S("s2"))); /* the store phone may link again */
    assert_ok(scv_engine_block(e, SCV_KIND_PHONE, S("030 999 8888")));
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "more%d", i);
        snprintf(mail, sizeof mail, "person%d@bulk.de", (i * 5) % 61);
        upsert_full(e, "web", id, NOW - i * DAY, mail, NULL, i % 7 == 0 ? "C1" : NULL, "Berlin", i, i % 2);
    }
    upsert_full(e, "crm", "bulk20", NOW, NULL, NULL, "B99", NULL, 1, -1); /* replace: drops all */
}

static uint64_t stat_of(const scv_engine *e, scv_stat which)
{
    uint64_t v;
    assert_ok(scv_engine_stat(e, which, &v));
    return v;
}

static scv_engine *rich_engine(void)
{
    scv_engine *e = make_engine("test key", SCV_RETAIN_RAW);
    configure(e);
    feed_rich(e);
    /* The data does exercise every rule. */
    assert_true(stat_of(e, SCV_STAT_MERGES) > 10);
    assert_true(stat_of(e, SCV_STAT_SPLITS) > 0);
    assert_true(stat_of(e, SCV_STAT_ASIDE_LIMIT) > 0);
    assert_true(stat_of(e, SCV_STAT_GENERIC_VALUES) > 0);
    assert_true(stat_of(e, SCV_STAT_BLOCKED_RECORDS) > 0);
    assert_true(scv_engine_suppressed_count(e) > 0);
    return e;
}

/* ---- snapshots in memory -------------------------------------------------------------------- */

typedef struct snap {
    unsigned char *p;
    size_t len;
} snap;

static snap take(const scv_engine *e)
{
    snap s;
    size_t written = 0;
    assert_ok(scv_engine_snapshot_size(e, &s.len));
    s.p = malloc(s.len);
    assert_non_null(s.p);
    assert_ok(scv_engine_snapshot_write(e, s.p, s.len, &written));
    assert_int_equal(written, s.len);
    return s;
}

static scv_engine *load_with(const snap *s, const char *key, scv_retain retain)
{
    scv_options *o = make_options(NULL, key, retain);
    scv_engine *e = NULL;
    assert_ok(scv_engine_load(o, s->p, s->len, &e));
    scv_options_free(o);
    const char *why = NULL;
    if (scv__engine_check(e, &why) != SCV_OK) fail_msg("loaded engine inconsistent: %s", why);
    return e;
}

static scv_engine *round_trip(const scv_engine *e)
{
    snap s = take(e);
    scv_engine *l = load_with(&s, "test key", SCV_RETAIN_NONE); /* retention comes from the snapshot */
    free(s.p);
    return l;
}

static void assert_consistent(const scv_engine *e)
{
    const char *why = NULL;
    if (scv__engine_check(e, &why) != SCV_OK) fail_msg("engine inconsistent: %s", why);
}

static void assert_same_snapshot(const scv_engine *a, const scv_engine *b)
{
    snap x = take(a), y = take(b);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.p, y.p, x.len);
    free(x.p);
    free(y.p);
}

/* ---- comparing everything a host can observe ------------------------------------------------ */

#define SAME_INT(a, b, what, at)                                                                 \
    do {                                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                                      \
        if (a_ != b_) fail_msg("%s (at %lld): %lld vs %lld", (what), (long long)(at), a_, b_);   \
    } while (0)

static void same_bytes(const void *a, size_t na, const void *b, size_t nb, const char *what, long long at)
{
    SAME_INT(na, nb, what, at);
    if (na > 0 && memcmp(a, b, na) != 0) fail_msg("%s (at %lld): bytes differ", what, at);
}

typedef scv_status (*name_fn)(const scv_engine *, size_t, const char **, size_t *);

static size_t same_name_list(const scv_engine *a, const scv_engine *b, name_fn fn, const char *what)
{
    size_t i = 0;
    for (;; i++) {
        const char *na = NULL, *nb = NULL;
        size_t la = 0, lb = 0;
        scv_status sa = fn(a, i, &na, &la), sb = fn(b, i, &nb, &lb);
        SAME_INT(sa, sb, what, i);
        if (sa != SCV_OK) return i;
        same_bytes(na, la, nb, lb, what, (long long)i);
    }
}

static void same_config(const scv_engine *a, const scv_engine *b)
{
    SAME_INT(scv_engine_record_count(a), scv_engine_record_count(b), "record count", 0);
    SAME_INT(scv_engine_profile_count(a), scv_engine_profile_count(b), "profile count", 0);
    SAME_INT(scv_engine_identifier_count(a), scv_engine_identifier_count(b), "identifier count", 0);
    SAME_INT(scv_engine_sequence(a), scv_engine_sequence(b), "sequence", 0);
    SAME_INT(scv_engine_suppressed_count(a), scv_engine_suppressed_count(b), "suppressed", 0);
    SAME_INT(scv_engine_kind_count(a), scv_engine_kind_count(b), "kind count", 0);
    SAME_INT(scv_engine_source_count(a), scv_engine_source_count(b), "source count", 0);
    for (uint32_t k = 0; k < scv_engine_kind_count(a); k++) {
        size_t la, lb;
        const char *na = scv_engine_kind_name(a, k, &la), *nb = scv_engine_kind_name(b, k, &lb);
        same_bytes(na, la, nb, lb, "kind name", k);
    }
    for (uint32_t s = 0; s < scv_engine_source_count(a); s++) {
        size_t la, lb;
        const char *na = scv_engine_source_name(a, s, &la), *nb = scv_engine_source_name(b, s, &lb);
        same_bytes(na, la, nb, lb, "source name", s);
    }
    for (int st = SCV_STAT_RECORDS; st <= SCV_STAT_GENERIC_DECISIONS; st++) {
        uint64_t va, vb;
        assert_ok(scv_engine_stat(a, (scv_stat)st, &va));
        assert_ok(scv_engine_stat(b, (scv_stat)st, &vb));
        SAME_INT(va, vb, "stat", st);
    }
}

static void same_record(const scv_engine *a, const scv_engine *b, scv_record_ref ref)
{
    scv_source sa = 0, sb = 0;
    const char *ia = NULL, *ib = NULL;
    size_t la = 0, lb = 0, ca = 0, cb = 0;
    int64_t ta = 0, tb = 0;
    scv_profile_id pa = 0, pb = 0;
    scv_identifier_ref xa[SCV_MAX_IDENTIFIERS], xb[SCV_MAX_IDENTIFIERS];
    uint8_t ya[SCV_MAX_IDENTIFIERS], yb[SCV_MAX_IDENTIFIERS];
    scv_status st = scv_engine_record_info(a, ref, &sa, &ia, &la, &ta);
    SAME_INT(st, scv_engine_record_info(b, ref, &sb, &ib, &lb, &tb), "record info status", ref);
    if (st != SCV_OK) return;
    SAME_INT(sa, sb, "record source", ref);
    same_bytes(ia, la, ib, lb, "record id", ref);
    SAME_INT(ta, tb, "record timestamp", ref);
    assert_ok(scv_engine_record_profile(a, ref, &pa));
    assert_ok(scv_engine_record_profile(b, ref, &pb));
    SAME_INT(pa, pb, "record profile", ref);
    assert_ok(scv_record_identifiers(a, ref, xa, ya, SCV_MAX_IDENTIFIERS, &ca));
    assert_ok(scv_record_identifiers(b, ref, xb, yb, SCV_MAX_IDENTIFIERS, &cb));
    same_bytes(xa, ca * sizeof *xa, xb, cb * sizeof *xb, "record identifiers", ref);
    same_bytes(ya, ca, yb, cb, "record identifier states", ref);
    scv_record_ref fa = 0, fb = 0;
    SAME_INT(scv_engine_record_find(a, sa, ia, la, &fa), scv_engine_record_find(b, sb, ib, lb, &fb),
             "find", ref);
    SAME_INT(fa, fb, "found ref", ref);
}

static void same_records(const scv_engine *a, const scv_engine *b)
{
    scv_record_ref ra = 0, rb = 0, last = 0;
    for (;;) {
        scv_status sa = scv_engine_record_next(a, ra, &ra), sb = scv_engine_record_next(b, rb, &rb);
        SAME_INT(sa, sb, "record_next status", ra);
        if (sa != SCV_OK) break;
        SAME_INT(ra, rb, "record_next", ra);
        last = ra;
    }
    for (scv_record_ref ref = 0; ref <= last + 2; ref++) same_record(a, b, ref);
}

static void same_identifiers(const scv_engine *a, const scv_engine *b)
{
    for (scv_identifier_ref ref = 0;; ref++) {
        scv_kind ka = 0, kb = 0;
        uint8_t ha[SCV_HASH_SIZE], hb[SCV_HASH_SIZE], sa = 0, sb = 0;
        const char *va = NULL, *vb = NULL;
        size_t la = 0, lb = 0;
        uint32_t na = 0, nb = 0;
        scv_status st = scv_engine_identifier_info(a, ref, &ka, ha, &va, &la);
        SAME_INT(st, scv_engine_identifier_info(b, ref, &kb, hb, &vb, &lb), "identifier info status", ref);
        if (st != SCV_OK && ref > 0) break;
        if (st != SCV_OK) continue;
        SAME_INT(ka, kb, "identifier kind", ref);
        same_bytes(ha, sizeof ha, hb, sizeof hb, "identifier hash", ref);
        same_bytes(va, la, vb, lb, "identifier value", ref);
        assert_ok(scv_engine_identifier_state(a, ref, &sa, &na));
        assert_ok(scv_engine_identifier_state(b, ref, &sb, &nb));
        SAME_INT(sa, sb, "identifier state", ref);
        SAME_INT(na, nb, "identifier records", ref);
    }
    static const uint8_t states[] = {SCV_LINK, SCV_LINK_BLOCKED, SCV_LINK_GENERIC, SCV_LINK_SUPPRESSED};
    for (size_t i = 0; i < sizeof states; i++) {
        scv_identifier_ref ra = 0, rb = 0;
        for (;;) {
            scv_status sa = scv_engine_identifier_next(a, ra, states[i], &ra);
            SAME_INT(sa, scv_engine_identifier_next(b, rb, states[i], &rb), "identifier_next status", states[i]);
            if (sa != SCV_OK) break;
            SAME_INT(ra, rb, "identifier_next", states[i]);
        }
    }
}

#define LIST_CAP 4096

typedef scv_status (*list_fn)(const scv_engine *, scv_profile_id, uint32_t *, size_t, size_t *);

static void same_list(const scv_engine *a, const scv_engine *b, scv_profile_id p, list_fn fn, const char *what)
{
    static uint32_t la[LIST_CAP], lb[LIST_CAP];
    size_t ca = 0, cb = 0;
    scv_status sa = fn(a, p, la, LIST_CAP, &ca);
    SAME_INT(sa, fn(b, p, lb, LIST_CAP, &cb), what, p);
    if (sa == SCV_OK) same_bytes(la, ca * sizeof *la, lb, cb * sizeof *lb, what, p);
}

static void same_unlinked(const scv_engine *a, const scv_engine *b, scv_profile_id p)
{
    static uint32_t la[LIST_CAP], lb[LIST_CAP];
    static uint8_t sa[LIST_CAP], sb[LIST_CAP];
    size_t ca = 0, cb = 0;
    scv_status st = scv_profile_unlinked(a, p, la, sa, LIST_CAP, &ca);
    SAME_INT(st, scv_profile_unlinked(b, p, lb, sb, LIST_CAP, &cb), "unlinked status", p);
    if (st != SCV_OK) return;
    same_bytes(la, ca * sizeof *la, lb, cb * sizeof *lb, "unlinked", p);
    same_bytes(sa, ca, sb, cb, "unlinked states", p);
}

static void same_view(scv_engine *a, scv_engine *b, scv_profile_id p)
{
    static char ja[1 << 16], jb[1 << 16];
    size_t la = 0, lb = 0;
    int64_t fa = 0, fb = 0, xa = 0, xb = 0;
    SAME_INT(scv_profile_seen(a, p, &fa, &xa), scv_profile_seen(b, p, &fb, &xb), "seen status", p);
    SAME_INT(fa, fb, "first seen", p);
    SAME_INT(xa, xb, "last seen", p);
    scv_status st = scv_profile_json(a, p, ja, sizeof ja, &la);
    SAME_INT(st, scv_profile_json(b, p, jb, sizeof jb, &lb), "json status", p);
    if (st == SCV_OK) same_bytes(ja, la, jb, lb, "profile json", p);
    for (size_t t = 0;; t++) {
        const char *name, *va = NULL, *vb = NULL;
        size_t nl, vla = 0, vlb = 0;
        scv_record_ref ra = 0, rb = 0;
        if (scv_engine_trait_name(a, t, &name, &nl) != SCV_OK) break;
        st = scv_profile_trait(a, p, name, nl, &va, &vla, &ra);
        SAME_INT(st, scv_profile_trait(b, p, name, nl, &vb, &vlb, &rb), "trait status", p);
        if (st != SCV_OK) continue;
        same_bytes(va, vla, vb, vlb, "trait value", p);
        SAME_INT(ra, rb, "trait from", p);
    }
    for (size_t m = 0;; m++) {
        const char *name;
        size_t nl;
        static const uint32_t windows[] = {0, 30, 365};
        if (scv_engine_measure_name(a, m, &name, &nl) != SCV_OK) break;
        for (int agg = SCV_AGG_COUNT; agg <= SCV_AGG_LAST_TIME; agg++) {
            for (size_t w = 0; w < 3; w++) {
                double da = 0, db = 0;
                st = scv_profile_measure(a, p, name, nl, (scv_agg)agg, windows[w], NOW, &da);
                SAME_INT(st, scv_profile_measure(b, p, name, nl, (scv_agg)agg, windows[w], NOW, &db),
                         "measure status", p);
                if (st == SCV_OK && memcmp(&da, &db, sizeof da) != 0)
                    fail_msg("measure %d of %u: %g vs %g", agg, p, da, db);
            }
        }
    }
    for (size_t c = 0;; c++) {
        const char *name;
        size_t nl;
        int ga = 0, gb = 0;
        int64_t ta = 0, tb = 0;
        if (scv_engine_consent_channel(a, c, &name, &nl) != SCV_OK) break;
        st = scv_profile_consent(a, p, name, nl, &ga, &ta);
        SAME_INT(st, scv_profile_consent(b, p, name, nl, &gb, &tb), "consent status", p);
        SAME_INT(ga, gb, "consent", p);
        SAME_INT(ta, tb, "consent time", p);
    }
}

static scv_status records_of(const scv_engine *e, scv_profile_id p, uint32_t *out, size_t cap, size_t *n)
{
    return scv_profile_records(e, p, out, cap, n);
}

static scv_status idents_of(const scv_engine *e, scv_profile_id p, uint32_t *out, size_t cap, size_t *n)
{
    return scv_profile_identifiers(e, p, out, cap, n);
}

static scv_profile_id same_profiles(scv_engine *a, scv_engine *b)
{
    scv_profile_id pa = 0, pb = 0, last = 0;
    for (;;) {
        scv_status sa = scv_engine_profile_next(a, pa, &pa);
        SAME_INT(sa, scv_engine_profile_next(b, pb, &pb), "profile_next status", pa);
        if (sa != SCV_OK) break;
        SAME_INT(pa, pb, "profile_next", pa);
        same_list(a, b, pa, records_of, "profile records");
        same_list(a, b, pa, idents_of, "profile identifiers");
        same_unlinked(a, b, pa);
        same_view(a, b, pa);
        last = pa;
    }
    for (scv_profile_id id = 0; id <= last + 3; id++) {
        scv_profile_id ca = 0, cb = 0;
        SAME_INT(scv_profile_canonical(a, id, &ca), scv_profile_canonical(b, id, &cb), "canonical status",
                 id);
        SAME_INT(ca, cb, "canonical", id);
    }
    return last;
}

static void same_reports(const scv_engine *a, const scv_engine *b)
{
    static uint64_t ma[64 * 64], mb[64 * 64];
    uint64_t ha[8] = {0}, hb[8] = {0};
    uint32_t pa, pb;
    scv_profile_id la[10], lb[10];
    size_t ca, cb, n = scv_engine_source_count(a) < 64 ? scv_engine_source_count(a) : 64;
    assert_ok(scv_engine_profile_size_histogram(a, ha, 8));
    assert_ok(scv_engine_profile_size_histogram(b, hb, 8));
    same_bytes(ha, sizeof ha, hb, sizeof hb, "size histogram", 0);
    for (int q = 0; q <= 100; q += 25) {
        assert_ok(scv_engine_profile_size_percentile(a, q, &pa));
        assert_ok(scv_engine_profile_size_percentile(b, q, &pb));
        SAME_INT(pa, pb, "size percentile", q);
    }
    assert_ok(scv_engine_largest_profiles(a, la, 10, &ca));
    assert_ok(scv_engine_largest_profiles(b, lb, 10, &cb));
    same_bytes(la, ca * sizeof *la, lb, cb * sizeof *lb, "largest profiles", 0);
    assert_ok(scv_engine_source_overlap(a, ma, n));
    assert_ok(scv_engine_source_overlap(b, mb, n));
    same_bytes(ma, n * n * sizeof *ma, mb, n * n * sizeof *mb, "source overlap", 0);
    memset(ha, 0, sizeof ha);
    memset(hb, 0, sizeof hb);
    size_t kinds = scv_engine_kind_count(a) < 8 ? scv_engine_kind_count(a) : 8;
    assert_ok(scv_engine_kind_coverage(a, ha, kinds));
    assert_ok(scv_engine_kind_coverage(b, hb, kinds));
    same_bytes(ha, sizeof ha, hb, sizeof hb, "kind coverage", 0);
}

static void same_explain(const scv_engine *a, const scv_engine *b, scv_record_ref last)
{
    scv_record_ref ra[64], rb[64];
    scv_identifier_ref ia[64], ib[64];
    for (scv_record_ref x = 1; x <= last; x += 3) {
        for (scv_record_ref y = x + 1; y <= last; y += 5) {
            size_t la = 0, lb = 0;
            scv_apart aa = SCV_APART_NONE, ab = SCV_APART_NONE;
            scv_status st = scv_engine_explain(a, x, y, ra, ia, 64, &la, &aa);
            SAME_INT(st, scv_engine_explain(b, x, y, rb, ib, 64, &lb, &ab), "explain status",
                     x * 100000 + y);
            if (st != SCV_OK) continue;
            SAME_INT(aa, ab, "explain apart", x * 100000 + y);
            same_bytes(ra, la * sizeof *ra, rb, lb * sizeof *rb, "explain records", x * 100000 + y);
            same_bytes(ia, la ? (la - 1) * sizeof *ia : 0, ib, lb ? (lb - 1) * sizeof *ib : 0,
                       "explain identifiers", x * 100000 + y);
        }
    }
}

static void same_query(scv_engine *a, scv_engine *b, const char *q)
{
    scv_query *qa = NULL, *qb = NULL;
    scv_result *xa = NULL, *xb = NULL;
    scv_status st = scv_query_compile(a, S(q), &qa, NULL);
    SAME_INT(st, scv_query_compile(b, S(q), &qb, NULL), q, 0);
    if (st != SCV_OK) return;
    assert_ok(scv_query_eval(qa, NOW, &xa));
    assert_ok(scv_query_eval(qb, NOW, &xb));
    SAME_INT(scv_result_count(xa), scv_result_count(xb), q, 0);
    for (scv_profile_id p = 0, r = 0;;) {
        scv_status sa = scv_result_next(xa, p, &p);
        SAME_INT(sa, scv_result_next(xb, r, &r), q, p);
        if (sa != SCV_OK) break;
        SAME_INT(p, r, q, p);
    }
    scv_result_free(xa);
    scv_result_free(xb);
    scv_query_free(qa);
    scv_query_free(qb);
}

static void same_everything(scv_engine *a, scv_engine *b)
{
    static const char *const queries[] = {
        "records > 1", "has(email) and not has(phone)", "sum(order_total) > 10",
        "sum(order_total, 30d) >= 3", "rfm_r >= 3 or rfm_m = 5", "trait(city) = \"Berlin\"",
        "consent(email)", "seen(app)", "days_since_last_seen < 20", "avg(spend) > 2",
        "count(order_total) >= 2 and has(customer_id)"};
    same_config(a, b);
    same_records(a, b);
    same_identifiers(a, b);
    same_name_list(a, b, scv_engine_trait_name, "trait names");
    same_name_list(a, b, scv_engine_measure_name, "measure names");
    same_name_list(a, b, scv_engine_consent_channel, "consent channels");
    same_profiles(a, b);
    same_reports(a, b);
    scv_record_ref last = 0, r = 0;
    while (scv_engine_record_next(a, r, &r) == SCV_OK) last = r;
    same_explain(a, b, last);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) same_query(a, b, queries[i]);
    uint8_t ha[SCV_HASH_SIZE], hb[SCV_HASH_SIZE];
    assert_ok(scv_engine_hash(a, SCV_KIND_PHONE, S("030 111 2222"), ha));
    assert_ok(scv_engine_hash(b, SCV_KIND_PHONE, S("030 111 2222"), hb));
    assert_memory_equal(ha, hb, SCV_HASH_SIZE);
}

/* ---- round trips ---------------------------------------------------------------------------- */

static void round_trip_keeps_every_answer_and_later_resolution(void **state)
{
    (void)state;
    scv_engine *a = rich_engine();
    assert_consistent(a);
    scv_engine *b = round_trip(a);
    same_everything(a, b);
    assert_same_snapshot(a, b);
    feed_more(a);
    feed_more(b);
    assert_consistent(a);
    assert_consistent(b);
    same_everything(a, b);
    assert_same_snapshot(a, b);
    scv_engine_free(a);
    scv_engine_free(b);
}

static void round_trip_of_a_loaded_engine_is_byte_identical(void **state)
{
    (void)state;
    scv_engine *a = rich_engine();
    snap s = take(a);
    scv_engine *b = load_with(&s, "test key", SCV_RETAIN_NONE);
    snap t = take(b);
    assert_int_equal(s.len, t.len);
    assert_memory_equal(s.p, t.p, s.len);
    free(s.p);
    free(t.p);
    scv_engine_free(a);
    scv_engine_free(b);
}

static void every_retention_round_trips(void **state)
{
    (void)state;
    for (int retain = SCV_RETAIN_NONE; retain <= SCV_RETAIN_RAW; retain++) {
        scv_engine *a = make_engine(NULL, (scv_retain)retain);
        configure(a);
        feed_rich(a);
        snap s = take(a);
        scv_engine *b = load_with(&s, NULL, SCV_RETAIN_RAW);
        same_everything(a, b);
        feed_more(a);
        feed_more(b);
        same_everything(a, b);
        free(s.p);
        scv_engine_free(a);
        scv_engine_free(b);
    }
}

static void empty_engine_round_trips(void **state)
{
    (void)state;
    scv_engine *a = make_engine("test key", SCV_RETAIN_NORMALIZED);
    snap s = take(a);
    scv_engine *b = load_with(&s, "test key", SCV_RETAIN_NONE);
    same_everything(a, b);
    assert_same_snapshot(a, b);
    test_upsert(a, "crm", "x", "email=x@y.de", NULL);
    test_upsert(b, "crm", "x", "email=x@y.de", NULL);
    same_everything(a, b);
    free(s.p);
    scv_engine_free(a);
    scv_engine_free(b);
}

static void loaded_engine_continues_the_sequence_and_expires_older_changes(void **state)
{
    (void)state;
    scv_engine *a = rich_engine();
    uint64_t seq = scv_engine_sequence(a);
    scv_engine *b = round_trip(a);
    assert_int_equal(scv_engine_sequence(b), seq);
    test_upsert(b, "crm", "new", "email=new@x.de", NULL);
    assert_true(scv_engine_sequence(b) > seq);
    scv_engine_free(a);
    scv_engine_free(b);
}

static int count_change(void *ctx, uint64_t seq, scv_change change, scv_profile_id profile,
                        scv_profile_id other, scv_source source, const char *id, size_t len)
{
    (void)seq, (void)change, (void)profile, (void)other, (void)source, (void)id, (void)len;
    ++*(int *)ctx;
    return 0;
}

static void changes_from_before_the_load_have_expired(void **state)
{
    (void)state;
    scv_engine *a = rich_engine();
    uint64_t seq = scv_engine_sequence(a);
    scv_engine *b = round_trip(a);
    int n = 0;
    assert_status(scv_engine_changes_since(b, 0, count_change, &n), SCV_EEXPIRED);
    assert_status(scv_engine_changes_since(b, seq - 1, count_change, &n), SCV_EEXPIRED);
    assert_ok(scv_engine_changes_since(b, seq, count_change, &n));
    assert_int_equal(n, 0);
    test_upsert(b, "crm", "new", "email=new@x.de", NULL);
    assert_ok(scv_engine_changes_since(b, seq, count_change, &n));
    assert_true(n > 0);
    scv_engine_free(a);
    scv_engine_free(b);
}

/* ---- sizes and buffers ---------------------------------------------------------------------- */

static void size_is_exact_and_a_small_buffer_is_refused(void **state)
{
    (void)state;
    scv_engine *e = rich_engine();
    size_t size = 0, written = 0;
    assert_ok(scv_engine_snapshot_size(e, &size));
    unsigned char *buf = malloc(size + 16);
    memset(buf, 0xAB, size + 16);
    assert_status(scv_engine_snapshot_write(e, NULL, 0, &written), SCV_EBUFFER);
    assert_int_equal(written, size);
    written = 0;
    assert_status(scv_engine_snapshot_write(e, buf, size - 1, &written), SCV_EBUFFER);
    assert_int_equal(written, size);
    assert_int_equal(buf[0], 0xAB); /* nothing written */
    assert_ok(scv_engine_snapshot_write(e, buf, size + 16, &written));
    assert_int_equal(written, size);
    for (size_t i = size; i < size + 16; i++) assert_int_equal(buf[i], 0xAB);
    assert_status(scv_engine_snapshot_size(NULL, &size), SCV_EINVAL);
    assert_status(scv_engine_snapshot_size(e, NULL), SCV_EINVAL);
    assert_status(scv_engine_snapshot_write(e, NULL, 10, &written), SCV_EINVAL);
    assert_status(scv_engine_snapshot_write(e, buf, size, NULL), SCV_EINVAL);
    scv_engine *out = (scv_engine *)buf;
    assert_status(scv_engine_load(NULL, NULL, 5, &out), SCV_EINVAL);
    assert_null(out);
    assert_status(scv_engine_load(NULL, NULL, 0, &out), SCV_ECORRUPT);
    assert_status(scv_engine_load(NULL, buf, size, NULL), SCV_EINVAL);
    free(buf);
    scv_engine_free(e);
}

static void a_different_hash_key_is_refused(void **state)
{
    (void)state;
    scv_engine *e = rich_engine(), *out = NULL;
    snap s = take(e);
    scv_options *o = make_options(NULL, "another key", SCV_RETAIN_RAW);
    assert_status(scv_engine_load(o, s.p, s.len, &out), SCV_EINVAL);
    assert_null(out);
    assert_status(scv_engine_load(NULL, s.p, s.len, &out), SCV_EINVAL); /* no key at all */
    assert_null(out);
    assert_null(memmem(s.p, s.len, "test key", 8)); /* the key itself is never written */
    scv_options_free(o);
    free(s.p);
    scv_engine_free(e);
}

/* ---- corrupt input -------------------------------------------------------------------------- */

/* Records a, b, m, c (deleted), d = indexes 0..4; identifiers email, phone, L1, L2 = 0..3;
 * profiles 1 {a, b, m}, 2 (merged into 1), 3 (deleted), 4 {d}. */
static snap small_snapshot(const char *key)
{
    scv_engine *e = make_engine(key, SCV_RETAIN_RAW);
    test_upsert(e, "crm", "a", "email=a@b.de", "trait:city=Bonn", "measure:order_total=3", "ts=100", NULL);
    test_upsert(e, "web", "b", "phone=030 1234567", NULL);
    test_upsert(e, "email", "m", "email=a@b.de", "phone=030 1234567", NULL);
    test_upsert(e, "pos", "c", "loyalty_id=L1", NULL);
    test_upsert(e, "pos", "d", "loyalty_id=L2", NULL);
    assert_ok(scv_engine_delete(e, SCV_SOURCE_POS, S("c")));
    snap s = take(e);
    scv_engine_free(e);
    return s;
}

static scv_status load_plain(const unsigned char *p, size_t len, scv_engine **out)
{
    return scv_engine_load(NULL, p, len, out);
}

static void truncation_at_every_byte_is_corrupt(void **state)
{
    (void)state;
    snap s = small_snapshot(NULL);
    for (size_t len = 0; len < s.len; len++) {
        unsigned char *copy = malloc(len ? len : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, s.p, len);
        scv_engine *e = (scv_engine *)copy;
        scv_status st = load_plain(copy, len, &e);
        if (st != SCV_ECORRUPT) fail_msg("truncated to %zu of %zu bytes: %s", len, s.len, scv_status_str(st));
        assert_null(e);
        free(copy);
    }
    scv_engine *e = NULL;
    assert_ok(load_plain(s.p, s.len, &e));
    scv_engine_free(e);
    free(s.p);
}

static void every_bit_flip_is_detected(void **state)
{
    (void)state;
    snap s = small_snapshot(NULL);
    size_t loaded = 0;
    for (size_t bit = 0; bit < s.len * 8; bit++) {
        scv_engine *e = NULL;
        s.p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        scv_status st = load_plain(s.p, s.len, &e);
        s.p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        if (st == SCV_OK) { /* nothing should get here: every byte is covered by a checksum */
            assert_consistent(e);
            scv_engine_free(e);
            loaded++;
            continue;
        }
        if (st != SCV_ECORRUPT && st != SCV_EVERSION)
            fail_msg("bit %zu: %s", bit, scv_status_str(st));
        assert_null(e);
    }
    assert_int_equal(loaded, 0);
    free(s.p);
}

/* Section payloads, and resealing after an edit: checksums and the END hash recomputed, so
 * that the loader's own validation (not a checksum) has to catch the edit. */
static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static size_t payload_of(const snap *s, const char tag[4], size_t *len)
{
    for (size_t at = 24; at + 12 <= s->len;) {
        uint64_t n = rd64(s->p + at + 4);
        if (memcmp(s->p + at, tag, 4) == 0) {
            *len = (size_t)n;
            return at + 12;
        }
        at += 12 + (size_t)n + 8;
    }
    fail_msg("no section %.4s", tag);
    return 0;
}

static void reseal(snap *s)
{
    for (size_t at = 24; at + 12 <= s->len;) {
        size_t n = (size_t)rd64(s->p + at + 4);
        if (memcmp(s->p + at, "END", 4) == 0) wr64(s->p + at + 12, scv__hash64(s->p, at));
        wr64(s->p + at + 12 + n, scv__hash64(s->p + at + 12, n));
        at += 12 + n + 8;
    }
}

static scv_status load_counted(const snap *s, counter *c)
{
    scv_allocator alc = {c_alloc, c_realloc, c_free, c};
    scv_options *o = make_options(&alc, NULL, SCV_RETAIN_NONE);
    scv_engine *e = NULL;
    assert_ok(scv_options_set_change_capacity(o, 16));
    scv_status st = scv_engine_load(o, s->p, s->len, &e);
    scv_engine_free(e);
    scv_options_free(o);
    return st;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define NEXT_VALUE UINT32_MAX /* patched(): the value there plus one, modulo 4 */

/* Patch a u32 at `off` into the payload of `tag`, reseal, expect `want` from a load. */
static void patched(const char tag[4], size_t off, uint32_t value, scv_status want, const char *what)
{
    snap s = small_snapshot(NULL);
    size_t len, at = payload_of(&s, tag, &len);
    counter c = {0, 0, 0, 0, 0};
    assert_true(off + 4 <= len);
    if (value == NEXT_VALUE) value = (rd32(s.p + at + off) + 1) % 4;
    wr32(s.p + at + off, value);
    reseal(&s);
    scv_status st = load_counted(&s, &c);
    if (st != want) fail_msg("%s: %s, expected %s", what, scv_status_str(st), scv_status_str(want));
    assert_int_equal(c.live, 0);
    if (c.peak > 256 * 1024) fail_msg("%s: peak allocation %zu bytes", what, c.peak);
    free(s.p);
}

static void hostile_counts_are_refused_without_big_allocations(void **state)
{
    (void)state;
    patched("RECS", 0, 0x7FFFFFFFu, SCV_ECORRUPT, "records");
    patched("RECS", 0, 0xFFFFFFFFu, SCV_ECORRUPT, "records over the maximum");
    patched("IDEN", 0, 0x3FFFFFFFu, SCV_ECORRUPT, "identifiers");
    patched("PROF", 0, 0xFFFFFFF0u, SCV_ECORRUPT, "profiles");
    patched("KIND", 0, 64, SCV_ECORRUPT, "kinds");
    patched("SRCS", 0, 65535, SCV_ECORRUPT, "sources");
    patched("NAME", 0, 0x10000000u, SCV_ECORRUPT, "trait names");
    patched("PROF", 5, 0x40000000u, SCV_ECORRUPT, "members of profile 1");
}

/* Offsets in the small snapshot's payloads. RECS: record a's flags, posting order and its
 * one slot. PROF: profile 1's member count, id 2's merged-into, id 4's one member. */
enum {
    REC_A = 4,
    REC_A_ORDER = REC_A + 1 + 2 + 2 + 1 + 8,
    REC_A_SLOT = REC_A_ORDER + 4 + 1,
    PROF_1_COUNT = 4 + 1,
    PROF_2_MERGED = PROF_1_COUNT + 4 + 3 * 4 + 1,
    PROF_4_MEMBER = PROF_2_MERGED + 4 + 1 + 4 + 1 + 4
};

static void bad_indexes_and_contradictions_are_refused(void **state)
{
    (void)state;
    patched("RECS", REC_A_SLOT, 0, SCV_OK, "the patch itself (no change)");
    patched("RECS", REC_A_SLOT, 77, SCV_ECORRUPT, "identifier index out of range");
    patched("RECS", REC_A_SLOT, 0xC0000000u, SCV_ECORRUPT, "set-aside reason 3");
    patched("RECS", REC_A_SLOT, 3, SCV_ECORRUPT, "a linking identifier in two profiles"); /* L2 */
    patched("RECS", REC_A_SLOT, 0x40000003u, SCV_OK, "an identifier set aside may be anywhere");
    patched("RECS", REC_A_ORDER, 4, SCV_ECORRUPT, "posting order out of range");
    patched("RECS", REC_A_ORDER, NEXT_VALUE, SCV_ECORRUPT, "posting order twice");
    patched("RECS", REC_A + 1, 4000, SCV_ECORRUPT, "source out of range");
    patched("PROF", PROF_1_COUNT, 0, SCV_ECORRUPT, "profile without records");
    patched("PROF", PROF_2_MERGED, 1, SCV_OK, "the patch itself (no change)");
    patched("PROF", PROF_2_MERGED, 2, SCV_ECORRUPT, "merged into itself");
    patched("PROF", PROF_2_MERGED, 3, SCV_ECORRUPT, "merged into a newer id");
    patched("PROF", PROF_4_MEMBER, 4, SCV_OK, "the patch itself (no change)");
    patched("PROF", PROF_4_MEMBER, 0, SCV_ECORRUPT, "a record in two profiles");
    patched("PROF", PROF_4_MEMBER, 3, SCV_ECORRUPT, "a deleted record in a profile");
    patched("PROF", PROF_4_MEMBER, 5, SCV_ECORRUPT, "a record index out of range");
    patched("KIND", 5, 0x6c69616d, SCV_ECORRUPT, "a built-in kind renamed");
    patched("CONF", 8, 0x00005858, SCV_ECORRUPT, "unknown region");
    patched("CONF", 8 + 2, 3, SCV_ECORRUPT, "unknown retention");
}

static void header_fields_are_checked(void **state)
{
    (void)state;
    snap s = small_snapshot(NULL);
    scv_engine *e = NULL;
    wr32(s.p + 8, 3);
    assert_status(load_plain(s.p, s.len, &e), SCV_EVERSION);
    wr32(s.p + 8, 0);
    assert_status(load_plain(s.p, s.len, &e), SCV_EVERSION);
    wr32(s.p + 8, 2);
    wr32(s.p + 12, 1);
    assert_status(load_plain(s.p, s.len, &e), SCV_ECORRUPT);
    wr32(s.p + 12, 0);
    reseal(&s);
    assert_ok(load_plain(s.p, s.len, &e));
    scv_engine_free(e);
    unsigned char *longer = calloc(1, s.len + 8);
    memcpy(longer, s.p, s.len);
    assert_status(load_plain(longer, s.len + 8, &e), SCV_ECORRUPT); /* trailing bytes */
    free(longer);
    free(s.p);
}

/* Version 1 wrote no lead kind after an identifier's bounds: rewrite a (value-free) version 2
 * snapshot that way, as an older library would have written it. */
static snap as_version_1(const snap *v2)
{
    snap v1 = {malloc(v2->len), 0};
    assert_non_null(v1.p);
    memcpy(v1.p, v2->p, 24);
    wr32(v1.p + 8, 1);
    size_t out = 24;
    for (size_t at = 24; at + 12 <= v2->len;) {
        size_t n = (size_t)rd64(v2->p + at + 4);
        const unsigned char *payload = v2->p + at + 12;
        memcpy(v1.p + out, v2->p + at, 12);
        size_t len = n;
        if (memcmp(v2->p + at, "IDEN", 4) == 0) {
            uint32_t count = rd32(payload);
            assert_int_equal(n, 4 + (size_t)count * 31); /* no retained values */
            memcpy(v1.p + out + 12, payload, 4);
            for (uint32_t i = 0; i < count; i++) memcpy(v1.p + out + 16 + i * 30, payload + 4 + i * 31, 30);
            len = 4 + (size_t)count * 30;
            wr64(v1.p + out + 4, len);
        } else {
            memcpy(v1.p + out + 12, payload, n);
        }
        out += 12 + len + 8;
        at += 12 + n + 8;
    }
    v1.len = out;
    wr64(v1.p + 16, out);
    reseal(&v1);
    return v1;
}

static void version_1_snapshots_still_load(void **state)
{
    (void)state;
    scv_engine *e = make_engine(NULL, SCV_RETAIN_NONE);
    test_upsert(e, "crm", "a", "email=a@b.de", "customer_id=C1", NULL);
    test_upsert(e, "web", "b", "email=a@b.de", "phone=030 1234567", NULL);
    test_upsert(e, "pos", "c", "phone=030 1234567", "loyalty_id=L1", NULL);
    test_upsert(e, "pos", "d", "loyalty_id=L2", NULL);
    snap v2 = take(e), v1 = as_version_1(&v2);
    scv_engine *l = NULL;
    assert_ok(load_plain(v1.p, v1.len, &l));
    assert_consistent(l);
    assert_int_equal(scv_engine_profile_count(l), scv_engine_profile_count(e));
    assert_int_equal(test_profile_of(l, "pos", "c"), test_profile_of(e, "pos", "c"));
    /* It goes on resolving as the engine it came from. */
    test_upsert(e, "pos", "x", "loyalty_id=L2", "email=a@b.de", NULL);
    test_upsert(l, "pos", "x", "loyalty_id=L2", "email=a@b.de", NULL);
    assert_int_equal(scv_engine_profile_count(l), scv_engine_profile_count(e));
    assert_int_equal(test_profile_of(l, "pos", "d"), test_profile_of(e, "pos", "d"));
    free(v1.p);
    free(v2.p);
    scv_engine_free(l);
    scv_engine_free(e);
}

/* ---- privacy -------------------------------------------------------------------------------- */

static void an_erased_person_is_nowhere_in_the_snapshot(void **state)
{
    (void)state;
    static const char *const secrets[] = {"Zebulon.Quirk@Example.Net.De", "zebulon.quirk@example.net.de",
                                          "+49 (0)30 8765-4321", "+49308765432", "erase-me-1",
                                          "erase-me-2", "Quirkstrasse 99", "Zebulon"};
    scv_engine *e = make_engine("test key", SCV_RETAIN_RAW);
    test_upsert(e, "crm", "erase-me-1", "email= Zebulon.Quirk@Example.Net.De", "phone=+49 (0)30 8765-4321",
                "trait:street=Quirkstrasse 99", "trait:first_name=Zebulon", NULL);
    test_upsert(e, "web", "erase-me-2", "email=zebulon.quirk@example.net.de", NULL);
    test_upsert(e, "web", "keep", "email=someone@else.de", "trait:first_name=Kim", NULL);
    snap before = take(e);
    assert_non_null(memmem(before.p, before.len, "Quirkstrasse 99", 15)); /* the search works */
    assert_ok(scv_engine_erase(e, test_profile_of(e, "crm", "erase-me-1"), NULL, NULL));
    snap s = take(e);
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (memmem(s.p, s.len, secrets[i], strlen(secrets[i])) != NULL)
            fail_msg("found \"%s\" in the snapshot", secrets[i]);
    scv_engine *l = load_with(&s, "test key", SCV_RETAIN_NONE);
    assert_int_equal(scv_engine_suppressed_count(l), 2);
    same_everything(e, l);
    free(before.p);
    free(s.p);
    scv_engine_free(e);
    scv_engine_free(l);
}

/* ---- allocation failure --------------------------------------------------------------------- */

static void allocation_failure_at_every_call_during_load_leaks_nothing(void **state)
{
    (void)state;
    scv_engine *a = rich_engine();
    snap s = take(a);
    long n;
    for (n = 1;; n++) {
        counter c = {0, 0, 0, 0, 0};
        scv_allocator alc = {c_alloc, c_realloc, c_free, &c};
        scv_options *oc = make_options(&alc, "test key", SCV_RETAIN_NONE);
        scv_engine *e = NULL;
        size_t base = c.live, base_blocks = c.blocks;
        c.fail_at = n; /* count from the load on */
        scv_status st = scv_engine_load(oc, s.p, s.len, &e);
        c.fail_at = 0;
        if (st == SCV_OK) {
            same_everything(a, e);
            scv_engine_free(e);
            scv_options_free(oc);
            assert_int_equal(c.live, 0);
            break;
        }
        if (st != SCV_ENOMEM) fail_msg("failing allocation %ld: %s", n, scv_status_str(st));
        assert_null(e);
        if (c.live != base || c.blocks != base_blocks)
            fail_msg("failing allocation %ld leaked %zu bytes", n, c.live - base);
        scv_options_free(oc);
    }
    assert_true(n > 10);
    free(s.p);
    scv_engine_free(a);
}

static void allocation_failure_during_write_writes_nothing(void **state)
{
    (void)state;
    counter c = {0, 0, 0, 0, 0};
    scv_allocator alc = {c_alloc, c_realloc, c_free, &c};
    scv_options *o = make_options(&alc, "test key", SCV_RETAIN_NORMALIZED);
    scv_engine *e = NULL;
    size_t size, written;
    assert_ok(scv_engine_new(o, &e));
    test_upsert(e, "crm", "a", "email=a@b.de", NULL);
    assert_ok(scv_engine_snapshot_size(e, &size));
    unsigned char *buf = malloc(size);
    c.calls = 0;
    c.fail_at = 1;
    assert_status(scv_engine_snapshot_write(e, buf, size, &written), SCV_ENOMEM);
    c.fail_at = 0;
    assert_ok(scv_engine_snapshot_write(e, buf, size, &written));
    free(buf);
    scv_engine_free(e);
    scv_options_free(o);
    assert_int_equal(c.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_every_answer_and_later_resolution),
        cmocka_unit_test(round_trip_of_a_loaded_engine_is_byte_identical),
        cmocka_unit_test(every_retention_round_trips),
        cmocka_unit_test(empty_engine_round_trips),
        cmocka_unit_test(loaded_engine_continues_the_sequence_and_expires_older_changes),
        cmocka_unit_test(changes_from_before_the_load_have_expired),
        cmocka_unit_test(size_is_exact_and_a_small_buffer_is_refused),
        cmocka_unit_test(a_different_hash_key_is_refused),
        cmocka_unit_test(truncation_at_every_byte_is_corrupt),
        cmocka_unit_test(every_bit_flip_is_detected),
        cmocka_unit_test(hostile_counts_are_refused_without_big_allocations),
        cmocka_unit_test(bad_indexes_and_contradictions_are_refused),
        cmocka_unit_test(header_fields_are_checked),
        cmocka_unit_test(version_1_snapshots_still_load),
        cmocka_unit_test(an_erased_person_is_nowhere_in_the_snapshot),
        cmocka_unit_test(allocation_failure_at_every_call_during_load_leaks_nothing),
        cmocka_unit_test(allocation_failure_during_write_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
