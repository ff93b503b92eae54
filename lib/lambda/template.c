/*
 * template.c - the payload template of a job's "body" header: the subset
 * of Mustache that zeebe-lambda-worker's templates use.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 *  - {{name}} is replaced by the value, HTML-escaped as mustache.java's
 *    HtmlEscaper does: & < > " ' ` = become &amp; &lt; &gt; &quot; &#39;
 *    &#96; &#61;;
 *  - {{{name}}} and {{&name}} are replaced raw;
 *  - a dotted name (a.b.c) reads into objects; a name that is missing (or
 *    null) renders empty;
 *  - a string renders as its text, any other value (number, boolean,
 *    object, array) as compact JSON;
 *  - {{! comment}} renders empty; sections, partials and delimiter
 *    changes are not supported (their tags render empty);
 *  - spaces inside a tag are ignored; a "{{" without its closing braces
 *    is copied as is.
 * The names variablesJson (the variables as compact JSON) and
 * variablesJsonEscaped (that text escaped for the inside of a JSON
 * string) are added to the variables, replacing variables of those names.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lambda_int.h"

typedef lambda_buf buf;

void lambda_buf_put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static char *finish(buf *b)
{
    if (!b->oom && !b->p)
        lambda_buf_put(b, "", 0);
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

char *lambda_html_escape(const char *text)
{
    buf b = {0};
    for (const char *s = text; *s; s++) {
        const char *r = NULL;
        switch (*s) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&quot;"; break;
        case '\'': r = "&#39;"; break;
        case '`': r = "&#96;"; break;
        case '=': r = "&#61;"; break;
        default: break;
        }
        if (r)
            lambda_buf_put(&b, r, strlen(r));
        else
            lambda_buf_put(&b, s, 1);
    }
    return finish(&b);
}

char *lambda_json_escape(const char *text)
{
    /* jansson's own string encoding, without the surrounding quotes. */
    json_t *s = json_string(text);
    if (!s)
        return NULL;
    char *enc = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    if (!enc)
        return NULL;
    size_t n = strlen(enc);
    memmove(enc, enc + 1, n - 2);
    enc[n - 2] = '\0';
    return enc;
}

/* The value of a dotted name, or NULL. */
static json_t *lookup(json_t *vars, const char *name, size_t n)
{
    json_t *cur = vars;
    size_t i = 0;
    while (cur && i <= n) {
        size_t j = i;
        while (j < n && name[j] != '.')
            j++;
        if (!json_is_object(cur))
            return NULL;
        cur = json_object_getn(cur, name + i, j - i);
        i = j + 1;
    }
    return cur;
}

static void put_value(buf *b, json_t *v, int raw)
{
    if (!v || json_is_null(v))
        return;
    char *text;
    if (json_is_string(v))
        text = strdup(json_string_value(v));
    else
        text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) {
        b->oom = 1;
        return;
    }
    if (!raw) {
        char *esc = lambda_html_escape(text);
        free(text);
        if (!esc) {
            b->oom = 1;
            return;
        }
        text = esc;
    }
    lambda_buf_put(b, text, strlen(text));
    free(text);
}

static void render(buf *b, const char *tmpl, json_t *vars)
{
    const char *s = tmpl;
    for (;;) {
        const char *open = strstr(s, "{{");
        if (!open) {
            lambda_buf_put(b, s, strlen(s));
            return;
        }
        lambda_buf_put(b, s, (size_t)(open - s));
        int triple = open[2] == '{';
        const char *name = open + (triple ? 3 : 2);
        const char *close = strstr(name, triple ? "}}}" : "}}");
        if (!close) {
            lambda_buf_put(b, open, strlen(open));
            return;
        }
        int raw = triple;
        while (name < close && isspace((unsigned char)*name))
            name++;
        char sigil = name < close ? *name : '\0';
        if (!triple && sigil == '&') {
            raw = 1;
            name++;
        } else if (!triple && strchr("!#^/>=", sigil) && sigil) {
            s = close + 2; /* comments and unsupported tags: empty */
            continue;
        }
        while (name < close && isspace((unsigned char)*name))
            name++;
        const char *end = close;
        while (end > name && isspace((unsigned char)end[-1]))
            end--;
        if (end > name)
            put_value(b, lookup(vars, name, (size_t)(end - name)), raw);
        s = close + (triple ? 3 : 2);
    }
}

char *lambda_template_render(const char *tmpl, json_t *vars)
{
    json_t *ctx = json_is_object(vars) ? json_copy(vars) : json_object();
    if (!ctx)
        return NULL;
    char *vj = json_dumps(json_is_object(vars) ? vars : ctx, JSON_COMPACT);
    char *vje = vj ? lambda_json_escape(vj) : NULL;
    if (!vje || json_object_set_new(ctx, "variablesJson", json_string(vj)) ||
        json_object_set_new(ctx, "variablesJsonEscaped", json_string(vje))) {
        free(vj);
        free(vje);
        json_decref(ctx);
        return NULL;
    }
    free(vj);
    free(vje);
    buf b = {0};
    render(&b, tmpl, ctx);
    json_decref(ctx);
    return finish(&b);
}
