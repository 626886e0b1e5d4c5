/* phone_regions.c — the built-in phone region table.
 *
 * Where the facts come from: country calling codes are the ITU-T E.164 assignments (the list
 * annexed to ITU-T Recommendation E.164 and its Operational Bulletin updates); trunk prefixes
 * and the lengths of national significant numbers (NSN: the number after the calling code,
 * without trunk prefix) come from the national numbering plans the regulators publish to the
 * ITU. Where a plan has several lengths (open plans such as DE, AT, FI, IT) the range covers
 * all of them, generously: the table is there to catch junk, not to police number ranges.
 *
 * What this table does not model, compared with libphonenumber's metadata:
 *   - no per-prefix validation (which leading digits are assigned, which lengths go with which
 *     area code), only one min..max length per region;
 *   - no number types (fixed, mobile, toll-free, premium...), no carrier selection codes (BR,
 *     CO, AR), no Argentine mobile "9"/"15" rewriting, no legacy Mexican "1"/"044" prefixes;
 *   - no per-region international prefixes (the normalizer knows "00" and, for calling code 1,
 *     "011"), no formatting patterns, no short codes or emergency numbers;
 *   - regions sharing a calling code (NANP +1, RU/KZ +7) are not told apart by area code.
 *
 * Order: ascending calling code, so scv__region_by_calling_code is a binary search. Within a
 * shared code the main region comes first (US for +1, RU for +7), then the others by ISO code;
 * the lookup by calling code returns that first one. */
#include <stddef.h>

#include "normalize.h"

/* iso, calling code, trunk prefix, NSN min..max digits */
static const scv__region regions[] = {
    /* +1: North American Numbering Plan: trunk "1", always 3-digit area + 7 digits */
    {"US", 1, "1", 10, 10},
    {"BB", 1, "1", 10, 10},
    {"BS", 1, "1", 10, 10},
    {"CA", 1, "1", 10, 10},
    {"DO", 1, "1", 10, 10},
    {"JM", 1, "1", 10, 10},
    {"PR", 1, "1", 10, 10},
    {"TT", 1, "1", 10, 10},
    /* +7: trunk "8" */
    {"RU", 7, "8", 10, 10},
    {"KZ", 7, "8", 10, 10},
    /* zones 2..9, two-digit codes */
    {"EG", 20, "0", 8, 10},
    {"ZA", 27, "0", 9, 10},
    {"GR", 30, "", 10, 10},
    {"NL", 31, "0", 9, 9},
    {"BE", 32, "0", 8, 9},
    {"FR", 33, "0", 9, 9},
    {"ES", 34, "", 9, 9},
    {"HU", 36, "06", 8, 9},
    {"IT", 39, "", 6, 11}, /* the leading 0 of fixed lines is part of the number */
    {"RO", 40, "0", 9, 9},
    {"CH", 41, "0", 9, 9},
    {"AT", 43, "0", 4, 13},
    {"GB", 44, "0", 7, 10},
    {"DK", 45, "", 8, 8},
    {"SE", 46, "0", 6, 10},
    {"NO", 47, "", 8, 8},
    {"PL", 48, "", 9, 9},
    {"DE", 49, "0", 5, 13},
    {"PE", 51, "0", 8, 9},
    {"MX", 52, "", 10, 10}, /* national prefixes abolished in 2019 */
    {"AR", 54, "0", 10, 11},
    {"BR", 55, "0", 10, 11},
    {"CL", 56, "0", 9, 9},
    {"CO", 57, "0", 8, 10}, /* 10 since 2021; older 8-digit fixed numbers accepted */
    {"VE", 58, "0", 10, 10},
    {"MY", 60, "0", 8, 10},
    {"AU", 61, "0", 9, 9},
    {"ID", 62, "0", 7, 12},
    {"PH", 63, "0", 8, 10},
    {"NZ", 64, "0", 8, 10},
    {"SG", 65, "", 8, 8},
    {"TH", 66, "0", 8, 9},
    {"JP", 81, "0", 9, 10},
    {"KR", 82, "0", 8, 10},
    {"VN", 84, "0", 9, 10},
    {"CN", 86, "0", 7, 12},
    {"TR", 90, "0", 10, 10},
    {"IN", 91, "0", 10, 10},
    {"PK", 92, "0", 8, 10},
    {"LK", 94, "0", 9, 9},
    {"IR", 98, "0", 10, 10},
    /* three-digit codes */
    {"MA", 212, "0", 9, 9},
    {"DZ", 213, "0", 8, 9},
    {"TN", 216, "", 8, 8},
    {"GH", 233, "0", 9, 9},
    {"NG", 234, "0", 7, 10},
    {"KE", 254, "0", 7, 10},
    {"TZ", 255, "0", 9, 9},
    {"UG", 256, "0", 9, 9},
    {"PT", 351, "", 9, 9},
    {"LU", 352, "", 4, 11},
    {"IE", 353, "0", 7, 10},
    {"IS", 354, "", 7, 9},
    {"MT", 356, "", 8, 8},
    {"CY", 357, "", 8, 8},
    {"FI", 358, "0", 5, 12},
    {"BG", 359, "0", 6, 9},
    {"LV", 371, "", 8, 8},
    {"EE", 372, "", 7, 8},
    {"UA", 380, "0", 9, 9},
    {"HR", 385, "0", 8, 9},
    {"SI", 386, "0", 8, 8},
    {"CZ", 420, "", 9, 9},
    {"SK", 421, "0", 9, 9},
    {"HK", 852, "", 8, 8},
    {"MO", 853, "", 8, 8},
    {"BD", 880, "0", 6, 10},
    {"TW", 886, "0", 8, 9},
    {"LB", 961, "0", 7, 8},
    {"JO", 962, "0", 8, 9},
    {"IQ", 964, "0", 8, 10},
    {"KW", 965, "", 8, 8},
    {"SA", 966, "0", 8, 9},
    {"OM", 968, "", 8, 8},
    {"AE", 971, "0", 8, 9},
    {"IL", 972, "0", 8, 9},
    {"BH", 973, "", 8, 8},
    {"QA", 974, "", 8, 8},
};

#define REGION_COUNT (sizeof regions / sizeof regions[0])

static char upper_ascii(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

const scv__region *scv__region_by_iso(const char *code, size_t len)
{
    char a, b;
    size_t i;
    if (code == NULL || len != 2) return NULL;
    a = upper_ascii(code[0]);
    b = upper_ascii(code[1]);
    for (i = 0; i < REGION_COUNT; i++) {
        if (regions[i].iso[0] == a && regions[i].iso[1] == b) return &regions[i];
    }
    return NULL;
}

const scv__region *scv__region_by_calling_code(uint16_t calling_code)
{
    size_t lo = 0, hi = REGION_COUNT;
    /* lower bound: the first region whose code is >= calling_code */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (regions[mid].calling_code < calling_code) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < REGION_COUNT && regions[lo].calling_code == calling_code) return &regions[lo];
    return NULL;
}

const scv__region *scv__region_main(const scv__region *r)
{
    /* The table is sorted by calling code, so the others sharing r's code sit right before
     * it (at most a handful: the NANP countries before CA...). */
    while (r > regions && r[-1].calling_code == r->calling_code) r--;
    return r;
}
