/*
 * csv.c — the streaming RFC 4180 reader declared in csv.h.
 *
 * The reader is a byte-level state machine that can stop at any byte when its buffer runs
 * dry and resume after the next fread(): everything it remembers about the record being read
 * is an offset into the buffer, so moving the unfinished record to the front of the buffer
 * (or into a larger one) only shifts those offsets.
 *
 * Most records, though, lie whole in the buffer and need none of that. fast_plain() reads a
 * record without quotes: one SSE2 pass, 32 bytes a step, finds its commas and its LF and
 * makes sure there is no '"' before it (without SSE2: memchr() for the LF and the quote, and
 * a word-wide comma test eight bytes at a time; both below). A record with quotes
 * goes to fast_quoted(), which reads it with memchr() and tight loops, as long as no quote
 * is doubled. Whenever either meets anything else (the end of the buffer, a doubled quote, a
 * blank line, a syntax error) it gives up, leaving the buffer as it was, and the state
 * machine reads the record from its start, so all paths give exactly the same rows, lines,
 * offsets and errors.
 */
#include "csv.h"
#include "word.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(SCV_CSV_PORTABLE)
#include <emmintrin.h>
#endif

enum csv_state {
    S_FIELD,    /* at the start of a field */
    S_UNQUOTED, /* inside an unquoted field */
    S_QUOTED,   /* inside a quoted field */
    S_QUOTE,    /* just after a '"' inside a quoted field: "" or the closing quote */
    S_QUOTE_CR, /* closing quote, then CR: only LF may follow */
    S_SKIP      /* after an error: skipping to the next line */
};

struct csv_reader {
    FILE *fp;
    char *buf;         /* input bytes buf[0..len); cap - 1 >= len: one spare byte for a NUL */
    size_t cap;
    size_t len;
    size_t pos;        /* next byte to look at */
    size_t rec;        /* first byte of the record being read (nothing before it is needed) */
    size_t fstart;     /* first byte of the field being read */
    size_t wr;         /* quoted field: where its next unescaped byte goes */
    uint64_t base;     /* file offset of buf[0] */
    size_t max_record; /* longest record accepted, bytes */
    unsigned long line;     /* physical line of buf[pos], from 1 */
    unsigned long rec_line; /* physical line where the record being read starts */
    enum csv_state state;
    int eof;     /* fread() has reported the end of the input */
    int fatal;   /* a read error or allocation failure happened */
    int started; /* the first chunk has been read (and a BOM skipped) */
    const char *fatal_why; /* why it failed */
    /* fields of the record being read: offsets into buf, lengths; ptrs filled on return */
    size_t nfields;
    size_t fields_cap;
    size_t *offsets;
    size_t *lengths;
    char **ptrs;
};

/* Bytes that end an unquoted field's fast scan. */
static const unsigned char unquoted_stop[256] = {['\n'] = 1, [','] = 1, ['"'] = 1};

csv_reader *csv_reader_open(FILE *fp, size_t bufsize) {
    csv_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    if (bufsize == 0) {
        bufsize = CSV_DEFAULT_BUFFER;
    }
    if (bufsize < 4) {
        bufsize = 4; /* so the first read can see a whole byte order mark */
    }
    r->cap = bufsize + 1;
    r->buf = malloc(r->cap);
    r->fields_cap = 16;
    r->offsets = malloc(r->fields_cap * sizeof *r->offsets);
    r->lengths = malloc(r->fields_cap * sizeof *r->lengths);
    r->ptrs = malloc(r->fields_cap * sizeof *r->ptrs);
    if (r->buf == NULL || r->offsets == NULL || r->lengths == NULL || r->ptrs == NULL) {
        csv_reader_close(r);
        return NULL;
    }
    r->fp = fp;
    r->max_record = CSV_DEFAULT_MAX_RECORD;
    r->line = 1;
    r->rec_line = 1;
    r->state = S_FIELD;
    return r;
}

void csv_reader_close(csv_reader *r) {
    if (r == NULL) {
        return;
    }
    free(r->buf);
    free(r->offsets);
    free(r->lengths);
    free(r->ptrs);
    free(r);
}

