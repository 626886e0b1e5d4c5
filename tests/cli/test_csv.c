/*
 * test_csv.c — the scv program's CSV reader (examples/cli/csv.c) and timestamp parser
 * (examples/cli/timeparse.c).
 *
 * Reader tests turn everything csv_next_row() returns into a line of text (see dump()) and
 * compare it with the expected text, for the default buffer and for every tiny buffer size,
 * so each behaviour is also checked with records split across the reader's reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "timeparse.h"

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                   */
/* ---------------------------------------------------------------------------------------- */

struct text {
    char *data;
    size_t len;
    size_t cap;
};

static void text_add(struct text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *grown = realloc(t->data, cap);
        assert_non_null(grown);
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_str(struct text *t, const char *s) {
    text_add(t, s, strlen(s));
}

/* A file holding exactly the given bytes, positioned at its start. */
static FILE *input(const char *bytes, size_t len) {
    FILE *fp = tmpfile();
    assert_non_null(fp);
    if (len > 0) {
        assert_int_equal(fwrite(bytes, 1, len, fp), len);
    }
    rewind(fp);
    return fp;
}

/*
 * Everything the reader returns for `bytes`, one line per call until CSV_EOF:
 *   OK     "<line>@<offset>:field|field"  (a field's CR, LF, '|' and '\' shown as \r \n \| \\)
 *   ERROR  "E<line>@<offset>:<reason>"
 *   FATAL  "F:<reason>"
 * It also checks that every field is NUL-terminated at its length.
 */
static char *dump_sized(const char *bytes, size_t len, size_t bufsize, size_t max_record) {
    FILE *fp = input(bytes, len);
    csv_reader *r = csv_reader_open(fp, bufsize);
    struct text t = {NULL, 0, 0};
    csv_row row;
    csv_status st;
    int calls = 0;
    assert_non_null(r);
    if (max_record > 0) {
        csv_reader_set_max_record(r, max_record);
    }
    text_str(&t, "");
    while ((st = csv_next_row(r, &row)) != CSV_EOF) {
        char head[64];
        assert_true(++calls < 10000);
        if (st == CSV_FATAL) {
            text_str(&t, "F:");
            text_str(&t, row.error);
            text_str(&t, "\n");
            break;
        }
        if (st == CSV_ERROR) {
            snprintf(head, sizeof head, "E%lu@%llu:", row.line, (unsigned long long)row.offset);
            text_str(&t, head);
            text_str(&t, row.error);
            text_str(&t, "\n");
            continue;
        }
        snprintf(head, sizeof head, "%lu@%llu:", row.line, (unsigned long long)row.offset);
        text_str(&t, head);
        for (size_t i = 0; i < row.count; i++) {
            if (i > 0) {
                text_str(&t, "|");
            }
            assert_int_equal(row.fields[i][row.lengths[i]], '\0');
            for (size_t k = 0; k < row.lengths[i]; k++) {
                char c = row.fields[i][k];
                if (c == '\n') {
                    text_str(&t, "\\n");
                } else if (c == '\r') {
                    text_str(&t, "\\r");
                } else if (c == '|' || c == '\\') {
                    text_str(&t, "\\");
                    text_add(&t, &c, 1);
                } else {
                    text_add(&t, &c, 1);
                }
            }
        }
        text_str(&t, "\n");
    }
    csv_reader_close(r);
    fclose(fp);
    return t.data;
}

/*
 * Check the reader's account of `bytes` against `expected`, with the default buffer and with
 * every buffer size from 1 to 40 bytes (records then straddle reads at every position).
 */
static void check_bytes(const char *bytes, size_t len, const char *expected) {
    char *got = dump_sized(bytes, len, 0, 0);
    if (strcmp(got, expected) != 0) {
        fail_msg("default buffer: expected\n%s\ngot\n%s", expected, got);
    }
    free(got);
    for (size_t size = 1; size <= 40; size++) {
        got = dump_sized(bytes, len, size, 0);
        if (strcmp(got, expected) != 0) {
            fail_msg("buffer of %zu bytes: expected\n%s\ngot\n%s", size, expected, got);
        }
        free(got);
    }
}

static void check(const char *csv, const char *expected) {
    check_bytes(csv, strlen(csv), expected);
}

/* ---------------------------------------------------------------------------------------- */
/* Reader                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static void plain_fields_are_split_on_commas(void **state) {
    (void)state;
    check("a,b,c\n1,2,3\n", "1@0:a|b|c\n2@6:1|2|3\n");
}

static void quoted_fields_lose_their_quotes(void **state) {
    (void)state;
    check("\"a\",\"b c\",d\n", "1@0:a|b c|d\n");
}

static void doubled_quotes_become_one_quote(void **state) {
    (void)state;
    check("\"say \"\"hi\"\"\",\"\"\"\",x\n", "1@0:say \"hi\"|\"|x\n");
}

static void quoted_field_keeps_an_embedded_comma(void **state) {
    (void)state;
    check("\"Doe, Jane\",2\n", "1@0:Doe, Jane|2\n");
}

static void embedded_newline_stays_in_the_field_and_next_record_has_its_physical_line(
    void **state) {
    (void)state;
    check("h1,h2\n\"line one\nline two\",x\nnext,row\n",
          "1@0:h1|h2\n2@6:line one\\nline two|x\n4@28:next|row\n");
}

static void embedded_crlf_in_quotes_is_kept_and_counts_one_line(void **state) {
    (void)state;
    check("\"a\r\nb\",c\r\nd,e\r\n", "1@0:a\\r\\nb|c\n3@10:d|e\n");
}

static void crlf_line_ends_are_removed(void **state) {
    (void)state;
    check("a,b\r\nc,\"d\"\r\n,\r\n", "1@0:a|b\n2@5:c|d\n3@12:|\n");
}

static void lone_cr_is_data(void **state) {
    (void)state;
    check("a\rb,c\n", "1@0:a\\rb|c\n");
}

static void utf8_bom_at_the_start_is_skipped(void **state) {
    (void)state;
    check("\xEF\xBB\xBFid,name\n1,J\xC3\xBCrgen\n", "1@3:id|name\n2@11:1|J\xC3\xBCrgen\n");
}

static void bom_before_a_quoted_field_is_skipped(void **state) {
    (void)state;
    check("\xEF\xBB\xBF\"id\"\n", "1@3:id\n");
}

static void bom_after_the_start_is_data(void **state) {
    (void)state;
    check("a\n\xEF\xBB\xBF" "b\n", "1@0:a\n2@2:\xEF\xBB\xBF" "b\n");
}

static void last_record_without_newline_is_read(void **state) {
    (void)state;
    check("a,b\nc,d", "1@0:a|b\n2@4:c|d\n");
    check("a,\"b\"", "1@0:a|b\n");
    check("a,", "1@0:a|\n");
    check("a\r", "1@0:a\n");
}

static void empty_fields_are_empty_strings(void **state) {
    (void)state;
    check(",,\n\"\",x,\n", "1@0:||\n2@3:|x|\n");
}

static void blank_lines_are_skipped(void **state) {
    (void)state;
    check("a\n\nb\r\n\r\n\nc\n\n", "1@0:a\n3@3:b\n6@9:c\n");
}

static void empty_input_has_no_records(void **state) {
    (void)state;
    check("", "");
    check("\xEF\xBB\xBF", "");
    check("\n\n", "");
}

static void quote_inside_unquoted_field_is_an_error_on_its_line(void **state) {
    (void)state;
    check("a,b\nc,d\"e,f\ng,h\n", "1@0:a|b\nE2@7:quote inside an unquoted field\n3@12:g|h\n");
}

static void text_after_closing_quote_is_an_error_on_its_line(void **state) {
    (void)state;
    check("a\n\"b\"x,c\nd\n", "1@0:a\nE2@5:text after a closing quote\n3@9:d\n");
    check("\"b\" ,c\n", "E1@3:text after a closing quote\n");
    check("\"b\"\rx\n", "E1@3:text after a closing quote\n");
}

static void error_in_a_multiline_record_reports_the_line_where_it_starts(void **state) {
    (void)state;
    check("a\n\"x\ny\"z\nb\n", "1@0:a\nE2@7:text after a closing quote\n4@9:b\n");
}

static void unterminated_quote_at_end_of_input_reports_the_line_where_it_starts(void **state) {
    (void)state;
    check("a,b\nc,\"open\nmore\n", "1@0:a|b\nE2@6:unterminated quoted field\n");
}

static void record_split_across_the_buffer_boundary_is_whole(void **state) {
    (void)state;
    /* check() already parses with buffers of 1..40 bytes; these records are longer than
     * that, with quotes, escapes and line ends at every distance from the boundary. */
    check("first,\"se\"\"cond,\nfield\",third\r\n"
          "0123456789012345678901234567890123456789,\"0123456789\"\"0123456789\"\n",
          "1@0:first|se\"cond,\\nfield|third\n"
          "3@31:0123456789012345678901234567890123456789|0123456789\"0123456789\n");
}

