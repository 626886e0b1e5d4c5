'use strict';
// ScvError and the status table. Status numbers are pinned by scv.h.

const STATUS = Object.freeze({
  SCV_OK: 0,
  SCV_EINVAL: 1,
  SCV_ENOMEM: 2,
  SCV_EUTF8: 3,
  SCV_ETOOLONG: 4,
  SCV_EREJECTED: 5,
  SCV_ENOTFOUND: 6,
  SCV_EEXISTS: 7,
  SCV_ELIMIT: 8,
  SCV_EBUFFER: 9,
  SCV_ESTATE: 10,
  SCV_ESYNTAX: 11,
  SCV_EEXPIRED: 12,
  SCV_ECORRUPT: 13,
  SCV_EVERSION: 14,
});

const CODES = Object.freeze(
  Object.fromEntries(Object.entries(STATUS).map(([code, status]) => [status, code])),
);

function codeOf(status) {
  return CODES[status] || `SCV_STATUS_${status}`;
}

/**
 * A failed libscv call. `status` is the C status number, `code` its name ('SCV_EREJECTED'),
 * `reason` the library's sentence ('' when it gave none), `offset` the byte offset into the
 * offending input (null when the failure has no position), `call` the C function that failed.
 */
class ScvError extends Error {
  constructor(status, reason, offset, call, context) {
    const code = codeOf(status);
    let message = code;
    if (context) message += ` in ${context}`;
    if (reason) message += `: ${reason}`;
    if (offset !== null && offset !== undefined) message += ` (at byte ${offset})`;
    if (call) message += ` [${call}]`;
    super(message);
    this.name = 'ScvError';
    this.code = code;
    this.status = status;
    this.reason = reason || '';
    this.offset = offset === undefined ? null : offset;
    this.call = call || null;
  }
}

module.exports = { ScvError, STATUS, CODES, codeOf };
