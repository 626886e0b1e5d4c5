/* test_normalize.c — e-mail, phone, exact and case-folded normalizers; the region table.
 *
 * Every value is copied into a heap block of exactly its length (no NUL after it) and the
 * output goes to a heap block of exactly SCV_MAX_NORMALIZED_LEN bytes, so AddressSanitizer and
 * valgrind catch a read past in[len) or a write past the output. */
#include "test.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "normalize.h"
#include "rules.h"
#include "util/utf8.h"

enum norm { N_EMAIL, N_EMAIL_RULES, N_PHONE, N_EXACT, N_CASEFOLD };

typedef struct result {
    scv_status status;
    char out[SCV_MAX_NORMALIZED_LEN + 1]; /* NUL-terminated copy of the output */
    size_t len;
    scv__norm_err err;
} result;

/* Run one normalizer over in[0, len) with exact-size buffers. */
static void run(enum norm which, const char *region, const char *in, size_t len, result *res)
{
    char *copy = malloc(len ? len : 1);
    char *out = malloc(SCV_MAX_NORMALIZED_LEN);
    const scv__region *r = NULL;
    assert_non_null(copy);
    assert_non_null(out);
    if (len) memcpy(copy, in, len);
    if (region != NULL) {
        r = scv__region_by_iso(region, strlen(region));
        if (r == NULL) fail_msg("region %s not in the table", region);
    }
    res->len = (size_t)-1;
    res->err.reason = NULL;
    res->err.offset = -2;
    switch (which) {
    case N_EMAIL:
        res->status = scv__normalize_email(copy, len, 0, out, &res->len, &res->err);
        break;
    case N_EMAIL_RULES:
        res->status = scv__normalize_email(copy, len, SCV__EMAIL_PROVIDER_RULES, out, &res->len,
                                           &res->err);
        break;
    case N_PHONE:
        res->status = scv__normalize_phone(copy, len, r, out, &res->len, &res->err);
        break;
    case N_EXACT:
        res->status = scv__normalize_exact(copy, len, out, &res->len, &res->err);
        break;
    case N_CASEFOLD:
        res->status = scv__normalize_casefold(copy, len, out, &res->len, &res->err);
        break;
    }
    res->out[0] = '\0';
    if (res->status == SCV_OK) {
        assert_true(res->len <= SCV_MAX_NORMALIZED_LEN);
        memcpy(res->out, out, res->len);
        res->out[res->len] = '\0';
    }
    free(copy);
    free(out);
}

static void expect_ok(enum norm which, const char *region, const char *in, const char *want)
{
    result res;
    run(which, region, in, strlen(in), &res);
    if (res.status != SCV_OK) {
        fail_msg("\"%s\" (region %s): rejected: %s (offset %lld), expected \"%s\"", in,
                 region ? region : "none", res.err.reason, (long long)res.err.offset, want);
    }
    if (res.len != strlen(want) || memcmp(res.out, want, res.len) != 0) {
        fail_msg("\"%s\" (region %s): got \"%s\", expected \"%s\"", in, region ? region : "none",
                 res.out, want);
    }
}

static void expect_rejected(enum norm which, const char *region, const char *in,
                            const char *reason, int64_t offset)
{
    result res;
    run(which, region, in, strlen(in), &res);
    if (res.status != SCV_EREJECTED) {
        fail_msg("\"%s\" (region %s): accepted as \"%s\", expected rejection \"%s\"", in,
                 region ? region : "none", res.out, reason);
    }
    assert_non_null(res.err.reason);
    if (strcmp(res.err.reason, reason) != 0 || res.err.offset != offset) {
        fail_msg("\"%s\": rejected with \"%s\" at %lld, expected \"%s\" at %lld", in,
                 res.err.reason, (long long)res.err.offset, reason, (long long)offset);
    }
}

#define EMAIL_OK(in, want) expect_ok(N_EMAIL, NULL, (in), (want))
#define EMAIL_NO(in, reason, offset) expect_rejected(N_EMAIL, NULL, (in), (reason), (offset))
#define GMAIL_OK(in, want) expect_ok(N_EMAIL_RULES, NULL, (in), (want))
#define PHONE_OK(region, in, want) expect_ok(N_PHONE, (region), (in), (want))
#define PHONE_NO(region, in, reason, offset)                                                  \
    expect_rejected(N_PHONE, (region), (in), (reason), (offset))

/* ---------------------------------------------------------------------------------------- */
/* E-mail                                                                                   */
/* ---------------------------------------------------------------------------------------- */

static void email_trims_and_lowercases(void **state)
{
    (void)state;
    EMAIL_OK("  Jane.Doe@Example.COM \t\r\n", "jane.doe@example.com");
    EMAIL_OK("\tJOHN@EXAMPLE.ORG", "john@example.org");
    EMAIL_OK("jane@example.com", "jane@example.com");
}

static void email_trims_nbsp(void **state)
{
    (void)state;
    EMAIL_OK("\xC2\xA0 jane@example.com\xC2\xA0\xC2\xA0", "jane@example.com");
}

static void email_keeps_non_ascii_bytes(void **state)
{
    (void)state;
    EMAIL_OK("J\xC3\x96rg@B\xC3\xBC" "cher.DE", "j\xC3\x96rg@b\xC3\xBC" "cher.de");
    EMAIL_OK("user@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95",
             "user@\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95");
}

static void email_keeps_local_part_punctuation(void **state)
{
    (void)state;
    EMAIL_OK("O'Brien!#$%&*=?^_`{|}~@sub-domain.example.co.uk",
             "o'brien!#$%&*=?^_`{|}~@sub-domain.example.co.uk");
}

static void email_rejects_empty_value(void **state)
{
    (void)state;
    EMAIL_NO("", "empty value", -1);
    EMAIL_NO(" \t\r\n", "empty value", -1);
    EMAIL_NO("\xC2\xA0", "empty value", -1);
}

static void email_accepts_null_with_zero_length(void **state)
{
    result res;
    (void)state;
    res.err.reason = NULL;
    res.status = scv__normalize_email(NULL, 0, 0, res.out, &res.len, &res.err);
    assert_int_equal(res.status, SCV_EREJECTED);
    assert_string_equal(res.err.reason, "empty value");
}

static void email_rejects_missing_at(void **state)
{
    (void)state;
    EMAIL_NO("jane.example.com", "e-mail has no '@'", -1);
}

static void email_rejects_two_ats_with_offset(void **state)
{
    (void)state;
    EMAIL_NO("  a@b@c.com", "e-mail has more than one '@'", 5);
    EMAIL_NO("a@b.com@", "e-mail has more than one '@'", 7);
}

static void email_rejects_empty_local_part(void **state)
{
    (void)state;
    EMAIL_NO(" @example.com", "e-mail has an empty local part", 1);
}

static void email_rejects_empty_domain(void **state)
{
    (void)state;
    EMAIL_NO("jane@", "e-mail has an empty domain", 4);
}

static void email_rejects_domain_without_dot(void **state)
{
    (void)state;
    EMAIL_NO("jane@localhost", "e-mail domain has no dot", -1);
}

static void email_rejects_leading_dot_in_domain(void **state)
{
    (void)state;
    EMAIL_NO("jane@.example.com", "e-mail domain has an empty label", 5);
}

static void email_rejects_double_dot_in_domain(void **state)
{
    (void)state;
    EMAIL_NO("jane@example..com", "e-mail domain has an empty label", 13);
}

static void email_rejects_trailing_dot_in_domain(void **state)
{
    (void)state;
    EMAIL_NO("jane@example.com.", "e-mail domain ends with a dot", 16);
    EMAIL_NO("jane@example.com. ", "e-mail domain ends with a dot", 16);
}

static void email_rejects_invalid_domain_character(void **state)
{
    (void)state;
    EMAIL_NO("jane@exa_mple.com", "e-mail domain has an invalid character", 8);
    EMAIL_NO("jane@[192.168.0.1]", "e-mail domain has an invalid character", 5);
    EMAIL_NO("jane@example.com,", "e-mail domain has an invalid character", 16);
}

static void email_rejects_space_with_offset(void **state)
{
    (void)state;
    EMAIL_NO(" jane doe@example.com", "e-mail contains a space or control character", 5);
    EMAIL_NO("jane@exa mple.com", "e-mail contains a space or control character", 8);
    EMAIL_NO("jane\xC2\xA0" "doe@example.com", "e-mail contains a space or control character", 4);
}

