/* test_absorb.c — combining engines: halves absorbed into one resolve like one engine fed
 * everything; absorbing into an empty engine matches a snapshot round trip; hash keys,
 * kinds, sources, suppression and blocked values carried over. */
#include "test.h"

/* ---- a generated data set: people, messy formats, a store phone, shared identifiers ---------- */

#define PEOPLE 700
#define RECORDS 3200

typedef struct gen_record {
    const char *source;
    char id[24];
    int64_t ts;
    int n;
    scv_kind kind[10];
    char value[10][48];
    char city[16];
    double total;
} gen_record;

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void add_value(gen_record *r, scv_kind kind, const char *value)
{
    assert_true(r->n < (int)(sizeof r->kind / sizeof r->kind[0]));
    r->kind[r->n] = kind;
    snprintf(r->value[r->n], sizeof r->value[0], "%s", value);
    r->n++;
}

/* Person p's e-mail, phone and customer number, each in one of several spellings. */
static void email_of(int p, char *out, size_t cap)
{
    static const char *const forms[] = {"person%d@shop.de", " Person%d@Shop.DE", "PERSON%d@shop.de "};
    snprintf(out, cap, forms[rnd(3)], p);
}

static void phone_of(int p, char *out, size_t cap)
{
    static const char *const forms[] = {"030 4%06d", "+49 30 4%06d", "0049-30-4%06d", "(030) 4%06d"};
    snprintf(out, cap, forms[rnd(4)], p);
}

static void make_record(gen_record *r, int i)
{
    static const char *const sources[] = {"crm", "web", "email", "pos"};
    char v[48];
    int p = (int)rnd(PEOPLE);
    memset(r, 0, sizeof *r);
    r->source = sources[rnd(4)];
    snprintf(r->id, sizeof r->id, "r%d", i);
    r->ts = 1700000000 + (int64_t)rnd(400) * 86400;
    snprintf(r->city, sizeof r->city, "city%u", rnd(9));
    r->total = (double)rnd(500) / 4;
    if (rnd(3) != 0) email_of(p, v, sizeof v), add_value(r, SCV_KIND_EMAIL, v);
    if (rnd(2) != 0) phone_of(p, v, sizeof v), add_value(r, SCV_KIND_PHONE, v);
    if (rnd(4) == 0) snprintf(v, sizeof v, "C%05d", p), add_value(r, SCV_KIND_CUSTOMER_ID, v);
    if (rnd(5) == 0) snprintf(v, sizeof v, "anon-%d-%u", p, rnd(3)), add_value(r, SCV_KIND_ANONYMOUS_ID, v);
    if (rnd(40) == 0) add_value(r, SCV_KIND_EMAIL, "test@test.com"); /* blocked */
    if (rnd(60) == 0) add_value(r, SCV_KIND_CUSTOMER_ID, "-1");
    if (rnd(25) == 0) { /* a household: one landline for two people */
        snprintf(v, sizeof v, "0228 %06d", p / 2);
        add_value(r, SCV_KIND_PHONE, v);
    }
    if (r->n == 0 || (r->source[0] == 'p' && rnd(6) == 0)) { /* walk-in: the store phone */
        snprintf(v, sizeof v, "L%05u", rnd(PEOPLE * 4));
        add_value(r, SCV_KIND_LOYALTY_ID, v);
        add_value(r, SCV_KIND_PHONE, "030 5550000");
    }
}

static gen_record *make_data(uint64_t seed)
{
    gen_record *d = calloc(RECORDS, sizeof *d);
    assert_non_null(d);
    rng_state = seed;
    for (int i = 0; i < RECORDS; i++) make_record(&d[i], i);
    return d;
}

static void upsert_gen(scv_engine *e, const gen_record *g)
{
    scv_record *r;
    scv_source src;
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_engine_source(e, S(g->source), &src));
    assert_ok(scv_record_reset(r, src, S(g->id)));
    assert_ok(scv_record_set_timestamp(r, g->ts));
    for (int i = 0; i < g->n; i++) assert_ok(scv_record_add_identifier(r, g->kind[i], S(g->value[i])));
    assert_ok(scv_record_add_trait(r, S("city"), S(g->city)));
    assert_ok(scv_record_add_measure(r, S("order_total"), g->total));
    assert_ok(scv_record_add_consent(r, S("email"), g->total > 60, SCV_NO_TIMESTAMP));
    assert_ok(scv_engine_upsert(e, r, NULL));
    scv_record_free(r);
}

