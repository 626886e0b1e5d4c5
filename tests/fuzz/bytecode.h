/* bytecode.h — reading the byte programs of the fuzz targets that drive an engine
 * (fuzz_ingest.c, fuzz_batch.c): a missing byte reads as 0, so every input is a program. */
#ifndef SCV_FUZZ_BYTECODE_H
#define SCV_FUZZ_BYTECODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t next(reader *r)
{
    if (r->n == 0) return 0;
    r->n--;
    return *r->p++;
}

/* A value: a length byte L; with bit 7 set, table[L & 15]; otherwise the next L & mask input
 * bytes as they are (fewer where the input ends). */
static const char *read_value(reader *r, const char *const table[16], uint8_t mask, size_t *len)
{
    uint8_t l = next(r);
    if (l & 0x80) {
        *len = strlen(table[l & 15]);
        return table[l & 15];
    }
    l &= mask;
    if (l > r->n) l = (uint8_t)r->n;
    const char *v = (const char *)r->p;
    r->p += l;
    r->n -= l;
    *len = l;
    return v;
}

#endif
