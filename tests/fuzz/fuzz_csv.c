/* fuzz_csv.c — libFuzzer target: any bytes as a CSV file into the scv program's reader.
 *
 * The input is parsed twice, with a buffer of 1..64 bytes (chosen by the first byte) and
 * with the default buffer, and both parses must give the same sequence of rows, errors and
 * line numbers: how the input happens to be split across reads must never change what is
 * read. Every field lies within the input's size, line numbers never go back, and each field
 * is also fed to the timestamp parser, which must not read past it. Any broken promise
 * aborts. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok) abort();
}

/* FNV-1a over the rows: status, line, field count, each field's length and bytes. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

/* Parse data with a reader buffer of `bufsize`; returns a digest of everything read. */
static uint64_t parse(const uint8_t *data, size_t size, size_t bufsize)
{
    FILE *fp = fmemopen((void *)data, size, "rb");
    check(fp != NULL);
    csv_reader *r = csv_reader_open(fp, bufsize);
    check(r != NULL);
    csv_row row;
    csv_status st;
    uint64_t h = 0xCBF29CE484222325ull;
    unsigned long last_line = 0;
    while ((st = csv_next_row(r, &row)) != CSV_EOF && st != CSV_FATAL) {
        h = mix(h, &st, sizeof st);
        if (st != CSV_OK) continue; /* error lines are reported where the bad byte is */
        check(row.line >= last_line);
        last_line = row.line;
        h = mix(h, &row.line, sizeof row.line);
        h = mix(h, &row.count, sizeof row.count);
        size_t total = 0;
        for (size_t i = 0; i < row.count; i++) {
            check(row.lengths[i] <= size);
            total += row.lengths[i];
            h = mix(h, &row.lengths[i], sizeof row.lengths[i]);
            h = mix(h, row.fields[i], row.lengths[i]);
            int64_t ts;
            (void)timeparse(row.fields[i], row.lengths[i], &ts);
        }
        check(total <= size);
    }
    csv_reader_close(r);
    fclose(fp);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t small = 1 + data[0] % 64;
    check(parse(data + 1, size - 1, small) == parse(data + 1, size - 1, 0));
    return 0;
}
