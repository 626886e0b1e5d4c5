/* test_api.c — the public API's contract: argument errors, statuses and reasons, limits,
 * ownership, and allocation failure leaving the engine exactly as it was. */
#include "test.h"

/* ---- an allocator that fails at the N-th call and checks sizes ---------------------------- */

typedef struct {
    long calls;     /* calls so far */
    long fail_at;   /* fail this call (1-based); 0 = never */
    long live;      /* blocks outstanding */
    size_t bytes;   /* bytes outstanding, by the sizes the library reports */
} fail_ctx;

static void *f_alloc(void *ctx, size_t size)
{
    fail_ctx *c = ctx;
    if (++c->calls == c->fail_at) return NULL;
    void *p = malloc(size);
    if (p != NULL) {
        c->live++;
        c->bytes += size;
    }
    return p;
}

static void *f_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    fail_ctx *c = ctx;
    if (++c->calls == c->fail_at) return NULL;
    void *q = realloc(p, new_size);
    if (q != NULL) c->bytes = c->bytes - old_size + new_size;
    return q;
}

static void f_free(void *ctx, void *p, size_t size)
{
    fail_ctx *c = ctx;
    c->live--;
    c->bytes -= size;
    free(p);
}

static scv_engine *engine_with(fail_ctx *c)
{
    scv_allocator a = {f_alloc, f_realloc, f_free, c};
    scv_options *o;
    scv_engine *e;
    assert_ok(scv_options_new(&a, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, SCV_RETAIN_RAW));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    return e;
}

/* Everything a host can observe, as text, for before/after comparisons. */
static void fingerprint(scv_engine *e, char *out, size_t cap)
{
    size_t used = 0;
    used += (size_t)snprintf(out + used, cap - used, "r%zu p%zu i%zu|", scv_engine_record_count(e),
                             scv_engine_profile_count(e), scv_engine_identifier_count(e));
    scv_record_ref ref = 0;
    while (scv_engine_record_next(e, ref, &ref) == SCV_OK && used < cap) {
        scv_profile_id p;
        const char *id;
        size_t len;
        assert_ok(scv_engine_record_profile(e, ref, &p));
        assert_ok(scv_engine_record_info(e, ref, NULL, &id, &len, NULL));
        used += (size_t)snprintf(out + used, cap - used, "%.*s>%u", (int)len, id, p);
        scv_identifier_ref ids[16];
        uint8_t states[16];
        size_t n;
        assert_ok(scv_record_identifiers(e, ref, ids, states, 16, &n));
        for (size_t i = 0; i < n && used < cap; i++)
            used += (size_t)snprintf(out + used, cap - used, ",%u/%u", ids[i], states[i]);
        used += (size_t)snprintf(out + used, cap - used, ";");
    }
    scv_profile_id p = 0;
    while (scv_engine_profile_next(e, p, &p) == SCV_OK && used < cap) {
        const char *v;
        size_t n;
        size_t nids;
        if (scv_profile_trait(e, p, S("city"), &v, &n, NULL) == SCV_OK)
            used += (size_t)snprintf(out + used, cap - used, "%u:%.*s;", p, (int)n, v);
        assert_status(scv_profile_identifiers(e, p, NULL, 0, &nids), nids == 0 ? SCV_OK : SCV_EBUFFER);
        used += (size_t)snprintf(out + used, cap - used, "%u#%zu;", p, nids);
    }
}

typedef struct {
    const char *src, *id, *email, *phone, *city;
} row;

static const row scenario[] = {
    {"crm", "c1", "ann@x.de", "030 1234567", "Berlin"},
    {"web", "w1", "ANN@x.de", NULL, NULL},
    {"pos", "p1", NULL, "+49 30 1234567", "Potsdam"},
    {"crm", "c2", "bob@y.de", NULL, "Bonn"},
    {"web", "w2", "bob@y.de", "0301234567", NULL},   /* merges ann and bob */
    {"web", "w2", "bob@y.de", NULL, "Bonn"},         /* replace: splits them again */
    {"crm", "c1", "ann@x.de", NULL, "Hamburg"},      /* replace: p1 leaves */
    {"shop", "s1", "new@z.de", "0401234567", "Kiel"} /* new source registered */
};

static scv_status apply(scv_engine *e, const row *w)
{
    scv_record *r;
    scv_source src;
    scv_status st;
    if (scv_engine_source(e, S(w->src), &src) != SCV_OK) {
        st = scv_engine_register_source(e, S(w->src), &src);
        if (st != SCV_OK) return st;
    }
    st = scv_record_new(e, &r);
    if (st != SCV_OK) return st;
    if ((st = scv_record_reset(r, src, S(w->id))) != SCV_OK) goto out;
    if (w->email && (st = scv_record_add_identifier(r, SCV_KIND_EMAIL, S(w->email))) != SCV_OK) goto out;
    if (w->phone && (st = scv_record_add_identifier(r, SCV_KIND_PHONE, S(w->phone))) != SCV_OK) goto out;
    if (w->city && (st = scv_record_add_trait(r, S("city"), S(w->city))) != SCV_OK) goto out;
    st = scv_engine_upsert(e, r, NULL);
out:
    scv_record_free(r);
    return st;
}

static void allocation_failure_at_every_call_leaves_engine_unchanged(void **state)
{
    (void)state;
    static char before[8192], after[8192];
    size_t steps = sizeof scenario / sizeof scenario[0];
    for (size_t step = 0; step < steps; step++) {
        for (long n = 1;; n++) {
            fail_ctx c = {0, 0, 0, 0};
            scv_engine *e = engine_with(&c);
            for (size_t i = 0; i < step; i++) assert_ok(apply(e, &scenario[i]));
            fingerprint(e, before, sizeof before);
            c.fail_at = c.calls + n;
            scv_status st = apply(e, &scenario[step]);
            if (st == SCV_OK) {
                scv_engine_free(e);
                assert_int_equal(c.live, 0);
                assert_int_equal(c.bytes, 0);
                break; /* every allocation of this step has been failed once */
            }
            assert_int_equal(st, SCV_ENOMEM);
            fingerprint(e, after, sizeof after);
            if (strcmp(before, after) != 0)
                fail_msg("step %zu, failing allocation %ld changed the engine:\n%s\n%s", step, n, before, after);
            /* The engine still works after the failure. */
            c.fail_at = 0;
            assert_ok(apply(e, &scenario[step]));
            scv_engine_free(e);
            assert_int_equal(c.live, 0);
            assert_int_equal(c.bytes, 0);
        }
    }
}

