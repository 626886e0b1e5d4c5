/*
 * ingest.c — reading record files into an scv engine (ingest.h): the CSV header's columns,
 * rows built into a batch of record builders and upserted a batch at a time, the
 * record-building calls other formats share (segment.c), and the messages about what went
 * wrong.
 *
 * Why batches: scv_engine_upsert_batch() fetches the memory the next records of a batch will
 * need while it resolves one (hash-table probes are cache misses). Batching must not show:
 * records are upserted in file order; a queued record that fails is reported with its own
 * line, counted as bad, and the records after it are upserted still; and because a later row's
 * messages must not come before an earlier row's, the batch is upserted before anything is
 * printed while rows are read (messages, progress, out of memory) and before a new source is
 * registered (an engine change that must come in file order too).
 *
 * Why a thread: reading, normalizing and hashing the next rows does not need the engine's
 * tables, so while a worker thread upserts one batch, this thread builds the next (the
 * library allows builders to be filled while the engine upserts: see scv.h). The worker only
 * upserts and notes what failed; everything printed or counted is done here, when the batch
 * comes back, and anything printed first waits for the batches before it, so the output is
 * the same as one thread's. Without threads (pthread_create failing) batches run here.
 */
#include "ingest.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv.h"
#include "segment.h"
#include "timeparse.h"
#include "word.h"

enum role {
    ROLE_IGNORED,    /* a column without a usable name */
    ROLE_SOURCE,     /* `source` */
    ROLE_RECORD_ID,  /* `record_id` */
    ROLE_TIMESTAMP,  /* `timestamp` */
    ROLE_IDENTIFIER, /* named after a registered identifier kind */
    ROLE_MEASURE,    /* named with --measure */
    ROLE_CONSENT,    /* consent_CHANNEL or CHANNEL_consent */
    ROLE_TRAIT,      /* anything else */
    ROLE_CHECKED     /* a trait column whose values are checked, not kept (ingest_prune_traits) */
};

struct column {
    enum role role;
    scv_kind kind;    /* ROLE_IDENTIFIER */
    const char *name; /* identifier: the kind's name; measure: as given; consent: the channel,
                         lower-cased; trait: the header */
    size_t name_len;
    size_t index;     /* its place in the row */
};

/* Records queued for one scv_engine_upsert_batch() call (CSV): far more than any prefetch
 * distance, while the builders a batch touches stay small (a builder is about 3 KiB, of which
 * a row uses a few hundred bytes). Each call's look-ahead starts cold (its first records are
 * upserted before their fetches are done), so fewer, longer calls pay less: 1M rows, 11
 * interleaved runs, 128 rows a batch (eight in flight) 0.61 s, 512 (four) 0.56 s. */
#define INGEST_BATCH 512

/* Batches in flight between the reading thread and the worker: one being filled, the others
 * queued for the worker, being upserted, or back and waiting to be reported. With only two,
 * the worker idled after every batch until the reading thread woke up to hand it the next
 * (a futex wake-up is slow on a VM: with 128-record batches about a quarter of the worker's
 * time went to waiting); with more, the next batch is already queued when one is done. Four
 * of 512 rows hold about 0.5 ms of the worker's work: enough to go on while the reading
 * thread, having waited, populates a huge page of the engine's memory (the idle hook:
 * ingest_set_idle). */
#define INGEST_SETS 4

/* How long a thread that finds nothing to do checks again before it sleeps: about 4096 pause
 * instructions, 80 µs on this project's machine, more than a batch takes to build or upsert.
 * The threads run in lockstep, so each often waits a little for the other; to sleep on the
 * condition variable then costs the wake-up, which on a VM is tens of microseconds (at 1M
 * records some 4,500 sleeps cost the worker 0.05-0.1 s and the reading thread as much). */
#ifndef INGEST_SPIN /* -DINGEST_SPIN=0 for callgrind, which counts a spin's every round */
#define INGEST_SPIN 4096
#endif

/* Builders are readied for writing this many rows ahead of the one being filled
 * (scv_record_prefetch): the worker has read each of them since it was last filled, so their
 * lines are in the worker's core, and each first write would wait for them. Measured with the
 * reading thread alone (a worker that only reads one word of each builder), 1M rows: 0.29 s
 * without, 0.19 s with, about as fast as with a worker that reads nothing (0.18 s). */
#define INGEST_PREFETCH 4

/* Sources remembered by their spelling in the file (see find_source). */
#define SOURCE_MEMO 8

struct source_memo {
    uint64_t key; /* spelling_key() of the name */
    char name[SCV_MAX_NAME_LEN]; /* as spelled in the file, trimmed */
    size_t len;
    scv_source source;
};

/* A record of a batch that failed to go in, as the worker saw it. */
struct failure {
    size_t at;          /* its index in the batch */
    size_t before;      /* records of the batch upserted before it */
    scv_status status;
    const char *reason; /* scv_engine_errmsg() right after the failure (a static string) */
};

/* INGEST_BATCH builders with what the messages need, and the outcome of upserting them. */
struct batchset {
    scv_record **rec;
    unsigned long *lines; /* lines[i]: the line rec[i] came from, for messages */
    unsigned long *marks; /* marks[i]: messages counted once rec[i] was built */
    size_t n;             /* records to upsert */
    struct failure *failures;
    size_t nfailures;
    size_t upserted;
};

struct ingest {
    scv_engine *engine;
    scv_record *rec;        /* the builder being filled: batch[queued] */
    scv_record **batch;     /* batch_size builders; batch[0..queued) wait for their upsert */
    unsigned long *lines;   /* lines[i]: the line batch[i] came from, for messages */
    unsigned long *marks;   /* marks[i]: messages counted once batch[i] was built */
    size_t batch_size;      /* INGEST_BATCH for CSV; 1 for Segment events (upserted at once) */
    size_t queued;
    /* A ring of batches. Batch number k (counting from 0) uses sets[k % INGEST_SETS]; the
     * counters only grow. Batches [reported, finished) are back from the worker, waiting to be
     * reported; [finished, submitted) are queued for it or being upserted; the batch being
     * filled (whose arrays the four fields above are) is number `submitted`. */
    struct batchset sets[INGEST_SETS];
    int filling;            /* index in sets of the batch being filled */
    unsigned long submitted, finished, reported; /* finished: written by the worker, under lock */
    /* Bytes of input read so far, for the idle hook: the files done (`bytes_done`, at the offset
     * of their last row) and the current one up to its last row handed on (`row_offset`);
     * `bytes_submitted` is their sum when the last batch was submitted (read while spinning). */
    unsigned long long bytes_done, row_offset, bytes_submitted;
    /* the worker thread */
    pthread_t worker;
    int have_worker;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int quit;
    int halted;             /* the worker's own: a batch ended fatally, later ones are not run */
    int flushing;           /* inside flush_batch(): its own messages must not flush again */
    int stopped;            /* a fatal failure was reported: nothing more is upserted */
    const char *const *measures;
    size_t nmeasures;
    ingest_totals totals;
    int show_progress; /* standard error is a terminal: show a running count */
    int prune_traits;  /* ingest_prune_traits() was called */
    ingest_idle_fn idle; /* ingest_set_idle(): called by a thread that waits for the other */
    void *idle_ctx;
    void (*job)(void *); /* ingest_before_upserts(): for the worker, before any batch; NULL: done */
    void *job_ctx;
    ingest_format format;
    scv_source segment_source; /* INGEST_SEGMENT: every event's source */
    /* sources met lately, to skip the engine's lookup (a hash) for each row */
    struct source_memo memo[SOURCE_MEMO];
    size_t nmemo;
    size_t memo_next; /* the entry replaced next when all are used */
    /* the file being read */
    const char *path;
    unsigned long messages;
    struct column *columns;
    size_t ncolumns;
    struct column *values; /* the columns a row's values are read from (identifiers, measures,
                              consents, traits), in file order: what ingest_row() walks */
    size_t nvalues;
    size_t source_col;
    size_t id_col;
    size_t timestamp_col; /* ncolumns when there is none */
    char *names;          /* storage for the columns' names */
};

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                             */
/* ---------------------------------------------------------------------------------------- */

