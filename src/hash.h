/* hash.h — the only place xxHash is used (header-only, XXH_INLINE_ALL, nothing exported).
 * Identifier hashes are XXH3-128 under a secret derived from the host's key; name tables and
 * record keys use the same keyed hash so that one engine's layout is not guessable. */
#ifndef SCV_HASH_H
#define SCV_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "scv.h"

/* A 128-bit hash. Never all-zero for a stored key is NOT guaranteed; compare both halves. */
typedef struct scv__h128 {
    uint64_t hi;
    uint64_t lo;
} scv__h128;

#define SCV__SECRET_SIZE 192

typedef struct scv__hasher {
    unsigned char secret[SCV__SECRET_SIZE];
    int keyed; /* 0: XXH3's default secret (empty key) */
} scv__hasher;

/* Derive the secret from the host key (len 0 = default secret). */
void scv__hasher_init(scv__hasher *h, const void *key, size_t len);

/* XXH3-128 of data[0..len) under the hasher's secret. */
scv__h128 scv__hash128(const scv__hasher *h, const void *data, size_t len);

/* Unkeyed XXH3-64, for small internal tables (names). */
uint64_t scv__hash64(const void *data, size_t len);

static inline int scv__h128_eq(scv__h128 a, scv__h128 b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

/* Big-endian bytes, high half first. */
void scv__h128_to_bytes(scv__h128 h, uint8_t out[16]);

#endif
