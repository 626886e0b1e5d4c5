/*
 * segment.h — reading JSON Lines of Segment Tracking API events (`scv --format segment`).
 *
 * One event object per line, of type identify, track, page, screen, alias or group; blank
 * lines are skipped; a UTF-8 byte order mark at the start is skipped. Every event becomes one
 * record of the source given (--source, default web), keyed by its messageId, so an event
 * sent twice replaces itself. The mapping (the full table is in SEGMENT.md):
 *
 *   messageId                                    record id (required)
 *   timestamp, else sentAt, receivedAt,          record time (ISO 8601 or unix seconds)
 *     originalTimestamp
 *   userId                                       customer_id
 *   anonymousId, previousId                      anonymous_id
 *   traits/context.traits .email .phone          email, phone
 *     .loyalty_id .loyaltyId                     loyalty_id
 *   context.device.id, .advertisingId            device_id
 *   other traits and context.traits              traits; nested objects as dotted names
 *   (group events: traits are the group's)       traits named group.NAME, no identifiers
 *   properties.revenue .total .value and         measures revenue, total, value, NAME
 *     properties.NAME for each --measure NAME
 *   context.consent.categoryPreferences          consent per category (lower-cased)
 *   type, event, name, groupId, context.channel  traits event_type, last_event,
 *                                                page / screen, group_id, channel
 *
 * Problems are reported as "FILE:LINE: reason" through ingest.h, the same way as CSV rows: a
 * line that is not a JSON object, lacks a messageId or a known type, or holds an invalid or
 * over-long value is skipped; an identifier the normalizer rejects, a measure that is not a
 * number or a consent that is not a boolean is a warning and only that value is dropped.
 */
#ifndef SCV_CLI_SEGMENT_H
#define SCV_CLI_SEGMENT_H

#include <stdio.h>

#include "ingest.h"
#include "scv.h"

/** How reading a file ended. */
typedef enum segment_result {
    SEGMENT_DONE = 0,    /**< read to the end */
    SEGMENT_STOPPED = 1, /**< a read error ended the file early (reported) */
    SEGMENT_FATAL = 2    /**< out of memory or the engine is full (reported): stop */
} segment_result;

/** Whether this program was built with JSON support (jansson): 1 or 0. */
int segment_available(void);

/**
 * Read the events in `fp` (the caller's) into `in`'s engine, all with source `source`.
 * @param measures, nmeasures  property names read as measures besides revenue, total, value.
 * Without JSON support, reports that and returns SEGMENT_FATAL.
 */
segment_result segment_read(ingest *in, FILE *fp, scv_source source,
                            const char *const *measures, size_t nmeasures);

#endif