/* The same with the rules at work: limits, a value turning generic and back, a block. */
static const row rules_scenario[] = {
    {"crm", "c1", "a@x.de", "030 1111111", "Berlin"},
    {"crm", "c2", "b@x.de", "030 1111111", NULL},  /* shares the phone: merges */
    {"crm", "c3", "c@x.de", "030 1111111", NULL},  /* phone now generic (threshold 1) */
    {"crm", "c3", "c@x.de", NULL, "Kiel"},         /* drops it: links again */
    {"pos", "p1", "a@x.de", "040 2222222", NULL},
    {"pos", "p2", "b@x.de", "040 2222222", NULL},  /* limit: e-mail 2 per profile */
};

static scv_engine *rules_engine_with(fail_ctx *c)
{
    scv_engine *e = engine_with(c);
    assert_ok(scv_engine_set_limit(e, SCV_KIND_EMAIL, 2));
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, 1));
    return e;
}

static void allocation_failure_under_rules_leaves_engine_unchanged(void **state)
{
    (void)state;
    static char before[8192], after[8192];
    size_t steps = sizeof rules_scenario / sizeof rules_scenario[0];
    for (size_t step = 0; step <= steps; step++) {
        for (long n = 1;; n++) {
            fail_ctx c = {0, 0, 0, 0};
            scv_engine *e = rules_engine_with(&c);
            for (size_t i = 0; i < step; i++) assert_ok(apply(e, &rules_scenario[i]));
            fingerprint(e, before, sizeof before);
            c.fail_at = c.calls + n;
            /* The last step blocks a value that joined two profiles. */
            scv_status st = step < steps ? apply(e, &rules_scenario[step])
                                         : scv_engine_block(e, SCV_KIND_PHONE, S("040 2222222"));
            if (st == SCV_OK) {
                scv_engine_free(e);
                assert_int_equal(c.live, 0);
                break;
            }
            assert_int_equal(st, SCV_ENOMEM);
            fingerprint(e, after, sizeof after);
            if (strcmp(before, after) != 0)
                fail_msg("rules step %zu, failing allocation %ld changed the engine:\n%s\n%s", step, n, before, after);
            scv_engine_free(e);
            assert_int_equal(c.live, 0);
            assert_int_equal(c.bytes, 0);
        }
    }
}

static void reserve_changes_nothing_observable(void **state)
{
    (void)state;
    static char before[8192], after[8192];
    scv_engine *e = test_engine();
    for (size_t i = 0; i < 3; i++) assert_ok(apply(e, &scenario[i]));
    fingerprint(e, before, sizeof before);
    assert_ok(scv_engine_reserve(e, 10000, 30000));
    fingerprint(e, after, sizeof after);
    assert_string_equal(before, after);
    assert_status(scv_engine_reserve(e, (size_t)SCV_MAX_RECORDS + 1, 0), SCV_ELIMIT);
    assert_status(scv_engine_reserve(NULL, 1, 1), SCV_EINVAL);
    for (size_t i = 3; i < sizeof scenario / sizeof scenario[0]; i++) assert_ok(apply(e, &scenario[i]));
    scv_engine_free(e);
}

/* Shrinking after a load changes no answer, and the engine goes on growing; under a failing
 * allocator it reports SCV_ENOMEM and still answers the same, leaking nothing. */
static void shrink_changes_nothing_observable(void **state)
{
    (void)state;
    static char before[8192], after[8192];
    size_t half = sizeof scenario / sizeof scenario[0] / 2;
    for (long n = 0;; n++) {
        fail_ctx c = {0, 0, 0, 0};
        scv_engine *e = engine_with(&c);
        assert_ok(scv_engine_reserve(e, 1000, 1000));
        for (size_t i = 0; i < half; i++) assert_ok(apply(e, &scenario[i]));
        fingerprint(e, before, sizeof before);
        size_t held = c.bytes;
        c.fail_at = n == 0 ? 0 : c.calls + n;
        scv_status st = scv_engine_shrink(e);
        c.fail_at = 0;
        fingerprint(e, after, sizeof after);
        assert_string_equal(before, after);
        if (n == 0) {
            assert_ok(st);
            assert_true(c.bytes < held);
        } else if (st == SCV_OK) {
            scv_engine_free(e);
            break; /* every reallocation of the shrink has been failed once */
        } else {
            assert_int_equal(st, SCV_ENOMEM);
        }
        for (size_t i = half; i < sizeof scenario / sizeof scenario[0]; i++) assert_ok(apply(e, &scenario[i]));
        scv_engine_free(e);
        assert_int_equal(c.live, 0);
        assert_int_equal(c.bytes, 0);
    }
    assert_status(scv_engine_shrink(NULL), SCV_EINVAL);
}

/* Queries, views and snapshots under allocation failure: a failing call reports SCV_ENOMEM,
 * leaks nothing, and once memory is back the same calls give the same answers as an engine
 * that never failed. The views are stale when the query runs, so its evaluation rebuilds
 * them under the failing allocator too. */
static size_t query_after_changes(scv_engine *e, fail_ctx *c, long fail_after, scv_status *st, size_t *snap)
{
    for (size_t i = 0; i < sizeof rules_scenario / sizeof rules_scenario[0]; i++)
        assert_ok(apply(e, &rules_scenario[i]));
    scv_query *q;
    scv_result *r = NULL;
    size_t written = 0, matched;
    assert_ok(scv_query_compile(e, S("records >= 1 and not seen(web) or has(email)"), &q, NULL));
    assert_ok(apply(e, &scenario[1]));
    c->fail_at = fail_after ? c->calls + fail_after : 0;
    *st = scv_query_eval(q, 1000, &r);
    if (*st == SCV_OK) *st = scv_engine_snapshot_size(e, snap);
    char *buf = *st == SCV_OK ? malloc(*snap) : NULL;
    if (buf != NULL) *st = scv_engine_snapshot_write(e, buf, *snap, &written);
    free(buf);
    scv_result_free(r);
    c->fail_at = 0;
    assert_ok(scv_query_eval(q, 1000, &r)); /* memory is back: the same answer */
    matched = scv_result_count(r);
    scv_result_free(r);
    scv_query_free(q);
    return matched;
}

