/*
 * segment.c — Segment Tracking API events (JSON Lines) into records (segment.h), parsed with
 * jansson one line at a time and built with the calls ingest.h shares with the CSV path.
 * Without jansson (SCV_CLI_HAVE_JANSSON undefined) only a stub that says so is compiled.
 */
#include "segment.h"

#ifdef SCV_CLI_HAVE_JANSSON

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

/* The event being read and where its record goes. */
struct event {
    ingest *in;
    unsigned long line;
    scv_source source;
    const char *const *measures; /* --measure names */
    size_t nmeasures;
    json_t *root;     /* the line's object */
    const char *type; /* one of event_types[] */
};

/* A string, number or boolean as text: s[0..len), which may point into buf. */
typedef struct scalar {
    const char *s;
    size_t len;
    char buf[40];
} scalar;

static const char *const event_types[] = {"identify", "track", "page", "screen", "alias", "group"};

/* Where the record's time comes from, first present wins. */
static const char *const time_fields[] = {"timestamp", "sentAt", "receivedAt",
                                          "originalTimestamp"};

/* Identifiers outside traits. */
static const struct {
    const char *path;
    scv_kind kind;
} id_fields[] = {
    {"userId", SCV_KIND_CUSTOMER_ID},
    {"anonymousId", SCV_KIND_ANONYMOUS_ID},
    {"previousId", SCV_KIND_ANONYMOUS_ID},
    {"context.device.id", SCV_KIND_DEVICE_ID},
    {"context.device.advertisingId", SCV_KIND_DEVICE_ID},
};

/* Keys of traits and context.traits that are identifiers, not traits. */
static const struct {
    const char *key;
    scv_kind kind;
} trait_ids[] = {
    {"email", SCV_KIND_EMAIL},
    {"phone", SCV_KIND_PHONE},
    {"loyalty_id", SCV_KIND_LOYALTY_ID},
    {"loyaltyId", SCV_KIND_LOYALTY_ID},
};

/* Properties that are always measures (besides the --measure names). */
static const char *const builtin_measures[] = {"revenue", "total", "value"};

/* ---------------------------------------------------------------------------------------- */
/* JSON helpers                                                                              */
/* ---------------------------------------------------------------------------------------- */