static void email_rejects_control_character_with_offset(void **state)
{
    (void)state;
    EMAIL_NO("jane\x01@example.com", "e-mail contains a space or control character", 4);
    EMAIL_NO("jane@example.com\x7f", "e-mail contains a space or control character", 16);
    EMAIL_NO("jane@example.com\v", "e-mail contains a space or control character", 16);
}

static void email_limits_local_part_to_64_bytes(void **state)
{
    char buf[128];
    (void)state;
    memset(buf, 'a', 64);
    strcpy(buf + 64, "@example.com");
    expect_ok(N_EMAIL, NULL, buf, buf);
    memset(buf, 'a', 65);
    strcpy(buf + 65, "@example.com");
    EMAIL_NO(buf, "e-mail local part is longer than 64 bytes", 64);
}

static void email_limits_address_to_254_bytes(void **state)
{
    char buf[300];
    size_t i;
    (void)state;
    /* 64 + '@' + labels "aaa...a." up to 254 bytes in all */
    memset(buf, 'l', 64);
    buf[64] = '@';
    for (i = 65; i < 254; i++) buf[i] = (i % 50 == 0) ? '.' : 'd';
    buf[250] = '.';
    buf[254] = '\0';
    expect_ok(N_EMAIL, NULL, buf, buf);
    buf[254] = 'd';
    buf[255] = '\0';
    EMAIL_NO(buf, "e-mail is longer than 254 bytes", 254);
}

static void email_keeps_plus_tag_and_dots_without_provider_rules(void **state)
{
    (void)state;
    EMAIL_OK("Jane.Doe+News@Gmail.com", "jane.doe+news@gmail.com");
    EMAIL_OK("jane.doe@googlemail.com", "jane.doe@googlemail.com");
}

static void email_gmail_rules_drop_dots_and_tag(void **state)
{
    (void)state;
    GMAIL_OK("Jane.Doe+News@Gmail.com", "janedoe@gmail.com");
    GMAIL_OK("j.a.n.e+a+b@gmail.com", "jane@gmail.com");
    GMAIL_OK(" janedoe@GMAIL.COM ", "janedoe@gmail.com");
}

static void email_gmail_rules_map_googlemail_to_gmail(void **state)
{
    (void)state;
    GMAIL_OK("jane.doe+x@GoogleMail.com", "janedoe@gmail.com");
}

static void email_gmail_rules_leave_other_domains(void **state)
{
    (void)state;
    GMAIL_OK("Jane.Doe+News@example.com", "jane.doe+news@example.com");
    GMAIL_OK("jane.doe+x@mail.gmail.com", "jane.doe+x@mail.gmail.com");
    GMAIL_OK("jane.doe+x@gmail.co", "jane.doe+x@gmail.co");
}

static void email_gmail_rules_reject_empty_local_part(void **state)
{
    (void)state;
    expect_rejected(N_EMAIL_RULES, NULL, "+tag@gmail.com",
                    "e-mail local part is empty after provider rules", -1);
    expect_rejected(N_EMAIL_RULES, NULL, "...@googlemail.com",
                    "e-mail local part is empty after provider rules", -1);
}

static void email_reads_only_len_bytes(void **state)
{
    result res;
    (void)state;
    run(N_EMAIL, NULL, "jane@example.com@more", 16, &res);
    assert_int_equal(res.status, SCV_OK);
    assert_string_equal(res.out, "jane@example.com");
}

/* ---------------------------------------------------------------------------------------- */
/* Phone                                                                                    */
/* ---------------------------------------------------------------------------------------- */

static void phone_keeps_e164(void **state)
{
    (void)state;
    PHONE_OK(NULL, "+4930123456", "+4930123456");
    PHONE_OK("US", "+4930123456", "+4930123456");
}

static void phone_de_national_with_trunk_prefix(void **state)
{
    (void)state;
    PHONE_OK("DE", "030 1234567", "+49301234567");
    PHONE_OK("DE", "030/123 45 67", "+49301234567");
    PHONE_OK("DE", "0151 23456789", "+4915123456789");
}

static void phone_de_national_without_trunk_prefix(void **state)
{
    (void)state;
    PHONE_OK("DE", "30 1234567", "+49301234567");
}

static void phone_plus_prefix(void **state)
{
    (void)state;
    PHONE_OK(NULL, "+49 30 1234567", "+49301234567");
    PHONE_OK(NULL, "(+49) 30 1234567", "+49301234567");
}

static void phone_00_prefix(void **state)
{
    (void)state;
    PHONE_OK(NULL, "0049 30 1234567", "+49301234567");
    PHONE_OK("DE", "0044 20 7946 0958", "+442079460958");
    PHONE_OK("FR", "00 33 1 42 68 53 00", "+33142685300");
}

static void phone_011_prefix_in_nanp_regions(void **state)
{
    (void)state;
    PHONE_OK("US", "011 49 30 1234567", "+49301234567");
    PHONE_OK("CA", "011-44-20-7946-0958", "+442079460958");
}

static void phone_drops_bracketed_zero_after_country_code(void **state)
{
    (void)state;
    PHONE_OK(NULL, "+49 (0)30 1234567", "+49301234567");
    PHONE_OK(NULL, "+44 (0) 20 7946 0958", "+442079460958");
    PHONE_OK("US", "0041(0)44 668 18 00", "+41446681800");
    /* only one trunk zero is dropped after the calling code */
    PHONE_NO(NULL, "+33 (0)0 1 42 68 53 00", "phone is too long", -1);
}

static void phone_drops_written_out_trunk_zero_after_country_code(void **state)
{
    (void)state;
    PHONE_OK(NULL, "+49 030 1234567", "+49301234567");
    PHONE_OK("US", "0044 020 7946 0958", "+442079460958");
    /* a trunk prefix other than "0" is part of the number after the calling code */
    PHONE_OK(NULL, "+7 812 123-45-67", "+78121234567");
    /* Italy has no trunk prefix: its leading 0 stays */
    PHONE_OK(NULL, "+39 06 1234 5678", "+390612345678");
}

static void phone_bracketed_zero_in_national_number_is_trunk_prefix(void **state)
{
    (void)state;
    PHONE_OK("DE", "(0)30 1234567", "+49301234567");
}

static void phone_us_with_leading_1(void **state)
{
    (void)state;
    PHONE_OK("US", "1 (212) 555-0123", "+12125550123");
    PHONE_OK("US", "1-212-555-0123", "+12125550123");
    PHONE_OK("US", "(212) 555-0123", "+12125550123");
    PHONE_OK("US", "+1 212.555.0123", "+12125550123");
}

static void phone_italy_keeps_leading_zero(void **state)
{
    (void)state;
    PHONE_OK("IT", "06 6982 1234", "+390669821234");
    PHONE_OK(NULL, "+39 06 6982 1234", "+390669821234");
    PHONE_OK("IT", "347 123 4567", "+393471234567");
}

static void phone_russia_strips_trunk_8(void **state)
{
    (void)state;
    PHONE_OK("RU", "8 (495) 123-45-67", "+74951234567");
    PHONE_OK("RU", "+7 912 345-67-89", "+79123456789");
    PHONE_OK("KZ", "8 727 244 5566", "+77272445566");
}

static void phone_hungary_strips_trunk_06(void **state)
{
    (void)state;
    PHONE_OK("HU", "06 1 457 8200", "+3614578200");
    PHONE_OK("HU", "06-30-987-6543", "+36309876543");
}

