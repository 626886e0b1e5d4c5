/*
 * output.h — what the scv program prints about a resolved engine: the record-to-profile
 * assignment as CSV, the profiles as JSON Lines, and the profile ids a segment matches.
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
 * Write one JSON object per live profile, ascending by id, one per line: what
 * scv_profile_json() gives (profile id, first/last seen, sources, records, identifiers with
 * their link state, traits with the record they came from, measures, consent).
 * Takes a non-const engine because the profile views are brought up to date on the way.
 * @return 0, or -1 when out of memory or the engine could not be read (reported on stderr).
 */
int output_profiles(FILE *out, scv_engine *engine);

/**
 * Write the ids of the profiles in `result` ascending, one per line.
 * @return the number written.
 */
size_t output_result(FILE *out, const scv_result *result);

#endif
