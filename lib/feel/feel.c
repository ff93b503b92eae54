/* Expressions: a tokenizer and a recursive-descent parser that build an
 * immutable tree in the caller's arena, and an evaluator over jansson
 * values. See feel.h for the language subset and its semantics.
 *
 * Evaluation works on `val`, a small tagged value that can point into a
 * variable's JSON or a literal in the tree, so paths, comparisons and
 * logic allocate nothing; only the final result (and string
 * concatenation) turns into a new jansson value. */
#include "feel/feel.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

#ifdef __GNUC__
#define BT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BT_PRINTF(f, a)
#endif

/* The exact int/real comparisons below rely on a 64-bit integer type. */
_Static_assert(sizeof(json_int_t) == 8, "json_int_t must be 64 bits");

/* These keep hostile input from exhausting the stack. The parser recurses
 * about ten frames per level of parentheses or unary operators, so their
 * nesting is capped; the evaluator recurses once per level of the tree,
 * which can be several times as deep, so its height is capped too. */
#define MAX_DEPTH 64
#define MAX_HEIGHT 128
#define MAX_TEXT 65536u

/* ------------------------------------------------------------------ */
/* Tokens                                                              */
/* ------------------------------------------------------------------ */

typedef struct token {
    int kind;
    size_t pos, end; /* byte span in the text */
    json_int_t i;
    double d;
    const char *s; /* decoded string literal, in the arena */
    size_t n;
} token;

typedef struct parser {
    bt_arena *ar;
    const char *text;
    size_t len, pos;
    int juel;
    int depth;
    int status;
    bt_expr_error *err;
    size_t last_name; /* position of the last path member, for messages */
    token tok;
    char desc[48];
} parser;