/* The counters the two threads hand batches over with (`submitted`, `finished`) are written
 * under the lock, but read without it while a thread spins: atomic loads and stores where the
 * compiler has them. Without them there is no spinning, only the lock. */
#if defined(__GNUC__)
#define COUNTER_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define COUNTER_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif
#define INGEST_CAN_SPIN 1
#else
#define COUNTER_LOAD(p) (*(p))
#define COUNTER_STORE(p, v) (*(p) = (v))
#define INGEST_CAN_SPIN 0
#endif

/* The reports of what went wrong are kept out of the functions that build every row: their
 * message buffers and calls would otherwise cost each call a larger stack frame and more
 * registers saved, for something that hardly ever happens. INGEST_NOINLINE does the same for
 * what is not rare but happens once in many rows (a full batch). */
#if defined(__GNUC__)
#define INGEST_COLD __attribute__((noinline, cold))
#define INGEST_NOINLINE __attribute__((noinline))
#else
#define INGEST_COLD
#define INGEST_NOINLINE
#endif

/* ' ', or one of '\t' '\n' '\v' '\f' '\r' (9 to 13). */
static int is_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Trim ASCII white space off both ends of s[0..*len). */
static char *trim(char *s, size_t *len) {
    size_t n = *len;
    /* Nearly every cell starts and ends with a byte above ' ', which no white space is: two
     * tests then settle it (the loops below cost twice that per cell). */
    if (n > 0 && (unsigned char)s[0] > ' ' && (unsigned char)s[n - 1] > ' ') {
        return s;
    }
    while (n > 0 && is_space(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1])) {
        n--;
    }
    *len = n;
    return s;
}

static char lower(char c) {
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void lower_in_place(char *s, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        s[i] = lower(s[i]);
    }
}

/* Do s[0..len) and the C string word agree, ASCII case ignored? */
static int equals_nocase(const char *s, size_t len, const char *word) {
    size_t i;
    for (i = 0; i < len; i++) {
        if (word[i] == '\0' || lower(s[i]) != lower(word[i])) {
            return 0;
        }
    }
    return word[len] == '\0';
}

/* Length of the well-formed UTF-8 sequence (not NUL) at p[0..n), or 0 if there is none. */
static size_t utf8_sequence(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    size_t need;
    unsigned min;
    unsigned cp;
    size_t k;
    if (c == 0) {
        return 0;
    }
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, min = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, min = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n <= need) {
        return 0;
    }
    for (k = 1; k <= need; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return need + 1;
}

/* Is s[0..len) well-formed UTF-8 without NUL bytes? The ASCII bytes between the multi-byte
 * characters (most of a name like "Münster") are passed over here, without a call each. */
static int utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t k;
        if ((unsigned)(p[i] - 1) < 0x7F) { /* 0x01..0x7F */
            i++;
            continue;
        }
        k = utf8_sequence(p + i, len - i);
        if (k == 0) {
            return 0;
        }
        i += k;
    }
    return 1;
}

/* The high bit set in each byte of w that is 0x00 or above 0x7F, and maybe in bytes after
 * such a byte (its borrow), never when every byte is 0x01..0x7F. */
static uint64_t not_ascii8(uint64_t w) {
    return (w | (w - 0x0101010101010101u)) & 0x8080808080808080u;
}

/* Is s[0..len) ASCII without NUL bytes (so well-formed UTF-8)? A word at a time: a byte-by-byte
 * loop cost more than the rest of a trait cell's test. */
static int plain_ascii(const char *s, size_t len) {
    return word_fold(s, len, not_ascii8) == 0;
}

const char *ingest_show(ingest_shown *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    char *w = out->text;
    while (i < len && i < INGEST_SHOW_MAX) {
        size_t k = utf8_sequence(p + i, len - i);
        if (k == 0 || p[i] < 0x20 || p[i] == 0x7F) {
            *w++ = '\\';
            *w++ = 'x';
            *w++ = hex[p[i] >> 4];
            *w++ = hex[p[i] & 15];
            i++;
        } else if (i + k <= INGEST_SHOW_MAX) {
            memcpy(w, p + i, k);
            w += k;
            i += k;
        } else {
            break;
        }
    }
    if (i < len) {
        memcpy(w, "...", 3);
        w += 3;
    }
    *w = '\0';
    return out->text;
}

const char *ingest_path(const ingest *in) {
    return in->path;
}

static ingest_status flush_batch(ingest *in);