static void phone_national_formats_of_many_regions(void **state)
{
    static const char *const cases[][3] = {
        {"US", "(212) 555-0123", "+12125550123"},
        {"CA", "416 555 0199", "+14165550199"},
        {"GB", "020 7946 0958", "+442079460958"},
        {"GB", "07700 900123", "+447700900123"},
        {"DE", "089 / 12 34 56 78", "+498912345678"},
        {"FR", "01 42 68 53 00", "+33142685300"},
        {"FR", "06.12.34.56.78", "+33612345678"},
        {"IT", "02 8765 4321", "+390287654321"},
        {"ES", "912 345 678", "+34912345678"},
        {"NL", "020-123 4567", "+31201234567"},
        {"BE", "02 123 45 67", "+3221234567"},
        {"BE", "0470 12 34 56", "+32470123456"},
        {"CH", "044 668 18 00", "+41446681800"},
        {"AT", "0662 123456", "+43662123456"},
        {"AT", "01 58839", "+43158839"},
        {"SE", "08-123 456 78", "+46812345678"},
        {"NO", "22 12 34 56", "+4722123456"},
        {"DK", "33 12 34 56", "+4533123456"},
        {"FI", "09 1234 5678", "+358912345678"},
        {"PL", "22 123 45 67", "+48221234567"},
        {"PT", "213 456 789", "+351213456789"},
        {"IE", "01 679 4455", "+35316794455"},
        {"AU", "(02) 9876 5432", "+61298765432"},
        {"AU", "0412 345 678", "+61412345678"},
        {"NZ", "09 379 4321", "+6493794321"},
        {"IN", "098200 12345", "+919820012345"},
        {"BR", "(11) 91234-5678", "+5511912345678"},
        {"BR", "011 3456 7890", "+551134567890"},
        {"MX", "55 1234 5678", "+525512345678"},
        {"JP", "03-1234-5678", "+81312345678"},
        {"JP", "090-1234-5678", "+819012345678"},
        {"CN", "010 1234 5678", "+861012345678"},
        {"CN", "138 0013 8000", "+8613800138000"},
        {"KR", "02-312-3456", "+8223123456"},
        {"KR", "010-1234-5678", "+821012345678"},
        {"SG", "6123 4567", "+6561234567"},
        {"ZA", "021 123 4567", "+27211234567"},
        {"TR", "0212 345 67 89", "+902123456789"},
        {"AE", "04 123 4567", "+97141234567"},
        {"AE", "050 123 4567", "+971501234567"},
        {"GR", "210 123 4567", "+302101234567"},
        {"CZ", "224 123 456", "+420224123456"},
        {"IL", "03-612-3456", "+97236123456"},
        {"HK", "2123 4567", "+85221234567"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PHONE_OK(cases[i][0], cases[i][1], cases[i][2]);
    }
}

static void phone_international_formats_of_many_regions(void **state)
{
    static const char *const cases[][2] = {
        {"+1 416 555 0199", "+14165550199"},     {"+44 20 7946 0958", "+442079460958"},
        {"+49 89 12345678", "+498912345678"},    {"+33 1 42 68 53 00", "+33142685300"},
        {"+39 02 8765 4321", "+390287654321"},   {"+34 912 345 678", "+34912345678"},
        {"+31 20 123 4567", "+31201234567"},     {"+32 2 123 45 67", "+3221234567"},
        {"+41 44 668 18 00", "+41446681800"},    {"+43 662 123456", "+43662123456"},
        {"+46 8 123 456 78", "+46812345678"},    {"+47 22 12 34 56", "+4722123456"},
        {"+45 33 12 34 56", "+4533123456"},      {"+358 9 1234 5678", "+358912345678"},
        {"+48 22 123 45 67", "+48221234567"},    {"+351 213 456 789", "+351213456789"},
        {"+353 1 679 4455", "+35316794455"},     {"+61 2 9876 5432", "+61298765432"},
        {"+64 9 379 4321", "+6493794321"},       {"+91 98200 12345", "+919820012345"},
        {"+55 11 91234-5678", "+5511912345678"}, {"+52 55 1234 5678", "+525512345678"},
        {"+81 3-1234-5678", "+81312345678"},     {"+86 10 1234 5678", "+861012345678"},
        {"+82 2-312-3456", "+8223123456"},       {"+65 6123 4567", "+6561234567"},
        {"+27 21 123 4567", "+27211234567"},     {"+7 495 123-45-67", "+74951234567"},
        {"+90 212 345 67 89", "+902123456789"},  {"+971 4 123 4567", "+97141234567"},
        {"0086 138 0013 8000", "+8613800138000"}, {"00 351 912 345 670", "+351912345670"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PHONE_OK(NULL, cases[i][0], cases[i][1]);
        PHONE_OK("DE", cases[i][0], cases[i][1]); /* the default region does not matter */
    }
}

static void phone_accepts_separators_and_nbsp(void **state)
{
    (void)state;
    PHONE_OK("DE", "030-123.45/67", "+49301234567");
    PHONE_OK("DE", "(030) 123 4567", "+49301234567");
    PHONE_OK("DE", "030\xC2\xA0" "123\xC2\xA0" "4567", "+49301234567");
}

static void phone_digit_groups_of_every_length_at_every_offset(void **state)
{
    /* The scan reads a group's digits eight bytes at a time, the last fewer than eight as the
     * top of the value's last eight bytes: groups of every length, starting at every offset
     * and ending at the value's end or before a separator, must give the same digits. (run()
     * copies the value into a buffer of its own length, so a sanitizer build sees any read
     * past it.) */
    static const char nsn[] = "3012345678901"; /* 13 digits: Germany's longest */
    static const char *seps[] = {" ", "-", "/", "\xC2\xA0", "."};
    (void)state;
    for (size_t lead = 0; lead <= 9; lead++) {
        for (size_t a = 1; a < 13; a++) {
            for (size_t b = a; b <= 13; b++) {
                char in[64], want[32];
                const char *sep = seps[(lead + a + b) % 5];
                size_t n = 0;
                memset(in, ' ', lead);
                n = lead;
                memcpy(in + n, "+49", 3);
                n += 3;
                memcpy(in + n, sep, strlen(sep));
                n += strlen(sep);
                memcpy(in + n, nsn, a);
                n += a;
                memcpy(in + n, sep, strlen(sep));
                n += strlen(sep);
                memcpy(in + n, nsn + a, b - a);
                n += b - a;
                if (b < 13) {
                    memcpy(in + n, sep, strlen(sep));
                    n += strlen(sep);
                    memcpy(in + n, nsn + b, 13 - b);
                    n += 13 - b;
                }
                in[n] = '\0';
                snprintf(want, sizeof want, "+49%s", nsn);
                PHONE_OK("DE", in, want);
            }
        }
    }
    /* More digits than are kept (24), in runs that cross that limit at every place. */
    for (size_t a = 1; a <= 30; a++) {
        char in[80];
        size_t n = 0;
        memcpy(in, "+49 ", 4);
        n = 4;
        for (size_t i = 0; i < a; i++) in[n++] = (char)('1' + i % 7);
        in[n++] = ' ';
        for (size_t i = 0; i < 30 - a; i++) in[n++] = (char)('2' + i % 5);
        in[n] = '\0';
        PHONE_NO("DE", in, "phone is too long", -1);
    }
}

static void phone_trims_whitespace_and_nbsp(void **state)
{
    (void)state;
    PHONE_OK("DE", " \t\xC2\xA0" "030 1234567\r\n\v\f\xC2\xA0", "+49301234567");
}

static void phone_cuts_extension(void **state)
{
    (void)state;
    PHONE_OK("US", "212-555-0123 ext. 45", "+12125550123");
    PHONE_OK("US", "212-555-0123 EXT 45", "+12125550123");
    PHONE_OK("US", "212-555-0123x45", "+12125550123");
    PHONE_OK("US", "212-555-0123 X 4 5", "+12125550123");
    PHONE_OK("DE", "030 1234567 #12", "+49301234567");
}

static void phone_rejects_extension_without_digits(void **state)
{
    (void)state;
    PHONE_NO("US", "212-555-0123 ext", "phone has an invalid character", 13);
    PHONE_NO("US", "212-555-0123 x", "phone has an invalid character", 13);
    PHONE_NO("US", "212-555-0123 x12b", "phone has an invalid character", 16);
}

static void phone_rejects_letters_with_offset(void **state)
{
    (void)state;
    PHONE_NO("DE", "030 12A4567", "phone has an invalid character", 6);
    PHONE_NO("US", "  1-800-FLOWERS", "phone has an invalid character", 8);
    PHONE_NO("DE", "tel: 030 1234567", "phone has an invalid character", 0);
    PHONE_NO("DE", "x030 1234567", "phone has an invalid character", 0);
}

static void phone_rejects_other_characters_with_offset(void **state)
{
    (void)state;
    PHONE_NO("DE", "030_1234567", "phone has an invalid character", 3);
    PHONE_NO(NULL, "+49 30 +1234567", "phone has an invalid character", 7);
    PHONE_NO(NULL, "++49 30 1234567", "phone has an invalid character", 1);
    PHONE_NO("DE", "030\t1234567", "phone has an invalid character", 3);
    PHONE_NO("DE", "030\xEF\xBC\x91" "234567", "phone has an invalid character", 3);
}

static void phone_rejects_empty_value(void **state)
{
    (void)state;
    PHONE_NO("DE", "", "empty value", -1);
    PHONE_NO("DE", " \xC2\xA0\t", "empty value", -1);
}

static void phone_rejects_no_digits(void **state)
{
    (void)state;
    PHONE_NO("DE", "()", "phone is too short", -1);
    PHONE_NO("DE", "+", "phone is too short", -1);
    PHONE_NO("DE", "00", "phone is too short", -1);
}

static void phone_rejects_too_short(void **state)
{
    (void)state;
    PHONE_NO("US", "555-0123", "phone is too short", -1);
    PHONE_NO(NULL, "+49 30 12", "phone is too short", -1);
    PHONE_NO("FR", "01 42 68 53", "phone is too short", -1);
    /* AT allows 4-digit numbers, but E.164 needs 8 digits in all */
    PHONE_NO("AT", "01 5883", "phone is too short", -1);
}

static void phone_rejects_too_long(void **state)
{
    (void)state;
    PHONE_NO("US", "212 555 01234", "phone is too long", -1);
    PHONE_NO(NULL, "+33 1 42 68 53 001", "phone is too long", -1);
    PHONE_NO(NULL, "+49 30 12345678901234", "phone is too long", -1);
    PHONE_NO(NULL, "+358 9 1234 5678 9012", "phone is too long", -1);
    PHONE_NO(NULL, "+1 212 555 0123 4567 8901 2345 6789 0123 4567", "phone is too long", -1);
}

static void phone_rejects_unknown_country_code(void **state)
{
    (void)state;
    PHONE_NO(NULL, "+999 1234 5678", "phone has an unknown country code", 1);
    PHONE_NO("DE", "00 0 30 1234567", "phone has an unknown country code", 3);
    PHONE_NO(NULL, "+(0)49 30 1234567", "phone has an unknown country code", 2);
}

static void phone_without_region_needs_country_code(void **state)
{
    (void)state;
    PHONE_NO(NULL, "030 1234567", "phone has no country code and no default region", -1);
    PHONE_NO(NULL, "011 49 30 1234567", "phone has no country code and no default region", -1);
    PHONE_OK(NULL, "0049 30 1234567", "+49301234567");
}

static void phone_011_is_national_outside_nanp(void **state)
{
    (void)state;
    PHONE_OK("DE", "0114 123456", "+49114123456");
}

static void phone_rejects_repeated_digit(void **state)
{
    (void)state;
    PHONE_NO("US", "555-555-5555", "phone is one repeated digit", -1);
    PHONE_NO("IT", "333 333 3333", "phone is one repeated digit", -1);
    PHONE_NO(NULL, "+49 0000000", "phone is one repeated digit", -1);
    /* national "0000000" is a placeholder, not a "00" international prefix */
    PHONE_NO("IT", "0000000", "phone is one repeated digit", -1);
    PHONE_NO(NULL, "+49 (0)11111111", "phone is one repeated digit", -1);
    PHONE_NO("DE", "0 9999 9999", "phone is one repeated digit", -1);
    /* all zeros is a placeholder, not a "00" international prefix */
    PHONE_NO("DE", "0000000000", "phone is one repeated digit", -1);
    PHONE_NO("DE", "000 0000000", "phone is one repeated digit", -1);
}

static void phone_rejects_sequence(void **state)
{
    (void)state;
    PHONE_NO("DE", "123456789", "phone is a sequence of digits", -1);
    PHONE_NO("DE", "0 1234 567890", "phone is a sequence of digits", -1);
    PHONE_NO(NULL, "+49 987654321", "phone is a sequence of digits", -1);
    PHONE_NO("US", "1-987-654-3210", "phone is a sequence of digits", -1);
    PHONE_NO("IT", "0123456789", "phone is a sequence of digits", -1);
    PHONE_NO("FR", "01 23 45 67 89", "phone is a sequence of digits", -1);
    PHONE_NO("US", "098-765-4321", "phone is a sequence of digits", -1);
    PHONE_NO("DE", "2345678", "phone is a sequence of digits", -1);
}

static void phone_accepts_partial_runs(void **state)
{
    (void)state;
    PHONE_OK("DE", "030 1234567", "+49301234567");
    PHONE_OK("DE", "089 1234 5678", "+498912345678");
    PHONE_OK("JP", "090-1234-5678", "+819012345678"); /* 9 then 0 then 1: no run */
    PHONE_OK(NULL, "+49 8901234567", "+498901234567");
    PHONE_OK("DE", "030 3333333", "+49303333333");
}

static void phone_reads_only_len_bytes(void **state)
{
    result res;
    (void)state;
    run(N_PHONE, "DE", "030 1234567 ABC", 11, &res);
    assert_int_equal(res.status, SCV_OK);
    assert_string_equal(res.out, "+49301234567");
    run(N_PHONE, "DE", "030 1234567\xC2\xA0", 12, &res); /* half an NBSP at the end */
    assert_int_equal(res.status, SCV_EREJECTED);
    assert_string_equal(res.err.reason, "phone has an invalid character");
    assert_int_equal(res.err.offset, 11);
}

/* ---------------------------------------------------------------------------------------- */
/* Exact and case-folded                                                                    */
/* ---------------------------------------------------------------------------------------- */

static void exact_trims_and_keeps_bytes(void **state)
{
    (void)state;
    expect_ok(N_EXACT, NULL, " \t\v\fCust-0042/AbC\r\n", "Cust-0042/AbC");
    expect_ok(N_EXACT, NULL, "\xC2\xA0\xC3\x84" "bc\xC2\xA0", "\xC3\x84" "bc");
}

static void exact_keeps_inner_white_space(void **state)
{
    (void)state;
    expect_ok(N_EXACT, NULL, " a  b\tc ", "a  b\tc");
    expect_ok(N_EXACT, NULL, "a\xC2\xA0" "b", "a\xC2\xA0" "b");
}

static void exact_rejects_empty_value(void **state)
{
    (void)state;
    expect_rejected(N_EXACT, NULL, "", "empty value", -1);
    expect_rejected(N_EXACT, NULL, " \v\f\xC2\xA0 ", "empty value", -1);
}

static void exact_accepts_maximum_length(void **state)
{
    static char buf[SCV_MAX_VALUE_LEN + 1];
    (void)state;
    memset(buf, 'q', SCV_MAX_VALUE_LEN);
    buf[SCV_MAX_VALUE_LEN] = '\0';
    expect_ok(N_EXACT, NULL, buf, buf);
    expect_ok(N_CASEFOLD, NULL, buf, buf);
}

static void casefold_lowercases_ascii_only(void **state)
{
    (void)state;
    expect_ok(N_CASEFOLD, NULL, "  DEV-AbC-123 ", "dev-abc-123");
    /* no Unicode case folding: Ä (C3 84) stays */
    expect_ok(N_CASEFOLD, NULL, "\xC3\x84" "BC", "\xC3\x84" "bc");
}

static void casefold_rejects_empty_value(void **state)
{
    (void)state;
    expect_rejected(N_CASEFOLD, NULL, "\r\n", "empty value", -1);
}

/* ---------------------------------------------------------------------------------------- */
/* Region table                                                                             */
/* ---------------------------------------------------------------------------------------- */

static void region_lookup_by_iso_ignores_case(void **state)
{
    const scv__region *r;
    (void)state;
    r = scv__region_by_iso(S("de"));
    assert_non_null(r);
    assert_string_equal(r->iso, "DE");
    assert_ptr_equal(scv__region_by_iso(S("De")), r);
    assert_ptr_equal(scv__region_by_iso(S("DE")), r);
}

static void region_lookup_by_iso_rejects_unknown_and_malformed(void **state)
{
    (void)state;
    assert_null(scv__region_by_iso(S("XX")));
    assert_null(scv__region_by_iso(S("D")));
    assert_null(scv__region_by_iso(S("DEU")));
    assert_null(scv__region_by_iso(S("")));
    assert_null(scv__region_by_iso(NULL, 2));
    assert_non_null(scv__region_by_iso("DEU", 2)); /* only len bytes are read */
}

static void region_by_calling_code_prefers_us_and_ru(void **state)
{
    (void)state;
    assert_string_equal(scv__region_by_calling_code(1)->iso, "US");
    assert_string_equal(scv__region_by_calling_code(7)->iso, "RU");
    assert_string_equal(scv__region_by_calling_code(49)->iso, "DE");
    assert_string_equal(scv__region_by_calling_code(974)->iso, "QA");
    assert_null(scv__region_by_calling_code(0));
    assert_null(scv__region_by_calling_code(999));
    assert_null(scv__region_by_calling_code(65535));
}

static void region_facts_of_main_regions(void **state)
{
    static const struct {
        const char *iso;
        unsigned cc;
        const char *trunk;
        unsigned min, max;
    } facts[] = {
        {"US", 1, "1", 10, 10},   {"CA", 1, "1", 10, 10},  {"GB", 44, "0", 7, 10},
        {"DE", 49, "0", 5, 13},   {"FR", 33, "0", 9, 9},   {"IT", 39, "", 6, 11},
        {"ES", 34, "", 9, 9},     {"NL", 31, "0", 9, 9},   {"BE", 32, "0", 8, 9},
        {"CH", 41, "0", 9, 9},    {"AT", 43, "0", 4, 13},  {"SE", 46, "0", 6, 10},
        {"NO", 47, "", 8, 8},     {"DK", 45, "", 8, 8},    {"FI", 358, "0", 5, 12},
        {"PL", 48, "", 9, 9},     {"PT", 351, "", 9, 9},   {"IE", 353, "0", 7, 10},
        {"AU", 61, "0", 9, 9},    {"NZ", 64, "0", 8, 10},  {"IN", 91, "0", 10, 10},
        {"BR", 55, "0", 10, 11},  {"MX", 52, "", 10, 10},  {"JP", 81, "0", 9, 10},
        {"CN", 86, "0", 7, 12},   {"KR", 82, "0", 8, 10},  {"SG", 65, "", 8, 8},
        {"ZA", 27, "0", 9, 10},   {"RU", 7, "8", 10, 10},  {"KZ", 7, "8", 10, 10},
        {"TR", 90, "0", 10, 10},  {"AE", 971, "0", 8, 9},  {"HU", 36, "06", 8, 9},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const scv__region *r = scv__region_by_iso(facts[i].iso, 2);
        if (r == NULL) fail_msg("%s missing", facts[i].iso);
        assert_int_equal(r->calling_code, facts[i].cc);
        assert_string_equal(r->trunk, facts[i].trunk);
        assert_int_equal(r->min_len, facts[i].min);
        assert_int_equal(r->max_len, facts[i].max);
    }
}

static void region_table_is_consistent(void **state)
{
    char code[2];
    unsigned count = 0;
    (void)state;
    for (code[0] = 'A'; code[0] <= 'Z'; code[0]++) {
        for (code[1] = 'A'; code[1] <= 'Z'; code[1]++) {
            const scv__region *r = scv__region_by_iso(code, 2), *first;
            unsigned cc_len;
            if (r == NULL) continue;
            count++;
            assert_memory_equal(r->iso, code, 2);
            assert_int_equal(r->iso[2], '\0');
            assert_true(r->calling_code >= 1 && r->calling_code <= 999);
            assert_non_null(r->trunk);
            assert_true(r->min_len >= 4 && r->min_len <= r->max_len);
            cc_len = r->calling_code >= 100 ? 3 : r->calling_code >= 10 ? 2 : 1;
            assert_true(cc_len + r->max_len <= 15);
            first = scv__region_by_calling_code(r->calling_code);
            assert_non_null(first);
            assert_int_equal(first->calling_code, r->calling_code);
            /* calling codes are prefix-free, so the longest match is the only match */
            if (r->calling_code >= 10) assert_null(scv__region_by_calling_code(r->calling_code / 10));
            if (r->calling_code >= 100) {
                assert_null(scv__region_by_calling_code(r->calling_code / 100));
            }
        }
    }
    assert_true(count >= 60);
}

/* Found by the libphonenumber oracle (tests/oracle): */
static void phone_bracketed_zero_stays_where_the_region_has_no_zero_trunk(void **state)
{
    (void)state;
    PHONE_OK("IT", "+39 (0)2 1234 5678", "+390212345678");
    PHONE_OK("IT", "0039 (0)6 6982 1234", "+390669821234");
    PHONE_OK("DE", "+39 (0)6 6982 1234", "+390669821234");
}

static void phone_australian_0011_is_an_international_prefix(void **state)
{
    (void)state;
    PHONE_OK("AU", "0011 49 30 1234567", "+49301234567");
    PHONE_OK("AU", "0011 44 20 7946 0958", "+442079460958");
}

static void phone_nanp_area_codes_start_with_2_to_9(void **state)
{
    (void)state;
    PHONE_NO("US", "+1 123 555 0147", "phone has an area code that cannot start with 0 or 1", -1);
    PHONE_NO("AU", "0011 1 061 555 0147", "phone has an area code that cannot start with 0 or 1", -1);
    PHONE_OK("US", "+1 212 555 0147", "+12125550147");
}

static void email_rejects_unicode_spaces_and_invisible_characters(void **state)
{
    (void)state;
    EMAIL_NO("john@example.com\xE3\x80\x80", "e-mail contains a space or control character", 16);  /* U+3000 */
    EMAIL_NO("john@example.com\xE2\x80\x8B", "e-mail contains a space or control character", 16);  /* U+200B */
    EMAIL_NO("\xEF\xBB\xBFjohn@example.com", "e-mail contains a space or control character", 0);   /* U+FEFF */
    EMAIL_NO("jo\xE2\x80\x82hn@example.com", "e-mail contains a space or control character", 2);   /* U+2002 */
    EMAIL_OK("j\xC3\xB6rg@example.com", "j\xC3\xB6rg@example.com");                                /* ö is fine */
}

/* Found by tests/fuzz/fuzz_normalize: normalizing a normalized value must give it back. */
static void phone_normalization_is_idempotent_after_a_doubled_zero(void **state)
{
    (void)state;
    PHONE_NO("GB", "00440044090 798", "phone has an extra 0 after the country code or trunk prefix", -1);
    PHONE_NO(NULL, "+43 0002303", "phone has an extra 0 after the country code or trunk prefix", -1);
    PHONE_OK("GB", "+44 020 7946 0958", "+442079460958");
    PHONE_OK(NULL, "+442079460958", "+442079460958");
}

/* ---------------------------------------------------------------------------------------- */
/* The fast paths: word-at-a-time scans, the placeholder switch, the builder's hashing        */
/* ---------------------------------------------------------------------------------------- */

/* The offset of the first bad byte, for a value in a heap block of exactly its length. */
static size_t utf8_check_exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    size_t at;
    assert_non_null(copy);
    if (len) memcpy(copy, s, len);
    at = scv__utf8_check(copy, len);
    free(copy);
    return at;
}

static void utf8_check_finds_a_bad_byte_at_every_offset_and_length(void **state)
{
    static const char *const bad[] = {"\x00", "\x80", "\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80"};
    static const size_t bad_len[] = {1, 1, 1, 1, 2, 3};
    char buf[64];
    (void)state;
    for (size_t len = 0; len <= 40; len++) {
        memset(buf, 'a', len);
        assert_int_equal(utf8_check_exact(buf, len), len);
        for (size_t at = 0; at < len; at++) {
            /* a valid 2-, 3- or 4-byte character wherever it fits */
            static const char *const good[] = {"\xC3\xA4", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
            for (size_t g = 0; g < 3; g++) {
                memset(buf, 'a', len);
                if (at + g + 2 > len) break;
                memcpy(buf + at, good[g], g + 2);
                assert_int_equal(utf8_check_exact(buf, len), len);
            }
            for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
                if (at + bad_len[b] > len) continue;
                memset(buf, 'a', len);
                memcpy(buf + at, bad[b], bad_len[b]);
                if (utf8_check_exact(buf, len) != at)
                    fail_msg("bad byte %zu of a %zu-byte value at %zu: reported at %zu", b, len, at,
                             utf8_check_exact(buf, len));
            }
        }
    }
}

static void email_scan_sees_a_special_byte_at_every_offset(void **state)
{
    char in[128], want[128];
    (void)state;
    for (size_t l = 1; l <= 40; l++) {
        for (size_t at = 0; at < l; at++) {
            /* local part: a capital is lower-cased, a space or control byte is rejected there,
             * a second '@' is reported where it is */
            memset(in, 'x', l);
            strcpy(in + l, "@Example.DE");
            in[at] = 'Q';
            memcpy(want, in, l);
            want[at] = 'q';
            strcpy(want + l, "@example.de");
            EMAIL_OK(in, want);
            in[at] = '\x7f';
            EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)at);
            in[at] = '\x01';
            EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)at);
            in[at] = ' ';
            if (at > 0) EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)at);
            in[at] = '@';
            EMAIL_NO(in, "e-mail has more than one '@'", (int64_t)l);
            /* domain: a capital is lower-cased, a bad byte or an empty label is reported */
            memcpy(in, "jane@", 5);
            memset(in + 5, 'd', l);
            strcpy(in + 5 + l, ".de");
            in[5 + at] = 'D';
            strcpy(want, in);
            want[5 + at] = 'd';
            EMAIL_OK(in, want);
            in[5 + at] = '_';
            EMAIL_NO(in, "e-mail domain has an invalid character", (int64_t)(5 + at));
            in[5 + at] = '.';
            if (at == 0) {
                EMAIL_NO(in, "e-mail domain has an empty label", 5);
            } else if (at == l - 1) {
                EMAIL_NO(in, "e-mail domain has an empty label", (int64_t)(5 + l));
            } else {
                EMAIL_OK(in, in);
            }
        }
    }
}