static int column_of(const char *text, size_t pos)
{
    int col = 1;
    for (size_t i = 0; i < pos; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            col++;
    return col;
}

BT_PRINTF(3, 4)
static void *fail(parser *p, size_t at, const char *fmt, ...)
{
    if (p->status)
        return NULL;
    p->status = BATON_EEXPR;
    if (p->err) {
        va_list ap;
        p->err->column = column_of(p->text, at);
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

static void *nomem(parser *p)
{
    if (!p->status) {
        p->status = BATON_ENOMEM;
        if (p->err) {
            p->err->column = 0;
            snprintf(p->err->message, sizeof p->err->message, "out of memory");
        }
    }
    return NULL;
}

/* Length of the valid UTF-8 sequence at `s`, or 0 (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, cp = c & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return k;
}

static int utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

static size_t utf8_put(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ASCII only: <ctype.h> depends on the host's locale. */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '$';
}
static int is_ident(int c) { return is_alpha(c) || is_digit(c); }

static int hexval(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The token as the user wrote it, quoted and shortened, for messages. */
static const char *describe(parser *p)
{
    const token *t = &p->tok;
    if (t->kind == T_EOF)
        return "end of expression";
    size_t n = t->end - t->pos, max = 24, o = 0;
    int more = n > max;
    if (more) {
        n = max;
        while (n && ((unsigned char)p->text[t->pos + n] & 0xC0) == 0x80)
            n--;
    }
    p->desc[o++] = '\'';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p->text[t->pos + i];
        p->desc[o++] = c < 0x20 ? ' ' : (char)c;
    }
    if (more) {
        memcpy(p->desc + o, "...", 3);
        o += 3;
    }
    p->desc[o++] = '\'';
    p->desc[o] = '\0';
    return p->desc;
}

static void *expected(parser *p, const char *what)
{
    return fail(p, p->tok.pos, "expected %s but found %s", what, describe(p));
}

static void *unsupported(parser *p, size_t at, const char *what)
{
    return fail(p, at, "unsupported %s construct: %s",
                p->juel ? "JUEL" : "FEEL", what);
}

struct keyword {
    const char *word;
    int kind;         /* -1: a construct Baton does not support */
    const char *what; /* its name, for the message */
};

static const struct keyword feel_words[] = {
    {"true", T_TRUE, NULL}, {"false", T_FALSE, NULL}, {"null", T_NULL, NULL},
    {"and", T_AND, NULL}, {"or", T_OR, NULL},
    {"if", -1, "if-then-else"}, {"then", -1, "if-then-else"},
    {"else", -1, "if-then-else"}, {"for", -1, "for-return"},
    {"return", -1, "for-return"}, {"some", -1, "some-satisfies"},
    {"every", -1, "every-satisfies"}, {"satisfies", -1, "quantified expression"},
    {"function", -1, "function definition"}, {"in", -1, "in"},
    {"between", -1, "between"}, {"instance", -1, "instance of"},
    {NULL, 0, NULL}};

static const struct keyword juel_words[] = {
    {"true", T_TRUE, NULL}, {"false", T_FALSE, NULL}, {"null", T_NULL, NULL},
    {"and", T_AND, NULL}, {"or", T_OR, NULL}, {"not", T_NOT, NULL},
    {"eq", T_EQ, NULL}, {"ne", T_NE, NULL}, {"lt", T_LT, NULL},
    {"gt", T_GT, NULL}, {"le", T_LE, NULL}, {"ge", T_GE, NULL},
    {"div", T_SLASH, NULL}, {"mod", -1, "modulo"}, {"empty", -1, "empty"},
    {"instanceof", -1, "instanceof"},
    {NULL, 0, NULL}};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int skip_space(parser *p)
{
    const char *s = p->text;
    while (p->pos < p->len) {
        char c = s[p->pos];
        if (is_blank(c)) {
            p->pos++;
        } else if (!p->juel && c == '/' && p->pos + 1 < p->len &&
                   s[p->pos + 1] == '/') {
            while (p->pos < p->len && s[p->pos] != '\n')
                p->pos++;
        } else if (!p->juel && c == '/' && p->pos + 1 < p->len &&
                   s[p->pos + 1] == '*') {
            size_t start = p->pos;
            p->pos += 2;
            while (p->pos + 1 < p->len &&
                   !(s[p->pos] == '*' && s[p->pos + 1] == '/'))
                p->pos++;
            if (p->pos + 1 >= p->len) {
                fail(p, start, "unterminated comment");
                return -1;
            }
            p->pos += 2;
        } else {
            break;
        }
    }
    return 0;
}

/* The four hex digits of a \u escape that starts at `at`. */
static int hex4(parser *p, size_t at, size_t end, unsigned *v)
{
    *v = 0;
    for (size_t k = at + 2; k < at + 6; k++) {
        int h = k < end ? hexval((unsigned char)p->text[k]) : -1;
        if (h < 0) {
            fail(p, at, "invalid \\u escape in string");
            return -1;
        }
        *v = *v << 4 | (unsigned)h;
    }
    return 0;
}

static int lex_escape(parser *p, size_t *i, size_t end, char *buf, size_t *n)
{
    const char *s = p->text;
    size_t at = *i;
    char c = s[at + 1];
    if (c == '\\' || c == '"' || c == '\'') {
        buf[(*n)++] = c;
        *i += 2;
        return 0;
    }
    if (!p->juel && (c == 'n' || c == 't' || c == 'r')) {
        buf[(*n)++] = c == 'n' ? '\n' : c == 't' ? '\t' : '\r';
        *i += 2;
        return 0;
    }
    if (p->juel || c != 'u') {
        if (c > ' ' && c < 0x7f)
            fail(p, at, "invalid escape '\\%c' in string", c);
        else
            fail(p, at, "invalid escape in string");
        return -1;
    }
    /* UTF-16 as in JSON: a character past U+FFFF is a surrogate pair, and
     * half a pair cannot become valid UTF-8. */
    unsigned cp, lo;
    if (hex4(p, at, end, &cp))
        return -1;
    *i = at + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && *i + 1 < end && s[*i] == '\\' &&
        s[*i + 1] == 'u') {
        if (hex4(p, *i, end, &lo))
            return -1;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            *i += 6;
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        fail(p, at, "unpaired surrogate in \\u escape");
        return -1;
    }
    *n += utf8_put(buf + *n, cp);
    return 0;
}

static int lex_string(parser *p, size_t start)
{
    const char *s = p->text;
    char q = s[start];
    size_t i = start + 1;
    while (i < p->len && s[i] != q)
        i += s[i] == '\\' ? 2 : 1;
    if (i >= p->len) {
        fail(p, start, "unterminated string");
        return -1;
    }
    size_t end = i, n = 0;
    /* Decoding never grows the text, so the raw length is enough. */
    char *buf = bt_arena_alloc(p->ar, end - start);
    if (!buf) {
        nomem(p);
        return -1;
    }
    for (i = start + 1; i < end;) {
        if (s[i] == '\\') {
            if (lex_escape(p, &i, end, buf, &n))
                return -1;
            continue;
        }
        size_t k = utf8_seq((const unsigned char *)s + i, end - i);
        if (!k) {
            fail(p, i, "invalid UTF-8 in string");
            return -1;
        }
        memcpy(buf + n, s + i, k);
        n += k;
        i += k;
    }
    buf[n] = '\0';
    p->tok.kind = T_STR;
    p->tok.s = buf;
    p->tok.n = n;
    p->tok.end = end + 1;
    return 0;
}

/* strtod reads the decimal point of the current locale, which the host
 * may have changed; a literal always has '.', so it is rewritten. */
static int parse_real(parser *p, size_t start, size_t end, double *out)
{
    const char *dp = localeconv()->decimal_point;
    if (!dp || !*dp)
        dp = ".";
    size_t dpn = strlen(dp), n = end - start, o = 0;
    char small[64];
    char *buf = small;
    if (n + dpn + 1 > sizeof small) {
        buf = bt_arena_alloc(p->ar, n + dpn + 1);
        if (!buf) {
            nomem(p);
            return -1;
        }
    }
    for (size_t i = start; i < end; i++) {
        if (p->text[i] == '.') {
            memcpy(buf + o, dp, dpn);
            o += dpn;
        } else {
            buf[o++] = p->text[i];
        }
    }
    buf[o] = '\0';
    *out = strtod(buf, NULL);
    if (!isfinite(*out)) {
        fail(p, start, "number out of range");
        return -1;
    }
    return 0;
}

static int lex_number(parser *p, size_t start)
{
    const char *s = p->text;
    size_t i = start;
    int real = 0;
    while (i < p->len && is_digit(s[i]))
        i++;
    if (i + 1 < p->len && s[i] == '.' && is_digit(s[i + 1])) {
        real = 1;
        for (i++; i < p->len && is_digit(s[i]); i++)
            ;
    }
    if (p->juel && i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < p->len && is_digit(s[j])) {
            real = 1;
            for (i = j; i < p->len && is_digit(s[i]); i++)
                ;
        }
    }
    if (i < p->len && is_ident(s[i])) {
        size_t e = i;
        while (e < p->len && is_ident(s[e]))
            e++;
        fail(p, start, "invalid number '%.*s'", (int)(e - start), s + start);
        return -1;
    }
    p->tok.end = i;
    if (!real) {
        json_int_t v = 0;
        size_t k;
        for (k = start; k < i; k++)
            if (__builtin_mul_overflow(v, 10, &v) ||
                __builtin_add_overflow(v, s[k] - '0', &v))
                break;
        if (k == i) {
            p->tok.kind = T_INT;
            p->tok.i = v;
            return 0;
        }
    }
    p->tok.kind = T_REAL;
    return parse_real(p, start, i, &p->tok.d);
}