void ingest_message(ingest *in, unsigned long line, const char *fmt, ...) {
    va_list ap;
    if (!in->flushing && in->messages < INGEST_MAX_MESSAGES) {
        /* This message will be printed: the queued rows, which come before it, first. */
        (void)flush_batch(in);
    }
    if (in->stopped) {
        return; /* an earlier row ended the reading: this one was never read, as it were */
    }
    in->messages++;
    if (in->messages > INGEST_MAX_MESSAGES) {
        return;
    }
    fprintf(stderr, "%s:%lu: ", in->path, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static ingest_status out_of_memory(ingest *in) {
    if (flush_batch(in) == INGEST_OK) {
        fputs("scv: out of memory\n", stderr);
        in->stopped = 1;
    }
    return INGEST_FATAL;
}

/* Why the builder's last call failed. */
static const char *record_reason(const ingest *in, scv_status st) {
    const char *msg = scv_record_errmsg(in->rec);
    return msg[0] != '\0' ? msg : scv_status_str(st);
}

static const char *engine_reason(const ingest *in, scv_status st) {
    const char *msg = scv_engine_errmsg(in->engine);
    return msg[0] != '\0' ? msg : scv_status_str(st);
}

/* ---------------------------------------------------------------------------------------- */
/* Setup                                                                                     */
/* ---------------------------------------------------------------------------------------- */

/* Make sets[k] the batch being filled, making its builders the first time. (Made as the ring
 * first goes round, while the worker upserts the first batches, not before the reading starts:
 * a builder is about 3 KiB.) @return 0, or -1 when out of memory. */
static int fill_set(ingest *in, int k) {
    struct batchset *s = &in->sets[k];
    for (size_t i = 0; i < INGEST_BATCH && s->rec[INGEST_BATCH - 1] == NULL; i++) {
        if (s->rec[i] == NULL && scv_record_new(in->engine, &s->rec[i]) != SCV_OK) {
            return -1;
        }
    }
    in->filling = k;
    in->batch = in->sets[k].rec;
    in->lines = in->sets[k].lines;
    in->marks = in->sets[k].marks;
    in->queued = 0;
    in->rec = in->batch[0];
    for (size_t i = 0; i < INGEST_PREFETCH; i++) {
        scv_record_prefetch(in->batch[i]);
    }
    return 0;
}

static void *upsert_worker(void *arg);

ingest *ingest_new(scv_engine *engine, const char *const *measures, size_t nmeasures) {
    ingest *in = calloc(1, sizeof *in);
    int k;
    if (in == NULL) {
        return NULL;
    }
    in->engine = engine;
    for (k = 0; k < INGEST_SETS; k++) {
        struct batchset *s = &in->sets[k];
        s->rec = calloc(INGEST_BATCH, sizeof *s->rec);
        s->lines = calloc(INGEST_BATCH, sizeof *s->lines);
        s->marks = calloc(INGEST_BATCH, sizeof *s->marks);
        s->failures = calloc(INGEST_BATCH, sizeof *s->failures);
        if (s->rec == NULL || s->lines == NULL || s->marks == NULL || s->failures == NULL) {
            ingest_free(in);
            return NULL;
        }
    }
    if (fill_set(in, 0) != 0) {
        ingest_free(in);
        return NULL;
    }
    in->batch_size = INGEST_BATCH;
    if (pthread_mutex_init(&in->lock, NULL) == 0) {
        if (pthread_cond_init(&in->changed, NULL) == 0) {
            in->have_worker = pthread_create(&in->worker, NULL, upsert_worker, in) == 0;
            if (!in->have_worker) {
                pthread_cond_destroy(&in->changed);
                pthread_mutex_destroy(&in->lock);
            }
        } else {
            pthread_mutex_destroy(&in->lock);
        }
    }
    in->measures = measures;
    in->nmeasures = nmeasures;
    in->show_progress = isatty(STDERR_FILENO);
    return in;
}

void ingest_free(ingest *in) {
    size_t i;
    if (in == NULL) {
        return;
    }
    if (in->have_worker) {
        pthread_mutex_lock(&in->lock);
        in->quit = 1;
        pthread_cond_broadcast(&in->changed);
        pthread_mutex_unlock(&in->lock);
        pthread_join(in->worker, NULL);
        pthread_cond_destroy(&in->changed);
        pthread_mutex_destroy(&in->lock);
    }
    if (in->show_progress && in->totals.rows >= 100000) {
        fputs("\r\033[K", stderr); /* clear the running count before the summary */
    }
    for (int k = 0; k < INGEST_SETS; k++) {
        struct batchset *s = &in->sets[k];
        if (s->rec != NULL) {
            for (i = 0; i < INGEST_BATCH; i++) {
                scv_record_free(s->rec[i]);
            }
        }
        free(s->rec);
        free(s->lines);
        free(s->marks);
        free(s->failures);
    }
    free(in->columns);
    free(in->values);
    free(in->names);
    free(in);
}

void ingest_set_format(ingest *in, ingest_format format, scv_source source) {
    (void)flush_batch(in);
    in->format = format;
    in->segment_source = source;
    /* segment.c prints some of its messages itself: with a batch of one nothing is ever
     * queued while it reads, so they cannot come before an earlier event's. */
    in->batch_size = format == INGEST_SEGMENT ? 1 : INGEST_BATCH;
}

void ingest_prune_traits(ingest *in) {
    in->prune_traits = 1;
}

void ingest_set_idle(ingest *in, ingest_idle_fn idle, void *ctx) {
    if (in->have_worker) {
        pthread_mutex_lock(&in->lock);
    }
    in->idle = idle;
    in->idle_ctx = ctx;
    if (in->have_worker) {
        pthread_mutex_unlock(&in->lock);
    }
}

void ingest_before_upserts(ingest *in, void (*job)(void *ctx), void *ctx) {
    if (!in->have_worker) {
        job(ctx);
        return;
    }
    pthread_mutex_lock(&in->lock);
    in->job = job;
    in->job_ctx = ctx;
    pthread_cond_broadcast(&in->changed);
    pthread_mutex_unlock(&in->lock);
}

ingest_totals ingest_get_totals(const ingest *in) {
    return in->totals;
}

/* ---------------------------------------------------------------------------------------- */
/* Header                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* Is the lower-cased header lname[0..len) a consent column, "consent_CHANNEL" or
 * "CHANNEL_consent"? Then set the channel. */
static int consent_column(const char *lname, size_t len, const char **channel, size_t *ch_len) {
    static const char prefix[] = "consent_";
    static const char suffix[] = "_consent";
    const size_t affix = sizeof prefix - 1;
    if (len <= affix) {
        return 0;
    }
    if (memcmp(lname, prefix, affix) == 0) {
        *channel = lname + affix;
        *ch_len = len - affix;
        return 1;
    }
    if (memcmp(lname + len - affix, suffix, affix) == 0) {
        *channel = lname;
        *ch_len = len - affix;
        return 1;
    }
    return 0;
}

/* Give column i (name s[0..len), trimmed; lname its lower-cased copy) its role. */
static int classify_column(ingest *in, size_t i, const char *s, const char *lname, size_t len,
                           unsigned long line) {
    struct column *col = &in->columns[i];
    size_t m;
    size_t *special = NULL;
    col->role = ROLE_TRAIT;
    col->name = s;
    col->name_len = len;
    col->index = i;
    if (equals_nocase(s, len, "source")) {
        col->role = ROLE_SOURCE;
        special = &in->source_col;
    } else if (equals_nocase(s, len, "record_id")) {
        col->role = ROLE_RECORD_ID;
        special = &in->id_col;
    } else if (equals_nocase(s, len, "timestamp")) {
        col->role = ROLE_TIMESTAMP;
        special = &in->timestamp_col;
    }
    if (special != NULL) {
        if (*special != in->ncolumns) {
            ingest_message(in, line, "column '%s' appears twice; file skipped", lname);
            return -1;
        }
        *special = i;
        return 0;
    }
    if (len == 0 || len > SCV_MAX_NAME_LEN || !utf8_valid(s, len)) {
        ingest_shown v;
        ingest_message(in, line, "warning: column %zu has no usable name ('%s'); ignored",
                       i + 1, ingest_show(&v, s, len));
        col->role = ROLE_IGNORED;
        return 0;
    }
    if (scv_engine_kind(in->engine, lname, len, &col->kind) == SCV_OK) {
        col->role = ROLE_IDENTIFIER;
        col->name = lname;
        return 0;
    }
    for (m = 0; m < in->nmeasures; m++) {
        if (equals_nocase(s, len, in->measures[m])) {
            col->role = ROLE_MEASURE;
            col->name = in->measures[m];
            col->name_len = strlen(in->measures[m]);
            return 0;
        }
    }
    if (consent_column(lname, len, &col->name, &col->name_len)) {
        col->role = ROLE_CONSENT;
    }
    return 0;
}

/*
 * Learn the columns from the header row.
 * @return 0, 1 when the file cannot be read (reported), -1 when out of memory.
 */
static int read_header(ingest *in, const csv_row *row) {
    size_t total = 0;
    size_t i;
    size_t fields = 0; /* traits, measures and consents: what a row puts in its builder's fields */
    char *w;
    free(in->columns);
    free(in->values);
    free(in->names);
    in->values = NULL;
    in->nvalues = 0;
    in->ncolumns = row->count;
    for (i = 0; i < row->count; i++) {
        total += 2 * row->lengths[i] + 2;
    }
    in->columns = calloc(row->count, sizeof *in->columns);
    in->values = calloc(row->count > 0 ? row->count : 1, sizeof *in->values);
    in->names = malloc(total);
    if (in->columns == NULL || in->values == NULL || in->names == NULL) {
        return -1;
    }
    in->source_col = in->id_col = in->timestamp_col = row->count;
    w = in->names;
    for (i = 0; i < row->count; i++) {
        size_t len = row->lengths[i];
        const char *name = trim(row->fields[i], &len);
        char *s = w;
        char *lname = w + len + 1;
        memcpy(s, name, len);
        s[len] = '\0';
        memcpy(lname, name, len);
        lname[len] = '\0';
        lower_in_place(lname, len);
        w = lname + len + 1;
        if (classify_column(in, i, s, lname, len, row->line) != 0) {
            return 1;
        }
    }
    if (in->source_col == row->count || in->id_col == row->count) {
        ingest_message(in, row->line, "no '%s' column; file skipped",
                       in->source_col == row->count ? "source" : "record_id");
        return 1;
    }
    for (i = 0; i < row->count; i++) {
        enum role role = in->columns[i].role;
        if (role == ROLE_IDENTIFIER || role == ROLE_MEASURE || role == ROLE_CONSENT ||
            role == ROLE_TRAIT) {
            in->values[in->nvalues++] = in->columns[i];
            fields += role != ROLE_IDENTIFIER;
        }
    }
    /* Pruned traits must not change which rows are bad: a row can break the builder's limit
     * on fields only with more field columns than SCV_MAX_FIELDS, so such files keep theirs. */
    if (in->prune_traits && fields <= SCV_MAX_FIELDS) {
        for (i = 0; i < in->nvalues; i++) {
            if (in->values[i].role == ROLE_TRAIT) {
                in->values[i].role = ROLE_CHECKED;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Rows                                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* Are a[0..len) and b[0..len) the same bytes? Source names are short: a loop here costs less
 * than a call to memcmp(). */
static int same_bytes(const char *a, const char *b, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

/* The first and the last four bytes of s[0..len), or under four bytes each of them, as one
 * word: up to eight bytes (a file's few sources are short names) the word is the whole
 * spelling, so a remembered source is matched by two compares instead of a loop. */
static uint64_t spelling_key(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    uint32_t a = 0;
    uint32_t b = 0;
    if (len >= 4) {
        memcpy(&a, s, sizeof a);
        memcpy(&b, s + len - 4, sizeof b);
    } else if (len > 0) {
        a = (uint32_t)u[0] | (uint32_t)u[len / 2] << 8 | (uint32_t)u[len - 1] << 16;
    }
    return (uint64_t)a << 32 | b;
}

/* Remember that the spelling s[0..len) names `source`. */
static void memo_source(ingest *in, const char *s, size_t len, scv_source source) {
    struct source_memo *m;
    if (len > sizeof in->memo[0].name) {
        return;
    }
    if (in->nmemo < SOURCE_MEMO) {
        m = &in->memo[in->nmemo++];
    } else {
        m = &in->memo[in->memo_next];
        in->memo_next = (in->memo_next + 1) % SOURCE_MEMO;
    }
    memcpy(m->name, s, len);
    m->key = spelling_key(s, len);
    m->len = len;
    m->source = source;
}

/* The source named s[0..len) (lower-cased), registered if new. A file names a few sources
 * over and over: those are remembered by their spelling, so most rows need no lookup. */
static ingest_status find_source(ingest *in, char *s, size_t len, unsigned long line,
                                 scv_source *out) {
    char spelling[SCV_MAX_NAME_LEN];
    scv_status st;
    ingest_shown v;
    uint64_t key;
    size_t i;
    if (len == 0) {
        ingest_message(in, line, "empty source");
        return INGEST_BAD;
    }
    key = spelling_key(s, len);
    for (i = 0; i < in->nmemo; i++) {
        const struct source_memo *m = &in->memo[i];
        if (m->key == key && m->len == len && (len <= 8 || same_bytes(m->name, s, len))) {
            *out = m->source;
            return INGEST_OK;
        }
    }
    if (len <= sizeof spelling) {
        memcpy(spelling, s, len);
    }
    lower_in_place(s, len);
    st = scv_engine_source(in->engine, s, len, out);
    if (st != SCV_OK) {
        /* Registering changes the engine: the rows before this one come first. */
        if (flush_batch(in) != INGEST_OK) {
            return INGEST_FATAL;
        }
        st = scv_engine_register_source(in->engine, s, len, out);
        if (st == SCV_EEXISTS) {
            st = SCV_OK;
        }
    }
    if (st == SCV_ENOMEM) {
        return out_of_memory(in);
    }
    if (st != SCV_OK) {
        ingest_message(in, line, "source '%s': %s", ingest_show(&v, s, len),
                       engine_reason(in, st));
        return INGEST_BAD;
    }
    if (len <= sizeof spelling) {
        memo_source(in, spelling, len, *out);
    }
    return INGEST_OK;
}

/* Report a failure `st` of the builder's call with the value s[0..len) named `label`: out of
 * memory ends the reading, anything else makes the record bad. */
static INGEST_COLD ingest_status value_failed(ingest *in, unsigned long line, const char *label,
                                              const char *s, size_t len, scv_status st) {
    ingest_shown v;
    if (st == SCV_ENOMEM) {
        return out_of_memory(in);
    }
    ingest_message(in, line, "%s '%s': %s", label, ingest_show(&v, s, len),
                   record_reason(in, st));
    return INGEST_BAD;
}

ingest_status ingest_begin(ingest *in, unsigned long line, scv_source source, const char *label,
                           const char *id, size_t len) {
    scv_status st;
    if (len == 0) {
        ingest_message(in, line, "empty %s", label);
        return INGEST_BAD;
    }
    st = scv_record_reset(in->rec, source, id, len);
    return st == SCV_OK ? INGEST_OK : value_failed(in, line, label, id, len, st);
}

/* Report a timestamp that is not one (reason NULL) or that the builder refused (`reason`). */
static INGEST_COLD ingest_status bad_timestamp(ingest *in, unsigned long line,
                                               const char *label, const char *text, size_t len,
                                               const char *reason) {
    ingest_shown v;
    if (reason == NULL) {
        ingest_message(in, line, "bad %s '%s'", label, ingest_show(&v, text, len));
    } else {
        ingest_message(in, line, "%s '%s': %s", label, ingest_show(&v, text, len), reason);
    }
    return INGEST_BAD;
}

ingest_status ingest_timestamp(ingest *in, unsigned long line, const char *label,
                               const char *text, size_t len) {
    int64_t t;
    scv_status st;
    if (!timeparse(text, len, &t)) {
        return bad_timestamp(in, line, label, text, len, NULL);
    }
    st = scv_record_set_timestamp(in->rec, t);
    return st == SCV_OK ? INGEST_OK
                        : bad_timestamp(in, line, label, text, len, record_reason(in, st));
}

/* Reset the builder to the row's (source, record_id) and time. */
static ingest_status start_record(ingest *in, const csv_row *row) {
    size_t src_len = row->lengths[in->source_col];
    char *src = trim(row->fields[in->source_col], &src_len);
    scv_source source;
    ingest_status r = find_source(in, src, src_len, row->line, &source);
    if (r == INGEST_OK) {
        r = ingest_begin(in, row->line, source, "record_id", row->fields[in->id_col],
                         row->lengths[in->id_col]);
    }
    if (r == INGEST_OK && in->timestamp_col < in->ncolumns) {
        size_t len = row->lengths[in->timestamp_col];
        const char *s = trim(row->fields[in->timestamp_col], &len);
        if (len > 0) {
            r = ingest_timestamp(in, row->line, "timestamp", s, len);
        }
    }
    return r;
}

/* Report the failure `st` of adding an identifier (see ingest_identifier()). */
static INGEST_COLD ingest_status identifier_failed(ingest *in, unsigned long line,
                                                   const char *label, const char *value,
                                                   size_t len, scv_status st) {
    ingest_shown v;
    if (st == SCV_ENOMEM) {
        return out_of_memory(in);
    }
    if (st == SCV_EREJECTED) {
        ingest_message(in, line, "warning: %s '%s': %s", label, ingest_show(&v, value, len),
                       record_reason(in, st));
        in->totals.dropped++;
        return INGEST_OK;
    }
    ingest_message(in, line, "%s '%s': %s", label, ingest_show(&v, value, len),
                   record_reason(in, st));
    return INGEST_BAD;
}

ingest_status ingest_identifier(ingest *in, unsigned long line, scv_kind kind, const char *label,
                                const char *value, size_t len) {
    scv_status st = scv_record_add_identifier(in->rec, kind, value, len);
    return st == SCV_OK ? INGEST_OK : identifier_failed(in, line, label, value, len, st);
}

/* Does s[0..len) hold a '|'? Only bytes of s are read (a cell may end the reader's buffer).
 * With SSE2, sixteen bytes a step, the last step overlapping the one before, and eight to
 * fifteen bytes as two overlapping halves of one step: the identifier cells of a row (8 to 40
 * bytes) cost a few instructions each, where a call to memchr() cost several times that. */
static int has_bar(const char *s, size_t len) {
#if defined(__SSE2__)
    const __m128i bars = _mm_set1_epi8('|');
    __m128i hits;
    size_t i;
    if (len >= 16) {
        hits = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + len - 16)), bars);
        for (i = 0; i + 16 < len; i += 16) {
            hits = _mm_or_si128(
                hits, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)), bars));
        }
        return _mm_movemask_epi8(hits) != 0;
    }
    if (len >= 8) {
        hits = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)s),
                                  _mm_loadl_epi64((const __m128i *)(const void *)(s + len - 8)));
        return _mm_movemask_epi8(_mm_cmpeq_epi8(hits, bars)) != 0;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '|') {
            return 1;
        }
    }
    return 0;