/* The same digits with and without separators: the scan takes runs of digits eight at a
 * time, and one by one where separators break them up; both must read the same number. */
static void phone_digit_groups_of_any_length_read_alike(void **state)
{
    static const char digits[] = "4930271828182845904523536028747135";
    static const char *const regions[] = {"DE", "US", NULL};
    char joined[64], spaced[128];
    result a, b;
    (void)state;
    for (size_t r = 0; r < 3; r++) {
        for (size_t n = 1; n < sizeof digits; n++) {
            for (int plus = 0; plus < 2; plus++) {
                size_t j = 0, k = 0;
                if (plus) joined[j++] = spaced[k++] = '+';
                for (size_t i = 0; i < n; i++) {
                    joined[j++] = digits[i];
                    spaced[k++] = digits[i];
                    spaced[k++] = i % 2 ? '-' : ' ';
                }
                k--; /* no separator at the end */
                run(N_PHONE, regions[r], joined, j, &a);
                run(N_PHONE, regions[r], spaced, k, &b);
                if (a.status != b.status || strcmp(a.out, b.out) != 0 ||
                    (a.status != SCV_OK && strcmp(a.err.reason, b.err.reason) != 0))
                    fail_msg("\"%.*s\" gives \"%s\" (%s), \"%.*s\" gives \"%s\" (%s), region %s",
                             (int)j, joined, a.out, a.status == SCV_OK ? "ok" : a.err.reason, (int)k,
                             spaced, b.out, b.status == SCV_OK ? "ok" : b.err.reason,
                             regions[r] ? regions[r] : "none");
            }
        }
    }
}