static void allocation_failure_in_queries_views_and_snapshots(void **state)
{
    (void)state;
    fail_ctx ref = {0, 0, 0, 0};
    scv_engine *e = rules_engine_with(&ref);
    scv_status st;
    size_t want_snap = 0, snap = 0;
    size_t want = query_after_changes(e, &ref, 0, &st, &want_snap);
    assert_ok(st);
    scv_engine_free(e);
    for (long n = 1;; n++) {
        fail_ctx c = {0, 0, 0, 0};
        e = rules_engine_with(&c);
        size_t got = query_after_changes(e, &c, n, &st, &snap);
        assert_int_equal(got, want);
        size_t size_now;
        assert_ok(scv_engine_snapshot_size(e, &size_now));
        assert_int_equal(size_now, want_snap);
        scv_engine_free(e);
        assert_int_equal(c.live, 0);
        assert_int_equal(c.bytes, 0);
        if (st == SCV_OK) break;
        assert_int_equal(st, SCV_ENOMEM);
    }
}

static void failed_engine_and_options_creation_report_enomem(void **state)
{
    (void)state;
    for (long n = 1; n < 64; n++) {
        fail_ctx c = {0, n, 0, 0};
        scv_allocator a = {f_alloc, f_realloc, f_free, &c};
        scv_options *o = NULL;
        scv_engine *e = NULL;
        scv_status st = scv_options_new(&a, &o);
        if (st == SCV_OK) st = scv_engine_new(o, &e);
        if (st == SCV_OK) {
            scv_engine_free(e);
            scv_options_free(o);
            assert_int_equal(c.live, 0);
            return;
        }
        assert_int_equal(st, SCV_ENOMEM);
        assert_null(e);
        scv_options_free(o);
        assert_int_equal(c.live, 0);
    }
    fail_msg("engine creation never succeeded");
}

static void incomplete_allocator_is_rejected(void **state)
{
    (void)state;
    scv_allocator a = {f_alloc, NULL, f_free, NULL};
    scv_options *o = (scv_options *)&a;
    assert_status(scv_options_new(&a, &o), SCV_EINVAL);
    assert_null(o);
}

static void free_functions_accept_null(void **state)
{
    (void)state;
    scv_options_free(NULL);
    scv_engine_free(NULL);
    scv_record_free(NULL);
}

static void version_matches_header(void **state)
{
    (void)state;
    assert_int_equal(scv_version_number(), SCV_VERSION_NUMBER);
    assert_string_equal(scv_version_string(), SCV_VERSION_STRING);
}

static void every_status_has_a_name(void **state)
{
    (void)state;
    for (int s = SCV_OK; s <= SCV_ECANCELED; s++) assert_string_not_equal(scv_status_str((scv_status)s), "unknown status");
    assert_string_equal(scv_status_str((scv_status)999), "unknown status");
}

static void null_arguments_are_einval(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    scv_kind k;
    scv_profile_id p;
    size_t n;
    assert_status(scv_options_new(NULL, NULL), SCV_EINVAL);
    assert_status(scv_engine_new(NULL, NULL), SCV_EINVAL);
    assert_status(scv_record_new(NULL, &r), SCV_EINVAL);
    assert_status(scv_engine_upsert(e, NULL, NULL), SCV_EINVAL);
    assert_status(scv_engine_upsert(NULL, NULL, NULL), SCV_EINVAL);
    assert_status(scv_engine_kind(e, NULL, 3, &k), SCV_EINVAL);
    assert_status(scv_engine_normalize(e, SCV_KIND_EMAIL, S("a@b.de"), NULL, 4, &n), SCV_EINVAL);
    assert_status(scv_engine_normalize(e, SCV_KIND_EMAIL, NULL, 5, NULL, 0, &n), SCV_EINVAL);
    assert_status(scv_profile_canonical(e, 1, NULL), SCV_EINVAL);
    assert_status(scv_profile_records(e, 1, NULL, 5, &n), SCV_EINVAL);
    assert_status(scv_engine_identifier_profile(e, SCV_KIND_EMAIL, NULL, 1, &p), SCV_EINVAL);
    assert_ok(scv_record_new(e, &r));
    assert_status(scv_record_reset(r, SCV_SOURCE_CRM, NULL, 4), SCV_EINVAL);
    assert_status(scv_record_reset(r, SCV_SOURCE_CRM, "", 0), SCV_EINVAL);
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("x")));
    assert_status(scv_record_add_identifier(r, SCV_KIND_EMAIL, NULL, 2), SCV_EINVAL);
    assert_status(scv_record_add_trait(r, S("city"), NULL, 2), SCV_EINVAL);
    assert_status(scv_record_add_trait(r, NULL, 0, S("x")), SCV_EINVAL);
    assert_status(scv_record_add_measure(r, S("total"), 0.0 / 0.0), SCV_EINVAL);
    scv_record_free(r);
    assert_int_equal(scv_engine_record_count(NULL), 0);
    assert_string_equal(scv_engine_errmsg(NULL), "");
    scv_engine_free(e);
}

static void builder_needs_reset_before_fields_and_upsert(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    assert_status(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("a@b.de")), SCV_ESTATE);
    assert_status(scv_record_set_timestamp(r, 5), SCV_ESTATE);
    assert_status(scv_engine_upsert(e, r, NULL), SCV_ESTATE);
    assert_string_not_equal(scv_engine_errmsg(e), "");
    assert_status(scv_record_reset(r, 77, S("x")), SCV_ENOTFOUND);
    assert_status(scv_engine_upsert(e, r, NULL), SCV_ESTATE);
    scv_record_free(r);
    scv_engine_free(e);
}

static void builder_of_another_engine_is_refused(void **state)
{
    (void)state;
    scv_engine *a = test_engine(), *b = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(a, &r));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("x")));
    assert_status(scv_engine_upsert(b, r, NULL), SCV_ESTATE);
    assert_int_equal(scv_engine_record_count(b), 0);
    scv_record_free(r);
    scv_engine_free(a);
    scv_engine_free(b);
}