/* The first read takes only CSV_FIRST_READ bytes of a default buffer: records that it cuts,
 * at any place (a quote, a doubled quote, a line end inside quotes, a CRLF), come out whole,
 * and so does everything after. */
static void records_cut_by_the_short_first_read_are_whole(void **state) {
    (void)state;
    size_t cap = CSV_FIRST_READ * 2 + 4096;
    char *csv = malloc(cap), *want = malloc(cap * 2);
    assert_non_null(csv);
    assert_non_null(want);
    for (size_t pad = 0; pad < 24; pad++) {
        size_t len = 0, wlen = 0;
        unsigned long line = 1;
        memset(csv, 'p', pad);
        len = pad;
        memcpy(csv + len, ",h\n", 3);
        len += 3;
        wlen += (size_t)snprintf(want + wlen, cap * 2 - wlen, "1@0:%.*s|h\n", (int)pad, csv);
        line++;
        for (int i = 0; len < CSV_FIRST_READ + 2048; i++) {
            size_t at = len;
            len += (size_t)snprintf(csv + len, cap - len, "r%d,\"q\"\"%d\nx\",z\r\n", i, i);
            wlen += (size_t)snprintf(want + wlen, cap * 2 - wlen, "%lu@%zu:r%d|q\"%d\\nx|z\n", line, at, i, i);
            line += 2;
        }
        char *got = dump_sized(csv, len, 0, 0);
        if (strcmp(got, want) != 0) fail_msg("pad %zu: the records differ", pad);
        free(got);
    }
    free(csv);
    free(want);
}