/* Past PHONE_MAX_DIGITS digits are counted, not kept: a long group after that must not be
 * stored either (found by the fuzzers). */
static void phone_digit_groups_past_the_limit_are_only_counted(void **state)
{
    (void)state;
    PHONE_NO(NULL, "+49 301234567890123456789012 34567890 12345678", "phone is too long", -1);
    PHONE_NO("DE", "1234567890123456789012345-12345678", "phone is too long", -1);
    PHONE_NO("DE", "012345678901234567890123456789(23456789", "phone is too long", -1);
}

static void phone_unknown_country_code_offset_counts_a_bracketed_zero(void **state)
{
    (void)state;
    PHONE_NO("DE", "0(0)999 1234567", "phone has an unknown country code", 4);
    PHONE_NO("DE", "00(0)999 1234567", "phone has an unknown country code", 3);
    PHONE_NO("DE", "0 0 (0)999 1234 567", "phone has an unknown country code", 5);
    PHONE_NO("AU", "0011 (0)999 1234 5678", "phone has an unknown country code", 6);
    PHONE_NO("US", "011 (0)999 1234 5678", "phone has an unknown country code", 5);
}

/* The placeholder lists as plain lists, walked entry by entry: what the switches in rules.c
 * must agree with. */
static const char *const ref_words[] = {
    "-1", "0", "null", "none", "n/a", "na", "nan", "nil", "undefined", "unknown", "anonymous",
    "test", "xxx", "not set", "(not set)", "empty", "blank", "#n/a", NULL};