#else
    return memchr(s, '|', len) != NULL;
#endif
}

/* Add each '|'-separated value of an identifier cell (most cells hold one, or none). */
static ingest_status add_identifiers(ingest *in, const struct column *col, char *cell,
                                     size_t len, unsigned long line) {
    char *start = cell;
    char *end = cell + len;
    ingest_status r = INGEST_OK;
    if (!has_bar(cell, len)) {
        char *value = trim(cell, &len);
        return len > 0 ? ingest_identifier(in, line, col->kind, col->name, value, len) : INGEST_OK;
    }
    while (r == INGEST_OK) {
        char *bar = memchr(start, '|', (size_t)(end - start));
        size_t n = (size_t)((bar != NULL ? bar : end) - start);
        char *value = trim(start, &n);
        if (n > 0) {
            r = ingest_identifier(in, line, col->kind, col->name, value, n);
        }
        if (bar == NULL) {
            break;
        }
        start = bar + 1;
    }
    return r;
}

ingest_status ingest_measure(ingest *in, unsigned long line, const char *name, size_t name_len,
                             double value) {
    scv_status st = scv_record_add_measure(in->rec, name, name_len, value);
    if (st == SCV_ENOMEM) {
        return out_of_memory(in);
    }
    if (st != SCV_OK) {
        ingest_message(in, line, "measure %.*s: %s", (int)name_len, name, record_reason(in, st));
        return INGEST_BAD;
    }
    return INGEST_OK;
}

