'use strict';
// The one place where the C API of libscv is declared for koffi.
//
// FUNCTIONS maps every bound function to [return type, [parameter types]] written as koffi
// type strings. test/header-drift.test.js parses include/scv.h and checks each entry against
// the declaration there, so keep this table a plain object literal of string literals.
//
// Type conventions (what the drift test's C -> koffi mapping expects):
// - scv_status and every other C enum is 'int'; scv_kind, scv_source, scv_profile_id,
//   scv_record_ref and scv_identifier_ref are 'uint32_t'.
// - Opaque handles keep their C names ('scv_engine *'); koffi passes them as BigInt addresses.
// - Array parameters (uint8_t out[SCV_HASH_SIZE]) are pointers ('uint8_t *').
// - 'const char *' is kept where the library returns a NUL-terminated static string (koffi
//   turns it into a JS string). Where the C side hands out a (pointer, length) pair that is NOT
//   NUL-terminated, the same pointer is declared with void in place of char ('const void *',
//   'const void **') so that koffi gives the raw address and the binding reads exactly `len`
//   bytes. Constness and the number of stars always match the header.
// - Output parameters are passed as typed arrays (BigUint64Array for size_t and pointers,
//   Uint32Array for uint32_t, ...), which koffi hands to C as pointers to their storage.

const koffi = require('koffi');

const OPAQUE = [
  'scv_allocator', // a struct in C; the binding only ever passes NULL (the libc allocator)
  'scv_options',
  'scv_engine',
  'scv_record',
  'scv_query',
  'scv_result',
  'scv_segment',
  'scv_personas',
];

// Callback types: name -> [return type, [parameter types]], checked like FUNCTIONS.
const PROTOS = {
  scv_change_fn: ['int', ['void *', 'uint64_t', 'int', 'uint32_t', 'uint32_t', 'uint32_t', 'const void *', 'size_t']],
};