static void long_record_grows_the_buffer(void **state) {
    (void)state;
    size_t n = 100000;
    char *csv = malloc(n + 16);
    char *got;
    assert_non_null(csv);
    csv[0] = '"';
    memset(csv + 1, 'x', n);
    memcpy(csv + 1 + n, "\",y\nz\n", 7);
    got = dump_sized(csv, strlen(csv), 16, 0);
    assert_int_equal(strlen(got), strlen("1@0:") + n + strlen("|y\n2@100005:z\n"));
    assert_string_equal(got + 4 + n, "|y\n2@100005:z\n");
    free(got);
    free(csv);
}

static void record_longer_than_the_limit_is_an_error_and_reading_goes_on(void **state) {
    (void)state;
    const char *csv = "a,b\n0123456789012345678901234567890123456789\nc,d\n";
    char *got = dump_sized(csv, strlen(csv), 8, 16);
    assert_string_equal(got, "1@0:a|b\nE2@4:record too long\n3@45:c|d\n");
    free(got);
}

static void many_fields_grow_the_field_table(void **state) {
    (void)state;
    struct text csv = {NULL, 0, 0};
    struct text want = {NULL, 0, 0};
    char *got;
    text_str(&want, "1@0:");
    for (int i = 0; i < 300; i++) {
        char num[16];
        snprintf(num, sizeof num, "%s%d", i ? "," : "", i);
        text_str(&csv, num);
        snprintf(num, sizeof num, "%s%d", i ? "|" : "", i);
        text_str(&want, num);
    }
    text_str(&csv, "\n");
    text_str(&want, "\n");
    got = dump_sized(csv.data, csv.len, 0, 0);
    assert_string_equal(got, want.data);
    free(got);
    free(csv.data);
    free(want.data);
}

static void nul_bytes_are_kept_in_fields(void **state) {
    (void)state;
    FILE *fp = input("a\0b,c\n", 6);
    csv_reader *r = csv_reader_open(fp, 0);
    csv_row row;
    assert_int_equal(csv_next_row(r, &row), CSV_OK);
    assert_int_equal(row.count, 2);
    assert_int_equal(row.lengths[0], 3);
    assert_memory_equal(row.fields[0], "a\0b", 3);
    assert_int_equal(csv_next_row(r, &row), CSV_EOF);
    csv_reader_close(r);
    fclose(fp);
}

