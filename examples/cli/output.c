/*
 * output.c — the scv program's CSV and JSON Lines writers (output.h). The JSON of a profile
 * is the library's (scv_profile_json); this file only sizes the buffer and adds line ends.
 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

/* Longest CSV line: source name, a record id quoted with every byte doubled, a profile id. */
#define LINE_MAX_BYTES (SCV_MAX_NAME_LEN + 2 * SCV_MAX_RECORD_ID_LEN + 2 + 16)

/* Write v's decimal digits so they end just before `end`; return where they start. */
static char *format_u32(char *end, uint32_t v) {
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return end;
}

static int needs_quotes(const char *s, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\r' || c == '\n') {
            return 1;
        }
    }
    return 0;
}

/* Append s[0..len) to w as a CSV field; return the new end. */
static char *put_csv_field(char *w, const char *s, size_t len) {
    size_t i;
    if (!needs_quotes(s, len)) {
        memcpy(w, s, len);
        return w + len;
    }
    *w++ = '"';
    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            *w++ = '"';
        }
        *w++ = s[i];
    }
    *w++ = '"';
    return w;
}

/* Bytes of output collected before one fwrite(): one call per line cost more than making
 * the lines. */
#define OUT_CHUNK ((size_t)64 << 10)

/* Records whose profiles are asked for at once (scv_engine_record_profiles). */
#define OUT_RECORDS 1024

int output_assignments(FILE *out, const scv_engine *engine) {
    char chunk[OUT_CHUNK];
    char *w = chunk;
    scv_record_ref refs[OUT_RECORDS];
    scv_profile_id profiles[OUT_RECORDS];
    scv_record_ref after = 0;
    size_t n;
    fputs("source,record_id,profile_id\n", out);
    while (scv_engine_record_profiles(engine, after, refs, profiles, OUT_RECORDS, &n) == SCV_OK) {
        for (size_t i = 0; i < n; i++) {
            scv_source source;
            const char *id;
            size_t id_len;
            const char *name;
            size_t name_len = 0;
            char digits[16];
            char *num;
            if (scv_engine_record_info(engine, refs[i], &source, &id, &id_len, NULL) != SCV_OK ||
                (name = scv_engine_source_name(engine, source, &name_len)) == NULL ||
                id_len > SCV_MAX_RECORD_ID_LEN || name_len > SCV_MAX_NAME_LEN) {
                fwrite(chunk, 1, (size_t)(w - chunk), out);
                fprintf(stderr, "scv: record %lu cannot be read back\n", (unsigned long)refs[i]);
                return -1;
            }
            if ((size_t)(chunk + sizeof chunk - w) < LINE_MAX_BYTES) {
                fwrite(chunk, 1, (size_t)(w - chunk), out);
                w = chunk;
            }
            memcpy(w, name, name_len);
            w += name_len;
            *w++ = ',';
            w = put_csv_field(w, id, id_len);
            *w++ = ',';
            num = format_u32(digits + sizeof digits, profiles[i]);
            memcpy(w, num, (size_t)(digits + sizeof digits - num));
            w += digits + sizeof digits - num;
            *w++ = '\n';
        }
        after = refs[n - 1];
    }
    fwrite(chunk, 1, (size_t)(w - chunk), out);
    return 0;
}

/* Grow *buf to at least `need` bytes. @return 0, or -1 when out of memory. */
static int grow(char **buf, size_t *cap, size_t need) {
    char *grown;
    size_t n = *cap > 0 ? *cap : 4096;
    while (n < need) {
        n = n > ((size_t)-1) / 2 ? need : n * 2;
    }
    grown = realloc(*buf, n);
    if (grown == NULL) {
        return -1;
    }
    *buf = grown;
    *cap = n;
    return 0;
}

/* Print profile's JSON and a line feed, growing buf as needed. @return 0, or -1 (reported). */
static int print_profile(FILE *out, scv_engine *engine, scv_profile_id profile, char **buf,
                         size_t *cap) {
    for (;;) {
        size_t len = 0;
        scv_status st = scv_profile_json(engine, profile, *buf, *cap, &len);
        if (st == SCV_OK) {
            fwrite(*buf, 1, len, out);
            fputc('\n', out);
            return 0;
        }
        if (st == SCV_EBUFFER && grow(buf, cap, len) == 0) {
            continue;
        }
        if (st == SCV_EBUFFER || st == SCV_ENOMEM) {
            fputs("scv: out of memory\n", stderr);
        } else {
            fprintf(stderr, "scv: profile %lu cannot be read back: %s\n",
                    (unsigned long)profile, scv_status_str(st));
        }
        return -1;
    }
}

int output_profiles(FILE *out, scv_engine *engine) {
    char *buf = NULL;
    size_t cap = 0;
    scv_profile_id profile = 0;
    int result = 0;
    while (result == 0 && scv_engine_profile_next(engine, profile, &profile) == SCV_OK) {
        result = print_profile(out, engine, profile, &buf, &cap);
    }
    free(buf);
    return result;
}

size_t output_result(FILE *out, const scv_result *result) {
    scv_profile_id profile = 0;
    size_t n = 0;
    char digits[16];
    while (scv_result_next(result, profile, &profile) == SCV_OK) {
        char *num = format_u32(digits + sizeof digits - 1, profile);
        digits[sizeof digits - 1] = '\n';
        fwrite(num, 1, (size_t)(digits + sizeof digits - num), out);
        n++;
    }
    return n;
}