static void invalid_utf8_and_nul_are_rejected_with_offset(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    assert_status(scv_record_reset(r, SCV_SOURCE_CRM, "ab\xC3(", 4), SCV_EUTF8);
    assert_int_equal(scv_record_erroffset(r), 2);
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("x")));
    assert_status(scv_record_add_identifier(r, SCV_KIND_EMAIL, "a\0@b.de", 7), SCV_EUTF8);
    assert_int_equal(scv_record_erroffset(r), 1);
    assert_status(scv_record_add_trait(r, S("city"), "K\xF6ln", 4), SCV_EUTF8);
    assert_int_equal(scv_record_erroffset(r), 1);
    assert_status(scv_record_add_trait(r, "\xED\xA0\x80", 3, S("x")), SCV_EUTF8); /* surrogate */
    assert_status(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, "\xC0\xAF", 2), SCV_EUTF8); /* overlong */
    assert_ok(scv_record_add_trait(r, S("city"), S("Köln")));
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_int_equal(scv_engine_identifier_count(e), 0);
    scv_record_free(r);
    scv_engine_free(e);
}

/* Short ASCII is checked inline by overlapping words, the rest by the full check: a bad byte
 * anywhere around the word edges of a record id, an identifier, a trait name and a trait
 * value is reported at its offset, and the same strings without it are accepted. */
static void bad_bytes_around_word_edges_are_found_at_their_offset(void **state)
{
    static const size_t lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 63, 64, 65, 100};
    static const char *const bad[] = {"\x00", "\x80", "\xC3", "\xED\xA0\x80"};
    static const size_t bad_len[] = {1, 1, 1, 3};
    char v[128];
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t len = lens[li];
        memset(v, 'k', len);
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, v, len));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, v, len));
        assert_ok(scv_record_add_trait(r, S("t"), v, len));
        if (len <= SCV_MAX_NAME_LEN) assert_ok(scv_record_add_trait(r, v, len, S("x")));
        for (size_t at = 0; at < len; at++) {
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                if (at + bad_len[b] > len) continue;
                memset(v, 'k', len);
                memcpy(v + at, bad[b], bad_len[b]);
                assert_status(scv_record_reset(r, SCV_SOURCE_CRM, v, len), SCV_EUTF8);
                assert_int_equal(scv_record_erroffset(r), at);
                assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("ok")));
                assert_status(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, v, len), SCV_EUTF8);
                assert_int_equal(scv_record_erroffset(r), at);
                assert_status(scv_record_add_identifier(r, SCV_KIND_EMAIL, v, len), SCV_EUTF8);
                assert_int_equal(scv_record_erroffset(r), at);
                assert_status(scv_record_add_trait(r, S("t"), v, len), SCV_EUTF8);
                assert_int_equal(scv_record_erroffset(r), at);
                if (len <= SCV_MAX_NAME_LEN) {
                    assert_status(scv_record_add_trait(r, v, len, S("x")), SCV_EUTF8);
                    assert_int_equal(scv_record_erroffset(r), at);
                }
            }
        }
    }
    scv_record_free(r);
    scv_engine_free(e);
}

/* One builder, reused: records whose traits come in other orders, with a name given twice
 * (the last value stays), names of equal length and equal first bytes, measures and consent
 * among them. Each record's profile must show exactly its own last values. */
static void reused_builder_keeps_each_records_fields(void **state)
{
    static const char *const names[] = {"city", "cita", "first_name", "first_nama", "c", "ab"};
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    for (int rec = 0; rec < 12; rec++) {
        char id[16], val[6][16];
        scv_profile_id p;
        snprintf(id, sizeof id, "r%d", rec);
        assert_ok(scv_record_reset(r, SCV_SOURCE_WEB, S(id)));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(id)));
        for (int k = 0; k < 6; k++) {
            int n = (k * 5 + rec) % 6; /* another order for every record */
            snprintf(val[n], sizeof val[n], "v%d-%d", rec, n);
            if ((n + rec) % 3 == 0) {
                /* given twice: first a value that must not stay */
                assert_ok(scv_record_add_trait(r, S(names[n]), S("stale")));
                if (rec % 2) assert_ok(scv_record_add_measure(r, S(names[n]), 1.5));
            }
            assert_ok(scv_record_add_trait(r, S(names[n]), S(val[n])));
            if (k == 2) assert_ok(scv_record_add_consent(r, S("email"), rec % 2, SCV_NO_TIMESTAMP));
        }
        assert_ok(scv_engine_upsert(e, r, &p));
        for (int n = 0; n < 6; n++) {
            const char *got;
            size_t got_len;
            assert_ok(scv_profile_trait(e, p, S(names[n]), &got, &got_len, NULL));
            if (got_len != strlen(val[n]) || memcmp(got, val[n], got_len) != 0)
                fail_msg("record %d, trait %s: \"%.*s\", expected \"%s\"", rec, names[n],
                         (int)got_len, got, val[n]);
        }
    }
    scv_record_free(r);
    scv_engine_free(e);
}

/* The builder makes record keys with inline copies of the source's name and the id; lookups
 * make them in engine.c. Both must agree for names and ids of every copy length. */
static void builder_record_keys_match_lookups(void **state)
{
    static const char long_source[] = "s234567890123456789012345678901234567890123456789012345678901234";
    static const char *const sources[] = {"a", "crm", "abcdefgh", "abcdefghijklmnopq", long_source};
    char id[SCV_MAX_RECORD_ID_LEN];
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
        scv_source src;
        scv_status st = scv_engine_register_source(e, S(sources[s]), &src);
        assert_true(st == SCV_OK || st == SCV_EEXISTS);
        for (size_t len = 1; len <= SCV_MAX_RECORD_ID_LEN; len += len < 70 ? 1 : 31) {
            for (size_t i = 0; i < len; i++) id[i] = (char)('a' + (i * 7 + s) % 26);
            assert_ok(scv_record_reset(r, src, id, len));
            assert_ok(scv_engine_upsert(e, r, NULL));
            assert_ok(scv_engine_record_find(e, src, id, len, NULL));
        }
    }
    scv_record_free(r);
    scv_engine_free(e);
}

