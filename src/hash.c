/* hash.c — XXH3 wrappers. xxHash is compiled into this file only, with every symbol static
 * (XXH_INLINE_ALL), so libscv exports no XXH* symbol. */
#define XXH_INLINE_ALL
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "hash.h"

#include <string.h>

void scv__hasher_init(scv__hasher *h, const void *key, size_t len)
{
    memset(h, 0, sizeof *h);
    if (len == 0) {
        h->keyed = 0;
        return;
    }
    /* Cannot fail: the secret buffer is larger than XXH3_SECRET_SIZE_MIN and len > 0. */
    (void)XXH3_generateSecret(h->secret, sizeof h->secret, key, len);
    h->keyed = 1;
}

/* XXH3-128 under the hasher's secret, any length. */
static inline XXH128_hash_t hash128_any(const scv__hasher *h, const void *data, size_t len)
{
    return h->keyed ? XXH3_128bits_withSecret(data, len, h->secret, sizeof h->secret)
                    : XXH3_128bits(data, len);
}

/* XXH3's paths for inputs over 128 bytes need many registers, which a function holding them
 * saves and restores on every call. Identifiers and record keys are nearly all shorter, so the
 * long paths are a call of their own, and scv__hash128() has the short ones inline (flatten:
 * XXH3's entry points, used twice here, are not inlined otherwise): some 4 instructions less
 * a hash, of about 80. The bytes hashed and the result are the same either way. */
#if defined(__GNUC__)
#define HASH_NOINLINE __attribute__((noinline))
#define HASH_FLATTEN __attribute__((flatten))
#else
#define HASH_NOINLINE
#define HASH_FLATTEN
#endif

static HASH_NOINLINE XXH128_hash_t hash128_long(const scv__hasher *h, const void *data, size_t len)
{
    return hash128_any(h, data, len);
}

HASH_FLATTEN scv__h128 scv__hash128(const scv__hasher *h, const void *data, size_t len)
{
    XXH128_hash_t x = len <= 128 ? hash128_any(h, data, len) : hash128_long(h, data, len);
    scv__h128 r;
    r.hi = x.high64;
    r.lo = x.low64;
    return r;
}

uint64_t scv__hash64(const void *data, size_t len)
{
    return XXH3_64bits(data, len);
}

void scv__h128_to_bytes(scv__h128 h, uint8_t out[16])
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(h.hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(h.lo >> (56 - 8 * i));
    }
}
