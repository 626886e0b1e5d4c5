'use strict';
// scv for Node.js: identity resolution (single customer view) through koffi.
// See README.md; the C library's manual is include/scv.h.

const { native, has } = require('./lib');
const { ScvError, STATUS } = require('./errors');
const { Engine } = require('./engine');
const { Query, Result, Segment, Personas } = require('./query');
const { segmentEventToRecord } = require('./segment');

/** The linked library's version: `{ number, string }` (e.g. 100 and '0.1.0'). */
function version() {
  const L = native();
  return { number: L.scv_version_number(), string: L.scv_version_string() };
}

/** The path or name the library was loaded from. */
function libraryPath() {
  return native().path;
}

module.exports = {
  Engine,
  Query,
  Result,
  Segment,
  Personas,
  ScvError,
  STATUS,
  version,
  libraryPath,
  has,
  segmentEventToRecord,
};