static int lex_word(parser *p, size_t start)
{
    size_t i = start;
    while (i < p->len && is_ident(p->text[i]))
        i++;
    size_t n = i - start;
    const struct keyword *kw = p->juel ? juel_words : feel_words;
    p->tok.kind = T_NAME;
    p->tok.end = i;
    for (; kw->word; kw++) {
        if (strlen(kw->word) == n && !memcmp(kw->word, p->text + start, n)) {
            if (kw->kind < 0) {
                unsupported(p, start, kw->what);
                return -1;
            }
            p->tok.kind = kw->kind;
            break;
        }
    }
    return 0;
}

static int bad_char(parser *p, size_t i)
{
    const unsigned char *s = (const unsigned char *)p->text;
    size_t k = utf8_seq(s + i, p->len - i);
    if (s[i] > ' ' && s[i] < 0x7f)
        fail(p, i, "unexpected character '%c'", s[i]);
    else if (k > 1)
        fail(p, i, "unexpected character '%.*s'", (int)k, (const char *)s + i);
    else
        fail(p, i, "unexpected byte 0x%02X", s[i]);
    return -1;
}

/* Punctuation both dialects spell alike. Returns the token kind, or 0. */
static int punct_common(parser *p, size_t i, size_t *w)
{
    char c = p->text[i], d = i + 1 < p->len ? p->text[i + 1] : '\0';
    switch (c) {
    case '(': return T_LP;
    case ')': return T_RP;
    case ',': return T_COMMA;
    case '+': return T_PLUS;
    case '-': return T_MINUS;
    case '*': return T_STAR;
    case '/': return T_SLASH;
    case '.': return T_DOT;
    case '<': return d == '=' ? (*w = 2, T_LE) : T_LT;
    case '>': return d == '=' ? (*w = 2, T_GE) : T_GT;
    case '!': return d == '=' ? (*w = 2, T_NE) : 0;
    }
    return 0;
}

