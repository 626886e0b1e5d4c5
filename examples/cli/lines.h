/*
 * lines.h — a small streaming line reader for the scv program's JSON Lines input.
 *
 * Lines end with LF; a CR just before the LF is dropped, and so is the line end itself. The
 * last line may lack its LF. Bytes are not interpreted otherwise (a NUL byte is data; checking
 * UTF-8 is the caller's business). A line longer than the reader's limit is not kept: it is
 * reported once as LINE_TOO_LONG (with its number) and reading goes on after it, so one huge
 * line costs no more memory than the limit.
 *
 * How it works: it reads large fread() chunks into one buffer it owns and hands out lines in
 * place; the buffer only grows (up to the limit) when a single line does not fit.
 *
 * Not thread-safe: one reader belongs to one thread.
 */
#ifndef SCV_CLI_LINES_H
#define SCV_CLI_LINES_H

#include <stddef.h>
#include <stdio.h>

/** Default buffer size, bytes. */
#define LINES_DEFAULT_BUFFER ((size_t)1 << 20)
/** Default longest line, bytes (the same limit as a CSV record's). */
#define LINES_DEFAULT_MAX ((size_t)64 << 20)

typedef struct line_reader line_reader;

/** Result of line_next(). */
typedef enum line_status {
    LINE_OK = 0,       /**< a line was read */
    LINE_EOF = 1,      /**< no more lines */
    LINE_TOO_LONG = 2, /**< a line longer than the limit was skipped; call again */
    LINE_FATAL = 3     /**< read error or out of memory (line_reader_error says which); stop */
} line_status;

/**
 * Create a reader over `fp`, which stays the caller's (it is not closed).
 * @param bufsize   initial buffer size; 0 = LINES_DEFAULT_BUFFER (tiny sizes work: tests use
 *                  them to split lines across reads).
 * @param max_line  longest line kept, in bytes before its LF (a CR counts);
 *                  0 = LINES_DEFAULT_MAX.
 * @return the reader, or NULL when out of memory.
 */
line_reader *line_reader_open(FILE *fp, size_t bufsize, size_t max_line);

/** Free a reader. NULL is a no-op. */
void line_reader_close(line_reader *reader);

/**
 * Read the next line.
 * @param line, len  LINE_OK: the line's bytes (not NUL-terminated), valid until the next call.
 * @param number     LINE_OK and LINE_TOO_LONG: the line's number, from 1.
 * @return LINE_OK, LINE_EOF, LINE_TOO_LONG or LINE_FATAL (then again on every later call).
 */
line_status line_next(line_reader *reader, const char **line, size_t *len,
                      unsigned long *number);

/** Why line_next() returned LINE_FATAL ("read error", "out of memory"), or NULL. */
const char *line_reader_error(const line_reader *reader);

#endif