static const char *const ref_locals[] = {
    "noemail", "no-email", "no_email", "nomail", "no-mail", "noreply", "no-reply", "donotreply",
    "do-not-reply", "none", "null", "nobody", "unknown", "na", "n/a", "invalid", NULL};
static const char *const ref_emails[] = {
    "test@test.com", "test@test.de", "a@a.com", "a@b.com", "x@x.com", "xx@xx.com",
    "email@email.com", "mail@mail.com", "none@none.com", "no@no.com", "asdf@asdf.com",
    "test@gmail.com", "abc@abc.com", "user@domain.com", "name@domain.com", NULL};
static const char *const ref_domains[] = {"example.com", "example.net", "example.org", NULL};
static const char *const ref_tlds[] = {".test", ".invalid", ".localhost", ".example", NULL};

static int ref_eq_ci(const char *s, size_t len, const char *lit)
{
    if (strlen(lit) != len) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return 0;
    }
    return 1;
}

static int ref_in(const char *s, size_t len, const char *const *list)
{
    for (; *list != NULL; list++)
        if (ref_eq_ci(s, len, *list)) return 1;
    return 0;
}

static int ref_degenerate(const char *s, size_t len)
{
    int zeros_dashes = 1, repeated = len >= 3;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '0' && s[i] != '-') zeros_dashes = 0;
        if (s[i] != s[0]) repeated = 0;
    }
    return (len > 0 && zeros_dashes) || repeated;
}

static int ref_placeholder(scv_normalizer norm, const char *v, size_t len)
{
    if (norm == SCV_NORM_PHONE) return 0;
    if (norm != SCV_NORM_EMAIL) return ref_in(v, len, ref_words) || ref_degenerate(v, len);
    const char *at = memchr(v, '@', len);
    if (at == NULL) return 0;
    size_t local = (size_t)(at - v), dlen = len - local - 1;
    if (ref_in(v, len, ref_emails) || ref_in(v, local, ref_locals) || ref_degenerate(v, local) ||
        ref_in(at + 1, dlen, ref_domains))
        return 1;
    for (const char *const *t = ref_tlds; *t != NULL; t++) {
        size_t n = strlen(*t);
        if (dlen >= n && ref_eq_ci(at + 1 + dlen - n, n, *t)) return 1;
    }
    return 0;
}

static void check_placeholder(const char *v, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len) memcpy(copy, v, len);
    for (int n = SCV_NORM_EMAIL; n <= SCV_NORM_CASEFOLD; n++) {
        int got = scv__rules_placeholder((scv_normalizer)n, copy, len);
        if (got != ref_placeholder((scv_normalizer)n, copy, len))
            fail_msg("\"%.*s\" (normalizer %d): placeholder %d, the lists say %d", (int)len, v, n,
                     got, !got);
    }
    /* what the builder calls, knowing the kind's normalizer (and an e-mail's '@') */
    if (scv__rules_placeholder_word(copy, len) != scv__rules_placeholder(SCV_NORM_EXACT, copy, len))
        fail_msg("\"%.*s\": scv__rules_placeholder_word() differs", (int)len, v);
    const char *at = len ? memchr(copy, '@', len) : NULL;
    if (at != NULL && scv__rules_placeholder_email(copy, len, (size_t)(at - copy)) !=
                          scv__rules_placeholder(SCV_NORM_EMAIL, copy, len))
        fail_msg("\"%.*s\": scv__rules_placeholder_email() differs", (int)len, v);
    free(copy);
}

/* Every entry, in upper and mixed case, cut short, lengthened and with one byte changed; in
 * e-mails as the local part, the domain and the whole address. */
static void placeholders_agree_with_a_walk_over_the_lists(void **state)
{
    static const char *const *const lists[] = {ref_words, ref_locals, ref_emails, ref_domains,
                                               ref_tlds};
    static const char *const extra[] = {"", "-", "--", "0000", "---", "aaa", "aa", "1111", "C123",
                                        "person.1@mail.de", "a@example.com", "x@mail.test",
                                        "x@@test", "@", "a@", "@b", "n@a", "0@x.de", NULL};
    char v[128], e[256];
    (void)state;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        for (const char *const *w = lists[l]; *w != NULL; w++) {
            size_t n = strlen(*w);
            for (int variant = 0; variant < 6; variant++) {
                size_t len = n;
                strcpy(v, *w);
                switch (variant) {
                case 1: /* all capitals */
                case 2: /* every other byte a capital */
                    for (size_t i = 0; i < n; i += (size_t)variant) v[i] = (char)toupper((unsigned char)v[i]);
                    break;
                case 3: if (len > 0) len--; break;
                case 4: v[len++] = 'x'; break;
                case 5: if (len > 0) v[len / 2] ^= 1; break;
                default: break;
                }
                check_placeholder(v, len);
                snprintf(e, sizeof e, "%.*s@mail.de", (int)len, v);
                check_placeholder(e, strlen(e));
                snprintf(e, sizeof e, "jane@%.*s", (int)len, v);
                check_placeholder(e, strlen(e));
                snprintf(e, sizeof e, "jane@mail%.*s", (int)len, v);
                check_placeholder(e, strlen(e));
            }
        }
    }
    for (const char *const *x = extra; *x != NULL; x++) check_placeholder(*x, strlen(*x));
}