/* The builder hashes an identifier behind its kind's name, copied as one block when the name
 * is short (scv__names_copy()), and keeps the normalized value only for an engine that
 * retains values. Its hashes must be the lookups' for kind names around the block's size and
 * values around XXH3's length classes, with values kept (keyed engine) or not (unkeyed). */
static void builder_identifier_hashes_match_lookups(void **state)
{
    static const size_t name_lens[] = {1, 2, 15, 16, 17, 40, SCV_MAX_NAME_LEN};
    static const size_t value_lens[] = {1, 16, 17, 111, 112, 128, 129, 240, 241, SCV_MAX_VALUE_LEN};
    char name[SCV_MAX_NAME_LEN], value[SCV_MAX_VALUE_LEN], id[16];
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        scv_engine *e = NULL;
        scv_record *r;
        int rec = 0;
        if (keep)
            e = test_engine();
        else
            assert_ok(scv_engine_new(NULL, &e));
        assert_ok(scv_record_new(e, &r));
        for (size_t a = 0; a < sizeof name_lens / sizeof name_lens[0]; a++) {
            scv_kind k;
            name[0] = 'k';
            for (size_t i = 1; i < name_lens[a]; i++) name[i] = (char)('a' + (i * 5 + a) % 26);
            assert_ok(scv_engine_register_kind(e, name, name_lens[a], SCV_NORM_EXACT, &k));
            for (size_t b = 0; b < sizeof value_lens / sizeof value_lens[0]; b++) {
                size_t len = value_lens[b], n = 0, count = 0;
                scv_profile_id p, q;
                scv_identifier_ref ref;
                const char *kept = NULL;
                for (size_t i = 0; i < len; i++) value[i] = (char)('A' + (i * 3 + b) % 26);
                snprintf(id, sizeof id, "r%d", rec++);
                assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S(id)));
                assert_ok(scv_record_add_identifier(r, k, value, len));
                assert_ok(scv_engine_upsert(e, r, &p));
                assert_ok(scv_engine_identifier_profile(e, k, value, len, &q));
                assert_int_equal(p, q);
                assert_ok(scv_profile_identifiers(e, p, &ref, 1, &count));
                assert_int_equal(count, 1);
                assert_ok(scv_engine_identifier_info(e, ref, NULL, NULL, &kept, &n));
                if (keep) {
                    assert_int_equal(n, len);
                    assert_memory_equal(kept, value, len);
                } else {
                    assert_null(kept);
                }
            }
        }
        scv_record_free(r);
        scv_engine_free(e);
    }
}

/* The builder copies an identifier's raw value only for an engine that retains raw values:
 * with SCV_RETAIN_RAW two spellings of one value make snapshots of different sizes (the raw
 * bytes are stored), with less retention the same size. */
static size_t snapshot_size_after(scv_retain retain, const char *email, const char *phone)
{
    scv_options *o = NULL;
    scv_engine *e = NULL;
    scv_record *r;
    size_t size;
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, retain));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    assert_ok(scv_record_new(e, &r));
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "r%d", i);
        assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S(id)));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S(email)));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_PHONE, S(phone)));
        assert_ok(scv_record_add_trait(r, S("city"), S("Kiel")));
        assert_ok(scv_engine_upsert(e, r, NULL));
    }
    assert_ok(scv_engine_snapshot_size(e, &size));
    scv_record_free(r);
    scv_engine_free(e);
    return size;
}

static void builder_keeps_raw_values_for_engines_that_retain_them(void **state)
{
    static const char *const plain[] = {"person@mail.de", "+493012345678"};
    static const char *const messy[] = {"  Person@Mail.DE ", "+49 (0)30 1234-5678"};
    (void)state;
    for (int retain = SCV_RETAIN_NONE; retain <= SCV_RETAIN_RAW; retain++) {
        size_t a = snapshot_size_after((scv_retain)retain, plain[0], plain[1]);
        size_t b = snapshot_size_after((scv_retain)retain, messy[0], messy[1]);
        if (retain == SCV_RETAIN_RAW)
            assert_int_equal(b - a, 3 * (strlen(messy[0]) - strlen(plain[0]) + strlen(messy[1]) -
                                         strlen(plain[1])));
        else
            assert_int_equal(a, b);
    }
}

static void over_long_values_are_rejected(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    static char big[SCV_MAX_TRAIT_LEN + 2];
    memset(big, 'a', sizeof big);
    assert_ok(scv_record_new(e, &r));
    assert_status(scv_record_reset(r, SCV_SOURCE_CRM, big, SCV_MAX_RECORD_ID_LEN + 1), SCV_ETOOLONG);
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, big, SCV_MAX_RECORD_ID_LEN));
    assert_status(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, big, SCV_MAX_VALUE_LEN + 1), SCV_ETOOLONG);
    assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, big, SCV_MAX_VALUE_LEN));
    assert_status(scv_record_add_trait(r, big, SCV_MAX_NAME_LEN + 1, S("x")), SCV_ETOOLONG);
    assert_status(scv_record_add_trait(r, S("t"), big, SCV_MAX_TRAIT_LEN + 1), SCV_ETOOLONG);
    assert_ok(scv_record_add_trait(r, S("t"), big, SCV_MAX_TRAIT_LEN));
    assert_ok(scv_engine_upsert(e, r, NULL));
    scv_record_free(r);
    scv_engine_free(e);
}

static void too_many_identifiers_and_fields_hit_limits(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    char v[32];
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("x")));
    for (int i = 0; i < SCV_MAX_IDENTIFIERS; i++) {
        snprintf(v, sizeof v, "id%d", i);
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(v)));
    }
    assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S("id0"))); /* duplicate: ignored */
    assert_status(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S("one more")), SCV_ELIMIT);
    for (int i = 0; i < SCV_MAX_FIELDS; i++) {
        snprintf(v, sizeof v, "f%d", i);
        assert_ok(scv_record_add_measure(r, S(v), i));
    }
    assert_ok(scv_record_add_measure(r, S("f0"), 1.0)); /* same name: replaced */
    assert_status(scv_record_add_trait(r, S("another"), S("x")), SCV_ELIMIT);
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_int_equal(scv_engine_identifier_count(e), SCV_MAX_IDENTIFIERS);
    scv_record_free(r);
    scv_engine_free(e);
}