/* Plain records are read whole from the buffer without the state machine (csv.c); each
 * record below sends the reader back to it (a doubled quote, a blank line, a quote inside an
 * unquoted field, text after a closing quote, a CR after one, a line break in quotes, the last
 * record without LF), and the records after each must come out with the right lines and
 * offsets all the same. */
static void records_after_every_kind_of_special_record_keep_lines_and_offsets(void **state) {
    (void)state;
    check("a,b\n"
          "\"x\"\"y\",c\n"
          "\n"
          "\r\n"
          "d,e\r\n"
          "f\"g,h\n"
          "i,j\n"
          "\"k\"l,m\n"
          "n,o\n"
          "\"p\"\rq\n"
          "r,\"s\nt\",u\n"
          "\"v\"\r\n"
          ",\n"
          "w,x",
          "1@0:a|b\n"
          "2@4:x\"y|c\n"
          "5@16:d|e\n"
          "E6@22:quote inside an unquoted field\n"
          "7@27:i|j\n"
          "E8@34:text after a closing quote\n"
          "9@38:n|o\n"
          "E10@45:text after a closing quote\n"
          "11@48:r|s\\nt|u\n"
          "13@58:v\n"
          "14@63:|\n"
          "15@65:w|x\n");
}

/* The reader's fast path (fast_plain() in csv.c) looks at a line eight bytes at a time, from
 * wherever the record starts. These records put commas, quotes, CRs and line ends at every
 * place in such a word and across its edge, and check() also reads each with buffers of 1 to
 * 40 bytes, so that records end exactly at the end of the buffer and are refilled in the
 * middle. */
static void commas_at_every_place_of_a_word_are_found(void **state) {
    (void)state;
    /* Past two 32-byte SSE2 steps and four 8-byte words (csv.c reads with either). */
    for (int lead = 0; lead <= 66; lead++) {
        for (int width = 0; width <= 33; width += lead <= 17 ? 1 : 11) {
            struct text csv = {NULL, 0, 0};
            struct text rec = {NULL, 0, 0};
            struct text want = {NULL, 0, 0};
            char head[32];
            for (int i = 0; i < lead; i++) {
                text_str(&csv, "x");
            }
            text_str(&csv, ",");
            for (int i = 0; i < width; i++) {
                text_str(&csv, "y");
            }
            text_str(&csv, ",z\n");
            /* the fields as dump() shows them */
            text_add(&rec, csv.data, (size_t)lead);
            text_str(&rec, "|");
            text_add(&rec, csv.data + lead + 1, (size_t)width);
            text_str(&rec, "|z\n");
            /* the same record again, at another alignment */
            snprintf(head, sizeof head, "2@%zu:", csv.len);
            text_str(&want, "1@0:");
            text_str(&want, rec.data);
            text_str(&want, head);
            text_str(&want, rec.data);
            {
                size_t first = csv.len;
                char *copy = malloc(first);
                assert_non_null(copy);
                memcpy(copy, csv.data, first);
                text_add(&csv, copy, first);
                free(copy);
            }
            check_bytes(csv.data, csv.len, want.data);
            free(csv.data);
            free(rec.data);
            free(want.data);
        }
    }
}

static void quotes_and_crs_at_every_place_of_a_word(void **state) {
    (void)state;
    for (int lead = 0; lead <= 66; lead++) {
        char xs[80];
        char csv[256];
        char want[512];
        size_t n;
        memset(xs, 'x', (size_t)lead);
        xs[lead] = '\0';
        /* a quoted field starting there */
        snprintf(csv, sizeof csv, "%s,\"q,r\",s\nt\n", xs);
        n = strlen(xs);
        snprintf(want, sizeof want, "1@0:%s|q,r|s\n2@%zu:t\n", xs, n + 9);
        check(csv, want);
        /* a CRLF there, then a lone CR there (data) */
        snprintf(csv, sizeof csv, "%s\r\n%s\ry,z\n", lead > 0 ? xs : "a", xs);
        snprintf(want, sizeof want, "1@0:%s\n2@%zu:%s\\ry|z\n", lead > 0 ? xs : "a",
                 (lead > 0 ? n : 1) + 2, xs);
        check(csv, want);
        /* a quote inside an unquoted field there: the record is bad, the next one is read */
        snprintf(csv, sizeof csv, "a%s\"b,c\nd,e\n", xs);
        snprintf(want, sizeof want, "E1@%zu:quote inside an unquoted field\n2@%zu:d|e\n", n + 1,
                 n + 6);
        check(csv, want);
    }
}

