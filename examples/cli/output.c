/*
 * output.c — the scv program's CSV and JSON Lines writers (output.h).
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

int output_assignments(FILE *out, const scv_engine *engine) {
    char line[LINE_MAX_BYTES];
    scv_record_ref ref = 0;
    fputs("source,record_id,profile_id\n", out);
    while (scv_engine_record_next(engine, ref, &ref) == SCV_OK) {
        scv_source source;
        const char *id;
        size_t id_len;
        scv_profile_id profile;
        const char *name;
        size_t name_len = 0;
        char digits[16];
        char *num;
        char *w = line;
        if (scv_engine_record_info(engine, ref, &source, &id, &id_len, NULL) != SCV_OK ||
            scv_engine_record_profile(engine, ref, &profile) != SCV_OK ||
            (name = scv_engine_source_name(engine, source, &name_len)) == NULL ||
            id_len > SCV_MAX_RECORD_ID_LEN || name_len > SCV_MAX_NAME_LEN) {
            fprintf(stderr, "scv: record %lu cannot be read back\n", (unsigned long)ref);
            return -1;
        }
        memcpy(w, name, name_len);
        w += name_len;
        *w++ = ',';
        w = put_csv_field(w, id, id_len);
        *w++ = ',';
        num = format_u32(digits + sizeof digits, profile);
        memcpy(w, num, (size_t)(digits + sizeof digits - num));
        w += digits + sizeof digits - num;
        *w++ = '\n';
        fwrite(line, 1, (size_t)(w - line), out);
    }
    return 0;
}

void output_json_string(FILE *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the bytes not written yet */
    size_t i;
    fputc('"', out);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        fwrite(s + run, 1, i - run, out);
        run = i + 1;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc((int)c, out);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            fwrite(esc, 1, sizeof esc, out);
        }
    }
    fwrite(s + run, 1, len - run, out);
    fputc('"', out);
}

/* A growable array of 32-bit references. */
struct refs {
    uint32_t *items;
    size_t cap;
};

static int refs_reserve(struct refs *r, size_t n) {
    uint32_t *grown;
    if (n <= r->cap) {
        return 0;
    }
    grown = realloc(r->items, n * sizeof *grown);
    if (grown == NULL) {
        return -1;
    }
    r->items = grown;
    r->cap = n;
    return 0;
}

static void write_records(FILE *out, const scv_engine *engine, const uint32_t *refs, size_t n) {
    size_t i;
    fputs("\"records\":[", out);
    for (i = 0; i < n; i++) {
        scv_source source = 0;
        const char *id = NULL;
        size_t id_len = 0;
        const char *name;
        size_t name_len = 0;
        scv_engine_record_info(engine, refs[i], &source, &id, &id_len, NULL);
        name = scv_engine_source_name(engine, source, &name_len);
        fputs(i > 0 ? ",{\"source\":" : "{\"source\":", out);
        output_json_string(out, name, name != NULL ? name_len : 0);
        fputs(",\"record_id\":", out);
        output_json_string(out, id, id != NULL ? id_len : 0);
        fputc('}', out);
    }
    fputc(']', out);
}

static void write_identifiers(FILE *out, const scv_engine *engine, const uint32_t *refs,
                              size_t n) {
    size_t i;
    fputs("\"identifiers\":[", out);
    for (i = 0; i < n; i++) {
        scv_kind kind = 0;
        const char *value = NULL;
        size_t value_len = 0;
        const char *name;
        size_t name_len = 0;
        scv_engine_identifier_info(engine, refs[i], &kind, NULL, &value, &value_len);
        name = scv_engine_kind_name(engine, kind, &name_len);
        fputs(i > 0 ? ",{\"kind\":" : "{\"kind\":", out);
        output_json_string(out, name, name != NULL ? name_len : 0);
        fputs(",\"value\":", out);
        if (value != NULL) {
            output_json_string(out, value, value_len);
        } else {
            fputs("null", out);
        }
        fputc('}', out);
    }
    fputc(']', out);
}

static void write_traits(FILE *out, const scv_engine *engine, scv_profile_id profile) {
    size_t index;
    const char *name;
    size_t name_len;
    int first = 1;
    fputs("\"traits\":{", out);
    for (index = 0; scv_engine_trait_name(engine, index, &name, &name_len) == SCV_OK; index++) {
        const char *value;
        size_t value_len;
        if (scv_profile_trait(engine, profile, name, name_len, &value, &value_len, NULL) !=
            SCV_OK) {
            continue;
        }
        if (!first) {
            fputc(',', out);
        }
        first = 0;
        output_json_string(out, name, name_len);
        fputc(':', out);
        output_json_string(out, value, value_len);
    }
    fputc('}', out);
}

/* Fill r with a profile's records (identifiers = 0) or identifiers (1); *n their count.
 * @return 0, or -1 (reported). */
static int profile_list(const scv_engine *engine, scv_profile_id profile, int identifiers,
                        struct refs *r, size_t *n) {
    for (;;) {
        scv_status st = identifiers
                            ? scv_profile_identifiers(engine, profile, r->items, r->cap, n)
                            : scv_profile_records(engine, profile, r->items, r->cap, n);
        if (st == SCV_OK) {
            return 0;
        }
        if (st != SCV_EBUFFER) {
            fprintf(stderr, "scv: profile %lu cannot be read back: %s\n", (unsigned long)profile,
                    scv_status_str(st));
            return -1;
        }
        if (refs_reserve(r, *n) != 0) {
            fputs("scv: out of memory\n", stderr);
            return -1;
        }
    }
}

int output_profiles(FILE *out, const scv_engine *engine) {
    struct refs records = {NULL, 0};
    struct refs idents = {NULL, 0};
    scv_profile_id profile = 0;
    int result = 0;
    char digits[16];
    /* Never pass a NULL array, even for a size query: the library sorts what it writes. */
    if (refs_reserve(&records, 64) != 0 || refs_reserve(&idents, 64) != 0) {
        fputs("scv: out of memory\n", stderr);
        result = -1;
    }
    while (result == 0 && scv_engine_profile_next(engine, profile, &profile) == SCV_OK) {
        size_t nrec = 0;
        size_t nid = 0;
        char *num;
        if (profile_list(engine, profile, 0, &records, &nrec) != 0 ||
            profile_list(engine, profile, 1, &idents, &nid) != 0) {
            result = -1;
            break;
        }
        num = format_u32(digits + sizeof digits - 1, profile);
        digits[sizeof digits - 1] = '\0';
        fputs("{\"profile_id\":", out);
        fputs(num, out);
        fputc(',', out);
        write_records(out, engine, records.items, nrec);
        fputc(',', out);
        write_identifiers(out, engine, idents.items, nid);
        fputc(',', out);
        write_traits(out, engine, profile);
        fputs("}\n", out);
    }
    free(records.items);
    free(idents.items);
    return result;
}