static ingest_status add_measure(ingest *in, const struct column *col, char *cell,
                                 size_t len, unsigned long line) {
    char *s = trim(cell, &len);
    char *end;
    double value;
    ingest_shown v;
    if (len == 0) {
        return INGEST_OK;
    }
    value = strtod(s, &end);
    if (end != s + len || !isfinite(value)) {
        ingest_message(in, line, "warning: measure %s '%s' is not a number; ignored", col->name,
                       ingest_show(&v, s, len));
        in->totals.dropped++;
        return INGEST_OK;
    }
    return ingest_measure(in, line, col->name, col->name_len, value);
}

/* Words of a consent cell (compared ignoring case). */
static const char *const consent_granted[] = {"granted", "yes", "true", "1", "opt-in",
                                              "opted_in"};
static const char *const consent_denied[] = {"denied", "no", "false", "0", "opt-out",
                                             "opted_out", "revoked"};

/* Is s[0..len) one of the n words? */
static int one_of(const char *s, size_t len, const char *const *words, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (equals_nocase(s, len, words[i])) {
            return 1;
        }
    }
    return 0;
}

ingest_status ingest_consent(ingest *in, unsigned long line, const char *channel, size_t len,
                             int granted) {
    scv_status st = scv_record_add_consent(in->rec, channel, len, granted, SCV_NO_TIMESTAMP);
    if (st == SCV_ENOMEM) {
        return out_of_memory(in);
    }
    if (st != SCV_OK) {
        ingest_message(in, line, "consent %.*s: %s", (int)len, channel, record_reason(in, st));
        return INGEST_BAD;
    }
    return INGEST_OK;
}