void csv_reader_set_max_record(csv_reader *r, size_t max_bytes) {
    r->max_record = max_bytes > 0 ? max_bytes : 1;
}

/* Does the state hold offsets fstart/wr that must follow the buffer's bytes? */
static int state_in_field(enum csv_state s) {
    return s == S_UNQUOTED || s == S_QUOTED || s == S_QUOTE || s == S_QUOTE_CR;
}

/* Drop the bytes before the record being read by moving the rest to the front. */
static void compact(csv_reader *r) {
    size_t drop = r->rec;
    size_t i;
    if (drop == 0) {
        return;
    }
    memmove(r->buf, r->buf + drop, r->len - drop);
    r->len -= drop;
    r->pos -= drop;
    r->rec = 0;
    r->base += drop;
    if (state_in_field(r->state)) {
        r->fstart -= drop;
        r->wr -= drop;
    }
    for (i = 0; i < r->nfields; i++) {
        r->offsets[i] -= drop;
    }
}

enum refill_result { R_DATA, R_EOF, R_FATAL, R_TOOLONG };

/* Read more input after buf[len). */
static enum refill_result refill(csv_reader *r, const char **why) {
    size_t room;
    size_t got;
    if (r->eof) {
        return R_EOF;
    }
    compact(r);
    if (r->len + 1 >= r->cap) {
        /* The record being read fills the whole buffer. */
        size_t cap;
        char *grown;
        if (r->len >= r->max_record) {
            return R_TOOLONG;
        }
        cap = (r->cap - 1) * 2 + 1;
        grown = realloc(r->buf, cap);
        if (grown == NULL) {
            *why = "out of memory";
            return R_FATAL;
        }
        r->buf = grown;
        r->cap = cap;
    }
    room = r->cap - 1 - r->len;
    if (!r->started && room > CSV_FIRST_READ) {
        room = CSV_FIRST_READ;
    }
    got = fread(r->buf + r->len, 1, room, r->fp);
    if (got < room) {
        if (ferror(r->fp)) {
            *why = "read error";
            return R_FATAL;
        }
        r->eof = 1;
    }
    r->len += got;
    if (!r->started) {
        r->started = 1;
        if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
            r->pos = r->rec = 3;
        }
    }
    return got > 0 ? R_DATA : R_EOF;
}

/* Make room for at least one more field. @return 0, or -1 when out of memory (the arrays
 * that were grown stay grown: harmless). */
static int grow_fields(csv_reader *r) {
    size_t cap = r->fields_cap * 2;
    size_t *offsets;
    size_t *lengths;
    char **ptrs;
    offsets = realloc(r->offsets, cap * sizeof *offsets);
    if (offsets == NULL) {
        return -1;
    }
    r->offsets = offsets;
    lengths = realloc(r->lengths, cap * sizeof *lengths);
    if (lengths == NULL) {
        return -1;
    }
    r->lengths = lengths;
    ptrs = realloc(r->ptrs, cap * sizeof *ptrs);
    if (ptrs == NULL) {
        return -1;
    }
    r->ptrs = ptrs;
    r->fields_cap = cap;
    return 0;
}

/* Append a field to the record being read. */
static int push_field(csv_reader *r, size_t offset, size_t length) {
    if (r->nfields == r->fields_cap && grow_fields(r) != 0) {
        return -1;
    }
    r->offsets[r->nfields] = offset;
    r->lengths[r->nfields] = length;
    r->nfields++;
    return 0;
}

/* Hand the finished record out and get ready for the next one. */
static csv_status finish_record(csv_reader *r, csv_row *row) {
    size_t i;
    for (i = 0; i < r->nfields; i++) {
        r->ptrs[i] = r->buf + r->offsets[i];
        /* The byte after a field is its delimiter, line end, closing quote, a byte freed by
         * unescaping, or the spare byte past the data: never part of another field. */
        r->ptrs[i][r->lengths[i]] = '\0';
    }
    row->fields = r->ptrs;
    row->lengths = r->lengths;
    row->count = r->nfields;
    row->line = r->rec_line;
    row->offset = r->base + r->rec;
    row->error = NULL;
    r->rec = r->pos;
    r->rec_line = r->line;
    r->nfields = 0;
    r->state = S_FIELD;
    return CSV_OK;
}