/* scv__utf8_check_fast() settles short ASCII inline (overlapping words up to 64 bytes) and
 * hands everything else to scv__utf8_check(): the same offsets at every length and place,
 * around each word edge; values in heap blocks of exactly their length. */
static void utf8_check_fast_agrees_with_the_full_check(void **state)
{
    static const char *const ins[] = {"\x00", "\x80", "\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80",
                                      "\xC3\xA4", "\xDF\xBF", "\xC2\x41", "\xC1\x80", "\xE2\x82\xAC",
                                      "\xF0\x9F\x98\x80", "\xF4\x90\x80\x80", "\x7F", "\x01"};
    static const size_t ins_len[] = {1, 1, 1, 1, 2, 3, 2, 2, 2, 2, 3, 4, 4, 1, 1};
    char buf[80];
    (void)state;
    for (size_t len = 0; len <= 72; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t b = 0; b < sizeof ins / sizeof ins[0]; b++) {
                char *copy;
                size_t want, got;
                memset(buf, 'a', len);
                if (at < len) {
                    if (at + ins_len[b] > len) continue;
                    memcpy(buf + at, ins[b], ins_len[b]);
                }
                copy = malloc(len ? len : 1);
                assert_non_null(copy);
                if (len) memcpy(copy, buf, len);
                want = utf8_check_exact(buf, len);
                got = scv__utf8_check_fast(copy, len);
                free(copy);
                if (got != want)
                    fail_msg("%zu-byte value, insert %zu at %zu: fast check %zu, full check %zu", len,
                             b, at, got, want);
                if (at == len) break; /* the all-ASCII value once */
            }
        }
    }
    /* a two-byte character cut off at the end, and one right after the last full word */
    assert_int_equal(utf8_check_exact("abcdefg\xC3", 8), 7);
    assert_int_equal(utf8_check_exact("abcdefgh\xC3\xA4", 10), 10);
    assert_int_equal(utf8_check_exact("abcdefgh\xC3", 9), 8);
}

/* The local part is scanned a word at a time, and fewer than eight bytes left are read as the
 * value's last eight bytes with those already seen masked off: what lies before them (trimmed
 * white space, NBSPs, a non-ASCII local part) must not count, and what comes after must. */
static void email_scan_masks_what_the_last_word_has_seen(void **state)
{
    static const char *const lead[] = {"", " ", "\t\t", "\xC2\xA0", "   \xC2\xA0\r\n"};
    static const char *const local[] = {"a", "ab", "abcdefg", "abcdefgh", "abcdefghi", "\xC3\xA4",
                                        "abcdefgh\xC3\xA4", "abcdefghijklmno\xC3\xA4p", "A.B"};
    static const char *const domain[] = {"x.de", "ab.c", "mail.example"};
    char in[128], want[128];
    (void)state;
    for (size_t l = 0; l < sizeof lead / sizeof lead[0]; l++) {
        for (size_t p = 0; p < sizeof local / sizeof local[0]; p++) {
            for (size_t d = 0; d < sizeof domain / sizeof domain[0]; d++) {
                size_t at;
                snprintf(in, sizeof in, "%s%s@%s", lead[l], local[p], domain[d]);
                snprintf(want, sizeof want, "%s@%s", local[p], domain[d]);
                for (char *c = want; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
                EMAIL_OK(in, want);
                /* a space, a control byte, an NBSP, a Unicode space or a second '@' in the
                 * domain's last bytes, after the tail word's masked part */
                at = strlen(in);
                strcpy(in + at, "a b");
                EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)(at + 1));
                strcpy(in + at, "a\x7f");
                EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)(at + 1));
                strcpy(in + at, "\xC2\xA0x");
                EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)at);
                strcpy(in + at, "\xE2\x80\x8Bx");
                EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)at);
                strcpy(in + at, "@x");
                EMAIL_NO(in, "e-mail has more than one '@'", (int64_t)at);
                /* after a fault in the domain only spaces and a second '@' are looked for,
                 * with the same word scan */
                strcpy(in + at, "_x@");
                EMAIL_NO(in, "e-mail has more than one '@'", (int64_t)(at + 2));
                strcpy(in + at, "_x y");
                EMAIL_NO(in, "e-mail contains a space or control character", (int64_t)(at + 2));
            }
        }
    }
}

/* Lower-casing copies of 8 to 32 bytes are a few overlapping words; longer and shorter ones
 * go through the loop. Every length, a capital at every place. */
static void lowercase_copies_of_every_length(void **state)
{
    char in[80], want[80];
    (void)state;
    for (size_t len = 1; len <= 70; len++) {
        for (size_t at = 0; at < len; at++) {
            result res;
            for (size_t i = 0; i < len; i++) in[i] = (char)('a' + i % 26);
            memcpy(want, in, len);
            in[at] = (char)('A' + at % 26);
            run(N_CASEFOLD, NULL, in, len, &res);
            assert_int_equal(res.status, SCV_OK);
            assert_int_equal(res.len, len);
            assert_memory_equal(res.out, want, len);
            if (len >= 3 && len <= 64 && at > 0 && at < len - 1) {
                /* the same as an e-mail: local part, '@', domain */
                char e[96], ew[96];
                memcpy(e, in, len);
                memcpy(ew, want, len);
                memcpy(e + len, "@X.De", 6);
                memcpy(ew + len, "@x.de", 6);
                EMAIL_OK(e, ew);
            }
        }
    }
}

/* The builder copies exact values without trimming when both ends are printable ASCII
 * (scv__normalize_exact_fast): it must give what scv__normalize_exact() gives. */
static void exact_fast_path_agrees_with_the_normalizer(void **state)
{
    static const char *const values[] = {"C1", "x", " x", "x ", "\tx", "x\n", "\xC2\xA0x", "x\xC2\xA0",
                                         "\xC3\xA4", "a b", "  ", "\v", "~", "!x!", "0", ""};
    static char big[SCV_MAX_NORMALIZED_LEN + 1];
    const size_t n_values = sizeof values / sizeof values[0];
    (void)state;
    memset(big, 'b', sizeof big);
    /* the listed values, then the longest value the fast path takes and one byte more */
    for (size_t i = 0; i < n_values + 2; i++) {
        const char *v = i < n_values ? values[i] : big;
        size_t len = i < n_values ? strlen(v) : SCV_MAX_NORMALIZED_LEN + (i - n_values);
        char *copy = malloc(len ? len : 1), *o1 = malloc(SCV_MAX_NORMALIZED_LEN),
             *o2 = malloc(SCV_MAX_NORMALIZED_LEN);
        scv__norm_err e1 = {"", -1}, e2 = {"", -1};
        size_t n1 = 0, n2 = 0;
        scv_status s1, s2;
        assert_true(copy != NULL && o1 != NULL && o2 != NULL);
        if (len) memcpy(copy, v, len);
        s1 = scv__normalize_exact(copy, len, o1, &n1, &e1);
        s2 = scv__normalize_exact_fast(copy, len, o2, &n2, &e2);
        assert_int_equal(s1, s2);
        if (s1 == SCV_OK) {
            assert_int_equal(n1, n2);
            assert_memory_equal(o1, o2, n1);
        } else {
            assert_string_equal(e1.reason, e2.reason);
            assert_int_equal(e1.offset, e2.offset);
        }
        free(copy);
        free(o1);
        free(o2);
    }
}

/* scv__normalize_email_at() says where the output's '@' is, for the placeholder check: with
 * and without the provider rules, which shorten the local part. */
static void email_at_offset_points_at_the_output_at(void **state)
{
    static const char *const values[] = {"jane@mail.de", " J.Ane+x@GMail.com ", "a@b.cd",
                                         "first.last@googlemail.com", "x\xC3\xA4@m\xC3\xBC.de",
                                         "abcdefghijklmnopqrstuvwxyz0123456789@a.bc"};
    char out[SCV_MAX_NORMALIZED_LEN];
    (void)state;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        for (unsigned flags = 0; flags <= SCV__EMAIL_PROVIDER_RULES; flags++) {
            scv__norm_err err;
            size_t n, at = (size_t)-1;
            assert_ok(scv__normalize_email_at(S(values[i]), flags, out, &n, &at, &err));
            assert_true(at < n);
            assert_int_equal(out[at], '@');
            assert_null(memchr(out, '@', at));
        }
    }
}

