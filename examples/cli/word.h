/*
 * word.h — eight bytes of text as one little-endian 64-bit word, for the program's
 * word-at-a-time scans (csv.c: commas; timeparse.c: digits). Little-endian whatever the
 * machine: byte k of the text is byte k of the word, so the lowest marked byte of a mask
 * made from it is the first one in the text.
 */
#ifndef SCV_CLI_WORD_H
#define SCV_CLI_WORD_H

#include <stdint.h>
#include <string.h>

/* The 8 bytes at p (any alignment). */
static inline uint64_t word_load_le(const char *p) {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, p, sizeof w); /* one unaligned load */
    return w;
#else
    const unsigned char *u = (const unsigned char *)p;
    uint64_t w = 0;
    int k;
    for (k = 7; k >= 0; k--) {
        w = (w << 8) | u[k];
    }
    return w;
#endif
}

#endif