/* Add field `i` of a record read by fast_plain() or fast_quoted(). @return 0, -1 when out of
 * memory. */
static int fast_field(csv_reader *r, size_t i, char *start, size_t length) {
    if (i == r->fields_cap && grow_fields(r) != 0) {
        return -1;
    }
    r->ptrs[i] = start;
    r->lengths[i] = length;
    return 0;
}

/* fast_plain(): the record has a '"'. */
#define FAST_QUOTED ((size_t)-1)

/* Undo what fast_plain() did to fields 0..nf-1: each was ended by a ',' it overwrote. */
static void unplain(csv_reader *r, size_t nf) {
    size_t i;
    for (i = 0; i < nf; i++) {
        r->ptrs[i][r->lengths[i]] = ',';
    }
}

/* Room in the field table for n more fields after the nf that fast_plain() has read.
 * @return 0, or -1 when the table cannot grow: the commas of those nf are then put back. */
static int room_for_fields(csv_reader *r, size_t nf, size_t n) {
    while (r->fields_cap - nf < n) {
        if (grow_fields(r) != 0) {
            unplain(r, nf);
            return -1;
        }
    }
    return 0;
}

/*
 * Read the record at buf[pos] if it lies whole in the buffer and holds no '"' (the common
 * case): every ',' ends a field and the LF the record, without the CR of a CRLF. Each
 * field's ',' is overwritten with the NUL that ends it as soon as it is found (there is
 * nothing to write afterwards); should the field table fail to grow, those commas are put
 * back.
 * @return the number of fields (pos and line are then past the record, the fields
 *         NUL-terminated); FAST_QUOTED when a '"' comes before the LF (fast_quoted() may
 *         read it); 0 when the record does not end in the buffer, is a blank line, or the
 *         field table could not grow (the state machine is to read it, the buffer being as
 *         it was).
 */
#if defined(__SSE2__) && !defined(SCV_CSV_PORTABLE)
/*
 * With SSE2 (every x86-64) the record is read in one pass, 32 bytes a step: each step marks
 * its commas in one 32-bit mask and its LFs and quotes in another, so no memchr() is
 * needed to find the line end or to rule out a quote first (callgrind, 82-byte rows: the
 * reader went from ~600 to ~350 instructions per row, about 150 of which are the commas).
 * The commas before the first LF or quote are ended with NULs as they come; a quote first
 * means the record goes to fast_quoted(), and no LF in the buffer that it goes to the state
 * machine, both after the commas are put back. A step never reads past buf[len): the last
 * fewer than 32 bytes are marked one by one. (A compiler defining __SSE2__ is gcc or clang:
 * __builtin_ctz is there.)
 */
