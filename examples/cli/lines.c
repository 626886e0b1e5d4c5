/*
 * lines.c — the scv program's streaming line reader (lines.h): fread() chunks into one
 * buffer, lines handed out in place, over-long lines dropped as they stream past.
 */
#include "lines.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct line_reader {
    FILE *fp;
    char *buf;
    size_t cap;
    size_t start; /* first byte not handed out yet */
    size_t end;   /* end of the bytes read */
    size_t max;   /* longest line kept */
    unsigned long number; /* lines handed out (or skipped) so far */
    int eof;
    int skipping; /* inside a line longer than max: its bytes are being dropped */
    const char *error;
};

line_reader *line_reader_open(FILE *fp, size_t bufsize, size_t max_line) {
    line_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    r->cap = bufsize > 0 ? bufsize : LINES_DEFAULT_BUFFER;
    r->max = max_line > 0 ? max_line : LINES_DEFAULT_MAX;
    if (r->max > SIZE_MAX / 4) {
        r->max = SIZE_MAX / 4;
    }
    r->buf = malloc(r->cap);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->fp = fp;
    return r;
}

void line_reader_close(line_reader *reader) {
    if (reader == NULL) {
        return;
    }
    free(reader->buf);
    free(reader);
}

const char *line_reader_error(const line_reader *reader) {
    return reader->error;
}

/* A line p[0..n) without its LF has been taken from the buffer: hand it out, or report it as
 * too long. */
static line_status finish(line_reader *r, const char *p, size_t n, const char **line,
                          size_t *len, unsigned long *number) {
    int too_long = r->skipping || n > r->max;
    r->skipping = 0;
    *number = ++r->number;
    if (too_long) {
        return LINE_TOO_LONG;
    }
    if (n > 0 && p[n - 1] == '\r') {
        n--;
    }
    *line = p;
    *len = n;
    return LINE_OK;
}

/* Make room for more input: drop a line that has grown too long (and what follows of it),
 * move the pending bytes to the front, grow the buffer when one line fills it.
 * @return 0, or -1 when out of memory. */
static int make_room(line_reader *r) {
    size_t pending = r->end - r->start;
    size_t cap;
    char *grown;
    if (r->skipping || pending > r->max) {
        r->skipping = 1;
        r->start = r->end = 0;
        return 0;
    }
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, pending);
        r->start = 0;
        r->end = pending;
    }
    if (r->end < r->cap) {
        return 0;
    }
    cap = r->cap > r->max / 2 ? r->max + 1 : r->cap * 2;
    grown = realloc(r->buf, cap);
    if (grown == NULL) {
        return -1;
    }
    r->buf = grown;
    r->cap = cap;
    return 0;
}

line_status line_next(line_reader *r, const char **line, size_t *len, unsigned long *number) {
    for (;;) {
        const char *p = r->buf + r->start;
        size_t pending = r->end - r->start;
        const char *nl = pending > 0 ? memchr(p, '\n', pending) : NULL;
        size_t got;
        if (r->error != NULL) {
            return LINE_FATAL;
        }
        if (nl != NULL) {
            r->start += (size_t)(nl - p) + 1;
            return finish(r, p, (size_t)(nl - p), line, len, number);
        }
        if (r->eof) {
            if (pending == 0 && !r->skipping) {
                return LINE_EOF;
            }
            r->start = r->end;
            return finish(r, p, pending, line, len, number);
        }
        if (make_room(r) != 0) {
            r->error = "out of memory";
            continue;
        }
        got = fread(r->buf + r->end, 1, r->cap - r->end, r->fp);
        r->end += got;
        if (got == 0) {
            if (ferror(r->fp)) {
                r->error = "read error";
            }
            r->eof = 1;
        }
    }
}