static void eight_commas_in_a_word_grow_the_field_table(void **state) {
    (void)state;
    /* 40 empty fields: every byte of the words is a comma, and the table (16 to start with)
     * must grow while a word is being read. */
    check(",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"  /* 39 commas */
          "ab,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,c\n", /* 39 commas */
          "1@0:|||||||||||||||||||||||||||||||||||||||\n"
          "2@40:ab|||||||||||||||||||||||||||||||||||||||c\n");
}

/* A reference for rows without quotes: split every line on commas (dropping a CRLF's CR,
 * skipping blank lines), as dump() shows them. */
static char *split_plain(const char *csv, size_t len) {
    struct text t = {NULL, 0, 0};
    size_t start = 0;
    unsigned long line = 1;
    text_str(&t, "");
    while (start < len) {
        const char *lf = memchr(csv + start, '\n', len - start);
        size_t end = lf != NULL ? (size_t)(lf - csv) : len;
        size_t stop = end > start && csv[end - 1] == '\r' ? end - 1 : end;
        if (stop > start || (lf == NULL && end > start)) {
            char head[64];
            snprintf(head, sizeof head, "%lu@%zu:", line, start);
            text_str(&t, head);
            for (size_t k = start; k < stop; k++) {
                if (csv[k] == ',') {
                    text_str(&t, "|");
                } else if (csv[k] == '\r') {
                    text_str(&t, "\\r");
                } else {
                    text_add(&t, csv + k, 1);
                }
            }
            text_str(&t, "\n");
        }
        start = end + 1;
        line++;
    }
    return t.data;
}

static void rows_of_every_length_with_commas_anywhere_and_every_buffer_size(void **state) {
    (void)state;
    /* Rows 0 to 100 bytes long (several 32-byte steps, and the last fewer than 32 bytes of a
     * buffer), commas at pseudo-random places, some CRLFs and blank lines, read with every
     * buffer size from 1 to 110 and the default: each row then ends at every place of a step
     * and of the buffer. */
    unsigned x = 12345;
    for (int round = 0; round < 6; round++) {
        struct text csv = {NULL, 0, 0};
        char *want;
        for (int len = 0; len <= 100; len += 1 + round) {
            for (int k = 0; k < len; k++) {
                x = x * 1103515245u + 12345u;
                text_str(&csv, (x >> 16) % 5 == 0 ? "," : (x >> 16) % 7 == 0 ? "\r" : "a");
            }
            text_str(&csv, len % 3 == 1 ? "\r\n" : "\n");
        }
        if (round % 2 == 1) {
            text_str(&csv, "last,row,without,lf"); /* ends at the end of the input */
        }
        want = split_plain(csv.data, csv.len);
        {
            char *got = dump_sized(csv.data, csv.len, 0, 0);
            if (strcmp(got, want) != 0) {
                fail_msg("round %d, default buffer: expected\n%s\ngot\n%s", round, want, got);
            }
            free(got);
        }
        for (size_t size = 1; size <= 110; size++) {
            char *got = dump_sized(csv.data, csv.len, size, 0);
            if (strcmp(got, want) != 0) {
                fail_msg("round %d, buffer of %zu bytes: expected\n%s\ngot\n%s", round, size,
                         want, got);
            }
            free(got);
        }
        free(want);
        free(csv.data);
    }
}

static void thirty_two_commas_in_a_step_grow_the_field_table(void **state) {
    (void)state;
    /* 100 commas in a row: every byte of several steps is a comma, and the table must grow
     * (16, 32, 64, 128) while a step is read; then a quote after 70 bytes of commas, which
     * sends the row to the quoted path with the commas put back. */
    struct text csv = {NULL, 0, 0};
    struct text want = {NULL, 0, 0};
    char head[32];
    for (int i = 0; i < 100; i++) {
        text_str(&csv, ",");
    }
    text_str(&csv, "\n");
    text_str(&want, "1@0:");
    for (int i = 0; i < 100; i++) {
        text_str(&want, "|");
    }
    text_str(&want, "\n");
    snprintf(head, sizeof head, "2@%zu:", csv.len);
    text_str(&want, head);
    for (int i = 0; i < 70; i++) {
        text_str(&csv, ",");
        text_str(&want, "|");
    }
    text_str(&csv, "\"q\"\n");
    text_str(&want, "q\n");
    check_bytes(csv.data, csv.len, want.data);
    free(csv.data);
    free(want.data);
}

