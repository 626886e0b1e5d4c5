/* status.c — version and status strings. */
#include "scv.h"

unsigned scv_version_number(void)
{
    return SCV_VERSION_NUMBER;
}

const char *scv_version_string(void)
{
    return SCV_VERSION_STRING;
}

const char *scv_status_str(scv_status status)
{
    switch (status) {
    case SCV_OK: return "SCV_OK: success";
    case SCV_EINVAL: return "SCV_EINVAL: invalid argument";
    case SCV_ENOMEM: return "SCV_ENOMEM: out of memory";
    case SCV_EUTF8: return "SCV_EUTF8: invalid UTF-8 or NUL byte";
    case SCV_ETOOLONG: return "SCV_ETOOLONG: value too long";
    case SCV_EREJECTED: return "SCV_EREJECTED: identifier rejected";
    case SCV_ENOTFOUND: return "SCV_ENOTFOUND: not found";
    case SCV_EEXISTS: return "SCV_EEXISTS: already exists";
    case SCV_ELIMIT: return "SCV_ELIMIT: capacity limit reached";
    case SCV_EBUFFER: return "SCV_EBUFFER: buffer too small";
    case SCV_ESTATE: return "SCV_ESTATE: invalid state for this call";
    case SCV_ESYNTAX: return "SCV_ESYNTAX: query syntax error";
    case SCV_EEXPIRED: return "SCV_EEXPIRED: change history no longer held";
    case SCV_ECORRUPT: return "SCV_ECORRUPT: corrupt or truncated snapshot";
    case SCV_EVERSION: return "SCV_EVERSION: unsupported snapshot version";
    case SCV_ECANCELED: return "SCV_ECANCELED: stopped by the progress callback";
    }
    return "unknown status";
}
