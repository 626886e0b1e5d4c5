/*
 * timeparse.h — timestamps as the scv program accepts them in a `timestamp` column.
 *
 * Accepted (nothing else, no surrounding white space):
 *   unix seconds     "1700000000", "-86400", "1700000000.25" (a fraction is floored away)
 *   ISO 8601 date    "2024-03-01"                       (midnight UTC)
 *   ISO 8601 time    "2024-03-01T10:15", "2024-03-01T10:15:30", "2024-03-01T10:15:30.123"
 *                    ('t' or a space may stand for 'T'; a fraction of a second is dropped)
 *   zone             none (= UTC), "Z"/"z", "+01:00", "-0530", "+01"
 * Years 0000..9999; months, days (leap years included), hours 0..23, minutes 0..59, seconds
 * 0..60 (60 is a leap second and counts as the next minute's 0) and zone offsets up to 23:59
 * are checked.
 */
#ifndef SCV_CLI_TIMEPARSE_H
#define SCV_CLI_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Parse s[0..len) into unix seconds (UTC).
 * @return 1 with *unix_seconds set, or 0 when the text is not an accepted timestamp
 *         (*unix_seconds is then untouched).
 */
int timeparse(const char *s, size_t len, int64_t *unix_seconds);

#endif
