/* Status codes, the engine's last error, and the log hook. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

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
    default: return "unknown error";
    }
}

const char *baton_version(void) { return BATON_VERSION_STRING; }
int baton_version_number(void) { return BATON_VERSION_NUMBER; }

void bt_clear_error(baton_engine *e)
{
    e->err_code = 0;
    e->err_line = 0;
    e->err_column = 0;
    e->err_msg[0] = '\0';
    e->err_element[0] = '\0';
    e->err_source[0] = '\0';
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int bt_error(baton_engine *e, int code, const char *source, int line,
             int column, const char *element, const char *fmt, ...)
{
    e->err_code = code;
    e->err_line = line;
    e->err_column = column;
    copy_str(e->err_source, sizeof e->err_source, source);
    copy_str(e->err_element, sizeof e->err_element, element);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err_msg, sizeof e->err_msg, fmt, ap);
    va_end(ap);
    return code;
}

void bt_log(baton_engine *e, int level, const char *fmt, ...)
{
    if (!e->log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    e->log(e->log_ud, level, buf);
}

const char *baton_engine_errmsg(const baton_engine *e)
{
    return e ? e->err_msg : "no engine";
}
int baton_engine_errcode(const baton_engine *e) { return e ? e->err_code : BATON_EINVAL; }
int baton_engine_errline(const baton_engine *e) { return e ? e->err_line : 0; }
int baton_engine_errcolumn(const baton_engine *e) { return e ? e->err_column : 0; }
const char *baton_engine_errelement(const baton_engine *e)
{
    return e ? e->err_element : "";
}
const char *baton_engine_errsource(const baton_engine *e)
{
    return e ? e->err_source : "";
}