/* A builder holds a few identifiers and a short id in itself and takes blocks for more
 * (struct scv_record): the records it builds are the same on both sides of its room, a
 * builder reused for a short record after a long one builds that right, and the allocation
 * for the blocks failing leaves the builder as it was (reset: empty). */
static void builder_outgrows_its_own_room(void **state)
{
    static char id[SCV_MAX_RECORD_ID_LEN];
    char v[32];
    (void)state;
    for (size_t i = 0; i < sizeof id; i++) id[i] = (char)('a' + i % 26);
    /* The n-th allocation from the builder's start fails, for every n until none is left. */
    for (long n = 1;; n++) {
        fail_ctx c = {0, 0, 0, 0};
        scv_engine *e = engine_with(&c);
        scv_record *r;
        scv_status st;
        int hit = 0;
        assert_ok(scv_record_new(e, &r));
        c.fail_at = c.calls + n;
        /* ids of 63..66 bytes with 3..6 identifiers, a record each */
        for (size_t len = 63; len <= 66; len++) {
            char rid[80];
            memcpy(rid, id, len);
            rid[len - 1] = (char)('0' + len % 10);
            if ((st = scv_record_reset(r, SCV_SOURCE_CRM, rid, len)) != SCV_OK) {
                assert_int_equal(st, SCV_ENOMEM);
                assert_string_equal(scv_record_errmsg(r), "out of memory");
                /* left empty: there is nothing to upsert */
                assert_status(scv_engine_upsert(e, r, NULL), SCV_ESTATE);
                hit = 1;
                c.fail_at = 0;
                assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, rid, len));
            }
            for (size_t k = 0; k < len - 60; k++) {
                snprintf(v, sizeof v, "c%zu-%zu", len, k);
                if ((st = scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(v))) != SCV_OK) {
                    assert_int_equal(st, SCV_ENOMEM);
                    hit = 1;
                    c.fail_at = 0;
                    /* as before the call: the same value goes in now, once (counted below) */
                    assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(v)));
                }
            }
            scv_profile_id p, q;
            if ((st = scv_engine_upsert(e, r, &p)) != SCV_OK) {
                /* the engine's own failures are tested elsewhere: retry */
                assert_int_equal(st, SCV_ENOMEM);
                hit = 1;
                c.fail_at = 0;
                assert_ok(scv_engine_upsert(e, r, &p));
            }
            scv_identifier_ref ids[SCV_MAX_IDENTIFIERS];
            size_t count;
            scv_record_ref ref;
            assert_ok(scv_engine_record_find(e, SCV_SOURCE_CRM, rid, len, &ref));
            assert_ok(scv_record_identifiers(e, ref, ids, NULL, SCV_MAX_IDENTIFIERS, &count));
            assert_int_equal(count, len - 60);
            for (size_t k = 0; k < len - 60; k++) {
                snprintf(v, sizeof v, "c%zu-%zu", len, k);
                assert_ok(scv_engine_identifier_profile(e, SCV_KIND_CUSTOMER_ID, S(v), &q));
                assert_int_equal(p, q);
            }
        }
        /* back to a short record in the grown builder: it joins the first long one */
        c.fail_at = 0;
        assert_ok(scv_record_reset(r, SCV_SOURCE_WEB, S("w1")));
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S("c63-0")));
        scv_profile_id p, q;
        assert_ok(scv_engine_upsert(e, r, &p));
        assert_ok(scv_engine_identifier_profile(e, SCV_KIND_CUSTOMER_ID, S("c63-2"), &q));
        assert_int_equal(p, q);
        assert_int_equal(scv_engine_record_count(e), 5);
        scv_record_free(r);
        scv_engine_free(e);
        assert_int_equal(c.live, 0);
        assert_int_equal(c.bytes, 0);
        if (!hit) break; /* the n-th allocation never came: every one has failed once */
    }
}

/* scv_record_prefetch() is a hint: NULL is a no-op, and builders hinted at (their own room or
 * grown) build the same records. */
static void record_prefetch_changes_nothing(void **state)
{
    (void)state;
    static char id[SCV_MAX_RECORD_ID_LEN];
    memset(id, 'x', sizeof id);
    scv_record_prefetch(NULL);
    scv_engine *e = test_engine();
    scv_record *r;
    char v[32];
    assert_ok(scv_record_new(e, &r));
    scv_record_prefetch(r);
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("c1")));
    scv_record_prefetch(r);
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("a@x.de")));
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, id, sizeof id));
    for (int i = 0; i < 8; i++) {
        snprintf(v, sizeof v, "id%d", i);
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(v)));
    }
    assert_ok(scv_record_add_trait(r, S("city"), S("Kiel")));
    scv_record_prefetch(r);
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("a@x.de")));
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_int_equal(scv_engine_record_count(e), 2);
    assert_int_equal(scv_engine_profile_count(e), 1);
    assert_int_equal(scv_engine_identifier_count(e), 9);
    scv_record_free(r);
    scv_engine_free(e);
}

static void rejected_identifier_has_reason_and_builder_keeps_the_rest(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("x")));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("ok@x.de")));
    assert_status(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("jane.doe@")), SCV_EREJECTED);
    assert_string_not_equal(scv_record_errmsg(r), "");
    assert_status(scv_record_add_identifier(r, SCV_KIND_PHONE, S("12345")), SCV_EREJECTED);
    assert_status(scv_record_add_identifier(r, 99, S("x")), SCV_ENOTFOUND);
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_int_equal(scv_engine_identifier_count(e), 1);
    assert_string_equal(scv_engine_errmsg(e), "");
    scv_record_free(r);
    scv_engine_free(e);
}

