/*
 * word.h — eight bytes of text as one little-endian 64-bit word, for the program's
 * word-at-a-time scans (csv.c: commas; timeparse.c: digits; ingest.c and output.c: whole
 * cells through word_fold()). Little-endian whatever the
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

/*
 * The OR of test(w) over words w that together cover s[0..len), reading nothing outside it
 * (a cell may end the reader's buffer): eight bytes a step, the last step overlapping the one
 * before; four to seven bytes as two overlapping halves of one word; under four, the bytes
 * with 'a' after them. So `test` must give 0 for a word of 'a's, and may see a byte twice.
 * Inline with a constant `test`, which the compiler then inlines too.
 */
static inline uint64_t word_fold(const char *s, size_t len, uint64_t (*test)(uint64_t)) {
    uint64_t any = 0;
    size_t i;
    if (len >= 8) {
        for (i = 0; i + 8 < len; i += 8) {
            any |= test(word_load_le(s + i));
        }
        return any | test(word_load_le(s + len - 8));
    }
    if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, s, sizeof a);
        memcpy(&b, s + len - 4, sizeof b);
        return test((uint64_t)a << 32 | b);
    }
    {
        char pad[8] = {'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};
        if (len > 0) {
            memcpy(pad, s, len);
        }
        return test(word_load_le(pad));
    }
}

#endif
