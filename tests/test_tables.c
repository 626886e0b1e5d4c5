/* test_tables.c — the internal tables: htab (hash -> id with backward-shift removal), names
 * (interned strings), idtable (identifiers) and the UTF-8 checker. */
#include "test.h"

#include "hash.h"
#include "htab.h"
#include "idtable.h"
#include "names.h"
#include "util/mem.h"
#include "util/utf8.h"

static scv__h128 key_n(uint32_t i)
{
    static const scv__hasher h; /* default secret */
    return scv__hash128(&h, &i, sizeof i);
}

static void htab_finds_what_was_inserted_across_growth(void **state)
{
    (void)state;
    scv__mem m;
    scv__htab t = {0};
    enum { N = 20000 };
    static scv__h128 keys[N];
    assert_ok(scv__mem_init(&m, NULL));
    for (uint32_t i = 0; i < N; i++) {
        keys[i] = key_n(i);
        assert_ok(scv__htab_reserve(&m, &t, i + 1));
        assert_int_equal(scv__htab_find(&t, keys, keys[i]), SCV__NONE);
        scv__htab_insert(&t, keys[i], i);
    }
    for (uint32_t i = 0; i < N; i++) assert_int_equal(scv__htab_find(&t, keys, keys[i]), i);
    assert_true(t.count == N);
    assert_true(scv__htab_limit(&t) >= N);
    scv__htab_free(&m, &t);
}

static void htab_tag_collision_compares_full_key(void **state)
{
    (void)state;
    scv__mem m;
    scv__htab t = {0};
    scv__h128 keys[2] = {{0x1234567800000000ull, 5}, {0x1234567800000001ull, 5}}; /* same tag, same home */
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__htab_reserve(&m, &t, 2));
    scv__htab_insert(&t, keys[0], 0);
    assert_int_equal(scv__htab_find(&t, keys, keys[1]), SCV__NONE);
    scv__htab_insert(&t, keys[1], 1);
    assert_int_equal(scv__htab_find(&t, keys, keys[1]), 1);
    assert_int_equal(scv__htab_find(&t, keys, keys[0]), 0);
    scv__htab_free(&m, &t);
}

static void htab_remove_keeps_every_other_key_reachable(void **state)
{
    (void)state;
    scv__mem m;
    scv__htab t = {0};
    enum { N = 3000 };
    static scv__h128 keys[N];
    assert_ok(scv__mem_init(&m, NULL));
    /* Force long probe runs: keys share 16 tags (the tag places an entry), so runs are long
     * and tag matches must be told apart by the full key. */
    for (uint32_t i = 0; i < N; i++) {
        keys[i] = key_n(i);
        keys[i].hi = (keys[i].hi & 0xFFFFFFFFu) | (uint64_t)((i % 16) << 28) << 32;
    }
    assert_ok(scv__htab_reserve(&m, &t, N));
    for (uint32_t i = 0; i < N; i++) scv__htab_insert(&t, keys[i], i);
    for (uint32_t i = 0; i < N; i += 3) scv__htab_remove(&t, keys[i], i);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(scv__htab_find(&t, keys, keys[i]), i % 3 == 0 ? SCV__NONE : i);
    assert_int_equal(t.count, N - (N + 2) / 3);
    scv__htab_free(&m, &t);
}

static void names_intern_once_and_keep_insertion_order(void **state)
{
    (void)state;
    scv__mem m;
    scv__names n = {0};
    uint32_t a, b, c;
    size_t len;
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__names_add(&m, &n, S("email"), &a));
    assert_ok(scv__names_add(&m, &n, S("phone"), &b));
    assert_ok(scv__names_add(&m, &n, S("email"), &c));
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(c, 0);
    assert_int_equal(scv__names_count(&n), 2);
    assert_int_equal(scv__names_find(&n, S("phone")), 1);
    assert_int_equal(scv__names_find(&n, S("phon")), SCV__NONE);
    assert_memory_equal(scv__names_get(&n, 1, &len), "phone", 5);
    assert_ok(scv__names_add(&m, &n, "", 0, &c));
    assert_int_equal(scv__names_find(&n, "", 0), 2);
    scv__names_free(&m, &n);
}

