/* JSON text crossing the API: parsed with caps, serialised compactly. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/mem.h"

/* JSON text is read by this parser, not by json_loadb(): jansson's loader
 * neither tells out-of-memory from bad text nor notices when its own
 * buffer growth fails (a token is then silently cut short). Here every
 * allocation failure is BATON_ENOMEM and the values are built with
 * jansson's constructors. */
typedef struct jparse {
    const char *start, *p, *end;
    int depth, max_depth;
    int code; /* BATON_EPARSE, BATON_ELIMIT or BATON_ENOMEM once failed */
    const char *why;
    const char *at;
    char *buf; /* decoded strings: `local`, or the heap when longer */
    size_t cap;
    const bt_alloc *a;
    char local[256];
} jparse;

static json_t *jfail(jparse *c, int code, const char *why)
{
    if (!c->code) {
        c->code = code;
        c->why = why;
        c->at = c->p;
    }
    return NULL;
}

static void jws(jparse *c)
{
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/* Length of the valid UTF-8 sequence at p, 0 when invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned v = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

static int put_byte(jparse *c, size_t *n, unsigned char b)
{
    if (*n == c->cap) {
        /* Most strings fit the local buffer; longer ones move to the heap. */
        size_t cap = c->cap * 2;
        char *p = c->buf == c->local ? bt_malloc(c->a, cap)
                                     : bt_realloc(c->a, c->buf, cap);
        if (!p)
            return 0;
        if (c->buf == c->local)
            memcpy(p, c->local, c->cap);
        c->buf = p;
        c->cap = cap;
    }
    c->buf[(*n)++] = (char)b;
    return 1;
}

static int put_cp(jparse *c, size_t *n, unsigned v)
{
    unsigned char b[4];
    size_t k;
    if (v < 0x80)
        b[0] = (unsigned char)v, k = 1;
    else if (v < 0x800)
        b[0] = (unsigned char)(0xc0 | v >> 6),
        b[1] = (unsigned char)(0x80 | (v & 0x3f)), k = 2;
    else if (v < 0x10000)
        b[0] = (unsigned char)(0xe0 | v >> 12),
        b[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3f)),
        b[2] = (unsigned char)(0x80 | (v & 0x3f)), k = 3;
    else
        b[0] = (unsigned char)(0xf0 | v >> 18),
        b[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3f)),
        b[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3f)),
        b[3] = (unsigned char)(0x80 | (v & 0x3f)), k = 4;
    for (size_t i = 0; i < k; i++)
        if (!put_byte(c, n, b[i]))
            return 0;
    return 1;
}

/* Decodes the string at c->p (on its quote) into c->buf; returns its
 * length or -1. */
static long jstring(jparse *c)
{
    size_t n = 0;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            return (long)n;
        }
        if (ch < 0x20) {
            jfail(c, BATON_EPARSE, "control character in a string");
            return -1;
        }
        if (ch != '\\') {
            size_t k = utf8_len((const unsigned char *)c->p,
                                (const unsigned char *)c->end);
            if (!k) {
                jfail(c, BATON_EPARSE, "invalid UTF-8");
                return -1;
            }
            for (size_t i = 0; i < k; i++)
                if (!put_byte(c, &n, (unsigned char)*c->p++)) {
                    jfail(c, BATON_ENOMEM, "out of memory");
                    return -1;
                }
            continue;
        }
        if (c->end - c->p < 2) {
            jfail(c, BATON_EPARSE, "unterminated string");
            return -1;
        }
        char e = c->p[1];
        unsigned v;
        const char *map = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e);
        if (e && map && (map - "\"\"\\\\//b\bf\fn\nr\rt\t") % 2 == 0) {
            v = (unsigned char)map[1];
            c->p += 2;
        } else if (e == 'u' && c->end - c->p >= 6 && hex4(c->p + 2, &v)) {
            c->p += 6;
            if (v >= 0xd800 && v <= 0xdbff) {
                unsigned lo;
                if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
                    !hex4(c->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                    jfail(c, BATON_EPARSE, "invalid surrogate pair");
                    return -1;
                }
                c->p += 6;
                v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
            } else if (v >= 0xdc00 && v <= 0xdfff) {
                jfail(c, BATON_EPARSE, "invalid surrogate pair");
                return -1;
            }
        } else {
            jfail(c, BATON_EPARSE, "invalid escape");
            return -1;
        }
        if (!put_cp(c, &n, v)) {
            jfail(c, BATON_ENOMEM, "out of memory");
            return -1;
        }
    }
    jfail(c, BATON_EPARSE, "unterminated string");
    return -1;
}

