/* test_batch.c — scv_engine_upsert_batch(): the same engine as one scv_engine_upsert() per
 * record, whatever the batch size; the first failure stops it at that record; an allocation
 * failure hits the same record as with single upserts, and leaves the same engine. */
#include "test.h"

/* ---- an allocator that fails from the N-th call on ---------------------------------------- */

typedef struct {
    long calls;
    long fail_from; /* 0 = never */
} fail_ctx;

static void *f_alloc(void *ctx, size_t size)
{
    fail_ctx *c = ctx;
    if (++c->calls >= c->fail_from && c->fail_from != 0) return NULL;
    return malloc(size);
}

static void *f_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    fail_ctx *c = ctx;
    (void)old_size;
    if (++c->calls >= c->fail_from && c->fail_from != 0) return NULL;
    return realloc(p, new_size);
}

static void f_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

static scv_engine *engine_with(fail_ctx *c)
{
    scv_allocator a = {f_alloc, f_realloc, f_free, c};
    scv_options *o;
    scv_engine *e;
    assert_ok(scv_options_new(c != NULL ? &a : NULL, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, SCV_RETAIN_RAW));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, 4));
    return e;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Deterministic pseudo-random numbers. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Fill builder r with record i of a load that has everything upserts do: merges through
 * shared e-mails and phones, a shop phone that turns generic, placeholders, replacements
 * (record ids repeat, some with fewer identifiers), records with many identifiers, traits and
 * measures. */
static void fill(scv_record *r, size_t i)
{
    uint64_t s = i * 7919u + 1;
    char id[32], v[64];
    size_t person = next_rand(&s) % 150;
    snprintf(id, sizeof id, "r%zu", next_rand(&s) % 400); /* a record id comes back ~4 times */
    assert_ok(scv_record_reset(r, (scv_source)(i % 3), S(id)));
    snprintf(v, sizeof v, "person%zu@mail.de", person);
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S(v)));
    if (i % 3 != 0) {
        snprintf(v, sizeof v, "030 %07zu", 1000000 + person / 2); /* two people a phone */
        assert_ok(scv_record_add_identifier(r, SCV_KIND_PHONE, S(v)));
    }
    if (i % 7 == 0) assert_ok(scv_record_add_identifier(r, SCV_KIND_PHONE, S("040 5555555"))); /* the shop */
    if (i % 11 == 0) assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S("test@test.com")));
    if (i % 5 == 0) {
        snprintf(v, sizeof v, "C%zu", person);
        assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S(v)));
    }
    if (i % 97 == 0)
        for (size_t k = 0; k < 40; k++) {
            snprintf(v, sizeof v, "device-%zu-%zu", i, k);
            assert_ok(scv_record_add_identifier(r, SCV_KIND_DEVICE_ID, S(v)));
        }
    if (i % 2 == 0) assert_ok(scv_record_add_trait(r, S("city"), S(i % 4 == 0 ? "Berlin" : "Bonn")));
    if (i % 4 == 1) assert_ok(scv_record_add_measure(r, S("order_total"), (double)(i % 300)));
    assert_ok(scv_record_set_timestamp(r, 1700000000 + (int64_t)i));
}

#define N_RECORDS 1500

/* The engine's whole state, as its snapshot. */
static unsigned char *snapshot_of(const scv_engine *e, size_t *size)
{
    assert_ok(scv_engine_snapshot_size(e, size));
    unsigned char *buf = malloc(*size);
    assert_non_null(buf);
    size_t written;
    assert_ok(scv_engine_snapshot_write(e, buf, *size, &written));
    assert_int_equal(written, *size);
    return buf;
}