/* Zero/dash-only and repeated-byte values, where the check stops early once neither can hold. */
static void degenerate_placeholders_at_every_length(void **state)
{
    char v[40];
    (void)state;
    for (size_t len = 1; len < sizeof v; len++) {
        for (size_t at = 0; at < len; at++) {
            memset(v, '0', len);
            v[at] = '-';
            assert_int_equal(scv__rules_placeholder_word(v, len), 1);
            memset(v, 'x', len);
            assert_int_equal(scv__rules_placeholder_word(v, len), len >= 3);
            v[at] = 'y';
            assert_int_equal(scv__rules_placeholder_word(v, len), 0);
            memset(v, '0', len);
            v[at] = 'a';
            assert_int_equal(scv__rules_placeholder_word(v, len), 0);
        }
    }
}

/* The builder hashes what it normalized without copying it next to the kind's name first;
 * the hash must still be scv_engine_hash()'s, which lookups use. */
static void builder_hashes_identifiers_as_scv_engine_hash(void **state)
{
    static const char *const values[] = {
        " Person.1@Mail.DE", "jane@example.com", "+49 (0)30 12345678", "030 1234567", "C1",
        " Cust-0042 ", "F3D91D41-8FD1-4BCB-8F2E-97DCFDAE9D6B", "n/a", "x",
        /* past the inline copies and checks (32 and 64 bytes) */
        "Hannah.Kuehn178292.Family@Hotmail.Example.DE",
        "a-customer-number-much-longer-than-sixty-four-bytes-0123456789-0123456789"};
    static const char long_name[] = "k234567890123456789012345678901234567890123456789012345678901234";
    scv_engine *e = test_engine();
    scv_record *r = NULL;
    scv_kind long_kind, fold_kind;
    (void)state;
    assert_ok(scv_engine_register_kind(e, S(long_name), SCV_NORM_EXACT, &long_kind));
    assert_ok(scv_engine_register_kind(e, S("x"), SCV_NORM_CASEFOLD, &fold_kind));
    assert_ok(scv_record_new(e, &r));
    for (scv_kind k = 0; k < scv_engine_kind_count(e); k++) {
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            uint8_t want[SCV_HASH_SIZE], got[SCV_HASH_SIZE];
            scv_status st = scv_engine_hash(e, k, S(values[i]), want);
            assert_ok(scv_record_reset(r, SCV_SOURCE_CRM, S("r")));
            assert_status(scv_record_add_identifier(r, k, S(values[i])), st);
            if (st != SCV_OK) continue;
            assert_int_equal(r->n_idents, 1);
            scv__h128_to_bytes(r->idents[0].hash, got);
            if (memcmp(got, want, sizeof got) != 0)
                fail_msg("kind %u, \"%s\": the builder's hash differs from scv_engine_hash()", k,
                         values[i]);
        }
    }
    scv_record_free(r);
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_check_fast_agrees_with_the_full_check),
        cmocka_unit_test(email_scan_masks_what_the_last_word_has_seen),
        cmocka_unit_test(lowercase_copies_of_every_length),
        cmocka_unit_test(exact_fast_path_agrees_with_the_normalizer),
        cmocka_unit_test(email_at_offset_points_at_the_output_at),
        cmocka_unit_test(degenerate_placeholders_at_every_length),
        cmocka_unit_test(email_trims_and_lowercases),
        cmocka_unit_test(email_trims_nbsp),
        cmocka_unit_test(email_keeps_non_ascii_bytes),
        cmocka_unit_test(email_keeps_local_part_punctuation),
        cmocka_unit_test(email_rejects_empty_value),
        cmocka_unit_test(email_accepts_null_with_zero_length),
        cmocka_unit_test(email_rejects_missing_at),
        cmocka_unit_test(email_rejects_two_ats_with_offset),
        cmocka_unit_test(email_rejects_empty_local_part),
        cmocka_unit_test(email_rejects_empty_domain),
        cmocka_unit_test(email_rejects_domain_without_dot),
        cmocka_unit_test(email_rejects_leading_dot_in_domain),
        cmocka_unit_test(email_rejects_double_dot_in_domain),
        cmocka_unit_test(email_rejects_trailing_dot_in_domain),
        cmocka_unit_test(email_rejects_invalid_domain_character),
        cmocka_unit_test(email_rejects_space_with_offset),
        cmocka_unit_test(email_rejects_control_character_with_offset),
        cmocka_unit_test(email_limits_local_part_to_64_bytes),
        cmocka_unit_test(email_limits_address_to_254_bytes),
        cmocka_unit_test(email_keeps_plus_tag_and_dots_without_provider_rules),
        cmocka_unit_test(email_gmail_rules_drop_dots_and_tag),
        cmocka_unit_test(email_gmail_rules_map_googlemail_to_gmail),
        cmocka_unit_test(email_gmail_rules_leave_other_domains),
        cmocka_unit_test(email_gmail_rules_reject_empty_local_part),
        cmocka_unit_test(email_reads_only_len_bytes),
        cmocka_unit_test(phone_keeps_e164),
        cmocka_unit_test(phone_de_national_with_trunk_prefix),
        cmocka_unit_test(phone_de_national_without_trunk_prefix),
        cmocka_unit_test(phone_plus_prefix),
        cmocka_unit_test(phone_00_prefix),
        cmocka_unit_test(phone_011_prefix_in_nanp_regions),
        cmocka_unit_test(phone_drops_bracketed_zero_after_country_code),
        cmocka_unit_test(phone_drops_written_out_trunk_zero_after_country_code),
        cmocka_unit_test(phone_bracketed_zero_stays_where_the_region_has_no_zero_trunk),
        cmocka_unit_test(phone_australian_0011_is_an_international_prefix),
        cmocka_unit_test(phone_nanp_area_codes_start_with_2_to_9),
        cmocka_unit_test(phone_normalization_is_idempotent_after_a_doubled_zero),
        cmocka_unit_test(email_rejects_unicode_spaces_and_invisible_characters),
        cmocka_unit_test(phone_bracketed_zero_in_national_number_is_trunk_prefix),
        cmocka_unit_test(phone_us_with_leading_1),
        cmocka_unit_test(phone_italy_keeps_leading_zero),
        cmocka_unit_test(phone_russia_strips_trunk_8),
        cmocka_unit_test(phone_hungary_strips_trunk_06),
        cmocka_unit_test(phone_national_formats_of_many_regions),
        cmocka_unit_test(phone_international_formats_of_many_regions),
        cmocka_unit_test(phone_accepts_separators_and_nbsp),
        cmocka_unit_test(phone_digit_groups_of_every_length_at_every_offset),
        cmocka_unit_test(phone_trims_whitespace_and_nbsp),
        cmocka_unit_test(phone_cuts_extension),
        cmocka_unit_test(phone_rejects_extension_without_digits),
        cmocka_unit_test(phone_rejects_letters_with_offset),
        cmocka_unit_test(phone_rejects_other_characters_with_offset),
        cmocka_unit_test(phone_rejects_empty_value),
        cmocka_unit_test(phone_rejects_no_digits),
        cmocka_unit_test(phone_rejects_too_short),
        cmocka_unit_test(phone_rejects_too_long),
        cmocka_unit_test(phone_rejects_unknown_country_code),
        cmocka_unit_test(phone_without_region_needs_country_code),
        cmocka_unit_test(phone_011_is_national_outside_nanp),
        cmocka_unit_test(phone_rejects_repeated_digit),
        cmocka_unit_test(phone_rejects_sequence),
        cmocka_unit_test(phone_accepts_partial_runs),
        cmocka_unit_test(phone_reads_only_len_bytes),
        cmocka_unit_test(exact_trims_and_keeps_bytes),
        cmocka_unit_test(exact_keeps_inner_white_space),
        cmocka_unit_test(exact_rejects_empty_value),
        cmocka_unit_test(exact_accepts_maximum_length),
        cmocka_unit_test(casefold_lowercases_ascii_only),
        cmocka_unit_test(casefold_rejects_empty_value),
        cmocka_unit_test(region_lookup_by_iso_ignores_case),
        cmocka_unit_test(region_lookup_by_iso_rejects_unknown_and_malformed),
        cmocka_unit_test(region_by_calling_code_prefers_us_and_ru),
        cmocka_unit_test(region_facts_of_main_regions),
        cmocka_unit_test(region_table_is_consistent),
        cmocka_unit_test(utf8_check_finds_a_bad_byte_at_every_offset_and_length),
        cmocka_unit_test(email_scan_sees_a_special_byte_at_every_offset),
        cmocka_unit_test(phone_digit_groups_of_any_length_read_alike),
        cmocka_unit_test(phone_digit_groups_past_the_limit_are_only_counted),
        cmocka_unit_test(phone_unknown_country_code_offset_counts_a_bracketed_zero),
        cmocka_unit_test(placeholders_agree_with_a_walk_over_the_lists),
        cmocka_unit_test(builder_hashes_identifiers_as_scv_engine_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