static json_t *jnumber(jparse *c)
{
    const char *s = c->p;
    int real = 0;
    if (c->p < c->end && *c->p == '-')
        c->p++;
    const char *d = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    if (c->p == d || (*d == '0' && c->p - d > 1))
        return jfail(c, BATON_EPARSE, "invalid number");
    if (c->p < c->end && *c->p == '.') {
        real = 1;
        d = ++c->p;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        if (c->p == d)
            return jfail(c, BATON_EPARSE, "invalid number");
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        real = 1;
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        d = c->p;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        if (c->p == d)
            return jfail(c, BATON_EPARSE, "invalid number");
    }
    char tmp[64];
    size_t n = (size_t)(c->p - s);
    if (n >= sizeof tmp)
        return jfail(c, BATON_EPARSE, "number too long");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (!real) {
        /* Integers that fit int64 stay integers, as jansson keeps them. */
        int neg = tmp[0] == '-';
        uint64_t v = 0;
        int over = 0;
        for (const char *q = tmp + neg; *q; q++) {
            if (v > (UINT64_MAX - (uint64_t)(*q - '0')) / 10)
                over = 1;
            v = v * 10 + (uint64_t)(*q - '0');
        }
        if (!over && v <= (uint64_t)INT64_MAX + (uint64_t)neg) {
            json_t *r = json_integer(neg ? (json_int_t)(0 - v) : (json_int_t)v);
            return r ? r : jfail(c, BATON_ENOMEM, "out of memory");
        }
    }
    /* strtod follows the locale's decimal point; JSON's is '.'. */
    char *dot = strchr(tmp, '.');
    if (dot)
        *dot = *localeconv()->decimal_point;
    double v = strtod(tmp, NULL);
    if (isinf(v) || isnan(v))
        return jfail(c, BATON_EPARSE, "number out of range");
    json_t *r = json_real(v);
    return r ? r : jfail(c, BATON_ENOMEM, "out of memory");
}

static json_t *jvalue(jparse *c);

static json_t *jobject(jparse *c)
{
    json_t *o = json_object();
    if (!o)
        return jfail(c, BATON_ENOMEM, "out of memory");
    c->p++;
    jws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return o;
    }
    for (;;) {
        jws(c);
        if (c->p >= c->end || *c->p != '"')
            break;
        long kl = jstring(c);
        if (kl < 0)
            break;
        if (json_object_getn(o, c->buf, (size_t)kl)) {
            c->p -= 1;
            jfail(c, BATON_EPARSE, "duplicate object key");
            break;
        }
        /* The key is copied out of c->buf, which the value reuses. */
        char kbuf[128];
        char *key = (size_t)kl < sizeof kbuf
                        ? memcpy(kbuf, c->buf, (size_t)kl)
                        : bt_strndup(c->a, c->buf, (size_t)kl);
        if (!key) {
            jfail(c, BATON_ENOMEM, "out of memory");
            break;
        }
        jws(c);
        if (c->p >= c->end || *c->p != ':') {
            if (key != kbuf)
                bt_free(c->a, key);
            jfail(c, BATON_EPARSE, "':' expected");
            break;
        }
        c->p++;
        json_t *v = jvalue(c);
        int bad = !v || json_object_setn_new_nocheck(o, key, (size_t)kl, v);
        if (key != kbuf)
            bt_free(c->a, key);
        if (bad) {
            if (v)
                jfail(c, BATON_ENOMEM, "out of memory");
            break;
        }
        jws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return o;
        }
        jfail(c, BATON_EPARSE, "',' or '}' expected");
        break;
    }
    jfail(c, BATON_EPARSE, "string or '}' expected");
    json_decref(o);
    return NULL;
}