/* A consent cell: a grant, a denial, empty (no decision) or anything else (a warning). The
 * decision is taken at the record's time. */
static ingest_status add_consent(ingest *in, const struct column *col, char *cell,
                                 size_t len, unsigned long line) {
    char *s = trim(cell, &len);
    ingest_shown v;
    if (len == 0) {
        return INGEST_OK;
    }
    if (one_of(s, len, consent_granted, sizeof consent_granted / sizeof *consent_granted)) {
        return ingest_consent(in, line, col->name, col->name_len, 1);
    }
    if (one_of(s, len, consent_denied, sizeof consent_denied / sizeof *consent_denied)) {
        return ingest_consent(in, line, col->name, col->name_len, 0);
    }
    ingest_message(in, line, "warning: consent %.*s '%s' is neither granted nor denied; ignored",
                   (int)col->name_len, col->name, ingest_show(&v, s, len));
    in->totals.dropped++;
    return INGEST_OK;
}

/* Report the failure `st` of adding a trait (see ingest_trait()). */
static INGEST_COLD ingest_status trait_failed(ingest *in, unsigned long line, const char *name,
                                              size_t name_len, const char *value, size_t len,
                                              scv_status st) {
    ingest_shown v;
    if (st == SCV_ENOMEM) {
        return out_of_memory(in);
    }
    ingest_message(in, line, "%.*s '%s': %s", (int)name_len, name, ingest_show(&v, value, len),
                   record_reason(in, st));
    return INGEST_BAD;
}

ingest_status ingest_trait(ingest *in, unsigned long line, const char *name, size_t name_len,
                           const char *value, size_t len) {
    scv_status st;
    if (len == 0) {
        return INGEST_OK;
    }
    st = scv_record_add_trait(in->rec, name, name_len, value, len);
    return st == SCV_OK ? INGEST_OK : trait_failed(in, line, name, name_len, value, len, st);
}

/* A pruned trait's cell: a value the builder would take is passed over; any other is given
 * to the builder after all, which rejects it with its own reason (the row is bad, as it would
 * be with the trait kept). */
static ingest_status check_trait(ingest *in, const struct column *col, const char *cell,
                                 size_t len, unsigned long line) {
    if (len <= SCV_MAX_TRAIT_LEN && (plain_ascii(cell, len) || utf8_valid(cell, len))) {
        return INGEST_OK;
    }
    return ingest_trait(in, line, col->name, col->name_len, cell, len);
}

/* Count n records upserted, showing the running count where it passes a multiple of 100000
 * (the same points as when records were counted one by one). */
static void count_upserted(ingest *in, size_t n) {
    unsigned long long before = in->totals.rows;
    in->totals.rows += n;
    if (in->show_progress && in->totals.rows / 100000 != before / 100000) {
        unsigned long long at = in->totals.rows / 100000 * 100000;
        fprintf(stderr, "\rscv: %llu records read...", at);
        fflush(stderr);
    }
}

/* Report the failed upsert of the record from `line` (reason: the engine's). @return INGEST_BAD,
 * or INGEST_FATAL for out of memory and a full engine (reported), which end the reading. */
static ingest_status upsert_failed(ingest *in, scv_status st, const char *reason, unsigned long line) {
    if (reason == NULL || reason[0] == '\0') {
        reason = scv_status_str(st);
    }
    if (st == SCV_ENOMEM) {
        fputs("scv: out of memory\n", stderr);
        return INGEST_FATAL;
    }
    if (st == SCV_ELIMIT) {
        fprintf(stderr, "%s:%lu: %s\n", in->path, line, reason);
        return INGEST_FATAL;
    }
    ingest_message(in, line, "%s", reason);
    return INGEST_BAD;
}

/*
 * Upsert s->rec[0..n) in order, noting each record that fails and going on after it; out of
 * memory or a full engine stops the batch. Prints nothing and counts nothing (the worker runs
 * this): report_batch() does that afterwards.
 */
static void run_batch(scv_engine *engine, struct batchset *s) {
    size_t start = 0;
    s->nfailures = 0;
    s->upserted = 0;
    while (start < s->n) {
        size_t done = 0;
        scv_status st = scv_engine_upsert_batch(engine, (const scv_record *const *)s->rec + start,
                                                s->n - start, NULL, &done);
        struct failure *f;
        s->upserted += done;
        if (st == SCV_OK) {
            break;
        }
        start += done;
        f = &s->failures[s->nfailures++];
        f->at = start;
        f->before = s->upserted;
        f->status = st;
        f->reason = scv_engine_errmsg(engine);
        if (st == SCV_ENOMEM || st == SCV_ELIMIT) {
            break;
        }
        start++;
    }
}

/*
 * Count and report what run_batch() found, as if each record had been upserted when it was
 * read: a failed record is reported with its line and counted as bad; a fatal failure stops
 * everything, and messages counted for rows read after it are uncounted (those rows would
 * never have been read). @return INGEST_OK, or INGEST_FATAL once the reading has stopped.
 */
static ingest_status report_batch(ingest *in, const struct batchset *s) {
    unsigned long messages = in->messages;
    size_t counted = 0;
    size_t i;
    for (i = 0; i < s->nfailures; i++) {
        const struct failure *f = &s->failures[i];
        count_upserted(in, f->before - counted);
        counted = f->before;
        if (upsert_failed(in, f->status, f->reason, s->lines[f->at]) == INGEST_FATAL) {
            in->messages -= messages - s->marks[f->at];
            in->stopped = 1;
            return INGEST_FATAL;
        }
        in->totals.bad++;
    }
    count_upserted(in, s->upserted - counted);
    return INGEST_OK;
}

/* Did run_batch() stop s at a fatal failure (out of memory, a full engine)? */
static int ended_fatally(const struct batchset *s) {
    const struct failure *f = s->nfailures > 0 ? &s->failures[s->nfailures - 1] : NULL;
    return f != NULL && (f->status == SCV_ENOMEM || f->status == SCV_ELIMIT);
}