static scv_engine *engine_with_key(const char *key)
{
    scv_options *o = NULL;
    scv_engine *e = NULL;
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, SCV_RETAIN_RAW));
    assert_ok(scv_options_set_hash_key(o, S(key)));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    return e;
}

/* Records [from, to) with step `step` of the data set. */
static void feed(scv_engine *e, const gen_record *d, int from, int to, int step)
{
    for (int i = from; i < to; i += step) upsert_gen(e, &d[i]);
}

/* ---- partitions as sets of record sets ------------------------------------------------------ */

/* label[i] = the first data-set record (by index) in record i's profile; -1 when absent. */
static int *partition(const scv_engine *e, const gen_record *d)
{
    int *label = malloc(RECORDS * sizeof *label);
    scv_profile_id *first = calloc(RECORDS * 4 + 16, sizeof *first); /* profile id -> 1 + index */
    size_t n_first = RECORDS * 4 + 16;
    assert_non_null(label);
    assert_non_null(first);
    for (int i = 0; i < RECORDS; i++) {
        scv_source src;
        scv_record_ref ref;
        scv_profile_id p;
        label[i] = -1;
        assert_ok(scv_engine_source(e, S(d[i].source), &src));
        if (scv_engine_record_find(e, src, S(d[i].id), &ref) != SCV_OK) continue;
        assert_ok(scv_engine_record_profile(e, ref, &p));
        assert_true(p < n_first);
        if (first[p] == 0) first[p] = (scv_profile_id)i + 1;
        label[i] = (int)first[p] - 1;
    }
    free(first);
    return label;
}

static void assert_same_partition(const scv_engine *a, const scv_engine *b, const gen_record *d)
{
    int *la = partition(a, d), *lb = partition(b, d);
    for (int i = 0; i < RECORDS; i++)
        if (la[i] != lb[i])
            fail_msg("record %s: grouped with %d in one engine, with %d in the other", d[i].id, la[i], lb[i]);
    assert_int_equal(scv_engine_profile_count(a), scv_engine_profile_count(b));
    free(la);
    free(lb);
}