static void records_ending_exactly_at_the_end_of_the_buffer(void **state) {
    (void)state;
    /* 18-byte records read with an 18-byte buffer, and the last one without its LF. */
    const char *csv = "abcdefgh,ijklmnop\nqrstuvwx,yz012345\n01234567,89abcdef";
    char *got = dump_sized(csv, strlen(csv), 18, 0);
    assert_string_equal(got, "1@0:abcdefgh|ijklmnop\n2@18:qrstuvwx|yz012345\n"
                             "3@36:01234567|89abcdef\n");
    free(got);
    got = dump_sized(csv, strlen(csv), 36, 0);
    assert_string_equal(got, "1@0:abcdefgh|ijklmnop\n2@18:qrstuvwx|yz012345\n"
                             "3@36:01234567|89abcdef\n");
    free(got);
}

static void fields_may_be_modified_in_place(void **state) {
    (void)state;
    FILE *fp = input("Ab,Cd\nx,y\n", 10);
    csv_reader *r = csv_reader_open(fp, 0);
    csv_row row;
    assert_int_equal(csv_next_row(r, &row), CSV_OK);
    row.fields[0][0] = 'a';
    assert_string_equal(row.fields[0], "ab");
    assert_int_equal(csv_next_row(r, &row), CSV_OK);
    assert_string_equal(row.fields[0], "x");
    assert_string_equal(row.fields[1], "y");
    csv_reader_close(r);
    fclose(fp);
}

static void read_error_is_fatal(void **state) {
    (void)state;
    /* A stream opened for writing only: fread() fails with an error. */
    FILE *fp = tmpfile();
    FILE *wo;
    char path[64];
    csv_reader *r;
    csv_row row;
    assert_non_null(fp);
    fclose(fp);
    snprintf(path, sizeof path, "/tmp/test_csv_wo_%ld", (long)rand());
    wo = fopen(path, "w");
    assert_non_null(wo);
    r = csv_reader_open(wo, 0);
    assert_int_equal(csv_next_row(r, &row), CSV_FATAL);
    assert_string_equal(row.error, "read error");
    assert_int_equal(csv_next_row(r, &row), CSV_FATAL);
    csv_reader_close(r);
    fclose(wo);
    remove(path);
}

