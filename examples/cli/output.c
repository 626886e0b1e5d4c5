/*
 * output.c — the scv program's CSV and JSON Lines writers (output.h). The JSON of a profile
 * is the library's (scv_profile_json); this file only sizes the buffer and adds line ends.
 */
#include "output.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "word.h"

/* Longest CSV line: source name, a record id quoted with every byte doubled, a profile id. */
#define LINE_MAX_BYTES (SCV_MAX_NAME_LEN + 2 * SCV_MAX_RECORD_ID_LEN + 2 + 16)

/* Write v's decimal digits at w; return the end. Two digits a step from a table: a profile
 * id has five or six digits, and one division per digit was a third of making a line. */
static char *put_u32(char *w, uint32_t v) {
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    size_t n = (size_t)1 + (v >= 10u) + (v >= 100u) + (v >= 1000u) + (v >= 10000u) + (v >= 100000u) +
               (v >= 1000000u) + (v >= 10000000u) + (v >= 100000000u) + (v >= 1000000000u);
    char *end = w + n;
    while (v >= 100) {
        uint32_t q = v / 100;
        end -= 2;
        memcpy(end, &pairs[2 * (v - 100 * q)], 2);
        v = q;
    }
    if (v >= 10) {
        memcpy(end - 2, &pairs[2 * v], 2);
    } else {
        end[-1] = (char)('0' + v);
    }
    return w + n;
}

/* Does w hold a byte below 0x2D (exact for the question, not for which byte)? */
static uint64_t byte_below_2d(uint64_t w) {
    return (w - 0x2D2D2D2D2D2D2D2Du) & ~w & 0x8080808080808080u;
}

/* Is every byte of s[0..len) 0x2D ('-') or above? Then it holds none of the bytes that need
 * quotes, which are all below: the test most record ids pass (C-000123, evt_4f2a...), a word
 * at a time. */
static int plain_id(const char *s, size_t len) {
    return word_fold(s, len, byte_below_2d) == 0;
}