static char lower(char c) {
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Do the C strings a and b agree, ASCII case ignored? */
static int same_nocase(const char *a, const char *b) {
    while (*a != '\0' && lower(*a) == lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* The member at a dotted path of plain keys ("context.device.id"), or NULL. */
static json_t *member(json_t *obj, const char *path) {
    char key[32];
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
        if (!json_is_object(obj) || n >= sizeof key) {
            return NULL;
        }
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        if (dot == NULL) {
            return obj;
        }
        path = dot + 1;
    }
}

/* A real number as the shortest text that reads back as the same number. */
static void format_real(double d, char *buf, size_t cap) {
    snprintf(buf, cap, "%.15g", d);
    if (strtod(buf, NULL) != d) {
        snprintf(buf, cap, "%.17g", d);
    }
}

/* v as text when it is a string, number or boolean (1); 0 for NULL, null, objects, arrays. */
static int scalar_text(const json_t *v, scalar *out) {
    if (json_is_string(v)) {
        out->s = json_string_value(v);
        out->len = json_string_length(v);
        return 1;
    }
    if (json_is_integer(v)) {
        snprintf(out->buf, sizeof out->buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        format_real(json_real_value(v), out->buf, sizeof out->buf);
    } else if (json_is_boolean(v)) {
        strcpy(out->buf, json_is_true(v) ? "true" : "false");
    } else {
        return 0;
    }
    out->s = out->buf;
    out->len = strlen(out->buf);
    return 1;
}

/* How a value that is not what was expected is shown: its text, or {...} / [...] / null. */
static const char *show_value(const json_t *v, scalar *tmp, ingest_shown *out) {
    if (scalar_text(v, tmp)) {
        return ingest_show(out, tmp->s, tmp->len);
    }
    return json_is_object(v) ? "{...}" : json_is_array(v) ? "[...]" : "null";
}

/* Print a warning about a dropped value and count it. */
static void drop(struct event *ev, const char *what, const char *shown, const char *why) {
    ingest_message(ev->in, ev->line, "warning: %s '%s' %s; ignored", what, shown, why);
    ingest_dropped(ev->in);
}

/* Is v an object (1)? Absent and null are not (0, silently); anything else is not either,
 * with a warning. */
static int object_or_warn(struct event *ev, const json_t *v, const char *what) {
    scalar tmp;
    ingest_shown shown;
    if (v == NULL || json_is_null(v) || json_is_object(v)) {
        return v != NULL && json_is_object(v);
    }
    drop(ev, what, show_value(v, &tmp, &shown), "is not an object");
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The record: key, time, identifiers                                                        */
/* ---------------------------------------------------------------------------------------- */

/* messageId is the record id. */
static ingest_status begin(struct event *ev) {
    json_t *v = json_object_get(ev->root, "messageId");
    scalar id;
    if (v == NULL || json_is_null(v)) {
        ingest_message(ev->in, ev->line, "no messageId");
        return INGEST_BAD;
    }
    if (!json_is_string(v) && !json_is_integer(v)) {
        ingest_message(ev->in, ev->line, "messageId is not a string");
        return INGEST_BAD;
    }
    scalar_text(v, &id);
    return ingest_begin(ev->in, ev->line, ev->source, "messageId", id.s, id.len);
}

/* type is one of the six event types. */
static ingest_status check_type(struct event *ev) {
    json_t *v = json_object_get(ev->root, "type");
    const char *type = json_string_value(v);
    ingest_shown shown;
    size_t i;
    if (type == NULL) {
        ingest_message(ev->in, ev->line, v == NULL ? "no type" : "type is not a string");
        return INGEST_BAD;
    }
    for (i = 0; i < sizeof event_types / sizeof *event_types; i++) {
        if (strcmp(type, event_types[i]) == 0) {
            ev->type = event_types[i];
            return INGEST_OK;
        }
    }
    ingest_message(ev->in, ev->line,
                   "unknown type '%s' (not identify, track, page, screen, alias or group)",
                   ingest_show(&shown, type, json_string_length(v)));
    return INGEST_BAD;
}

/* The first of time_fields[] present (not null, not "") is the record's time. */
static ingest_status set_time(struct event *ev) {
    size_t i;
    for (i = 0; i < sizeof time_fields / sizeof *time_fields; i++) {
        json_t *v = json_object_get(ev->root, time_fields[i]);
        scalar t;
        if (v == NULL || json_is_null(v)) {
            continue;
        }
        if (json_is_boolean(v) || !scalar_text(v, &t)) {
            ingest_message(ev->in, ev->line, "%s is neither a string nor a number",
                           time_fields[i]);
            return INGEST_BAD;
        }
        if (t.len > 0) {
            return ingest_timestamp(ev->in, ev->line, time_fields[i], t.s, t.len);
        }
    }
    return INGEST_OK;
}

/* Add v (a string or a number; absent, null and "" add nothing) as an identifier of `kind`;
 * `label` names it in messages. */
static ingest_status add_identifier(struct event *ev, scv_kind kind, const char *label,
                                    const json_t *v) {
    scalar t;
    ingest_shown shown;
    if (v == NULL || json_is_null(v)) {
        return INGEST_OK;
    }
    if (json_is_boolean(v) || !scalar_text(v, &t)) {
        drop(ev, label, show_value(v, &t, &shown), "is neither a string nor a number");
        return INGEST_OK;
    }
    if (t.len == 0) {
        return INGEST_OK;
    }
    return ingest_identifier(ev->in, ev->line, kind, label, t.s, t.len);
}

static ingest_status identifiers(struct event *ev) {
    ingest_status r = INGEST_OK;
    size_t i;
    for (i = 0; r == INGEST_OK && i < sizeof id_fields / sizeof *id_fields; i++) {
        r = add_identifier(ev, id_fields[i].kind, id_fields[i].path,
                           member(ev->root, id_fields[i].path));
    }
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Traits                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* Is a key of traits an identifier? Then set *kind. */
static int trait_identifier(const char *key, scv_kind *kind) {
    size_t i;
    for (i = 0; i < sizeof trait_ids / sizeof *trait_ids; i++) {
        if (strcmp(key, trait_ids[i].key) == 0) {
            *kind = trait_ids[i].kind;
            return 1;
        }
    }
    return 0;
}

/* traits.email and the like, labelled "where.key" in messages. */
static ingest_status trait_id(struct event *ev, const char *where, const char *key,
                              scv_kind kind, const json_t *v) {
    char label[64];
    snprintf(label, sizeof label, "%s.%s", where, key);
    return add_identifier(ev, kind, label, v);
}

/* A trait name name[0..len) + key that cannot be used (empty, or too long). */
static ingest_status bad_trait_name(struct event *ev, const char *where, const char *name,
                                    size_t len, const char *key) {
    ingest_shown a;
    ingest_shown b;
    ingest_message(ev->in, ev->line,
                   "warning: trait name '%s%s' in %s is empty or longer than %d bytes; ignored",
                   ingest_show(&a, name, len), ingest_show(&b, key, strlen(key)), where,
                   SCV_MAX_NAME_LEN);
    ingest_dropped(ev->in);
    return INGEST_OK;
}

static ingest_status flatten(struct event *ev, json_t *obj, const char *where, char *name,
                             size_t len, int ids);

/* One member of a traits object: name[0..len) is the prefix ("" at the top, "address." one
 * level down; the buffer holds SCV_MAX_NAME_LEN + 1 bytes). Identifiers are looked for only
 * when `ids` is set. Arrays and nulls are skipped. */
static ingest_status trait_member(struct event *ev, const char *where, char *name, size_t len,
                                  int ids, const char *key, json_t *v) {
    size_t klen = strlen(key);
    size_t n = len + klen;
    scv_kind kind;
    scalar t;
    if (ids && trait_identifier(key, &kind)) {
        return trait_id(ev, where, key, kind, v);
    }
    if (!json_is_object(v) && !scalar_text(v, &t)) {
        return INGEST_OK;
    }
    if (n == 0 || n + (json_is_object(v) ? 1 : 0) > SCV_MAX_NAME_LEN) {
        return bad_trait_name(ev, where, name, len, key);
    }
    memcpy(name + len, key, klen);
    if (json_is_object(v)) {
        name[n] = '.';
        return flatten(ev, v, where, name, n + 1, 0);
    }
    return ingest_trait(ev->in, ev->line, name, n, t.s, t.len);
}

/* Every member of obj, named with the prefix name[0..len). */
static ingest_status flatten(struct event *ev, json_t *obj, const char *where, char *name,
                             size_t len, int ids) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        ingest_status r = trait_member(ev, where, name, len, ids, key, v);
        if (r != INGEST_OK) {
            return r;
        }
    }
    return INGEST_OK;
}

/* The traits object at `where`, its names prefixed with `prefix`. */
static ingest_status add_traits(struct event *ev, const char *where, const char *prefix,
                                int ids) {
    char name[SCV_MAX_NAME_LEN + 1];
    json_t *obj = member(ev->root, where);
    size_t len = strlen(prefix);
    if (!object_or_warn(ev, obj, where)) {
        return INGEST_OK;
    }
    memcpy(name, prefix, len);
    return flatten(ev, obj, where, name, len, ids);
}

/* context.traits, then traits (so traits wins a name both give). A group call's traits
 * describe the group: they become group.NAME traits and hold no identifiers. */
static ingest_status traits(struct event *ev) {
    int group = strcmp(ev->type, "group") == 0;
    ingest_status r = add_traits(ev, "context.traits", "", 1);
    if (r == INGEST_OK) {
        r = add_traits(ev, "traits", group ? "group." : "", !group);
    }
    return r;
}

/* Set trait `name` from v when it is a string, number or boolean. */
static ingest_status copy_trait(struct event *ev, const char *name, const json_t *v) {
    scalar t;
    if (!scalar_text(v, &t)) {
        return INGEST_OK;
    }
    return ingest_trait(ev->in, ev->line, name, strlen(name), t.s, t.len);
}

/* What the event itself says: event_type, last_event (track), page (name, else
 * properties.path), screen (name), group_id, channel. Set last, so they win. */
static ingest_status event_traits(struct event *ev) {
    ingest_status r = copy_trait(ev, "event_type", json_object_get(ev->root, "type"));
    json_t *name = json_object_get(ev->root, "name");
    if (r == INGEST_OK && strcmp(ev->type, "track") == 0) {
        r = copy_trait(ev, "last_event", json_object_get(ev->root, "event"));
    }
    if (r == INGEST_OK && strcmp(ev->type, "page") == 0) {
        json_t *page = json_is_string(name) ? name : member(ev->root, "properties.path");
        r = copy_trait(ev, "page", page);
    }
    if (r == INGEST_OK && strcmp(ev->type, "screen") == 0) {
        r = copy_trait(ev, "screen", name);
    }
    if (r == INGEST_OK) {
        r = copy_trait(ev, "group_id", json_object_get(ev->root, "groupId"));
    }
    if (r == INGEST_OK) {
        r = copy_trait(ev, "channel", member(ev->root, "context.channel"));
    }
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Measures and consent                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* The measure a property key names (case ignored), or NULL. */
static const char *measure_name(const struct event *ev, const char *key) {
    size_t i;
    for (i = 0; i < sizeof builtin_measures / sizeof *builtin_measures; i++) {
        if (same_nocase(key, builtin_measures[i])) {
            return builtin_measures[i];
        }
    }
    for (i = 0; i < ev->nmeasures; i++) {
        if (same_nocase(key, ev->measures[i])) {
            return ev->measures[i];
        }
    }
    return NULL;
}

/* A number, or a string holding one (1); anything else (0). */
static int number_of(const json_t *v, double *out) {
    const char *s = json_string_value(v);
    char *end;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 1;
    }
    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    *out = strtod(s, &end);
    while (*end == ' ') {
        end++;
    }
    return end != s && *end == '\0' && isfinite(*out);
}

/* Measure `name` from property value v (null and "" add nothing). */
static ingest_status add_measure(struct event *ev, const char *name, const json_t *v) {
    double d;
    scalar tmp;
    ingest_shown shown;
    char what[SCV_MAX_NAME_LEN + 16];
    if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        return INGEST_OK;
    }
    if (!number_of(v, &d)) {
        snprintf(what, sizeof what, "measure %s", name);
        drop(ev, what, show_value(v, &tmp, &shown), "is not a number");
        return INGEST_OK;
    }
    return ingest_measure(ev->in, ev->line, name, strlen(name), d);
}

static ingest_status measures(struct event *ev) {
    json_t *props = json_object_get(ev->root, "properties");
    const char *key;
    json_t *v;
    if (!object_or_warn(ev, props, "properties")) {
        return INGEST_OK;
    }
    json_object_foreach(props, key, v) {
        const char *name = measure_name(ev, key);
        ingest_status r = name != NULL ? add_measure(ev, name, v) : INGEST_OK;
        if (r != INGEST_OK) {
            return r;
        }
    }
    return INGEST_OK;
}

/* One category of context.consent.categoryPreferences: true grants, false denies, null says
 * nothing; the channel is the category name lower-cased. */
static ingest_status add_consent(struct event *ev, const char *key, const json_t *v) {
    char channel[SCV_MAX_NAME_LEN];
    size_t len = strlen(key);
    size_t i;
    scalar tmp;
    ingest_shown shown;
    char what[SCV_MAX_NAME_LEN + 16];
    if (json_is_null(v)) {
        return INGEST_OK;
    }
    if (len == 0 || len > sizeof channel) {
        drop(ev, "consent category", ingest_show(&shown, key, len),
             "is empty or longer than 64 bytes");
        return INGEST_OK;
    }
    for (i = 0; i < len; i++) {
        channel[i] = lower(key[i]);
    }
    if (!json_is_boolean(v)) {
        snprintf(what, sizeof what, "consent %.*s", (int)len, channel);
        drop(ev, what, show_value(v, &tmp, &shown), "is neither true nor false");
        return INGEST_OK;
    }
    return ingest_consent(ev->in, ev->line, channel, len, json_is_true(v));
}

static ingest_status consents(struct event *ev) {
    static const char where[] = "context.consent.categoryPreferences";
    json_t *prefs = member(ev->root, where);
    const char *key;
    json_t *v;
    if (!object_or_warn(ev, prefs, where)) {
        return INGEST_OK;
    }
    json_object_foreach(prefs, key, v) {
        ingest_status r = add_consent(ev, key, v);
        if (r != INGEST_OK) {
            return r;
        }
    }
    return INGEST_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Lines                                                                                     */
/* ---------------------------------------------------------------------------------------- */

/* Build the event's record and upsert it. */
static ingest_status read_event(struct event *ev) {
    ingest_status r = begin(ev);
    if (r == INGEST_OK) r = check_type(ev);
    if (r == INGEST_OK) r = set_time(ev);
    if (r == INGEST_OK) r = identifiers(ev);
    if (r == INGEST_OK) r = traits(ev);
    if (r == INGEST_OK) r = measures(ev);
    if (r == INGEST_OK) r = consents(ev);
    if (r == INGEST_OK) r = event_traits(ev);
    return r == INGEST_OK ? ingest_commit(ev->in, ev->line) : r;
}

/* Report a line jansson could not parse. Its reason may quote the line: bytes that are not
 * printable ASCII are shown as '?'. */
static ingest_status bad_json(struct event *ev, const json_error_t *err) {
    static const char eof[] = "near end of file";
    char text[sizeof err->text];
    size_t i;
    char *at;
    for (i = 0; err->text[i] != '\0' && i + 1 < sizeof text; i++) {
        unsigned char c = (unsigned char)err->text[i];
        text[i] = c < 0x20 || c >= 0x7F ? '?' : (char)c;
    }
    text[i] = '\0';
#if JANSSON_VERSION_HEX >= 0x020d00
    if (json_error_code(err) == json_error_out_of_memory) {
        fputs("scv: out of memory\n", stderr);
        return INGEST_FATAL;
    }
#endif
    at = strstr(text, eof);
    if (at != NULL && at[sizeof eof - 1] == '\0') {
        strcpy(at, "at the end of the line");
    }
    ingest_message(ev->in, ev->line, "invalid JSON: %s (column %d)", text, err->column);
    return INGEST_BAD;
}

/* Parse one line and read its event. */
static ingest_status read_line(struct event *ev, const char *text, size_t len) {
    const char *nul = memchr(text, '\0', len);
    json_error_t err;
    json_t *root;
    ingest_status r;
    if (nul != NULL) { /* jansson would take it for the end of the input */
        ingest_message(ev->in, ev->line, "invalid JSON: a NUL byte (column %lu)",
                       (unsigned long)(nul - text) + 1);
        return INGEST_BAD;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        return bad_json(ev, &err);
    }
    if (!json_is_object(root)) {
        ingest_message(ev->in, ev->line, "not a JSON object");
        json_decref(root);
        return INGEST_BAD;
    }
    ev->root = root;
    r = read_event(ev);
    ev->root = NULL;
    json_decref(root);
    return r;
}

/* Is the line empty or white space only? */
static int blank(const char *text, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* The reader failed: out of memory ends the program, a read error the file. */
static segment_result reader_failed(struct event *ev, const line_reader *lines) {
    const char *why = line_reader_error(lines);
    if (strcmp(why, "out of memory") == 0) {
        fputs("scv: out of memory\n", stderr);
        return SEGMENT_FATAL;
    }
    fprintf(stderr, "scv: %s: %s\n", ingest_path(ev->in), why);
    return SEGMENT_STOPPED;
}

static segment_result read_lines(struct event *ev, line_reader *lines) {
    for (;;) {
        const char *text = NULL;
        size_t len = 0;
        ingest_status r;
        switch (line_next(lines, &text, &len, &ev->line)) {
        case LINE_EOF:
            return SEGMENT_DONE;
        case LINE_FATAL:
            return reader_failed(ev, lines);
        case LINE_TOO_LONG:
            ingest_message(ev->in, ev->line, "line longer than %lu bytes",
                           (unsigned long)LINES_DEFAULT_MAX);
            ingest_tally(ev->in, INGEST_BAD);
            break;
        case LINE_OK:
            if (ev->line == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
                text += 3;
                len -= 3;
            }
            if (blank(text, len)) {
                break;
            }
            r = read_line(ev, text, len);
            if (r == INGEST_FATAL) {
                return SEGMENT_FATAL;
            }
            ingest_tally(ev->in, r);
            break;
        }
    }
}

int segment_available(void) {
    return 1;
}

segment_result segment_read(ingest *in, FILE *fp, scv_source source,
                            const char *const *measures_given, size_t nmeasures) {
    line_reader *lines = line_reader_open(fp, 0, 0);
    struct event ev;
    segment_result result;
    if (lines == NULL) {
        fputs("scv: out of memory\n", stderr);
        return SEGMENT_FATAL;
    }
    memset(&ev, 0, sizeof ev);
    ev.in = in;
    ev.source = source;
    ev.measures = measures_given;
    ev.nmeasures = nmeasures;
    result = read_lines(&ev, lines);
    line_reader_close(lines);
    return result;
}

#else /* no jansson */

int segment_available(void) {
    return 0;
}

segment_result segment_read(ingest *in, FILE *fp, scv_source source,
                            const char *const *measures, size_t nmeasures) {
    (void)in;
    (void)fp;
    (void)source;
    (void)measures;
    (void)nmeasures;
    fputs("scv: --format segment is not available: this scv was built without jansson\n",
          stderr);
    return SEGMENT_FATAL;
}

#endif
