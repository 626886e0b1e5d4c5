/*
 * test_cli_lines.c — the scv program's line reader (examples/cli/lines.c), which feeds
 * `--format segment`: line ends, the last line without LF, lines split across reads (tiny
 * buffers), over-long lines skipped without keeping them, NUL bytes as data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lines.h"

/* What one call of line_next() should give. */
struct expect {
    line_status status;
    const char *text; /* LINE_OK: the line */
    size_t len;       /* LINE_OK: its length */
    unsigned long number;
};

#define OK_LINE(s, n) {LINE_OK, s, sizeof s - 1, n}
#define LONG_LINE(n) {LINE_TOO_LONG, NULL, 0, n}
#define END {LINE_EOF, NULL, 0, 0}

/* Read `input` with every buffer size from 1 to 20 (and the default) and check each call. */
static void check_reads(const char *input, size_t input_len, size_t max_line,
                        const struct expect *want, size_t nwant) {
    for (size_t bufsize = 0; bufsize <= 20; bufsize++) {
        FILE *fp = tmpfile();
        line_reader *r;
        assert_non_null(fp);
        assert_int_equal(fwrite(input, 1, input_len, fp), input_len);
        rewind(fp);
        r = line_reader_open(fp, bufsize, max_line);
        assert_non_null(r);
        for (size_t i = 0; i < nwant; i++) {
            const char *line = NULL;
            size_t len = 0;
            unsigned long number = 0;
            line_status st = line_next(r, &line, &len, &number);
            if (st != want[i].status) {
                fail_msg("buffer %zu, call %zu: status %d, want %d", bufsize, i, (int)st,
                         (int)want[i].status);
            }
            if (st == LINE_OK) {
                assert_int_equal(len, want[i].len);
                assert_memory_equal(line, want[i].text, len);
            }
            if (st == LINE_OK || st == LINE_TOO_LONG) {
                assert_int_equal(number, want[i].number);
            }
        }
        assert_null(line_reader_error(r));
        line_reader_close(r);
        fclose(fp);
    }
}

#define CHECK(input, max, ...)                                                                 \
    do {                                                                                       \
        static const struct expect want_[] = {__VA_ARGS__};                                    \
        check_reads(input, sizeof input - 1, max, want_, sizeof want_ / sizeof want_[0]);      \
    } while (0)

static void lines_end_with_lf_or_crlf_and_the_last_may_lack_one(void **state) {
    (void)state;
    CHECK("a\nbb\r\n\nccc", 0, OK_LINE("a", 1), OK_LINE("bb", 2), OK_LINE("", 3),
          OK_LINE("ccc", 4), END, END);
    CHECK("one\n", 0, OK_LINE("one", 1), END);
    CHECK("\n", 0, OK_LINE("", 1), END);
    CHECK("", 0, END, END);
    /* a CR not before LF is data */
    CHECK("a\rb\n", 0, OK_LINE("a\rb", 1), END);
}

static void nul_bytes_are_data(void **state) {
    (void)state;
    CHECK("a\0b\nc\n", 0, OK_LINE("a\0b", 1), OK_LINE("c", 2), END);
}

static void lines_longer_than_the_limit_are_skipped_and_counted(void **state) {
    (void)state;
    CHECK("abcd\nxy\nabcdefghijklmnopqrstuvwxyz\nz\nabc\nlongtail", 3, LONG_LINE(1),
          OK_LINE("xy", 2), LONG_LINE(3), OK_LINE("z", 4), OK_LINE("abc", 5), LONG_LINE(6),
          END, END);
    /* the limit counts the bytes before LF, a CR included */
    CHECK("abc\r\nab\r\n", 3, LONG_LINE(1), OK_LINE("ab", 2), END);
    CHECK("abcdefgh\n", 3, LONG_LINE(1), END);
}

static void lines_longer_than_the_buffer_make_it_grow(void **state) {
    (void)state;
    CHECK("0123456789012345678901234567890123456789\nend\n", 0,
          OK_LINE("0123456789012345678901234567890123456789", 1), OK_LINE("end", 2), END);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_end_with_lf_or_crlf_and_the_last_may_lack_one),
        cmocka_unit_test(nul_bytes_are_data),
        cmocka_unit_test(lines_longer_than_the_limit_are_skipped_and_counted),
        cmocka_unit_test(lines_longer_than_the_buffer_make_it_grow),
    };
    return cmocka_run_group_tests_name("cli_lines", tests, NULL, NULL);
}