static size_t fast_plain(csv_reader *r) {
    char *const b = r->buf;
    char *const start = b + r->pos;
    /* Kept in locals: the NULs written below are char stores, which the compiler must
     * otherwise assume change r's fields. */
    char **ptrs = r->ptrs;
    size_t *lengths = r->lengths;
    size_t cap = r->fields_cap;
    size_t nf = 0;
    char *fs = start; /* the field being read starts here */
    char *q = start;  /* the step reads q[0..32) */
    size_t left = r->len - r->pos; /* bytes from q to the buffer's end */
    char *eol;
    char *stop; /* the end of the last field: the LF, or its CR */
    const __m128i commas = _mm_set1_epi8(',');
    const __m128i lfs = _mm_set1_epi8('\n');
    const __m128i quotes = _mm_set1_epi8('"');
    for (;;) {
        uint32_t m; /* bit k: q[k] is ',' */
        uint32_t e; /* bit k: q[k] is LF or '"' */
        if (left >= 32) {
            /* Two loads a step: the loop's own work (branches, the room check) is then
             * spread over 32 bytes; a row is a few steps. */
            __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)q);
            __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(q + 16));
            m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, commas)) |
                (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, commas)) << 16;
            e = (uint32_t)_mm_movemask_epi8(
                    _mm_or_si128(_mm_cmpeq_epi8(v0, lfs), _mm_cmpeq_epi8(v0, quotes))) |
                (uint32_t)_mm_movemask_epi8(
                    _mm_or_si128(_mm_cmpeq_epi8(v1, lfs), _mm_cmpeq_epi8(v1, quotes)))
                    << 16;
        } else {
            /* The buffer's last bytes, fewer than 32: marked one by one. */
            size_t k;
            m = 0;
            e = 0;
            for (k = 0; k < left; k++) {
                if (q[k] == ',') {
                    m |= (uint32_t)1 << k;
                } else if (q[k] == '\n' || q[k] == '"') {
                    e |= (uint32_t)1 << k;
                }
            }
            if (e == 0) {
                unplain(r, nf);
                return 0; /* the record does not end in the buffer */
            }
        }
        if (e != 0) {
            eol = q + (unsigned)__builtin_ctz(e);
            if (*eol == '"') {
                unplain(r, nf);
                return FAST_QUOTED;
            }
            m &= e ^ (e - 1); /* the commas before the LF (and the LF's bit, which is no comma) */
        }
        if (m != 0) {
            if (cap - nf < 32) {
                /* Room for every comma of this step (the field after the last has its
                 * own check). */
                if (room_for_fields(r, nf, 32) != 0) {
                    return 0;
                }
                ptrs = r->ptrs;
                lengths = r->lengths;
                cap = r->fields_cap;
            }
            do {
                char *at = q + (unsigned)__builtin_ctz(m);
                ptrs[nf] = fs;
                lengths[nf] = (size_t)(at - fs);
                nf++;
                *at = '\0';
                fs = at + 1;
                m &= m - 1;
            } while (m != 0);
        }
        if (e != 0) {
            break;
        }
        q += 32;
        left -= 32;
    }
    stop = eol > start && eol[-1] == '\r' ? eol - 1 : eol;
    if (stop == start) {
        return 0; /* a blank line (so no comma was met) */
    }
    if (nf == cap && grow_fields(r) != 0) {
        unplain(r, nf);
        return 0;
    }
    r->ptrs[nf] = fs;
    r->lengths[nf] = (size_t)(stop - fs);
    nf++;
    *stop = '\0';
    r->pos = (size_t)(eol + 1 - b);
    r->line++;
    return nf;
}
#else
/*
 * Without SSE2, fast_plain() finds the line end and rules out a quote with memchr(), then
 * finds the commas of the line eight bytes at a time: a 64-bit word is loaded and
 * every byte of it that is ',' gets its high bit set in a mask (exactly those bytes: the test
 * lets no carry cross from one byte into the next), so a word costs about fifteen
 * instructions and each comma about a dozen, where a memchr() call per field cost some
 * thirty (callgrind: the reader went from 730 to 566 instructions per 82-byte row). Words
 * are read as little-endian whatever the machine, so that byte k of the input is byte k of
 * the word and the lowest set bit of the mask belongs to the first comma.
 */
#define WORD_COMMAS ((uint64_t)0x2C2C2C2C2C2C2C2Cu)
#define WORD_LOW7 ((uint64_t)0x7F7F7F7F7F7F7F7Fu)

/* High bit set in each byte of w that is ',', and nowhere else: x = w ^ ",,,,,,,," is zero
 * in those bytes; adding 0x7F to the low seven bits of a byte of x carries into its high bit
 * unless they are all zero, and never beyond it. */
static uint64_t comma_bytes(uint64_t w) {
    uint64_t x = w ^ WORD_COMMAS;
    return ~(((x & WORD_LOW7) + WORD_LOW7) | x | WORD_LOW7);
}

/* Index (0..7) of the lowest byte whose high bit is set in the nonzero mask m. */
static size_t first_byte(uint64_t m) {
#if defined(__GNUC__)
    return (size_t)__builtin_ctzll(m) >> 3;
#else
    size_t k = 0;
    while ((m & 0x80u) == 0) {
        m >>= 8;
        k++;
    }
    return k;
#endif
}

