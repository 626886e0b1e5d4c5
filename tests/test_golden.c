/* test_golden.c — identifier hashes pinned for fixed inputs and keys. A change to
 * normalization or hashing that would silently re-key every stored snapshot and every
 * pseudonymised table fails here: such a change needs a new snapshot format version and a
 * migration note, not a quiet update of these vectors. */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "test.h"

static void hex(const uint8_t h[16], char out[33])
{
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void keyed_hashes_are_pinned(void **state)
{
    (void)state;
    static const struct {
        scv_kind kind;
        const char *value, *hash;
    } golden[] = {
        {SCV_KIND_EMAIL, "Jane.Doe@Example.org", "57b224cb0e539079d1ca678441d43ef6"},
        {SCV_KIND_PHONE, "030 1234567", "0d732d2c73c76ce36890694b6f44f317"},
        {SCV_KIND_CUSTOMER_ID, "C-1001", "4536ac8376f87e0cf5a0c1b36cd3530f"},
        {SCV_KIND_ANONYMOUS_ID, "anon-5b47", "d9b21cb8ef27a619a36b89ec44775297"},
        {SCV_KIND_DEVICE_ID, "ABCD-1234", "5afebd39d1858a1e80915afbed1edda3"},
        {SCV_KIND_LOYALTY_ID, "L848934863", "9563dc581e5416557935b86d08aba490"},
    };
    scv_options *o;
    scv_engine *e;
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_hash_key(o, S("golden vector key")));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        uint8_t h[16];
        char got[33];
        assert_ok(scv_engine_hash(e, golden[i].kind, S(golden[i].value), h));
        hex(h, got);
        if (strcmp(got, golden[i].hash) != 0)
            fail_msg("hash of %s changed: %s, pinned %s", golden[i].value, got, golden[i].hash);
    }
    scv_engine_free(e);
}

/* The definition in scv.h, recomputed with xxHash directly: XXH3-128 over the kind name, one
 * 0x00 byte and the normalized value; high 64 bits first. */
static void hash_is_xxh3_128_of_kind_nul_normalized_value(void **state)
{
    (void)state;
    scv_engine *e;
    uint8_t h[16], want[16];
    assert_ok(scv_engine_new(NULL, &e));
    assert_ok(scv_engine_hash(e, SCV_KIND_EMAIL, S("  A@B.de "), h));
    XXH128_hash_t x = XXH3_128bits("email\0a@b.de", 12);
    for (int i = 0; i < 8; i++) {
        want[i] = (uint8_t)(x.high64 >> (56 - 8 * i));
        want[8 + i] = (uint8_t)(x.low64 >> (56 - 8 * i));
    }
    assert_memory_equal(h, want, 16);
    char got[33];
    hex(h, got);
    assert_string_equal(got, "4e8b1fec6cfd3100d419e542604424c8");
    /* Keyed: the secret is XXH3_generateSecret(192 bytes) of the key. */
    scv_options *o;
    scv_engine *k;
    unsigned char secret[192];
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_hash_key(o, S("k")));
    assert_ok(scv_engine_new(o, &k));
    scv_options_free(o);
    assert_ok(scv_engine_hash(k, SCV_KIND_CUSTOMER_ID, S(" 42 "), h));
    (void)XXH3_generateSecret(secret, sizeof secret, "k", 1);
    x = XXH3_128bits_withSecret("customer_id\0" "42", 14, secret, sizeof secret);
    for (int i = 0; i < 8; i++) {
        want[i] = (uint8_t)(x.high64 >> (56 - 8 * i));
        want[8 + i] = (uint8_t)(x.low64 >> (56 - 8 * i));
    }
    assert_memory_equal(h, want, 16);
    scv_engine_free(k);
    scv_engine_free(e);
}

/* The same definition at every input length XXH3 treats differently (up to 16, 128 and 240
 * bytes, and longer; scv__hash128() calls apart the inputs over 128 bytes), keyed and not. */
static void hash_is_xxh3_128_at_every_length(void **state)
{
    (void)state;
    static const char prefix[] = "customer_id"; /* and its 0x00 byte: 12 bytes */
    char input[sizeof prefix + SCV_MAX_VALUE_LEN];
    unsigned char secret[192];
    scv_options *o;
    scv_engine *plain, *keyed;
    assert_ok(scv_engine_new(NULL, &plain));
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_hash_key(o, S("k")));
    assert_ok(scv_engine_new(o, &keyed));
    scv_options_free(o);
    (void)XXH3_generateSecret(secret, sizeof secret, "k", 1);
    memcpy(input, prefix, sizeof prefix);
    for (size_t len = 1; len <= SCV_MAX_VALUE_LEN; len += len < 300 ? 1 : 181) {
        char *value = input + sizeof prefix;
        uint8_t h[16], want[16];
        for (size_t i = 0; i < len; i++) value[i] = (char)('!' + (i * 7 + len) % 94);
        for (int k = 0; k < 2; k++) {
            XXH128_hash_t x = k ? XXH3_128bits_withSecret(input, sizeof prefix + len, secret, sizeof secret)
                                : XXH3_128bits(input, sizeof prefix + len);
            for (int i = 0; i < 8; i++) {
                want[i] = (uint8_t)(x.high64 >> (56 - 8 * i));
                want[8 + i] = (uint8_t)(x.low64 >> (56 - 8 * i));
            }
            assert_ok(scv_engine_hash(k ? keyed : plain, SCV_KIND_CUSTOMER_ID, value, len, h));
            if (memcmp(h, want, 16) != 0) fail_msg("hash of a %zu-byte value (keyed %d) differs", len, k);
        }
    }
    scv_engine_free(keyed);
    scv_engine_free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyed_hashes_are_pinned),
        cmocka_unit_test(hash_is_xxh3_128_of_kind_nul_normalized_value),
        cmocka_unit_test(hash_is_xxh3_128_at_every_length),
    };
    return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
