/* lifecycle.h — the scv program's lifecycle steps: --delete and --erase files applied after
 * the input, `scv explain`, and --state (load a snapshot before, save it after). */
#ifndef SCV_CLI_LIFECYCLE_H
#define SCV_CLI_LIFECYCLE_H

#include <stdio.h>

#include "scv.h"

/* Delete every record listed in a CSV with columns source,record_id (header row first).
 * Unknown records are counted and reported. Returns 0, or 1 when the file cannot be read. */
int lifecycle_delete(scv_engine *engine, const char *path);

/* Erase every profile carrying an identifier listed in a CSV with columns kind,value (header
 * row first), and suppress the identifier itself. Returns 0, or 1 when the file cannot be
 * read. */
int lifecycle_erase(scv_engine *engine, const char *path);

/* Print why records a and b ("SOURCE:RECORD_ID") share a profile, or what keeps them apart.
 * Returns 0, 1 when a record is unknown (reported), 2 for a malformed key. */
int lifecycle_explain(FILE *out, scv_engine *engine, const char *a, const char *b);

/* --state: load the snapshot in `path` into *engine with `opts` (hash key, allocator).
 * Returns 0 when loaded, -1 when the file does not exist (nothing done), 1 on error
 * (reported). */
int lifecycle_state_load(const scv_options *opts, const char *path, scv_engine **engine);

/* --state: write the engine's snapshot to `path` atomically (a temporary file in the same
 * directory, then rename). Returns 0 or 1 (reported). */
int lifecycle_state_save(const scv_engine *engine, const char *path);

/* Whether s looks like SOURCE:RECORD_ID (a source name, a colon, a non-empty id). */
int lifecycle_is_record_key(const char *s);

#endif