/* The worker: upserts the queued batches in order. After a fatal failure it upserts nothing
 * more (the batches queued behind it come back empty): the reading thread stops at that
 * failure when it reports it, as if the rows after it had never been read. */
/* Spin while *counter holds `value`, at most INGEST_SPIN rounds, without the lock (the other
 * thread changes it). Meanwhile the idle hook may do its work, a step at a time; the rounds
 * count from when it has none left. */
static void spin_while(ingest *in, ingest_idle_fn idle, void *idle_ctx, const unsigned long *counter,
                       unsigned long value) {
#if INGEST_CAN_SPIN
    for (int i = 0; i < INGEST_SPIN && COUNTER_LOAD(counter) == value; i++) {
        if (idle != NULL) {
            /* Rows read so far: the batches handed to the worker. */
            unsigned long long rows = (unsigned long long)COUNTER_LOAD(&in->submitted) * INGEST_BATCH;
            if (idle(idle_ctx, rows, COUNTER_LOAD(&in->bytes_submitted))) {
                i = 0;
                continue;
            }
            idle = NULL;
        }
        CPU_RELAX();
    }
#else
    (void)in;
    (void)idle;
    (void)idle_ctx;
    (void)counter;
    (void)value;
#endif
}

static void *upsert_worker(void *arg) {
    ingest *in = arg;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        struct batchset *s;
        if (in->job != NULL) {
            void (*job)(void *) = in->job;
            pthread_mutex_unlock(&in->lock);
            job(in->job_ctx);
            pthread_mutex_lock(&in->lock);
            in->job = NULL;
            pthread_cond_broadcast(&in->changed);
            continue;
        }
        if (in->finished == in->submitted && !in->quit) {
            /* Nothing queued: the next batch is usually a few microseconds away. (The hook is
             * set under the lock: read here, not while spinning.) */
            ingest_idle_fn idle = in->idle;
            void *idle_ctx = in->idle_ctx;
            pthread_mutex_unlock(&in->lock);
            spin_while(in, idle, idle_ctx, &in->submitted, in->finished);
            pthread_mutex_lock(&in->lock);
        }
        while (in->finished == in->submitted && !in->quit && in->job == NULL) {
            pthread_cond_wait(&in->changed, &in->lock);
        }
        if (in->job != NULL) {
            continue;
        }
        if (in->finished == in->submitted) {
            break; /* told to quit, with nothing left to do */
        }
        s = &in->sets[in->finished % INGEST_SETS];
        pthread_mutex_unlock(&in->lock);
        if (in->halted) {
            s->nfailures = 0;
            s->upserted = 0;
        } else {
            run_batch(in->engine, s);
            in->halted = ended_fatally(s);
        }
        pthread_mutex_lock(&in->lock);
        COUNTER_STORE(&in->finished, in->finished + 1);
        pthread_cond_broadcast(&in->changed);
    }
    pthread_mutex_unlock(&in->lock);
    return NULL;
}

/* Wait until the worker has finished every batch submitted (`all`), or at least one not yet
 * reported; @return how many it has finished. */
static unsigned long wait_for_worker(ingest *in, int all) {
    unsigned long finished;
    if (!in->have_worker) {
        return in->finished;
    }
    if (!all) {
        /* A set is about to come back: wait for it awake (see INGEST_SPIN). */
        spin_while(in, in->idle, in->idle_ctx, &in->finished, in->reported);
    }
    pthread_mutex_lock(&in->lock);
    while (all ? in->finished != in->submitted || in->job != NULL : in->finished == in->reported) {
        pthread_cond_wait(&in->changed, &in->lock);
    }
    finished = in->finished;
    pthread_mutex_unlock(&in->lock);
    return finished;
}

/* Report batch s (its messages must not flush again); after a fatal failure, nothing. */
static void report_set(ingest *in, const struct batchset *s) {
    if (!in->stopped) {
        in->flushing = 1;
        (void)report_batch(in, s);
        in->flushing = 0;
    }
}

/* Report, in order, the batches back from the worker up to number `finished`.
 * @return INGEST_OK, or INGEST_FATAL once the reading has stopped. */
static ingest_status report_finished(ingest *in, unsigned long finished) {
    while (in->reported < finished) {
        report_set(in, &in->sets[in->reported % INGEST_SETS]);
        in->reported++;
    }
    return in->stopped ? INGEST_FATAL : INGEST_OK;
}

/* How many batches the worker has finished, without waiting. */
static unsigned long finished_now(ingest *in) {
    unsigned long finished;
    if (!in->have_worker) {
        return in->finished;
    }
#if INGEST_CAN_SPIN
    finished = COUNTER_LOAD(&in->finished);
#else
    pthread_mutex_lock(&in->lock);
    finished = in->finished;
    pthread_mutex_unlock(&in->lock);
#endif
    return finished;
}

/* The batch being filled is full: queue it for the worker (or upsert it here without one),
 * report the batches that are back, and fill the next set, waiting for it only when every
 * set is in use. @return INGEST_OK, or INGEST_FATAL once the reading has stopped. */
static ingest_status submit_batch(ingest *in) {
    struct batchset *s = &in->sets[in->filling];
    s->n = in->queued;
    if (in->have_worker) {
        pthread_mutex_lock(&in->lock);
        COUNTER_STORE(&in->bytes_submitted, in->bytes_done + in->row_offset);
        COUNTER_STORE(&in->submitted, in->submitted + 1);
        pthread_cond_broadcast(&in->changed);
        pthread_mutex_unlock(&in->lock);
    } else {
        in->submitted++;
        run_batch(in->engine, s);
        in->finished++;
    }
    if (report_finished(in, finished_now(in)) != INGEST_OK) {
        return INGEST_FATAL;
    }
    while (in->submitted - in->reported == INGEST_SETS) {
        if (report_finished(in, wait_for_worker(in, 0)) != INGEST_OK) {
            return INGEST_FATAL;
        }
    }
    if (fill_set(in, (int)(in->submitted % INGEST_SETS)) != 0) {
        return out_of_memory(in);
    }
    return INGEST_OK;
}

/*
 * Upsert everything read so far, in order, and report it: the worker's batches, then the rows
 * queued here. A row being built meanwhile (a flush before its message, say) keeps its
 * builder. @return INGEST_OK, or INGEST_FATAL once the reading has stopped.
 */
static ingest_status flush_batch(ingest *in) {
    size_t n = in->queued;
    if (in->flushing || in->stopped) {
        return in->stopped ? INGEST_FATAL : INGEST_OK;
    }
    if (report_finished(in, wait_for_worker(in, 1)) != INGEST_OK) {
        return INGEST_FATAL;
    }
    if (n > 0) {
        /* Upserted here: the worker has nothing left to do meanwhile. */
        struct batchset *s = &in->sets[in->filling];
        s->n = n;
        run_batch(in->engine, s);
        report_set(in, s);
    }
    if (n < in->batch_size) {
        /* The builder of the row being built, batch[n], becomes batch[0] and keeps what it
         * holds. */
        scv_record *building = in->batch[n];
        in->batch[n] = in->batch[0];
        in->batch[0] = building;
    }
    in->queued = 0;
    in->rec = in->batch[0];
    return in->stopped ? INGEST_FATAL : INGEST_OK;
}

