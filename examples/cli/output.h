/*
 * output.h — what the scv program prints about a resolved engine: the record-to-profile
 * assignment as CSV, and the profiles as JSON Lines.
 */
#ifndef SCV_CLI_OUTPUT_H
#define SCV_CLI_OUTPUT_H

#include <stdio.h>

#include "scv.h"

/**
 * Write "source,record_id,profile_id" and one row per stored record in first-seen order;
 * record ids holding ',', '"', CR or LF are quoted as RFC 4180 says.
 * @return 0, or -1 when the engine could not be read (reported on stderr).
 */
int output_assignments(FILE *out, const scv_engine *engine);

/**
 * Write one JSON object per live profile, ascending by id, one per line:
 * {"profile_id":N,"records":[{"source":S,"record_id":R},...],
 *  "identifiers":[{"kind":K,"value":V},...],"traits":{NAME:VALUE,...}}
 * (value is null when the engine keeps no identifier values).
 * @return 0, or -1 when out of memory or the engine could not be read (reported on stderr).
 */
int output_profiles(FILE *out, const scv_engine *engine);

/** Write s[0..len) as a JSON string: quotes, backslashes and control bytes escaped. */
void output_json_string(FILE *out, const char *s, size_t len);

#endif
