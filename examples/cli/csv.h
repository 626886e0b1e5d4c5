/*
 * csv.h — a small streaming RFC 4180 reader for the scv program.
 *
 * What it accepts: fields separated by ',', records ended by LF or CRLF (the last record may
 * lack its line end), fields enclosed in '"' that may hold ',', '"' (written as "") and line
 * breaks, empty fields, and a UTF-8 byte order mark at the very start of the input (skipped).
 * Blank lines (nothing at all between two line ends) are skipped; a lone CR that is not
 * followed by LF is ordinary data. Bytes are not interpreted otherwise: checking UTF-8 is the
 * caller's business.
 *
 * What it rejects, as CSV_ERROR with a reason, the physical line where the bad record starts
 * and the file offset of the offending byte: a '"' inside an unquoted field, anything but ',',
 * a line end or the end of input after a closing quote, a quoted field still open at the end
 * of input, and a record longer than the reader's limit that does not fit its buffer. After
 * an error the reader skips to the start of the next physical line and goes on from there.
 *
 * How it works: it reads the input in large fread() chunks into one buffer it owns and parses
 * records in place (unescaping quoted fields by moving bytes down), so there is no allocation
 * per field or per record; the buffer only grows when a single record does not fit.
 *
 * Not thread-safe: one reader belongs to one thread.
 */
#ifndef SCV_CLI_CSV_H
#define SCV_CLI_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Default buffer size, bytes: records up to this long are parsed without copying. */
#define CSV_DEFAULT_BUFFER ((size_t)1 << 20)

/** The first read fills only this much of the buffer, so that the first rows come out before
 *  the rest of a fresh buffer has been faulted in and filled: reading the first 1 MiB took
 *  4.5 ms on this project's VM, in which the scv program's worker thread had nothing to do. */
#define CSV_FIRST_READ ((size_t)64 << 10)
/** Default limit on one record's length in the input, bytes (see csv_reader_set_max_record). */
#define CSV_DEFAULT_MAX_RECORD ((size_t)64 << 20)

typedef struct csv_reader csv_reader;

/** Result of csv_next_row(). */
typedef enum csv_status {
    CSV_OK = 0,    /**< a record was read into the row */
    CSV_EOF = 1,   /**< no more records */
    CSV_ERROR = 2, /**< a malformed record was skipped; row->error says why; call again */
    CSV_FATAL = 3  /**< read error or out of memory; row->error says which; stop */
} csv_status;

/** One record, as csv_next_row() fills it in. Everything in it is owned by the reader. */
typedef struct csv_row {
    /** fields[i] points at field i's bytes, NUL-terminated (a field may itself contain NUL
     *  bytes: lengths[i] is authoritative). The bytes may be modified in place by the caller.
     *  Valid until the next call on the reader. */
    char **fields;
    const size_t *lengths; /**< lengths[i]: bytes in field i, quotes and escapes removed */
    size_t count;          /**< number of fields (0 after an error) */
    unsigned long line;    /**< physical line (from 1) where the record starts */
    uint64_t offset;       /**< CSV_OK: file offset of the record's first byte;
                                CSV_ERROR: file offset of the offending byte */
    const char *error;     /**< CSV_ERROR/CSV_FATAL: a static English reason; else NULL */
} csv_row;

/**
 * Create a reader over `fp`, which stays the caller's (it is not closed).
 * @param bufsize  initial buffer size in bytes; 0 = CSV_DEFAULT_BUFFER. Tiny sizes work (the
 *                 buffer grows to fit a record) and are what the tests use to split records
 *                 across reads.
 * @return the reader, or NULL when out of memory.
 */
csv_reader *csv_reader_open(FILE *fp, size_t bufsize);

/** Free a reader. NULL is a no-op. */
void csv_reader_close(csv_reader *reader);

/** Set the longest record accepted, in input bytes (at least 1). The limit bounds how far the
 *  reader's buffer grows: a record is CSV_ERROR when it is longer than the limit and does not
 *  fit the buffer, so records up to the buffer's size (bufsize of csv_reader_open()) are read
 *  whatever the limit. */
void csv_reader_set_max_record(csv_reader *reader, size_t max_bytes);

/**
 * Read the next record into *row.
 * @return CSV_OK, CSV_EOF, CSV_ERROR, CSV_FATAL (then again on every later call).
 */
csv_status csv_next_row(csv_reader *reader, csv_row *row);

#endif