static int needs_quotes(const char *s, size_t len) {
    size_t i;
    if (plain_id(s, len)) {
        return 0;
    }
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

/* Records per block: the records whose refs fall in one block of OUT_BLOCK numbers (refs are
 * dense numbers in first-seen order: scv.h) are fetched and made into lines together, and
 * written with one fwrite(). Two blocks are made at once, one by a helper thread (see
 * output_assignments). */
#define OUT_BLOCK 16384

/* One block of the assignment: its records, their profiles, and their lines. */
struct block {
    size_t number;        /* this block holds the records with refs in (number, number + 1] * OUT_BLOCK */
    int last;             /* no record comes after this block's first ref: nothing from here on */
    scv_record_ref refs[OUT_BLOCK];
    scv_profile_id profiles[OUT_BLOCK];
    size_t n;
    char *text; /* n lines, len bytes, in a buffer of cap bytes */
    size_t len, cap;
    scv_record_ref unreadable; /* 0, or the record whose line could not be made */
    int no_memory;
};

/* Room for one more line of the longest kind at b->text + b->len. @return 0, or -1. */
static int room_for_line(struct block *b) {
    size_t cap = b->cap > 0 ? b->cap : (size_t)64 << 10;
    char *grown;
    if (b->cap - b->len >= LINE_MAX_BYTES) {
        return 0;
    }
    while (cap - b->len < LINE_MAX_BYTES) {
        cap *= 2;
    }
    grown = realloc(b->text, cap);
    if (grown == NULL) {
        return -1;
    }
    b->text = grown;
    b->cap = cap;
    return 0;
}

/* Source names a block has met, copied where a fixed-size copy may read past their end.
 * Sources are few and their rows interleave: a lookup per change of source was per row. */
#define NAME_CACHE 16
struct name_cache {
    char text[NAME_CACHE][SCV_MAX_NAME_LEN + 16];
    size_t len[NAME_CACHE]; /* 0: not looked up yet (names are never empty) */
};

/* The name of `source`, in *cache when it fits there. @return NULL when it cannot be had. */
static const char *source_name(const scv_engine *engine, struct name_cache *cache, scv_source source,
                               size_t *len) {
    const char *name;
    if (source < NAME_CACHE && cache->len[source] > 0) {
        *len = cache->len[source];
        return cache->text[source];
    }
    name = scv_engine_source_name(engine, source, len);
    if (name == NULL || *len == 0 || *len > SCV_MAX_NAME_LEN) {
        return NULL;
    }
    if (source < NAME_CACHE) {
        memset(cache->text[source], 0, sizeof cache->text[source]);
        memcpy(cache->text[source], name, *len);
        cache->len[source] = *len;
        return cache->text[source];
    }
    return name;
}

/* Fetch block b's records and make their lines. Stops at a record that cannot be read back
 * (b->unreadable) or when out of memory (b->no_memory), with the lines before it made. */
static void make_block(const scv_engine *engine, struct block *b) {
    struct name_cache cache;
    scv_record_ref first = (scv_record_ref)(b->number * OUT_BLOCK);
    memset(cache.len, 0, sizeof cache.len);
    b->len = 0;
    b->unreadable = 0;
    b->no_memory = 0;
    b->n = 0;
    /* Deleted records leave gaps, so the records after `first` may run past the block: those
     * are the next block's. */
    if (b->number * OUT_BLOCK > (size_t)UINT32_MAX ||
        scv_engine_record_profiles(engine, first, b->refs, b->profiles, OUT_BLOCK, &b->n) != SCV_OK) {
        b->n = 0;
    }
    b->last = b->n == 0;
    while (b->n > 0 && b->refs[b->n - 1] - first > OUT_BLOCK) {
        b->n--;
    }
    for (size_t i = 0; i < b->n; i++) {
        scv_source source;
        const char *id;
        const char *name;
        size_t id_len;
        size_t name_len;
        char *w;
        if (scv_engine_record_info(engine, b->refs[i], &source, &id, &id_len, NULL) != SCV_OK ||
            id_len > SCV_MAX_RECORD_ID_LEN ||
            (name = source_name(engine, &cache, source, &name_len)) == NULL) {
            b->unreadable = b->refs[i];
            return;
        }
        if (room_for_line(b) != 0) {
            b->no_memory = 1;
            return;
        }
        w = b->text + b->len;
        if (source < NAME_CACHE && name_len <= 16) {
            memcpy(w, name, 16); /* the cache's copy has room: one fixed move */
        } else {
            memcpy(w, name, name_len);
        }
        w += name_len;
        *w++ = ',';
        w = put_csv_field(w, id, id_len);
        *w++ = ',';
        w = put_u32(w, b->profiles[i]);
        *w++ = '\n';
        b->len = (size_t)(w - b->text);
    }
}

/* Write block b's lines, or report why it has none. @return 0, or -1 (reported). */
static int write_block(FILE *out, const struct block *b) {
    if (b->len > 0) {
        fwrite(b->text, 1, b->len, out); /* an empty block may have no buffer at all */
    }
    if (b->no_memory) {
        fputs("scv: out of memory\n", stderr);
        return -1;
    }
    if (b->unreadable != 0) {
        fprintf(stderr, "scv: record %lu cannot be read back\n", (unsigned long)b->unreadable);
        return -1;
    }
    return 0;
}

/* The helper thread: makes the block it is handed, one at a time. */
struct helper {
    const scv_engine *engine;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct block *job; /* handed over, not yet formatted */
    int busy;          /* a block is being formatted */
    int quit;
};

static void *helper_main(void *arg) {
    struct helper *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        struct block *b;
        while (h->job == NULL && !h->quit) {
            pthread_cond_wait(&h->changed, &h->lock);
        }
        if (h->job == NULL) {
            break;
        }
        b = h->job;
        pthread_mutex_unlock(&h->lock);
        make_block(h->engine, b);
        pthread_mutex_lock(&h->lock);
        h->job = NULL;
        h->busy = 0;
        pthread_cond_broadcast(&h->changed);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* Start the helper. @return 0, or -1 when there is none (blocks are then all made here). */
static int helper_start(struct helper *h, const scv_engine *engine) {
    memset(h, 0, sizeof *h);
    h->engine = engine;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        return -1;
    }
    if (pthread_cond_init(&h->changed, NULL) != 0) {
        pthread_mutex_destroy(&h->lock);
        return -1;
    }
    if (pthread_create(&h->thread, NULL, helper_main, h) != 0) {
        pthread_cond_destroy(&h->changed);
        pthread_mutex_destroy(&h->lock);
        return -1;
    }
    return 0;
}

static void helper_hand(struct helper *h, struct block *b) {
    pthread_mutex_lock(&h->lock);
    h->job = b;
    h->busy = 1;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

static void helper_wait(struct helper *h) {
    pthread_mutex_lock(&h->lock);
    while (h->busy) {
        pthread_cond_wait(&h->changed, &h->lock);
    }
    pthread_mutex_unlock(&h->lock);
}

static void helper_stop(struct helper *h) {
    pthread_mutex_lock(&h->lock);
    h->quit = 1;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->lock);
}

/*
 * Blocks are taken two at a time: the helper makes the second while this thread makes and
 * writes the first, then writes the second. Blocks are made from the engine's const calls,
 * which may run on two threads at once (scv.h).
 */
int output_assignments(FILE *out, const scv_engine *engine) {
    struct block *blocks = calloc(2, sizeof *blocks);
    struct helper helper;
    int have_helper;
    int result = 0;
    if (blocks == NULL) {
        fputs("scv: out of memory\n", stderr);
        return -1;
    }
    have_helper = helper_start(&helper, engine) == 0;
    fputs("source,record_id,profile_id\n", out);
    for (size_t pair = 0; result == 0; pair++) {
        blocks[0].number = 2 * pair;
        blocks[1].number = 2 * pair + 1;
        if (have_helper) {
            helper_hand(&helper, &blocks[1]);
        }
        make_block(engine, &blocks[0]);
        result = write_block(out, &blocks[0]);
        if (have_helper) {
            helper_wait(&helper);
        } else {
            make_block(engine, &blocks[1]);
        }
        if (result == 0) {
            result = write_block(out, &blocks[1]);
        }
        if (blocks[0].last || blocks[1].last) {
            break;
        }
    }
    if (have_helper) {
        helper_stop(&helper);
    }
    free(blocks[0].text);
    free(blocks[1].text);
    free(blocks);
    return result;
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
    char line[16];
    while (scv_result_next(result, profile, &profile) == SCV_OK) {
        char *end = put_u32(line, profile);
        *end++ = '\n';
        fwrite(line, 1, (size_t)(end - line), out);
        n++;
    }
    return n;
}