/* FEEL's own spellings, and a pointed message for the JUEL habits a
 * Camunda 7 user brings along. Returns a kind, 0 (not decided) or -1. */
static int punct_feel(parser *p, size_t i, size_t *w)
{
    char c = p->text[i], d = i + 1 < p->len ? p->text[i + 1] : '\0';
    switch (c) {
    case '=':
        if (d == '=')
            return fail(p, i, "'==' is not FEEL; use '='"), -1;
        return T_EQ;
    case '!':
        if (d != '=')
            return fail(p, i, "'!' is not FEEL; use not(...)"), -1;
        break;
    case '&':
        if (d == '&')
            return fail(p, i, "'&&' is not FEEL; use 'and'"), -1;
        break;
    case '|':
        if (d == '|')
            return fail(p, i, "'||' is not FEEL; use 'or'"), -1;
        break;
    case '\'': return fail(p, i, "FEEL strings use \"...\", not '...'"), -1;
    case '*':
        if (d == '*')
            return unsupported(p, i, "exponentiation"), -1;
        break;
    case '.':
        if (d == '.')
            return unsupported(p, i, "range"), -1;
        break;
    case '[': return unsupported(p, i, "list or filter"), -1;
    case '{': return unsupported(p, i, "context"), -1;
    case '@': return unsupported(p, i, "temporal literal"), -1;
    case '`': return unsupported(p, i, "backtick name"), -1;
    }
    (void)w;
    return 0;
}

static int punct_juel(parser *p, size_t i, size_t *w)
{
    char c = p->text[i], d = i + 1 < p->len ? p->text[i + 1] : '\0';
    switch (c) {
    case '}': return T_END;
    case '=':
        if (d == '=')
            return *w = 2, T_EQ;
        return unsupported(p, i, "assignment"), -1;
    case '!':
        if (d != '=')
            return T_NOT;
        break;
    case '&':
        if (d == '&')
            return *w = 2, T_AND;
        break;
    case '|':
        if (d == '|')
            return *w = 2, T_OR;
        break;
    case '-':
        if (d == '>')
            return unsupported(p, i, "lambda"), -1;
        break;
    case '+':
        if (d == '=')
            return unsupported(p, i, "string concatenation '+='"), -1;
        break;
    case '?': return unsupported(p, i, "ternary"), -1;
    case '[': return unsupported(p, i, "brackets"), -1;
    case '%': return unsupported(p, i, "modulo"), -1;
    case ';': return unsupported(p, i, "semicolon"), -1;
    case '{': return unsupported(p, i, "set or map literal"), -1;
    }
    return 0;
}