static void kinds_register_validate_and_look_up(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_kind k, again;
    size_t n;
    assert_ok(scv_engine_kind(e, S("loyalty_id"), &k));
    assert_int_equal(k, SCV_KIND_LOYALTY_ID);
    assert_ok(scv_engine_register_kind(e, S("instagram"), SCV_NORM_CASEFOLD, &k));
    assert_int_equal(k, 6);
    assert_status(scv_engine_register_kind(e, S("instagram"), SCV_NORM_EXACT, &again), SCV_EEXISTS);
    assert_int_equal(again, k);
    assert_status(scv_engine_register_kind(e, S("Instagram"), SCV_NORM_EXACT, NULL), SCV_EINVAL);
    assert_status(scv_engine_register_kind(e, S("9lives"), SCV_NORM_EXACT, NULL), SCV_EINVAL);
    assert_status(scv_engine_register_kind(e, S("x"), (scv_normalizer)9, NULL), SCV_EINVAL);
    assert_string_not_equal(scv_engine_errmsg(e), "");
    assert_status(scv_engine_kind(e, S("facebook"), &k), SCV_ENOTFOUND);
    assert_int_equal(scv_engine_kind_count(e), 7);
    assert_memory_equal(scv_engine_kind_name(e, 6, &n), "instagram", 9);
    assert_null(scv_engine_kind_name(e, 7, &n));
    char name[16];
    for (int i = 7; i < SCV_MAX_KINDS; i++) {
        snprintf(name, sizeof name, "k%d", i);
        assert_ok(scv_engine_register_kind(e, S(name), SCV_NORM_EXACT, NULL));
    }
    assert_status(scv_engine_register_kind(e, S("onemore"), SCV_NORM_EXACT, NULL), SCV_ELIMIT);
    /* Registered kinds link with their normalizer: case-folded here. */
    scv_kind ig;
    assert_ok(scv_engine_kind(e, S("instagram"), &ig));
    scv_record *r;
    scv_profile_id p1, p2;
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, SCV_SOURCE_WEB, S("a")));
    assert_ok(scv_record_add_identifier(r, ig, S("@JaneDoe")));
    assert_ok(scv_engine_upsert(e, r, &p1));
    assert_ok(scv_record_reset(r, SCV_SOURCE_WEB, S("b")));
    assert_ok(scv_record_add_identifier(r, ig, S(" @janedoe ")));
    assert_ok(scv_engine_upsert(e, r, &p2));
    assert_int_equal(p1, p2);
    scv_record_free(r);
    scv_engine_free(e);
}

static void sources_register_and_look_up(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_source s;
    size_t n;
    assert_ok(scv_engine_source(e, S("pos"), &s));
    assert_int_equal(s, SCV_SOURCE_POS);
    assert_ok(scv_engine_register_source(e, S("app"), &s));
    assert_int_equal(s, 4);
    assert_status(scv_engine_register_source(e, S("crm"), &s), SCV_EEXISTS);
    assert_int_equal(s, SCV_SOURCE_CRM);
    assert_int_equal(scv_engine_source_count(e), 5);
    assert_memory_equal(scv_engine_source_name(e, 4, &n), "app", 3);
    assert_status(scv_engine_source(e, S("nope"), &s), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void normalize_reports_size_and_reason(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char out[SCV_MAX_NORMALIZED_LEN];
    size_t n;
    assert_status(scv_engine_normalize(e, SCV_KIND_EMAIL, S(" Ann@X.de"), out, 3, &n), SCV_EBUFFER);
    assert_int_equal(n, 8);
    assert_ok(scv_engine_normalize(e, SCV_KIND_EMAIL, S(" Ann@X.de"), out, sizeof out, &n));
    assert_memory_equal(out, "ann@x.de", 8);
    assert_ok(scv_engine_normalize(e, SCV_KIND_PHONE, S("030 1234567"), out, sizeof out, &n));
    assert_int_equal(n, 12);
    assert_memory_equal(out, "+49301234567", 12);
    assert_status(scv_engine_normalize(e, SCV_KIND_EMAIL, S("a b@x.de"), out, sizeof out, &n), SCV_EREJECTED);
    assert_int_equal(scv_engine_erroffset(e), 1);
    assert_string_not_equal(scv_engine_errmsg(e), "");
    assert_status(scv_engine_normalize(e, 42, S("x"), out, sizeof out, &n), SCV_ENOTFOUND);
    scv_engine_free(e);
}

static void hash_depends_on_key_kind_and_normalized_value(void **state)
{
    (void)state;
    scv_engine *a = test_engine(), *b;
    scv_options *o;
    uint8_t h1[16], h2[16], h3[16], h4[16];
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_hash_key(o, S("another key")));
    assert_ok(scv_engine_new(o, &b));
    scv_options_free(o);
    assert_ok(scv_engine_hash(a, SCV_KIND_EMAIL, S("Ann@x.de"), h1));
    assert_ok(scv_engine_hash(a, SCV_KIND_EMAIL, S(" ann@X.DE "), h2));
    assert_memory_equal(h1, h2, 16);
    assert_ok(scv_engine_hash(b, SCV_KIND_EMAIL, S("ann@x.de"), h3));
    assert_memory_not_equal(h1, h3, 16);
    assert_ok(scv_engine_hash(a, SCV_KIND_CUSTOMER_ID, S("ann@x.de"), h4));
    assert_memory_not_equal(h1, h4, 16);
    scv_engine_free(a);
    scv_engine_free(b);
}

static void hashes_only_engine_keeps_no_values(void **state)
{
    (void)state;
    scv_engine *e;
    scv_record *r;
    const char *v = "x";
    size_t n = 9;
    uint8_t h[16], expect[16];
    assert_ok(scv_engine_new(NULL, &e));
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("1")));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("ann@x.de")));
    assert_ok(scv_engine_upsert(e, r, NULL));
    assert_ok(scv_engine_identifier_info(e, 1, NULL, h, &v, &n));
    assert_null(v);
    assert_int_equal(n, 0);
    assert_ok(scv_engine_hash(e, SCV_KIND_EMAIL, S("ann@x.de"), expect));
    assert_memory_equal(h, expect, 16);
    scv_record_free(r);
    scv_engine_free(e);
}