static uint64_t stat_of(const scv_engine *e, scv_stat s)
{
    uint64_t v;
    assert_ok(scv_engine_stat(e, s, &v));
    return v;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void halves_absorbed_resolve_like_one_engine_fed_everything(void **state)
{
    (void)state;
    gen_record *d = make_data(0x5eed1234u);
    scv_engine *all = engine_with_key("k"), *a = engine_with_key("k"), *b = engine_with_key("k");
    feed(all, d, 0, RECORDS, 1);
    feed(a, d, 0, RECORDS, 2);
    feed(b, d, 1, RECORDS, 2);
    assert_ok(scv_engine_absorb(a, b));
    assert_int_equal(scv_engine_record_count(a), RECORDS);
    assert_same_partition(all, a, d);
    assert_true(stat_of(all, SCV_STAT_GENERIC_VALUES) >= 1); /* the store phone */
    assert_true(stat_of(all, SCV_STAT_BLOCKED_VALUES) >= 1);
    assert_true(stat_of(all, SCV_STAT_MERGES) >= 100);
    assert_int_equal(stat_of(a, SCV_STAT_GENERIC_VALUES), stat_of(all, SCV_STAT_GENERIC_VALUES));
    assert_int_equal(stat_of(a, SCV_STAT_BLOCKED_VALUES), stat_of(all, SCV_STAT_BLOCKED_VALUES));
    assert_int_equal(scv_engine_identifier_count(a), scv_engine_identifier_count(all));
    /* Halves in the other order, and first/second half instead of interleaved. */
    scv_engine *c = engine_with_key("k"), *f = engine_with_key("k");
    feed(c, d, RECORDS / 2, RECORDS, 1);
    feed(f, d, 0, RECORDS / 2, 1);
    assert_ok(scv_engine_absorb(c, f));
    assert_same_partition(all, c, d);
    scv_engine_free(all);
    scv_engine_free(a);
    scv_engine_free(b);
    scv_engine_free(c);
    scv_engine_free(f);
    free(d);
}

static void absorbing_twice_changes_nothing(void **state)
{
    (void)state;
    gen_record *d = make_data(77);
    scv_engine *a = engine_with_key("k"), *b = engine_with_key("k");
    feed(a, d, 0, RECORDS, 2);
    feed(b, d, 1, RECORDS, 2);
    assert_ok(scv_engine_absorb(a, b));
    int *before = partition(a, d);
    size_t profiles = scv_engine_profile_count(a);
    assert_ok(scv_engine_absorb(a, b));
    int *after = partition(a, d);
    assert_memory_equal(before, after, RECORDS * sizeof *before);
    assert_int_equal(scv_engine_profile_count(a), profiles);
    assert_int_equal(scv_engine_record_count(a), RECORDS);
    free(before);
    free(after);
    scv_engine_free(a);
    scv_engine_free(b);
    free(d);
}

static void absorbing_into_an_empty_engine_matches_a_round_trip(void **state)
{
    (void)state;
    gen_record *d = make_data(4242);
    scv_engine *src = engine_with_key("k"), *dst = engine_with_key("k"), *loaded = NULL;
    scv_options *o = NULL;
    feed(src, d, 0, RECORDS, 1);
    scv_source s10;
    assert_ok(scv_engine_source(src, S(d[10].source), &s10));
    assert_ok(scv_engine_delete(src, s10, S(d[10].id))); /* a deleted slot is not absorbed */
    size_t size, written;
    assert_ok(scv_engine_snapshot_size(src, &size));
    void *buf = malloc(size);
    assert_ok(scv_engine_snapshot_write(src, buf, size, &written));
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_hash_key(o, S("k")));
    assert_ok(scv_engine_load(o, buf, size, &loaded));
    assert_ok(scv_engine_absorb(dst, src));
    assert_same_partition(loaded, dst, d);
    assert_int_equal(scv_engine_record_count(dst), scv_engine_record_count(loaded));
    assert_int_equal(scv_engine_identifier_count(dst), scv_engine_identifier_count(loaded));
    /* A record's view came along: traits, measures, consent, timestamps. */
    scv_record_ref ref;
    scv_profile_id p;
    const char *city;
    size_t len;
    double sum_a, sum_b;
    for (int i = 0; i < 50; i++) {
        scv_source s;
        assert_ok(scv_engine_source(dst, S(d[i].source), &s));
        if (scv_engine_record_find(dst, s, S(d[i].id), &ref) != SCV_OK) continue;
        assert_ok(scv_engine_record_profile(dst, ref, &p));
        assert_ok(scv_profile_trait(dst, p, S("city"), &city, &len, NULL));
        assert_ok(scv_profile_measure(dst, p, S("order_total"), SCV_AGG_SUM, 0, 0, &sum_a));
        scv_profile_id q;
        assert_ok(scv_engine_record_find(loaded, s, S(d[i].id), &ref));
        assert_ok(scv_engine_record_profile(loaded, ref, &q));
        assert_ok(scv_profile_measure(loaded, q, S("order_total"), SCV_AGG_SUM, 0, 0, &sum_b));
        assert_true(sum_a == sum_b);
        const char *city_b;
        size_t len_b;
        assert_ok(scv_profile_trait(loaded, q, S("city"), &city_b, &len_b, NULL));
        assert_int_equal(len, len_b);
        assert_memory_equal(city, city_b, len);
    }
    free(buf);
    scv_options_free(o);
    scv_engine_free(src);
    scv_engine_free(dst);
    scv_engine_free(loaded);
    free(d);
}

static void different_hash_keys_are_refused(void **state)
{
    (void)state;
    scv_engine *a = engine_with_key("one"), *b = engine_with_key("two");
    test_upsert(b, "crm", "x", "email=x@y.de", NULL);
    assert_status(scv_engine_absorb(a, b), SCV_EINVAL);
    assert_int_equal(scv_engine_record_count(a), 0);
    assert_status(scv_engine_absorb(a, a), SCV_EINVAL);
    assert_status(scv_engine_absorb(NULL, b), SCV_EINVAL);
    assert_status(scv_engine_absorb(a, NULL), SCV_EINVAL);
    scv_engine_free(a);
    scv_engine_free(b);
}