/* Reads the next token into p->tok; -1 on error (p->status is set). */
static int lex(parser *p)
{
    if (p->status || skip_space(p))
        return -1;
    size_t i = p->pos;
    memset(&p->tok, 0, sizeof p->tok);
    p->tok.pos = i;
    p->tok.end = i;
    if (i >= p->len) {
        p->tok.kind = T_EOF;
        return 0;
    }
    unsigned char c = (unsigned char)p->text[i];
    int rc = 0;
    if (is_alpha(c)) {
        rc = lex_word(p, i);
    } else if (is_digit(c)) {
        rc = lex_number(p, i);
    } else if (c == '"' || (p->juel && c == '\'')) {
        rc = lex_string(p, i);
    } else {
        size_t w = 1;
        int kind = p->juel ? punct_juel(p, i, &w) : punct_feel(p, i, &w);
        if (kind == 0)
            kind = punct_common(p, i, &w);
        if (kind == 0)
            kind = bad_char(p, i);
        if (kind < 0)
            return -1;
        p->tok.kind = kind;
        p->tok.end = i + w;
    }
    if (rc)
        return -1;
    p->pos = p->tok.end;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

static int at(const parser *p, int kind) { return p->tok.kind == kind; }

static node *mk(parser *p, int kind)
{
    node *n = bt_arena_alloc(p->ar, sizeof *n);
    if (!n)
        return nomem(p);
    n->kind = kind;
    n->height = 1;
    return n;
}

/* Records that `kid` hangs below `n`; fails when the tree gets too tall. */
static int adopt(parser *p, node *n, const node *kid)
{
    if (kid->height >= n->height)
        n->height = kid->height + 1;
    if (n->height > MAX_HEIGHT) {
        fail(p, p->tok.pos, "expression nested too deeply");
        return -1;
    }
    return 0;
}

/* Arena vectors grow by copying; the old block stays in the arena, which
 * at most doubles what the tree uses. */
static int grow(parser *p, void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *fresh = bt_arena_alloc(p->ar, ncap * size);
    if (!fresh) {
        nomem(p);
        return -1;
    }
    if (n)
        memcpy(fresh, *items, n * size);
    *items = fresh;
    *cap = ncap;
    return 0;
}

static int push_kid(parser *p, node *list, node *kid, int op)
{
    void *items = list->u.list;
    if (adopt(p, list, kid) || grow(p, &items, list->n, &list->cap, sizeof(item)))
        return -1;
    list->u.list = items;
    list->u.list[list->n].kid = kid;
    list->u.list[list->n].op = op;
    list->n++;
    return 0;
}

static int push_seg(parser *p, node *path, const char *s, size_t n)
{
    void *segs = path->u.path.segs;
    if (grow(p, &segs, path->n, &path->cap, sizeof(seg)))
        return -1;
    path->u.path.segs = segs;
    char *copy = bt_arena_strndup(p->ar, s, n);
    if (!copy) {
        nomem(p);
        return -1;
    }
    path->u.path.segs[path->n].s = copy;
    path->u.path.segs[path->n].n = n;
    path->n++;
    return 0;
}

static int enter(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        fail(p, p->tok.pos, "expression nested too deeply");
        return -1;
    }
    return 0;
}

typedef node *(*parse_fn)(parser *);
static node *parse_expr(parser *p);
static node *parse_unary(parser *p);

static node *literal(parser *p)
{
    static const int kinds[] = {[T_STR] = N_STR, [T_INT] = N_INT,
                                [T_REAL] = N_REAL, [T_TRUE] = N_BOOL,
                                [T_FALSE] = N_BOOL, [T_NULL] = N_NULL};
    node *n = mk(p, kinds[p->tok.kind]);
    if (!n)
        return NULL;
    switch (p->tok.kind) {
    case T_STR:
        n->u.str.s = p->tok.s;
        n->u.str.n = p->tok.n;
        break;
    case T_INT: n->u.i = p->tok.i; break;
    case T_REAL: n->u.d = p->tok.d; break;
    case T_TRUE: n->u.b = 1; break;
    }
    return lex(p) ? NULL : n;
}

static node *parse_primary(parser *p)
{
    node *n;
    switch (p->tok.kind) {
    case T_STR: case T_INT: case T_REAL: case T_TRUE: case T_FALSE: case T_NULL:
        return literal(p);
    case T_NAME:
        n = mk(p, N_PATH);
        if (!n || push_seg(p, n, p->text + p->tok.pos, p->tok.end - p->tok.pos) ||
            lex(p))
            return NULL;
        return n;
    case T_LP:
        if (lex(p) || !(n = parse_expr(p)))
            return NULL;
        if (!at(p, T_RP))
            return expected(p, "')'");
        return lex(p) ? NULL : n;
    }
    return expected(p, "an operand");
}

static node *member(parser *p, node *n)
{
    if (lex(p))
        return NULL;
    if (!at(p, T_NAME))
        return expected(p, "a name after '.'");
    if (n->kind != N_PATH) {
        node *path = mk(p, N_PATH);
        if (!path)
            return NULL;
        path->u.path.base = n;
        if (adopt(p, path, n))
            return NULL;
        n = path;
    }
    p->last_name = p->tok.pos;
    if (push_seg(p, n, p->text + p->tok.pos, p->tok.end - p->tok.pos) || lex(p))
        return NULL;
    return n;
}