const FUNCTIONS = {
  // version, status
  scv_version_number: ['unsigned int', []],
  scv_version_string: ['const char *', []],
  scv_status_str: ['const char *', ['int']],

  // options
  scv_options_new: ['int', ['const scv_allocator *', 'scv_options **']],
  scv_options_free: ['void', ['scv_options *']],
  scv_options_set_hash_key: ['int', ['scv_options *', 'const void *', 'size_t']],
  scv_options_set_region: ['int', ['scv_options *', 'const char *', 'size_t']],
  scv_options_set_change_capacity: ['int', ['scv_options *', 'size_t']],
  scv_options_set_retain: ['int', ['scv_options *', 'int']],
  scv_options_set_email_provider_rules: ['int', ['scv_options *', 'int']],

  // engine
  scv_engine_new: ['int', ['const scv_options *', 'scv_engine **']],
  scv_engine_free: ['void', ['scv_engine *']],
  scv_engine_errmsg: ['const char *', ['const scv_engine *']],
  scv_engine_erroffset: ['int64_t', ['const scv_engine *']],

  // kinds and sources
  scv_engine_register_kind: ['int', ['scv_engine *', 'const char *', 'size_t', 'int', 'uint32_t *']],
  scv_engine_kind: ['int', ['const scv_engine *', 'const char *', 'size_t', 'uint32_t *']],
  scv_engine_kind_count: ['uint32_t', ['const scv_engine *']],
  scv_engine_kind_name: ['const void *', ['const scv_engine *', 'uint32_t', 'size_t *']],
  scv_engine_register_source: ['int', ['scv_engine *', 'const char *', 'size_t', 'uint32_t *']],
  scv_engine_source: ['int', ['const scv_engine *', 'const char *', 'size_t', 'uint32_t *']],
  scv_engine_source_count: ['uint32_t', ['const scv_engine *']],
  scv_engine_source_name: ['const void *', ['const scv_engine *', 'uint32_t', 'size_t *']],

  // resolution rules
  scv_engine_set_limit: ['int', ['scv_engine *', 'uint32_t', 'uint32_t']],
  scv_engine_set_priority: ['int', ['scv_engine *', 'const uint32_t *', 'size_t']],
  scv_engine_set_generic_threshold: ['int', ['scv_engine *', 'uint32_t', 'uint32_t']],
  scv_engine_set_profile_limits: ['int', ['scv_engine *', 'uint32_t', 'uint32_t']],
  scv_engine_set_default_blocklist: ['int', ['scv_engine *', 'int']],
  scv_engine_block: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t']],
  scv_record_identifiers: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'uint8_t *', 'size_t', 'size_t *']],
  scv_engine_identifier_state: ['int', ['const scv_engine *', 'uint32_t', 'uint8_t *', 'uint32_t *']],
  scv_profile_unlinked: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'uint8_t *', 'size_t', 'size_t *']],
  scv_engine_stat: ['int', ['const scv_engine *', 'int', 'uint64_t *']],

  // audit statistics
  scv_engine_profile_size_histogram: ['int', ['const scv_engine *', 'uint64_t *', 'size_t']],
  scv_engine_profile_size_percentile: ['int', ['const scv_engine *', 'double', 'uint32_t *']],
  scv_engine_largest_profiles: ['int', ['const scv_engine *', 'uint32_t *', 'size_t', 'size_t *']],
  scv_engine_identifier_next: ['int', ['const scv_engine *', 'uint32_t', 'uint8_t', 'uint32_t *']],
  scv_engine_source_overlap: ['int', ['const scv_engine *', 'uint64_t *', 'size_t']],
  scv_engine_kind_coverage: ['int', ['const scv_engine *', 'uint64_t *', 'size_t']],

  // normalization and hashing
  scv_engine_normalize: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t', 'char *', 'size_t', 'size_t *']],
  scv_engine_hash: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t', 'uint8_t *']],

  // record builder
  scv_record_new: ['int', ['scv_engine *', 'scv_record **']],
  scv_record_free: ['void', ['scv_record *']],
  scv_record_reset: ['int', ['scv_record *', 'uint32_t', 'const char *', 'size_t']],
  scv_record_set_timestamp: ['int', ['scv_record *', 'int64_t']],
  scv_record_add_identifier: ['int', ['scv_record *', 'uint32_t', 'const char *', 'size_t']],
  scv_record_add_trait: ['int', ['scv_record *', 'const char *', 'size_t', 'const char *', 'size_t']],
  scv_record_add_measure: ['int', ['scv_record *', 'const char *', 'size_t', 'double']],
  scv_record_add_consent: ['int', ['scv_record *', 'const char *', 'size_t', 'int', 'int64_t']],
  scv_record_errmsg: ['const char *', ['const scv_record *']],
  scv_record_erroffset: ['int64_t', ['const scv_record *']],
  scv_engine_upsert: ['int', ['scv_engine *', 'const scv_record *', 'uint32_t *']],
  // const scv_record *const *recs: the array of builders, passed as a BigUint64Array
  scv_engine_upsert_batch: ['int', ['scv_engine *', 'const scv_record **', 'size_t', 'uint32_t *', 'size_t *']],
  scv_engine_reserve: ['int', ['scv_engine *', 'size_t', 'size_t']],
  scv_engine_shrink: ['int', ['scv_engine *']],

  // lookups and iteration
  scv_engine_record_count: ['size_t', ['const scv_engine *']],
  scv_engine_profile_count: ['size_t', ['const scv_engine *']],
  scv_engine_identifier_count: ['size_t', ['const scv_engine *']],
  scv_engine_record_find: ['int', ['const scv_engine *', 'uint32_t', 'const char *', 'size_t', 'uint32_t *']],
  scv_engine_record_next: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *']],
  scv_engine_record_info: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'const void **', 'size_t *', 'int64_t *']],
  scv_engine_record_profile: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *']],
  scv_engine_record_profiles: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'uint32_t *', 'size_t', 'size_t *']],
  scv_engine_identifier_profile: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t', 'uint32_t *']],
  scv_profile_canonical: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *']],
  scv_engine_profile_next: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *']],
  scv_profile_records: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'size_t', 'size_t *']],
  scv_profile_identifiers: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'size_t', 'size_t *']],
  scv_engine_identifier_info: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t *', 'uint8_t *', 'const void **', 'size_t *']],
  scv_profile_trait: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t', 'const void **', 'size_t *', 'uint32_t *']],
  scv_engine_trait_name: ['int', ['const scv_engine *', 'size_t', 'const void **', 'size_t *']],

  // single customer views
  scv_engine_set_trait_rule: ['int', ['scv_engine *', 'const char *', 'size_t', 'int']],
  scv_engine_set_source_priority: ['int', ['scv_engine *', 'const uint32_t *', 'size_t']],
  scv_engine_measure_name: ['int', ['const scv_engine *', 'size_t', 'const void **', 'size_t *']],
  scv_engine_consent_channel: ['int', ['const scv_engine *', 'size_t', 'const void **', 'size_t *']],
  scv_profile_measure: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t', 'int', 'uint32_t', 'int64_t', 'double *']],
  scv_profile_consent: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t', 'int *', 'int64_t *']],
  scv_profile_seen: ['int', ['scv_engine *', 'uint32_t', 'int64_t *', 'int64_t *']],
  scv_profile_json: ['int', ['scv_engine *', 'uint32_t', 'char *', 'size_t', 'size_t *']],

  // segment queries
  scv_query_compile: ['int', ['scv_engine *', 'const char *', 'size_t', 'scv_query **', 'size_t *']],
  scv_query_free: ['void', ['scv_query *']],
  scv_query_eval: ['int', ['scv_query *', 'int64_t', 'scv_result **']],
  scv_result_free: ['void', ['scv_result *']],
  scv_result_count: ['size_t', ['const scv_result *']],
  scv_result_contains: ['int', ['const scv_result *', 'uint32_t']],
  scv_result_next: ['int', ['const scv_result *', 'uint32_t', 'uint32_t *']],
  scv_result_combine: ['int', ['const scv_result *', 'const scv_result *', 'int', 'scv_result **']],
  scv_engine_set_rfm_measure: ['int', ['scv_engine *', 'const char *', 'size_t']],

  // saved segments and personas
  scv_segment_new: ['int', ['scv_engine *', 'const char *', 'size_t', 'const char *', 'size_t', 'scv_segment **', 'size_t *']],
  scv_segment_free: ['void', ['scv_segment *']],
  scv_segment_name: ['const void *', ['const scv_segment *', 'size_t *']],
  scv_segment_refresh: ['int', ['scv_segment *', 'int64_t', 'scv_result **', 'scv_result **']],
  scv_segment_members: ['int', ['const scv_segment *', 'scv_result **']],
  scv_personas_new: ['int', ['scv_engine *', 'scv_personas **']],
  scv_personas_free: ['void', ['scv_personas *']],
  scv_personas_add: ['int', ['scv_personas *', 'const char *', 'size_t', 'const char *', 'size_t', 'size_t *']],
  scv_personas_assign: ['int', ['scv_personas *', 'int64_t']],
  scv_personas_count: ['uint32_t', ['const scv_personas *']],
  scv_personas_name: ['const void *', ['const scv_personas *', 'uint32_t', 'size_t *']],
  scv_personas_size: ['size_t', ['const scv_personas *', 'uint32_t']],
  scv_personas_of: ['int', ['const scv_personas *', 'uint32_t', 'uint32_t *']],

  // lifecycle and privacy
  scv_engine_delete: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t']],
  scv_engine_erase: ['int', ['scv_engine *', 'uint32_t', 'size_t *', 'size_t *']],
  scv_engine_suppress: ['int', ['scv_engine *', 'uint32_t', 'const char *', 'size_t']],
  scv_engine_suppress_hash: ['int', ['scv_engine *', 'uint32_t', 'const uint8_t *']],
  scv_engine_unsuppress_hash: ['int', ['scv_engine *', 'uint32_t', 'const uint8_t *']],
  scv_engine_suppressed_count: ['size_t', ['const scv_engine *']],
  scv_engine_explain: ['int', ['const scv_engine *', 'uint32_t', 'uint32_t', 'uint32_t *', 'uint32_t *', 'size_t', 'size_t *', 'int *']],
  scv_engine_sequence: ['uint64_t', ['const scv_engine *']],
  scv_engine_changes_since: ['int', ['const scv_engine *', 'uint64_t', 'scv_change_fn *', 'void *']],

  // snapshots and absorb
  scv_engine_snapshot_size: ['int', ['const scv_engine *', 'size_t *']],
  scv_engine_snapshot_write: ['int', ['const scv_engine *', 'void *', 'size_t', 'size_t *']],
  scv_engine_load: ['int', ['const scv_options *', 'const void *', 'size_t', 'scv_engine **']],
  scv_engine_absorb: ['int', ['scv_engine *', 'const scv_engine *']],
};