static size_t fast_plain(csv_reader *r) {
    char *b = r->buf;
    const size_t p = r->pos;
    const size_t n = r->len;
    const char *lf = memchr(b + p, '\n', n - p);
    /* Kept in locals: the NULs written below are char stores, which the compiler must
     * otherwise assume change r's fields. */
    char **ptrs = r->ptrs;
    size_t *lengths = r->lengths;
    size_t cap = r->fields_cap;
    size_t nf = 0;
    size_t eol;
    size_t stop; /* the end of the last field: the LF, or its CR */
    size_t fs;   /* the field being read starts here */
    size_t q;    /* the next byte to look at */
    if (lf == NULL) {
        return 0;
    }
    eol = (size_t)(lf - b);
    if (memchr(b + p, '"', eol - p) != NULL) {
        return FAST_QUOTED;
    }
    stop = eol > p && b[eol - 1] == '\r' ? eol - 1 : eol;
    if (stop == p) {
        return 0; /* a blank line */
    }
    fs = p;
    for (q = p; q < stop; q += 8) {
        uint64_t m;
        if (stop - q >= 8) {
            m = comma_bytes(word_load_le(b + q)); /* a word of the line */
        } else if (n - q >= 8) {
            /* The line's last bytes, and bytes after them that are not to be looked at. */
            m = comma_bytes(word_load_le(b + q)) & (((uint64_t)1 << (8 * (stop - q))) - 1);
        } else {
            /* The line's last bytes are the buffer's: a mask built byte by byte. */
            size_t k;
            m = 0;
            for (k = 0; k < stop - q; k++) {
                if (b[q + k] == ',') {
                    m |= (uint64_t)0x80 << (8 * k);
                }
            }
        }
        if (m == 0) {
            continue;
        }
        if (cap - nf < 8) {
            /* Room for every comma of this word (and the field after the last). */
            if (room_for_fields(r, nf, 8) != 0) {
                return 0;
            }
            ptrs = r->ptrs;
            lengths = r->lengths;
            cap = r->fields_cap;
        }
        do {
            size_t at = q + first_byte(m);
            ptrs[nf] = b + fs;
            lengths[nf] = at - fs;
            nf++;
            b[at] = '\0';
            fs = at + 1;
            m &= m - 1;
        } while (m != 0);
    }
    if (nf == cap && grow_fields(r) != 0) {
        unplain(r, nf);
        return 0;
    }
    r->ptrs[nf] = b + fs;
    r->lengths[nf] = stop - fs;
    nf++;
    b[stop] = '\0';
    r->pos = eol + 1;
    r->line++;
    return nf;
}

#endif

/*
 * Read the record at buf[pos], which has a '"' before its LF, if it lies whole in the buffer
 * and its quoted fields hold no doubled quote (nor text after the closing quote). Its fields
 * go straight into ptrs/lengths; the caller ends them with NULs.
 * @return the number of fields (pos and line are then past the record), or 0 for any other
 *         record: nothing was changed then but the capacity of the field arrays, and the
 *         state machine is to read it.
 */
static size_t fast_quoted(csv_reader *r) {
    char *b = r->buf;
    size_t p = r->pos;
    size_t n = r->len;
    size_t nf = 0;
    unsigned long lines = 0;
    for (;;) {
        size_t start;
        size_t end;
        char c;
        if (p == n) {
            return 0;
        }
        if (b[p] == '"') {
            const char *quote = memchr(b + p + 1, '"', n - p - 1);
            const char *nl;
            if (quote == NULL) {
                return 0;
            }
            start = p + 1;
            end = (size_t)(quote - b);
            for (nl = memchr(b + start, '\n', end - start); nl != NULL;
                 nl = memchr(nl + 1, '\n', (size_t)(quote - nl) - 1)) {
                lines++;
            }
            p = end + 1;
            if (p == n) {
                return 0;
            }
            c = b[p];
            if (c == '\r') {
                if (p + 1 == n || b[p + 1] != '\n') {
                    return 0;
                }
                c = b[++p];
            } else if (c != ',' && c != '\n') {
                return 0; /* a doubled quote, or text after the closing quote */
            }
        } else {
            start = p;
            while (p < n && !unquoted_stop[(unsigned char)b[p]]) {
                p++;
            }
            if (p == n || b[p] == '"') {
                return 0;
            }
            c = b[p];
            end = p;
            if (c == '\n' && end > start && b[end - 1] == '\r') {
                end--;
            }
        }
        if (fast_field(r, nf++, b + start, end - start) != 0) {
            return 0;
        }
        p++;
        if (c == '\n') {
            lines++;
            break;
        }
    }
    r->pos = p;
    r->line += lines;
    return nf;
}