/* `name(` : FEEL knows only not(); JUEL calls are all out of the subset. */
static node *call(parser *p, node *path, size_t start)
{
    if (p->juel)
        return path->n > 1 ? unsupported(p, p->last_name, "method call")
                           : unsupported(p, start, "function call");
    if (path->n > 1 || strcmp(path->u.path.segs[0].s, "not") != 0) {
        char name[64];
        size_t o = 0;
        for (size_t k = 0; k < path->n; k++) {
            int w = snprintf(name + o, sizeof name - o, "%s%s", k ? "." : "",
                             path->u.path.segs[k].s);
            if (w < 0 || (size_t)w >= sizeof name - o)
                break;
            o += (size_t)w;
        }
        return fail(p, start, "unknown function '%s'", name);
    }
    node *n = mk(p, N_NOT);
    if (!n || lex(p))
        return NULL;
    if (at(p, T_RP))
        return fail(p, start, "not() takes exactly one argument");
    if (!(n->u.kid = parse_expr(p)) || adopt(p, n, n->u.kid))
        return NULL;
    if (at(p, T_COMMA))
        return fail(p, start, "not() takes exactly one argument");
    if (!at(p, T_RP))
        return expected(p, "')'");
    return lex(p) ? NULL : n;
}

static node *parse_postfix(parser *p)
{
    size_t start = p->tok.pos;
    int named = at(p, T_NAME);
    node *n = parse_primary(p);
    while (n) {
        if (at(p, T_DOT))
            n = member(p, n);
        else if (named && at(p, T_LP))
            n = call(p, n, start), named = 0;
        else
            break;
    }
    return n;
}

static node *parse_unary(parser *p)
{
    int op = p->tok.kind;
    if (op != T_MINUS && op != T_NOT)
        return parse_postfix(p);
    if (enter(p) || lex(p))
        return NULL;
    node *kid = parse_unary(p);
    p->depth--;
    if (!kid)
        return NULL;
    json_int_t neg;
    /* A negative literal is a literal, not a computation. */
    if (op == T_MINUS && kid->kind == N_INT &&
        !__builtin_sub_overflow((json_int_t)0, kid->u.i, &neg)) {
        kid->u.i = neg;
        return kid;
    }
    if (op == T_MINUS && kid->kind == N_REAL) {
        kid->u.d = -kid->u.d;
        return kid;
    }
    node *n = mk(p, op == T_MINUS ? N_NEG : N_NOT);
    if (!n || adopt(p, n, kid))
        return NULL;
    n->u.kid = kid;
    return n;
}

static int is_op(const unsigned char *ops, int kind)
{
    for (; *ops; ops++)
        if (*ops == kind)
            return 1;
    return 0;
}

/* Left-associative list of `sub` operands joined by operators in `ops`
 * (0-terminated). At most `max_ops` operators when it is not 0. */
static node *parse_list(parser *p, parse_fn sub, const unsigned char *ops,
                        int kind, size_t max_ops)
{
    node *first = sub(p);
    if (!first || !is_op(ops, p->tok.kind))
        return first;
    node *n = mk(p, kind);
    if (!n || push_kid(p, n, first, 0))
        return NULL;
    while (is_op(ops, p->tok.kind)) {
        if (max_ops && n->n > max_ops)
            return fail(p, p->tok.pos,
                        "comparisons cannot be chained; use 'and'");
        int op = p->tok.kind;
        node *kid;
        if (lex(p) || !(kid = sub(p)) || push_kid(p, n, kid, op))
            return NULL;
    }
    return n;
}

static const unsigned char ops_mul[] = {T_STAR, T_SLASH, 0};
static const unsigned char ops_add[] = {T_PLUS, T_MINUS, 0};
static const unsigned char ops_rel[] = {T_LT, T_LE, T_GT, T_GE, 0};
static const unsigned char ops_eq[] = {T_EQ, T_NE, 0};
static const unsigned char ops_cmp[] = {T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, 0};
static const unsigned char ops_and[] = {T_AND, 0};
static const unsigned char ops_or[] = {T_OR, 0};