/* Any name can be read as a block of SCV__NAMES_BLOCK bytes from its start (the record builder
 * copies kind and source names so): names added one by one and several after one reserve,
 * of every length around the block; the bytes after the last name are zeros. */
static void names_copy_reads_a_block_from_any_name(void **state)
{
    (void)state;
    scv__mem m;
    scv__names n = {0};
    char name[SCV_MAX_NAME_LEN], out[SCV_MAX_NAME_LEN + SCV__NAMES_BLOCK];
    size_t len, total = 0;
    uint32_t id;
    assert_ok(scv__mem_init(&m, NULL));
    for (size_t round = 0; round < 2; round++) {
        if (round == 1) {
            /* As resolve.c reserves for a record's new field names: all at once. */
            for (len = 1; len <= SCV__NAMES_BLOCK + 2; len++) total += len;
            assert_ok(scv__names_reserve(&m, &n, SCV__NAMES_BLOCK + 2, total));
        }
        for (len = 1; len <= SCV__NAMES_BLOCK + 2; len++) {
            for (size_t i = 0; i < len; i++) name[i] = (char)('a' + (i + len + 7 * round) % 26);
            if (round == 0)
                assert_ok(scv__names_add(&m, &n, name, len, &id));
            else
                id = scv__names_intern(&n, name, len);
            for (uint32_t k = 0; k <= id; k++) {
                size_t klen;
                const char *kname = scv__names_get(&n, k, &klen);
                assert_true(n.bytes.cap - n.items.data[k].off >= SCV__NAMES_BLOCK);
                assert_int_equal(scv__names_copy(&n, k, out), klen);
                assert_memory_equal(out, kname, klen);
            }
            memset(out, 0x55, sizeof out);
            assert_int_equal(scv__names_copy(&n, id, out), len);
            assert_memory_equal(out, name, len);
            for (size_t i = len; i < SCV__NAMES_BLOCK; i++) assert_int_equal(out[i], 0);
        }
    }
    /* Longer than the block: copied by its own length. */
    memset(name, 'z', sizeof name);
    assert_ok(scv__names_add(&m, &n, name, sizeof name, &id));
    assert_int_equal(scv__names_copy(&n, id, out), sizeof name);
    assert_memory_equal(out, name, sizeof name);
    scv__names_free(&m, &n);
}

static void idtable_interns_by_hash_and_keeps_values_when_retained(void **state)
{
    (void)state;
    scv__mem m;
    scv__idtable t = {0};
    t.retain = 1;
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(scv__idtable_reserve(&m, &t, 2, 10));
    int added;
    uint32_t a = scv__idtable_intern(&t, key_n(1), 0, SCV_LINK, S("a@x.de"), &added);
    assert_true(added);
    uint32_t b = scv__idtable_intern(&t, key_n(1), 0, SCV_LINK, S("a@x.de"), &added);
    assert_false(added);
    assert_int_equal(a, b);
    uint32_t c = scv__idtable_intern(&t, key_n(2), 3, SCV_LINK_BLOCKED, S("anon"), &added);
    assert_int_equal(c, 1);
    assert_int_equal(t.row.data[c].state, SCV_LINK_BLOCKED);
    assert_int_equal(t.row.data[c].head, SCV__NONE);
    assert_int_equal(t.row.data[c].kind, 3);
    assert_int_equal(t.row.data[c].anchor, SCV__NONE);
    assert_int_equal(t.row.data[c].refs, 0);
    assert_memory_equal(t.bytes.data + t.value.data[c].off, "anon", 4);
    assert_int_equal(scv__idtable_find(&t, key_n(3)), SCV__NONE);
    scv__idtable_free(&m, &t);
}