static json_t *jarray(jparse *c)
{
    json_t *a = json_array();
    if (!a)
        return jfail(c, BATON_ENOMEM, "out of memory");
    c->p++;
    jws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return a;
    }
    for (;;) {
        json_t *v = jvalue(c);
        if (!v)
            break;
        if (json_array_append_new(a, v)) {
            jfail(c, BATON_ENOMEM, "out of memory");
            break;
        }
        jws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return a;
        }
        jfail(c, BATON_EPARSE, "',' or ']' expected");
        break;
    }
    json_decref(a);
    return NULL;
}

static json_t *jlit(jparse *c, const char *lit, json_t *v)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return jfail(c, BATON_EPARSE, "invalid token");
    c->p += n;
    return v;
}

static json_t *jvalue(jparse *c)
{
    jws(c);
    if (c->p >= c->end)
        return jfail(c, BATON_EPARSE, "unexpected end of text");
    if (c->depth >= c->max_depth)
        return jfail(c, BATON_ELIMIT, "nesting too deep");
    json_t *v;
    c->depth++;
    switch (*c->p) {
    case '{': v = jobject(c); break;
    case '[': v = jarray(c); break;
    case '"': {
        long n = jstring(c);
        v = n < 0 ? NULL
                  : json_stringn_nocheck(c->buf, (size_t)n);
        if (n >= 0 && !v)
            jfail(c, BATON_ENOMEM, "out of memory");
        break;
    }
    case 't': v = jlit(c, "true", json_true()); break;
    case 'f': v = jlit(c, "false", json_false()); break;
    case 'n': v = jlit(c, "null", json_null()); break;
    default:
        if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
            v = jnumber(c);
        else
            v = jfail(c, BATON_EPARSE, "invalid token");
    }
    c->depth--;
    return v;
}

int bt_json_load(const bt_alloc *a, const char *text, size_t len,
                 int max_depth, json_t **out, bt_json_error *err)
{
    jparse c = { .start = text, .p = text, .end = text + len,
                 .max_depth = max_depth, .a = a };
    c.buf = c.local;
    c.cap = sizeof c.local;
    json_t *v = jvalue(&c);
    if (v) {
        jws(&c);
        if (c.p != c.end) {
            jfail(&c, BATON_EPARSE, "end of text expected");
            json_decref(v);
            v = NULL;
        }
    }
    if (c.buf != c.local)
        bt_free(a, c.buf);
    *out = v;
    if (v)
        return 0;
    err->line = 1;
    err->column = 1;
    for (const char *p = text; p < c.at; p++) {
        if (*p == '\n') {
            err->line++;
            err->column = 1;
        } else if (((unsigned char)*p & 0xc0) != 0x80) {
            err->column++;
        }
    }
    err->message = c.why;
    return c.code;
}

typedef struct dumpbuf {
    const bt_alloc *a;
    char *data;
    size_t len, cap;
    int failed;
} dumpbuf;

static int dump_cb(const char *buf, size_t size, void *ud)
{
    dumpbuf *d = ud;
    if (bt_grow(d->a, (void **)&d->data, &d->cap, d->len + size, 1)) {
        d->failed = 1;
        return -1;
    }
    memcpy(d->data + d->len, buf, size);
    d->len += size;
    return 0;
}

int bt_json_dump(const bt_alloc *a, const json_t *v, char **out, size_t *len)
{
    dumpbuf d = { a, NULL, 0, 0, 0 };
    int rc = json_dump_callback(v, dump_cb, &d,
                                JSON_COMPACT | JSON_ENCODE_ANY);
    char *res = NULL;
    /* jansson does not stop for every callback failure (an object key's,
     * in 2.14): the buffer's own flag is the truth. */
    if (rc == 0 && !d.failed)
        res = bt_out_buffer(a, d.data ? d.data : "", d.len);
    bt_free(a, d.data);
    if (!res)
        return BATON_ENOMEM;
    *out = res;
    if (len)
        *len = d.len;
    return 0;
}

json_t *bt_json_object_copy(const json_t *obj)
{
    /* Not json_copy(): jansson 2.14 drops a member whose insertion fails
     * and still returns the copy. */
    json_t *copy = json_object();
    const char *k;
    json_t *v;
    if (!copy)
        return NULL;
    json_object_foreach((json_t *)obj, k, v) {
        if (json_object_set(copy, k, v)) {
            json_decref(copy);
            return NULL;
        }
    }
    return copy;
}