/* The batch is full: hand it on. Kept out of ingest_commit(), which every row calls, so that
 * ingest_row() can take that in inline (once in 128 rows does not need it). */
static INGEST_NOINLINE ingest_status batch_full(ingest *in) {
    /* Segment events (a batch of one) are upserted at once: segment.c prints too. */
    return in->batch_size == INGEST_BATCH ? submit_batch(in) : flush_batch(in);
}

ingest_status ingest_commit(ingest *in, unsigned long line) {
    if (in->stopped) {
        return INGEST_FATAL;
    }
    in->lines[in->queued] = line;
    in->marks[in->queued++] = in->messages;
    if (in->queued == in->batch_size) {
        return batch_full(in);
    }
    in->rec = in->batch[in->queued];
    if (in->queued + INGEST_PREFETCH < in->batch_size) {
        scv_record_prefetch(in->batch[in->queued + INGEST_PREFETCH]);
    }
    return INGEST_OK;
}

void ingest_dropped(ingest *in) {
    in->totals.dropped++;
}

void ingest_tally(ingest *in, ingest_status status) {
    /* Records committed are counted when they are upserted (flush_batch). */
    if (status == INGEST_BAD) {
        in->totals.bad++;
    }
}

/* Build the row's record and queue it for its upsert. */
static ingest_status ingest_row(ingest *in, const csv_row *row) {
    /* In locals: the calls below change none of these, but the compiler would load them again
     * after each call. A failure (rare) returns at once: a test of r in the loop's condition
     * cost every column, and most of a row's columns are empty. */
    const struct column *col = in->values;
    const struct column *const end = col + in->nvalues;
    char *const *const fields = row->fields;
    const size_t *const lengths = row->lengths;
    ingest_status r;
    in->row_offset = row->offset;
    if (row->count != in->ncolumns) {
        ingest_message(in, row->line, "expected %zu fields, found %zu", in->ncolumns,
                       row->count);
        return INGEST_BAD;
    }
    r = start_record(in, row);
    if (r != INGEST_OK) {
        return r;
    }
    for (; col < end; col++) {
        size_t len = lengths[col->index];
        char *cell;
        if (len == 0) {
            continue; /* an empty cell adds nothing, whatever its column */
        }
        cell = fields[col->index];
        switch (col->role) {
        case ROLE_IDENTIFIER:
            r = add_identifiers(in, col, cell, len, row->line);
            break;
        case ROLE_MEASURE:
            r = add_measure(in, col, cell, len, row->line);
            break;
        case ROLE_CONSENT:
            r = add_consent(in, col, cell, len, row->line);
            break;
        case ROLE_CHECKED:
            r = check_trait(in, col, cell, len, row->line);
            break;
        default: /* ROLE_TRAIT: in->values holds no other roles */
            r = ingest_trait(in, row->line, col->name, col->name_len, cell, len);
            break;
        }
        if (r != INGEST_OK) {
            return r;
        }
    }
    return ingest_commit(in, row->line);
}

/* A CSV_FATAL from the reader: out of memory ends the program, a read error the file. */
static int reader_failed(ingest *in, const csv_row *row) {
    if (strcmp(row->error, "out of memory") == 0) {
        out_of_memory(in);
        return -1;
    }
    if (flush_batch(in) != INGEST_OK) {
        return -1;
    }
    fprintf(stderr, "scv: %s: %s\n", in->path, row->error);
    return 0;
}

/* Read the header, then every row. */
static int read_rows(ingest *in, csv_reader *reader) {
    csv_row row;
    int header;
    switch (csv_next_row(reader, &row)) {
    case CSV_OK:
        break;
    case CSV_EOF:
        ingest_message(in, 1, "empty file: no header row");
        return 0;
    case CSV_ERROR:
        ingest_message(in, row.line, "bad header: %s (byte %llu)", row.error,
                       (unsigned long long)row.offset);
        return 0;
    case CSV_FATAL:
        return reader_failed(in, &row);
    }
    header = read_header(in, &row);
    if (header < 0) {
        out_of_memory(in);
        return -1;
    }
    if (header > 0) {
        return 0;
    }
    for (;;) {
        ingest_status r;
        switch (csv_next_row(reader, &row)) {
        case CSV_OK:
            r = ingest_row(in, &row);
            if (r == INGEST_FATAL || in->stopped) {
                return -1;
            }
            ingest_tally(in, r);
            break;
        case CSV_ERROR:
            ingest_message(in, row.line, "%s (byte %llu)", row.error,
                           (unsigned long long)row.offset);
            in->totals.bad++;
            break;
        case CSV_FATAL:
            return reader_failed(in, &row);
        case CSV_EOF:
            in->totals.files_read++;
            return flush_batch(in) == INGEST_OK ? 0 : -1;
        }
    }
}

/* Read a CSV file. @return as ingest_file(). */
static int read_csv(ingest *in, FILE *fp) {
    csv_reader *reader = csv_reader_open(fp, 0);
    int result;
    if (reader == NULL) {
        out_of_memory(in);
        return -1;
    }
    result = read_rows(in, reader);
    csv_reader_close(reader);
    return result;
}

/* Read a file of Segment events. @return as ingest_file(). */
static int read_segment(ingest *in, FILE *fp) {
    switch (segment_read(in, fp, in->segment_source, in->measures, in->nmeasures)) {
    case SEGMENT_DONE:
        in->totals.files_read++;
        return 0;
    case SEGMENT_STOPPED:
        return 0;
    case SEGMENT_FATAL:
    default:
        return -1;
    }
}

int ingest_file(ingest *in, const char *path) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    int result;
    if (fp == NULL) {
        fprintf(stderr, "scv: %s: %s\n", path, strerror(errno));
        return 0;
    }
    in->path = is_stdin ? "<stdin>" : path;
    in->messages = 0;
    result = in->format == INGEST_SEGMENT ? read_segment(in, fp) : read_csv(in, fp);
    in->bytes_done += in->row_offset;
    in->row_offset = 0;
    if (flush_batch(in) != INGEST_OK) {
        result = -1; /* whatever ended the file, its queued rows are upserted before the next */
    }
    if (!is_stdin) {
        fclose(fp);
    }
    if (in->messages > INGEST_MAX_MESSAGES) {
        fprintf(stderr, "%s: %lu more messages not shown\n", in->path,
                in->messages - INGEST_MAX_MESSAGES);
    }
    return result;
}