static void assert_same_engine(const scv_engine *a, const scv_engine *b)
{
    size_t na, nb;
    unsigned char *sa = snapshot_of(a, &na), *sb = snapshot_of(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(sa, sb, na);
    free(sa);
    free(sb);
}

/* Records [from, to) one scv_engine_upsert() each; returns the first failure, with *at its
 * record. */
static scv_status upsert_singly(scv_engine *e, size_t from, size_t to, scv_profile_id *profiles, size_t *at)
{
    scv_record *r;
    assert_ok(scv_record_new(e, &r));
    scv_status st = SCV_OK;
    for (*at = from; *at < to; (*at)++) {
        fill(r, *at);
        if ((st = scv_engine_upsert(e, r, profiles != NULL ? &profiles[*at] : NULL)) != SCV_OK) break;
    }
    scv_record_free(r);
    return st;
}

/* Records [from, to) in batches of `size`; returns the first failure, with *at its record. */
static scv_status upsert_batched(scv_engine *e, size_t from, size_t to, size_t size, scv_profile_id *profiles,
                                 size_t *at)
{
    scv_record **b = calloc(size, sizeof *b);
    assert_non_null(b);
    for (size_t k = 0; k < size; k++) assert_ok(scv_record_new(e, &b[k]));
    scv_status st = SCV_OK;
    for (*at = from; *at < to && st == SCV_OK;) {
        size_t m = to - *at < size ? to - *at : size, done = 0;
        for (size_t k = 0; k < m; k++) fill(b[k], *at + k);
        st = scv_engine_upsert_batch(e, (const scv_record *const *)b, m, profiles != NULL ? &profiles[*at] : NULL,
                                     &done);
        assert_true(st == SCV_OK ? done == m : done < m);
        *at += done;
    }
    for (size_t k = 0; k < size; k++) scv_record_free(b[k]);
    free(b);
    return st;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void batches_of_any_size_build_the_engine_single_upserts_build(void **state)
{
    (void)state;
    static scv_profile_id single_ids[N_RECORDS], batch_ids[N_RECORDS];
    static const size_t sizes[] = {1, 2, 7, 63, 64, 65, 200, N_RECORDS};
    size_t at;
    scv_engine *single = engine_with(NULL);
    assert_ok(upsert_singly(single, 0, N_RECORDS, single_ids, &at));
    uint64_t generic = 0;
    assert_ok(scv_engine_stat(single, SCV_STAT_GENERIC_VALUES, &generic));
    assert_true(generic > 0); /* the load exercises the generic rule */
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        scv_engine *batched = engine_with(NULL);
        memset(batch_ids, 0, sizeof batch_ids);
        assert_ok(upsert_batched(batched, 0, N_RECORDS, sizes[s], batch_ids, &at));
        assert_int_equal(at, N_RECORDS);
        assert_memory_equal(single_ids, batch_ids, sizeof single_ids);
        assert_same_engine(single, batched);
        scv_engine_free(batched);
    }
    scv_engine_free(single);
}

static void a_reserved_engine_gives_the_same_engine(void **state)
{
    (void)state;
    size_t at;
    scv_engine *single = engine_with(NULL), *batched = engine_with(NULL);
    assert_ok(scv_engine_reserve(batched, N_RECORDS, N_RECORDS));
    assert_ok(upsert_singly(single, 0, N_RECORDS, NULL, &at));
    assert_ok(upsert_batched(batched, 0, N_RECORDS, 128, NULL, &at));
    assert_same_engine(single, batched);
    scv_engine_free(single);
    scv_engine_free(batched);
}

static void argument_errors(void **state)
{
    (void)state;
    scv_engine *e = engine_with(NULL);
    scv_record *r;
    size_t done = 99;
    assert_ok(scv_record_new(e, &r));
    fill(r, 0);
    const scv_record *one[] = {r};
    assert_status(scv_engine_upsert_batch(NULL, one, 1, NULL, &done), SCV_EINVAL);
    assert_int_equal(done, 0);
    assert_status(scv_engine_upsert_batch(e, NULL, 1, NULL, NULL), SCV_EINVAL);
    assert_ok(scv_engine_upsert_batch(e, NULL, 0, NULL, &done));
    assert_int_equal(done, 0);
    assert_ok(scv_engine_upsert_batch(e, one, 0, NULL, &done));
    assert_int_equal(scv_engine_record_count(e), 0);
    scv_record_free(r);
    scv_engine_free(e);
}

/* A NULL entry, a builder of another engine and a builder never reset stop the batch at
 * their index; the records before them are in, nothing after. */
static void the_first_bad_entry_stops_the_batch(void **state)
{
    (void)state;
    scv_engine *e = engine_with(NULL), *other = engine_with(NULL), *expected = engine_with(NULL);
    scv_record *b[6], *foreign, *blank;
    size_t done, at;
    for (size_t k = 0; k < 6; k++) {
        assert_ok(scv_record_new(e, &b[k]));
        fill(b[k], k);
    }
    assert_ok(scv_record_new(other, &foreign));
    fill(foreign, 9);
    assert_ok(scv_record_new(e, &blank));
    assert_ok(upsert_singly(expected, 0, 3, NULL, &at));

    const scv_record *with_null[] = {b[0], b[1], b[2], NULL, b[4], b[5]};
    assert_status(scv_engine_upsert_batch(e, with_null, 6, NULL, &done), SCV_EINVAL);
    assert_int_equal(done, 3);
    assert_same_engine(expected, e);

    /* The first three again (each replaced by itself), then the foreign builder. */
    const scv_record *with_foreign[] = {b[0], b[1], b[2], foreign, b[4]};
    assert_ok(upsert_singly(expected, 0, 3, NULL, &at));
    assert_status(scv_engine_upsert_batch(e, with_foreign, 5, NULL, &done), SCV_ESTATE);
    assert_int_equal(done, 3);
    assert_same_engine(expected, e);

    const scv_record *with_blank[] = {b[0], blank, b[2]};
    assert_ok(upsert_singly(expected, 0, 1, NULL, &at));
    assert_status(scv_engine_upsert_batch(e, with_blank, 3, NULL, &done), SCV_ESTATE);
    assert_int_equal(done, 1);
    assert_true(strlen(scv_engine_errmsg(e)) > 0);
    assert_same_engine(expected, e);

    for (size_t k = 0; k < 6; k++) scv_record_free(b[k]);
    scv_record_free(foreign);
    scv_record_free(blank);
    scv_engine_free(e);
    scv_engine_free(other);
    scv_engine_free(expected);
}

/* From some allocation on, every allocation fails: a batch fails at the record single upserts
 * fail at, with SCV_ENOMEM, and the engine is the one single upserts leave — for every
 * allocation the load makes (a first round, failing nothing, counts them). The builders are
 * made before the failures start (filling them allocates nothing more: each first holds the
 * largest record). */
static void allocation_failure_stops_where_single_upserts_stop(void **state)
{
    (void)state;
    size_t failures = 0;
    long allocations = 0;
    for (long after = 0; after <= allocations + 1; after++) {
        fail_ctx cs = {0, 0}, cb = {0, 0};
        scv_engine *single = engine_with(&cs), *batched = engine_with(&cb);
        size_t at_single, at_batch;
        /* Both engines first hold the same 300 records (the batched one by batches). */
        assert_ok(upsert_singly(single, 0, 300, NULL, &at_single));
        assert_ok(upsert_batched(batched, 0, 300, 64, NULL, &at_batch));
        /* Builders for the rest, warmed on the largest record (i = 97 * k carries 40 more). */
        scv_record *r, *b[64];
        assert_ok(scv_record_new(single, &r));
        fill(r, 970);
        for (size_t k = 0; k < 64; k++) {
            assert_ok(scv_record_new(batched, &b[k]));
            fill(b[k], 970);
        }
        cs.calls = cb.calls = 0;
        cs.fail_from = cb.fail_from = after;
        scv_status st_single = SCV_OK, st_batch = SCV_OK;
        for (at_single = 300; at_single < N_RECORDS; at_single++) {
            fill(r, at_single);
            if ((st_single = scv_engine_upsert(single, r, NULL)) != SCV_OK) break;
        }
        for (at_batch = 300; at_batch < N_RECORDS && st_batch == SCV_OK;) {
            size_t m = N_RECORDS - at_batch < 64 ? N_RECORDS - at_batch : 64, done;
            for (size_t k = 0; k < m; k++) fill(b[k], at_batch + k);
            st_batch = scv_engine_upsert_batch(batched, (const scv_record *const *)b, m, NULL, &done);
            at_batch += done;
        }
        if (after == 0) allocations = cs.calls; /* the first round fails nothing: it counts */
        assert_int_equal(st_single, st_batch);
        assert_int_equal(at_single, at_batch);
        if (st_single != SCV_OK) {
            assert_int_equal(st_single, SCV_ENOMEM);
            failures++;
        }
        cs.fail_from = cb.fail_from = 0;
        assert_same_engine(single, batched);
        scv_record_free(r);
        for (size_t k = 0; k < 64; k++) scv_record_free(b[k]);
        scv_engine_free(single);
        scv_engine_free(batched);
    }
    assert_true(allocations > 5);
    assert_true(failures > 5); /* the failures did hit upserts */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batches_of_any_size_build_the_engine_single_upserts_build),
        cmocka_unit_test(a_reserved_engine_gives_the_same_engine),
        cmocka_unit_test(argument_errors),
        cmocka_unit_test(the_first_bad_entry_stops_the_batch),
        cmocka_unit_test(allocation_failure_stops_where_single_upserts_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