static void region_and_options_validation(void **state)
{
    (void)state;
    scv_options *o;
    assert_ok(scv_options_new(NULL, &o));
    assert_status(scv_options_set_region(o, S("XX")), SCV_ENOTFOUND);
    assert_status(scv_options_set_region(o, S("DEU")), SCV_EINVAL);
    assert_ok(scv_options_set_region(o, S("us")));
    assert_status(scv_options_set_retain(o, (scv_retain)7), SCV_EINVAL);
    assert_status(scv_options_set_hash_key(o, NULL, 3), SCV_EINVAL);
    assert_ok(scv_options_set_hash_key(o, NULL, 0));
    assert_ok(scv_options_set_email_provider_rules(o, 1));
    scv_engine *e;
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    char out[64];
    size_t n;
    assert_ok(scv_engine_normalize(e, SCV_KIND_PHONE, S("(212) 555-0147"), out, sizeof out, &n));
    assert_memory_equal(out, "+12125550147", n);
    assert_ok(scv_engine_normalize(e, SCV_KIND_EMAIL, S("J.Doe+news@Gmail.com"), out, sizeof out, &n));
    assert_memory_equal(out, "jdoe@gmail.com", n);
    scv_engine_free(e);
}

/* scv_engine_record_profiles() gives, group by group, what scv_engine_record_next() and
 * scv_engine_record_profile() give record by record, deleted records skipped, at any cap. */
static void record_profiles_in_bulk_match_one_by_one(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    char id[16], email[32];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "r%d", i);
        snprintf(email, sizeof email, "email=p%d@x.de", i % 70);
        test_upsert(e, "crm", id, email, NULL);
    }
    for (int i = 0; i < 300; i += 7) { /* holes in the refs, also the first and a run */
        snprintf(id, sizeof id, "r%d", i);
        assert_ok(scv_engine_delete(e, SCV_SOURCE_CRM, S(id)));
    }
    assert_ok(scv_engine_delete(e, SCV_SOURCE_CRM, S("r1")));
    assert_ok(scv_engine_delete(e, SCV_SOURCE_CRM, S("r2")));
    scv_record_ref want_refs[300];
    scv_profile_id want[300];
    size_t count = 0;
    for (scv_record_ref r = 0; scv_engine_record_next(e, r, &r) == SCV_OK;) {
        want_refs[count] = r;
        assert_ok(scv_engine_record_profile(e, r, &want[count]));
        count++;
    }
    assert_int_equal(count, scv_engine_record_count(e));
    static const size_t caps[] = {1, 2, 31, 32, 33, 64, 1000};
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
        scv_record_ref refs[1000];
        scv_profile_id ids[1000];
        size_t n, got = 0;
        scv_record_ref after = 0;
        while (scv_engine_record_profiles(e, after, refs, ids, caps[c], &n) == SCV_OK) {
            assert_true(n >= 1 && n <= caps[c]);
            assert_true(got + n <= count);
            assert_memory_equal(refs, want_refs + got, n * sizeof *refs);
            assert_memory_equal(ids, want + got, n * sizeof *ids);
            got += n;
            after = refs[n - 1];
        }
        assert_int_equal(got, count);
        assert_int_equal(n, 0);
    }
    scv_record_ref refs[4];
    scv_profile_id ids[4];
    size_t n = 9;
    assert_status(scv_engine_record_profiles(e, 100000, refs, ids, 4, &n), SCV_ENOTFOUND);
    assert_int_equal(n, 0);
    assert_status(scv_engine_record_profiles(NULL, 0, refs, ids, 4, &n), SCV_EINVAL);
    assert_status(scv_engine_record_profiles(e, 0, NULL, ids, 4, &n), SCV_EINVAL);
    assert_status(scv_engine_record_profiles(e, 0, refs, NULL, 4, &n), SCV_EINVAL);
    assert_status(scv_engine_record_profiles(e, 0, refs, ids, 0, &n), SCV_EINVAL);
    assert_status(scv_engine_record_profiles(e, 0, refs, ids, 4, NULL), SCV_EINVAL);
    scv_engine_free(e);

    scv_engine *empty = test_engine();
    assert_status(scv_engine_record_profiles(empty, 0, refs, ids, 4, &n), SCV_ENOTFOUND);
    scv_engine_free(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocation_failure_at_every_call_leaves_engine_unchanged),
        cmocka_unit_test(allocation_failure_under_rules_leaves_engine_unchanged),
        cmocka_unit_test(reserve_changes_nothing_observable),
        cmocka_unit_test(shrink_changes_nothing_observable),
        cmocka_unit_test(allocation_failure_in_queries_views_and_snapshots),
        cmocka_unit_test(failed_engine_and_options_creation_report_enomem),
        cmocka_unit_test(incomplete_allocator_is_rejected),
        cmocka_unit_test(free_functions_accept_null),
        cmocka_unit_test(version_matches_header),
        cmocka_unit_test(every_status_has_a_name),
        cmocka_unit_test(null_arguments_are_einval),
        cmocka_unit_test(builder_needs_reset_before_fields_and_upsert),
        cmocka_unit_test(builder_of_another_engine_is_refused),
        cmocka_unit_test(invalid_utf8_and_nul_are_rejected_with_offset),
        cmocka_unit_test(bad_bytes_around_word_edges_are_found_at_their_offset),
        cmocka_unit_test(reused_builder_keeps_each_records_fields),
        cmocka_unit_test(builder_record_keys_match_lookups),
        cmocka_unit_test(builder_identifier_hashes_match_lookups),
        cmocka_unit_test(builder_keeps_raw_values_for_engines_that_retain_them),
        cmocka_unit_test(over_long_values_are_rejected),
        cmocka_unit_test(too_many_identifiers_and_fields_hit_limits),
        cmocka_unit_test(builder_outgrows_its_own_room),
        cmocka_unit_test(record_prefetch_changes_nothing),
        cmocka_unit_test(rejected_identifier_has_reason_and_builder_keeps_the_rest),
        cmocka_unit_test(kinds_register_validate_and_look_up),
        cmocka_unit_test(sources_register_and_look_up),
        cmocka_unit_test(normalize_reports_size_and_reason),
        cmocka_unit_test(hash_depends_on_key_kind_and_normalized_value),
        cmocka_unit_test(hashes_only_engine_keeps_no_values),
        cmocka_unit_test(region_and_options_validation),
        cmocka_unit_test(record_profiles_in_bulk_match_one_by_one),
    };
    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
