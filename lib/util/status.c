/* Status codes and the library's version: constant tables. */

#include "baton.h"

const char *baton_strerror(int code)
{
    switch (code) {
    case BATON_OK: return "success";
    case BATON_ENOMEM: return "out of memory";
    case BATON_EINVAL: return "invalid argument";
    case BATON_EPARSE: return "malformed input";
    case BATON_EUNSUPPORTED: return "unsupported BPMN construct";
    case BATON_EMODEL: return "invalid model";
    case BATON_ENOTFOUND: return "not found";
    case BATON_ESTATE: return "not allowed in the current state";
    case BATON_ELIMIT: return "limit exceeded";
    case BATON_EIO: return "input/output error";
    case BATON_ESNAPSHOT: return "invalid snapshot";
    case BATON_EEXPR: return "malformed expression";
    case BATON_EBUDGET: return "step budget used up";
    case BATON_EMIGRATE: return "the migration plan cannot move the instance";
    default: return "unknown error";
    }
}

const char *baton_version(void) { return BATON_VERSION_STRING; }
int baton_version_number(void) { return BATON_VERSION_NUMBER; }