// ---- loading -------------------------------------------------------------------------------

function loadLibrary() {
  const explicit = process.env.SCV_LIBRARY;
  if (explicit) {
    try {
      return { handle: koffi.load(explicit), path: explicit };
    } catch (err) {
      throw new Error(`scv: cannot load the library named by SCV_LIBRARY (${explicit}): ${err.message}`);
    }
  }
  try {
    return { handle: koffi.load('libscv.so'), path: 'libscv.so' };
  } catch (err) {
    throw new Error(
      'scv: cannot find libscv. Build it (cmake -S . -B build && cmake --build build) and set ' +
        'SCV_LIBRARY to the path of libscv.so, or install it where the dynamic linker looks ' +
        `(ldconfig, LD_LIBRARY_PATH). The loader said: ${err.message}`,
    );
  }
}

function defineType(name, make) {
  try {
    return make();
  } catch (err) {
    // Already defined (a second copy of this module in the same process): reuse it.
    try {
      return koffi.type(name);
    } catch {
      throw err;
    }
  }
}

let bound = null;

// Bind lazily, on first use, so that requiring the package never fails by itself.
function native() {
  if (bound !== null) return bound;
  const { handle, path } = loadLibrary();
  for (const name of OPAQUE) defineType(name, () => koffi.opaque(name));
  for (const [name, [ret, params]] of Object.entries(PROTOS)) {
    defineType(name, () => koffi.proto(name, ret, params));
  }
  const fns = { path, missing: [] };
  for (const [name, [ret, params]] of Object.entries(FUNCTIONS)) {
    try {
      fns[name] = handle.func(name, ret, params);
    } catch (err) {
      // A library older than this binding: the function is missing. Calls fail clearly.
      fns.missing.push(name);
      fns[name] = () => {
        throw new Error(`scv: ${name} is not in the loaded library (${path}); is it older than the binding?`);
      };
    }
  }
  bound = fns;
  return bound;
}

function has(name) {
  return !native().missing.includes(name);
}

module.exports = { koffi, FUNCTIONS, PROTOS, OPAQUE, native, has };