static void kinds_and_sources_registered_only_in_src_appear_in_dst(void **state)
{
    (void)state;
    scv_engine *dst = engine_with_key("k"), *src = engine_with_key("k");
    scv_kind tiktok, ig_src, ig_dst;
    scv_source app_src, app_dst, kiosk;
    assert_ok(scv_engine_register_kind(dst, S("tiktok"), SCV_NORM_EXACT, &tiktok));
    assert_ok(scv_engine_register_source(dst, S("kiosk"), &kiosk));
    assert_ok(scv_engine_register_kind(src, S("instagram"), SCV_NORM_CASEFOLD, &ig_src));
    assert_ok(scv_engine_register_source(src, S("app"), &app_src));
    test_upsert(src, "app", "a1", "instagram=@Jane", "email=jane@x.de", NULL);
    test_upsert(dst, "crm", "c1", "email=jane@x.de", NULL);
    assert_ok(scv_engine_absorb(dst, src));
    assert_ok(scv_engine_kind(dst, S("instagram"), &ig_dst));
    assert_int_not_equal(ig_dst, ig_src); /* numbered after dst's own kind */
    size_t len;
    assert_non_null(scv_engine_kind_name(dst, ig_dst, &len));
    assert_ok(scv_engine_source(dst, S("app"), &app_dst));
    scv_profile_id p, q;
    assert_ok(scv_engine_identifier_profile(dst, ig_dst, S("@jane"), &p));
    q = test_profile_of(dst, "crm", "c1");
    assert_int_equal(p, q);
    assert_int_equal(test_profile_of(dst, "app", "a1"), q);
    /* Same name, other normalizer: refused. */
    scv_engine *other = engine_with_key("k");
    assert_ok(scv_engine_register_kind(other, S("instagram"), SCV_NORM_EXACT, NULL));
    assert_status(scv_engine_absorb(other, src), SCV_EINVAL);
    assert_int_equal(scv_engine_record_count(other), 0);
    scv_engine_free(other);
    scv_engine_free(dst);
    scv_engine_free(src);
}

static void suppression_and_blocked_values_are_carried_over(void **state)
{
    (void)state;
    scv_engine *dst = engine_with_key("k"), *src = engine_with_key("k");
    scv_record_ref ref;
    size_t n, suppressed;
    test_upsert(src, "crm", "gone", "email=gone@x.de", "phone=030 7654321", NULL);
    test_upsert(src, "crm", "k1", "email=keep@x.de", "customer_id=SHARED", NULL);
    test_upsert(src, "crm", "k2", "email=other@x.de", "customer_id=SHARED", NULL);
    assert_ok(scv_engine_block(src, SCV_KIND_CUSTOMER_ID, S("SHARED")));   /* carried */
    assert_ok(scv_engine_block(src, SCV_KIND_EMAIL, S("nobody@x.de")));     /* carried by none */
    assert_ok(scv_engine_erase(src, test_profile_of(src, "crm", "gone"), NULL, &suppressed));
    assert_int_equal(suppressed, 2);
    test_upsert(dst, "web", "w1", "email=gone@x.de", NULL); /* dst's own copy of the person */
    assert_ok(scv_engine_absorb(dst, src));
    assert_int_equal(scv_engine_suppressed_count(dst), 2);
    assert_int_not_equal(test_profile_of(dst, "crm", "k1"), test_profile_of(dst, "crm", "k2"));
    /* A replay of the erased person into dst drops the identifiers. */
    test_upsert(dst, "crm", "gone", "email=gone@x.de", "phone=030 7654321", NULL);
    assert_ok(scv_engine_record_find(dst, SCV_SOURCE_CRM, S("gone"), &ref));
    assert_ok(scv_record_identifiers(dst, ref, NULL, NULL, 0, &n));
    assert_int_equal(n, 0);
    /* Host-blocked values are blocked in dst, the one no record carries too. */
    scv_profile_id p;
    test_upsert(dst, "web", "w2", "email=nobody@x.de", NULL);
    test_upsert(dst, "web", "w3", "email=nobody@x.de", NULL);
    assert_int_not_equal(test_profile_of(dst, "web", "w2"), test_profile_of(dst, "web", "w3"));
    assert_status(scv_engine_identifier_profile(dst, SCV_KIND_CUSTOMER_ID, S("SHARED"), &p), SCV_ENOTFOUND);
    scv_engine_free(dst);
    scv_engine_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(halves_absorbed_resolve_like_one_engine_fed_everything),
        cmocka_unit_test(absorbing_twice_changes_nothing),
        cmocka_unit_test(absorbing_into_an_empty_engine_matches_a_round_trip),
        cmocka_unit_test(different_hash_keys_are_refused),
        cmocka_unit_test(kinds_and_sources_registered_only_in_src_appear_in_dst),
        cmocka_unit_test(suppression_and_blocked_values_are_carried_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