static node *parse_mul(parser *p)
{
    return parse_list(p, parse_unary, ops_mul, N_CHAIN, 0);
}

static node *parse_add(parser *p)
{
    return parse_list(p, parse_mul, ops_add, N_CHAIN, 0);
}

static node *parse_rel(parser *p)
{
    return parse_list(p, parse_add, ops_rel, N_CHAIN, 0);
}

/* FEEL comparisons do not associate; JUEL, like Java, has relational
 * operators binding tighter than equality, both left-associative. */
static node *parse_cmp(parser *p)
{
    if (p->juel)
        return parse_list(p, parse_rel, ops_eq, N_CHAIN, 0);
    return parse_list(p, parse_add, ops_cmp, N_CHAIN, 1);
}

static node *parse_and(parser *p)
{
    return parse_list(p, parse_cmp, ops_and, N_AND, 0);
}

static node *parse_expr(parser *p)
{
    if (enter(p))
        return NULL;
    node *n = parse_list(p, parse_and, ops_or, N_OR, 0);
    p->depth--;
    return n;
}

static void skip_blank(parser *p)
{
    while (p->pos < p->len && is_blank(p->text[p->pos]))
        p->pos++;
}

static const node *parse_text(parser *p)
{
    skip_blank(p);
    if (p->pos >= p->len)
        return fail(p, 0, "empty expression");
    const char *s = p->text + p->pos;
    int braces = p->pos + 1 < p->len && (s[0] == '$' || s[0] == '#') &&
                 s[1] == '{';
    if (p->juel && !braces)
        return unsupported(p, p->pos, "text outside ${...}");
    if (!p->juel && braces)
        return fail(p, p->pos, "'%c{...}' is JUEL; FEEL needs no braces", s[0]);
    if (p->juel)
        p->pos += 2;
    if (lex(p))
        return NULL;
    if (at(p, T_END))
        return fail(p, p->tok.pos, "empty expression");
    node *root = parse_expr(p);
    if (!root)
        return NULL;
    if (!p->juel)
        return at(p, T_EOF) ? root
                            : expected(p, "an operator or end of expression");
    if (!at(p, T_END))
        return expected(p, "'}'");
    skip_blank(p);
    if (p->pos < p->len)
        return unsupported(p, p->pos, "text outside ${...}");
    return root;
}

int bt_expr_compile(bt_arena *ar, const char *text, size_t len, int dialect,
                    bt_expr **out, bt_expr_error *err)
{
    if (err) {
        err->column = 0;
        err->message[0] = '\0';
    }
    if (!ar || !out || (!text && len))
        return BATON_EINVAL;
    *out = NULL;
    parser p;
    memset(&p, 0, sizeof p);
    p.ar = ar;
    p.text = text ? text : "";
    p.len = len;
    p.juel = dialect == BT_EXPR_JUEL;
    p.err = err;
    if (len > MAX_TEXT)
        return fail(&p, 0, "expression too long (more than %u bytes)", MAX_TEXT),
               p.status;
    bt_expr *e = bt_arena_alloc(ar, sizeof *e);
    char *copy = e ? bt_arena_strndup(ar, p.text, len) : NULL;
    if (!copy)
        return nomem(&p), p.status;
    e->text = copy;
    e->root = parse_text(&p);
    if (!e->root)
        return p.status;
    *out = e;
    return 0;
}

int bt_expr_literal_string(bt_arena *ar, const char *text, size_t len,
                           bt_expr **out)
{
    if (!ar || !out || (!text && len))
        return BATON_EINVAL;
    *out = NULL;
    if (len && !utf8_valid(text, len))
        return BATON_EEXPR;
    bt_expr *e = bt_arena_alloc(ar, sizeof *e);
    node *n = e ? bt_arena_alloc(ar, sizeof *n) : NULL;
    char *copy = n ? bt_arena_strndup(ar, text ? text : "", len) : NULL;
    if (!copy)
        return BATON_ENOMEM;
    n->kind = N_STR;
    n->u.str.s = copy;
    n->u.str.n = len;
    e->text = copy;
    e->root = n;
    *out = e;
    return 0;
}

const char *bt_expr_text(const bt_expr *e)
{
    return e->text;
}

int bt_expr_is_path(const bt_expr *e)
{
    return e->root->kind == N_PATH && !e->root->u.path.base;
}