/* Hand out the nf fields fast_plain() or fast_quoted() read (NUL-terminated by then). */
static csv_status fast_finish(csv_reader *r, csv_row *row, size_t nf) {
    row->fields = r->ptrs;
    row->lengths = r->lengths;
    row->count = nf;
    row->line = r->rec_line;
    row->offset = r->base + r->rec;
    row->error = NULL;
    r->rec = r->pos;
    r->rec_line = r->line;
    return CSV_OK;
}

/* Report a malformed record whose offending byte is buf[at]; skip from buf[pos] on. */
static csv_status fail_record(csv_reader *r, csv_row *row, const char *why, size_t at) {
    row->fields = r->ptrs;
    row->lengths = r->lengths;
    row->count = 0;
    row->line = r->rec_line;
    row->offset = r->base + at;
    row->error = why;
    r->nfields = 0;
    r->rec = r->pos;
    r->state = S_SKIP;
    return CSV_ERROR;
}

static csv_status fail_fatal(csv_reader *r, csv_row *row, const char *why) {
    r->fatal = 1;
    r->fatal_why = why;
    row->fields = r->ptrs;
    row->lengths = r->lengths;
    row->count = 0;
    row->line = r->rec_line;
    row->offset = r->base + r->pos;
    row->error = why;
    return CSV_FATAL;
}

static csv_status fail_oom(csv_reader *r, csv_row *row) {
    return fail_fatal(r, row, "out of memory");
}

/* Length of an unquoted field ending at buf[end), without the CR of a CRLF. */
static size_t unquoted_length(const csv_reader *r, size_t end) {
    size_t n = end - r->fstart;
    if (n > 0 && r->buf[end - 1] == '\r') {
        n--;
    }
    return n;
}

/* The input has ended: finish whatever record is open. */
static csv_status at_end(csv_reader *r, csv_row *row) {
    switch (r->state) {
    case S_FIELD:
        if (r->nfields == 0) {
            return CSV_EOF;
        }
        /* "a,b," : the last field is empty. */
        if (push_field(r, r->pos, 0) != 0) {
            return fail_oom(r, row);
        }
        return finish_record(r, row);
    case S_UNQUOTED: {
        size_t n = unquoted_length(r, r->pos);
        if (r->nfields == 0 && n == 0) {
            r->state = S_FIELD; /* a last line holding only CR */
            return CSV_EOF;
        }
        if (push_field(r, r->fstart, n) != 0) {
            return fail_oom(r, row);
        }
        return finish_record(r, row);
    }
    case S_QUOTE:
    case S_QUOTE_CR:
        if (push_field(r, r->fstart, r->wr - r->fstart) != 0) {
            return fail_oom(r, row);
        }
        return finish_record(r, row);
    case S_QUOTED: {
        csv_status st = fail_record(r, row, "unterminated quoted field", r->fstart - 1);
        r->rec = r->pos = r->len;
        return st;
    }
    case S_SKIP:
        r->state = S_FIELD;
        return CSV_EOF;
    }
    return CSV_EOF;
}