static void close_of_null_is_a_no_op(void **state) {
    (void)state;
    csv_reader_close(NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Timestamps                                                                                */
/* ---------------------------------------------------------------------------------------- */

static int64_t ts(const char *s) {
    int64_t v = 12345;
    if (!timeparse(s, strlen(s), &v)) {
        fail_msg("timeparse(\"%s\") rejected it", s);
    }
    return v;
}

static void ts_rejects(const char *s) {
    int64_t v = 12345;
    if (timeparse(s, strlen(s), &v)) {
        fail_msg("timeparse(\"%s\") accepted it as %lld", s, (long long)v);
    }
    assert_int_equal(v, 12345);
}

static void unix_seconds_are_taken_as_is(void **state) {
    (void)state;
    assert_int_equal(ts("0"), 0);
    assert_int_equal(ts("1700000000"), 1700000000);
    assert_int_equal(ts("-86400"), -86400);
}

static void unix_seconds_fraction_is_floored(void **state) {
    (void)state;
    assert_int_equal(ts("1700000000.999"), 1700000000);
    assert_int_equal(ts("1700000000.0"), 1700000000);
    assert_int_equal(ts("-1.5"), -2);
    assert_int_equal(ts("-1.000"), -1);
}

static void iso_date_is_midnight_utc(void **state) {
    (void)state;
    assert_int_equal(ts("1970-01-01"), 0);
    assert_int_equal(ts("2024-03-01"), 1709251200);
    assert_int_equal(ts("1969-12-31"), -86400);
    assert_int_equal(ts("2000-02-29"), 951782400);
}

static void iso_datetime_with_z_is_utc(void **state) {
    (void)state;
    assert_int_equal(ts("2023-11-14T22:13:20Z"), 1700000000);
    assert_int_equal(ts("2023-11-14t22:13:20z"), 1700000000);
    assert_int_equal(ts("2023-11-14T22:13Z"), 1700000000 - 20);
}

static void iso_datetime_without_zone_is_utc(void **state) {
    (void)state;
    assert_int_equal(ts("2023-11-14T22:13:20"), 1700000000);
    assert_int_equal(ts("2023-11-14T22:13"), 1700000000 - 20);
}

static void iso_space_may_replace_t(void **state) {
    (void)state;
    assert_int_equal(ts("2023-11-14 22:13:20"), 1700000000);
}

static void iso_fraction_of_second_is_dropped(void **state) {
    (void)state;
    assert_int_equal(ts("2023-11-14T22:13:20.999Z"), 1700000000);
    assert_int_equal(ts("2023-11-14T22:13:20.5"), 1700000000);
}

static void iso_offsets_move_to_utc(void **state) {
    (void)state;
    assert_int_equal(ts("2023-11-14T23:13:20+01:00"), 1700000000);
    assert_int_equal(ts("2023-11-14T23:13:20+0100"), 1700000000);
    assert_int_equal(ts("2023-11-14T23:13:20+01"), 1700000000);
    assert_int_equal(ts("2023-11-14T16:43:20-05:30"), 1700000000);
    assert_int_equal(ts("2023-11-15T00:13:20.25+02:00"), 1700000000);
}

static void iso_leap_second_rolls_into_next_minute(void **state) {
    (void)state;
    assert_int_equal(ts("2016-12-31T23:59:60Z"), ts("2017-01-01T00:00:00Z"));
}

static void invalid_dates_are_rejected(void **state) {
    (void)state;
    ts_rejects("2023-02-29");
    ts_rejects("2024-02-30");
    ts_rejects("2024-13-01");
    ts_rejects("2024-00-10");
    ts_rejects("2024-04-31");
    ts_rejects("2024-01-00");
    ts_rejects("2024-1-5");
    ts_rejects("24-01-05");
}

static void invalid_times_and_zones_are_rejected(void **state) {
    (void)state;
    ts_rejects("2024-01-05T24:00:00Z");
    ts_rejects("2024-01-05T10:60Z");
    ts_rejects("2024-01-05T10:00:61Z");
    ts_rejects("2024-01-05T10");
    ts_rejects("2024-01-05T10:00:00.Z");
    ts_rejects("2024-01-05T10:00:00+24:00");
    ts_rejects("2024-01-05T10:00:00+01:60");
    ts_rejects("2024-01-05T10:00:00+1");
    ts_rejects("2024-01-05T10:00:00+01:");
    ts_rejects("2024-01-05T10:00:00 UTC");
    ts_rejects("2024-01-05T10:00:00ZZ");
}

static void garbage_timestamps_are_rejected(void **state) {
    (void)state;
    ts_rejects("");
    ts_rejects("-");
    ts_rejects("abc");
    ts_rejects(" 1700000000");
    ts_rejects("1700000000 ");
    ts_rejects("1700000000.");
    ts_rejects("1e9");
    ts_rejects("0x10");
    ts_rejects("1234567890123456789");
    ts_rejects("yesterday");
}

/* timeparse() reads all-digit text eight digits at a time (timeparse.c): every length up to
 * the 18 digits accepted, and a bad byte at every place, including the bytes next to '0' and
 * '9'. */
static void unix_seconds_of_every_length_and_bad_bytes_everywhere(void **state) {
    (void)state;
    const char *digits = "987654321098765432";
    int64_t want = 0;
    for (size_t len = 1; len <= 18; len++) {
        char s[24];
        memcpy(s, digits, len);
        s[len] = '\0';
        want = want * 10 + (digits[len - 1] - '0');
        assert_int_equal(ts(s), want);
        for (size_t at = 0; at < len; at++) {
            static const char bad[] = {'/', ':', 'a', ' ', '\0', '\x80', '\xb0'};
            for (size_t b = 0; b < sizeof bad; b++) {
                int64_t v = 12345;
                char t[24];
                memcpy(t, s, len);
                t[at] = bad[b];
                if (timeparse(t, len, &v)) {
                    fail_msg("timeparse accepted %zu digits with byte %#x at %zu", len,
                             (unsigned)(unsigned char)bad[b], at);
                }
                assert_int_equal(v, 12345);
            }
        }
    }
    assert_int_equal(ts("00000000"), 0);
    assert_int_equal(ts("99999999"), 99999999);
    assert_int_equal(ts("000000001765677311"), 1765677311);
    assert_int_equal(ts("999999999999999999"), 999999999999999999LL);
    assert_int_equal(ts("12345678.5"), 12345678);
    assert_int_equal(ts("-12345678"), -12345678);
    ts_rejects("9999999999999999999");
    ts_rejects("1234567890123456789");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_fields_are_split_on_commas),
        cmocka_unit_test(quoted_fields_lose_their_quotes),
        cmocka_unit_test(doubled_quotes_become_one_quote),
        cmocka_unit_test(quoted_field_keeps_an_embedded_comma),
        cmocka_unit_test(
            embedded_newline_stays_in_the_field_and_next_record_has_its_physical_line),
        cmocka_unit_test(embedded_crlf_in_quotes_is_kept_and_counts_one_line),
        cmocka_unit_test(crlf_line_ends_are_removed),
        cmocka_unit_test(lone_cr_is_data),
        cmocka_unit_test(utf8_bom_at_the_start_is_skipped),
        cmocka_unit_test(bom_before_a_quoted_field_is_skipped),
        cmocka_unit_test(bom_after_the_start_is_data),
        cmocka_unit_test(last_record_without_newline_is_read),
        cmocka_unit_test(empty_fields_are_empty_strings),
        cmocka_unit_test(blank_lines_are_skipped),
        cmocka_unit_test(empty_input_has_no_records),
        cmocka_unit_test(quote_inside_unquoted_field_is_an_error_on_its_line),
        cmocka_unit_test(text_after_closing_quote_is_an_error_on_its_line),
        cmocka_unit_test(error_in_a_multiline_record_reports_the_line_where_it_starts),
        cmocka_unit_test(unterminated_quote_at_end_of_input_reports_the_line_where_it_starts),
        cmocka_unit_test(record_split_across_the_buffer_boundary_is_whole),
        cmocka_unit_test(records_cut_by_the_short_first_read_are_whole),
        cmocka_unit_test(long_record_grows_the_buffer),
        cmocka_unit_test(record_longer_than_the_limit_is_an_error_and_reading_goes_on),
        cmocka_unit_test(many_fields_grow_the_field_table),
        cmocka_unit_test(nul_bytes_are_kept_in_fields),
        cmocka_unit_test(records_after_every_kind_of_special_record_keep_lines_and_offsets),
        cmocka_unit_test(commas_at_every_place_of_a_word_are_found),
        cmocka_unit_test(quotes_and_crs_at_every_place_of_a_word),
        cmocka_unit_test(eight_commas_in_a_word_grow_the_field_table),
        cmocka_unit_test(rows_of_every_length_with_commas_anywhere_and_every_buffer_size),
        cmocka_unit_test(thirty_two_commas_in_a_step_grow_the_field_table),
        cmocka_unit_test(records_ending_exactly_at_the_end_of_the_buffer),
        cmocka_unit_test(fields_may_be_modified_in_place),
        cmocka_unit_test(read_error_is_fatal),
        cmocka_unit_test(close_of_null_is_a_no_op),
        cmocka_unit_test(unix_seconds_are_taken_as_is),
        cmocka_unit_test(unix_seconds_fraction_is_floored),
        cmocka_unit_test(iso_date_is_midnight_utc),
        cmocka_unit_test(iso_datetime_with_z_is_utc),
        cmocka_unit_test(iso_datetime_without_zone_is_utc),
        cmocka_unit_test(iso_space_may_replace_t),
        cmocka_unit_test(iso_fraction_of_second_is_dropped),
        cmocka_unit_test(iso_offsets_move_to_utc),
        cmocka_unit_test(iso_leap_second_rolls_into_next_minute),
        cmocka_unit_test(invalid_dates_are_rejected),
        cmocka_unit_test(invalid_times_and_zones_are_rejected),
        cmocka_unit_test(garbage_timestamps_are_rejected),
        cmocka_unit_test(unix_seconds_of_every_length_and_bad_bytes_everywhere),
    };
    return cmocka_run_group_tests_name("cli_csv", tests, NULL, NULL);
}