static void hash_is_xxh3_128_with_keyed_secret(void **state)
{
    (void)state;
    scv__hasher plain, keyed, keyed2;
    scv__hasher_init(&plain, NULL, 0);
    scv__hasher_init(&keyed, "k1", 2);
    scv__hasher_init(&keyed2, "k2", 2);
    scv__h128 a = scv__hash128(&plain, "abc", 3), b = scv__hash128(&keyed, "abc", 3);
    scv__h128 c = scv__hash128(&keyed2, "abc", 3), d = scv__hash128(&keyed, "abc", 3);
    /* XXH3_128bits("abc") with the default secret, as published by xxHash's test vectors:
     * 06B05AB6733A618578AF5F94892F3950. */
    assert_true(a.hi == 0x06B05AB6733A6185ull && a.lo == 0x78AF5F94892F3950ull);
    assert_false(scv__h128_eq(a, b));
    assert_false(scv__h128_eq(b, c));
    assert_true(scv__h128_eq(b, d));
    uint8_t bytes[16];
    scv__h128_to_bytes(a, bytes);
    assert_int_equal(bytes[0], 0x06);
    assert_int_equal(bytes[15], 0x50);
}

static void utf8_check_finds_first_bad_byte(void **state)
{
    (void)state;
    assert_int_equal(scv__utf8_check(S("plain ascii")), 11);
    assert_int_equal(scv__utf8_check(S("Köln €  \xF0\x9F\x98\x80")), strlen("Köln €  \xF0\x9F\x98\x80"));
    assert_int_equal(scv__utf8_check("ab\0c", 4), 2);
    assert_int_equal(scv__utf8_check("a\x80", 2), 1);          /* stray continuation */
    assert_int_equal(scv__utf8_check("a\xC3", 2), 1);          /* truncated */
    assert_int_equal(scv__utf8_check("\xC1\xBF", 2), 0);       /* overlong 2-byte */
    assert_int_equal(scv__utf8_check("\xE0\x80\xAF", 3), 0);   /* overlong 3-byte */
    assert_int_equal(scv__utf8_check("\xED\xA0\x80", 3), 0);   /* surrogate */
    assert_int_equal(scv__utf8_check("\xF4\x90\x80\x80", 4), 0); /* above U+10FFFF */
    assert_int_equal(scv__utf8_check("xx\xFF", 3), 2);
    assert_int_equal(scv__utf8_check(NULL, 0), 0);
}

static void reserve_grows_geometrically_and_reports_overflow(void **state)
{
    (void)state;
    scv__mem m;
    SCV__VEC(uint64_t) v = {0};
    assert_ok(scv__mem_init(&m, NULL));
    assert_ok(SCV__VEC_RESERVE(&m, v, 3));
    assert_true(v.cap >= 8);
    v.len = v.cap;
    size_t before = v.cap;
    assert_ok(SCV__VEC_RESERVE(&m, v, 1));
    assert_true(v.cap >= before + before / 2);
    assert_status(SCV__VEC_RESERVE(&m, v, SIZE_MAX), SCV_ENOMEM);
    assert_status(scv__reserve(&m, (void **)&v.data, &v.cap, SIZE_MAX / 4, 8), SCV_ENOMEM);
    SCV__VEC_FREE(&m, v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(htab_finds_what_was_inserted_across_growth),
        cmocka_unit_test(htab_tag_collision_compares_full_key),
        cmocka_unit_test(htab_remove_keeps_every_other_key_reachable),
        cmocka_unit_test(names_intern_once_and_keep_insertion_order),
        cmocka_unit_test(names_copy_reads_a_block_from_any_name),
        cmocka_unit_test(idtable_interns_by_hash_and_keeps_values_when_retained),
        cmocka_unit_test(hash_is_xxh3_128_with_keyed_secret),
        cmocka_unit_test(utf8_check_finds_first_bad_byte),
        cmocka_unit_test(reserve_grows_geometrically_and_reports_overflow),
    };
    return cmocka_run_group_tests_name("tables", tests, NULL, NULL);
}