csv_status csv_next_row(csv_reader *r, csv_row *row) {
    if (r->fatal) {
        return fail_fatal(r, row, r->fatal_why);
    }
    if (r->state == S_FIELD && r->nfields == 0 && r->pos < r->len) {
        size_t nf = fast_plain(r);
        if (nf == FAST_QUOTED) {
            nf = fast_quoted(r);
            if (nf > 0) {
                /* The byte after a field is its delimiter, line end or closing quote. */
                size_t i;
                for (i = 0; i < nf; i++) {
                    r->ptrs[i][r->lengths[i]] = '\0';
                }
            }
        }
        if (nf > 0) {
            return fast_finish(r, row, nf);
        }
    }
    for (;;) {
        char *b = r->buf;
        size_t p = r->pos;
        size_t n = r->len;
        if (p == n) {
            const char *why = NULL;
            switch (refill(r, &why)) {
            case R_DATA:
                continue;
            case R_EOF:
                return at_end(r, row);
            case R_FATAL:
                return fail_fatal(r, row, why);
            case R_TOOLONG: {
                csv_status st = fail_record(r, row, "record too long", 0);
                r->rec = r->pos = r->len; /* discard it all; S_SKIP finds the next line */
                return st;
            }
            }
        }
        switch (r->state) {
        case S_FIELD:
            if (b[p] == '"') {
                r->fstart = r->wr = p + 1;
                r->pos = p + 1;
                r->state = S_QUOTED;
                break;
            }
            r->fstart = p;
            r->state = S_UNQUOTED;
            /* fall through */
        case S_UNQUOTED: {
            unsigned char c = 0;
            size_t flen;
            while (p < n && !unquoted_stop[c = (unsigned char)b[p]]) {
                p++;
            }
            r->pos = p;
            if (p == n) {
                break;
            }
            if (c == '"') {
                return fail_record(r, row, "quote inside an unquoted field", p);
            }
            r->pos = p + 1;
            if (c == ',') {
                if (push_field(r, r->fstart, p - r->fstart) != 0) {
                    return fail_oom(r, row);
                }
                r->state = S_FIELD;
                break;
            }
            /* c == '\n' */
            r->line++;
            flen = unquoted_length(r, p);
            if (r->nfields == 0 && flen == 0) {
                /* A blank line: skip it. */
                r->rec = r->pos;
                r->rec_line = r->line;
                r->state = S_FIELD;
                break;
            }
            if (push_field(r, r->fstart, flen) != 0) {
                return fail_oom(r, row);
            }
            return finish_record(r, row);
        }
        case S_QUOTED: {
            size_t w = r->wr;
            unsigned long lines = 0;
            if (w == p) {
                /* Nothing unescaped yet: the bytes are already where they belong. */
                while (p < n && b[p] != '"') {
                    lines += b[p] == '\n';
                    p++;
                }
                w = p;
            } else {
                while (p < n && b[p] != '"') {
                    lines += b[p] == '\n';
                    b[w++] = b[p++];
                }
            }
            r->line += lines;
            r->wr = w;
            r->pos = p;
            if (p < n) {
                r->pos = p + 1;
                r->state = S_QUOTE;
            }
            break;
        }
        case S_QUOTE: {
            char c = b[p];
            if (c == '"') {
                b[r->wr++] = '"';
                r->pos = p + 1;
                r->state = S_QUOTED;
            } else if (c == ',' || c == '\n') {
                r->pos = p + 1;
                if (push_field(r, r->fstart, r->wr - r->fstart) != 0) {
                    return fail_oom(r, row);
                }
                if (c == ',') {
                    r->state = S_FIELD;
                } else {
                    r->line++;
                    return finish_record(r, row);
                }
            } else if (c == '\r') {
                r->pos = p + 1;
                r->state = S_QUOTE_CR;
            } else {
                return fail_record(r, row, "text after a closing quote", p);
            }
            break;
        }
        case S_QUOTE_CR:
            if (b[p] != '\n') {
                return fail_record(r, row, "text after a closing quote", p - 1);
            }
            r->pos = p + 1;
            r->line++;
            if (push_field(r, r->fstart, r->wr - r->fstart) != 0) {
                return fail_oom(r, row);
            }
            return finish_record(r, row);
        case S_SKIP: {
            const char *nl = memchr(b + p, '\n', n - p);
            if (nl == NULL) {
                r->rec = r->pos = n;
                break;
            }
            r->line++;
            r->rec = r->pos = (size_t)(nl - b) + 1;
            r->rec_line = r->line;
            r->state = S_FIELD;
            break;
        }
        }
    }
}
