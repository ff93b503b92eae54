/* The tokenizer of both dialects: FEEL (DMN 1.4 §10.3.1) and the part of
 * JUEL that Camunda 7 models use. Strings are decoded into the model's
 * arena; numbers become decimals (dec.h) exactly as written. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "baton.h"
#include "feel/feel_tree.h"

static int column_of(const char *text, size_t pos)
{
    int col = 1;
    for (size_t i = 0; i < pos; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            col++;
    return col;
}

void *bt_feel_fail(parser *p, size_t at, const char *fmt, ...)
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

void *bt_feel_nomem(parser *p)
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

#define fail bt_feel_fail
#define nomem bt_feel_nomem

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

int bt_feel_utf8_valid(const char *s, size_t n)
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


/* ASCII only: <ctype.h> depends on the host's locale. Bytes past ASCII
 * belong to names (FEEL allows letters of any script). */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '$' || c >= 0x80;
}
static int is_name_char(int c) { return is_name_start(c) || is_digit(c); }

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
const char *bt_feel_describe(parser *p)
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


struct keyword {
    const char *word;
    int kind;
};

static const struct keyword feel_words[] = {
    {"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL},
    {"and", T_AND}, {"or", T_OR}, {"if", T_IF}, {"then", T_THEN},
    {"else", T_ELSE}, {"for", T_FOR}, {"in", T_IN}, {"return", T_RETURN},
    {"some", T_SOME}, {"every", T_EVERY}, {"satisfies", T_SATISFIES},
    {"between", T_BETWEEN}, {"instance", T_INSTANCE}, {"of", T_OF},
    {"function", T_FUNCTION}, {"external", T_EXTERNAL},
    {NULL, 0}};

static const struct keyword juel_words[] = {
    {"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL},
    {"and", T_AND}, {"or", T_OR}, {"not", T_NOT},
    {"eq", T_EQ}, {"ne", T_NE}, {"lt", T_LT}, {"gt", T_GT}, {"le", T_LE},
    {"ge", T_GE}, {"div", T_DIV}, {"mod", T_MOD}, {"empty", T_EMPTY},
    {"instanceof", -1}, {NULL, 0}};

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

/* `k` hex digits of an escape that starts at `at` (after its 2 bytes). */
static int hexk(parser *p, size_t at, size_t end, int k, unsigned *v)
{
    *v = 0;
    for (size_t i = at + 2; i < at + 2 + (size_t)k; i++) {
        int h = i < end ? hexval((unsigned char)p->text[i]) : -1;
        if (h < 0) {
            fail(p, at, "invalid \\%c escape in string", p->text[at + 1]);
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
    if (!p->juel && (c == 'n' || c == 't' || c == 'r' || c == 'b' ||
                     c == 'f')) {
        buf[(*n)++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r'
                    : c == 'b' ? '\b' : '\f';
        *i += 2;
        return 0;
    }
    if (p->juel || (c != 'u' && c != 'U')) {
        /* kept as written, as feel-scala does, so that regular
         * expressions such as "\d+" need no doubled backslash */
        buf[(*n)++] = '\\';
        *i += 1;
        return 0;
    }
    unsigned cp, lo;
    if (c == 'U') { /* \U and six hex digits: any code point */
        if (hexk(p, at, end, 6, &cp))
            return -1;
        *i = at + 8;
    } else {
        /* \u as in JSON: a character past U+FFFF is a surrogate pair,
         * and half a pair cannot become valid UTF-8. */
        if (hexk(p, at, end, 4, &cp))
            return -1;
        *i = at + 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && *i + 1 < end && s[*i] == '\\' &&
            s[*i + 1] == 'u') {
            if (hexk(p, *i, end, 4, &lo))
                return -1;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                *i += 6;
            }
        }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        fail(p, at, "unpaired surrogate in \\u escape");
        return -1;
    }
    if (cp > 0x10FFFF) {
        fail(p, at, "escape of an invalid code point in string");
        return -1;
    }
    *n += utf8_put(buf + *n, cp);
    return 0;
}

/* A quoted text: a string, or with `q` '`' a name. */
static int lex_quoted(parser *p, size_t start)
{
    const char *s = p->text;
    char q = s[start];
    size_t i = start + 1;
    while (i < p->len && s[i] != q)
        i += s[i] == '\\' && q != '`' ? 2 : 1;
    if (i >= p->len) {
        fail(p, start, q == '`' ? "unterminated `name`" : "unterminated string");
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
        if (s[i] == '\\' && q != '`') {
            if (lex_escape(p, &i, end, buf, &n))
                return -1;
            continue;
        }
        size_t k = utf8_seq((const unsigned char *)s + i, end - i);
        if (!k) {
            fail(p, i, "invalid UTF-8 in %s", q == '`' ? "name" : "string");
            return -1;
        }
        memcpy(buf + n, s + i, k);
        n += k;
        i += k;
    }
    buf[n] = '\0';
    if (q == '`' && !n) {
        fail(p, start, "empty `name`");
        return -1;
    }
    p->tok.kind = q == '`' ? T_NAME : T_STR;
    p->tok.s = buf;
    p->tok.n = n;
    p->tok.end = end + 1;
    return 0;
}

static int lex_number(parser *p, size_t start)
{
    const char *s = p->text;
    size_t i = start;
    while (i < p->len && is_digit(s[i]))
        i++;
    /* "1..2" is a range: the dot belongs to the number only before a
     * digit. */
    if (i + 1 < p->len && s[i] == '.' && is_digit(s[i + 1]))
        for (i++; i < p->len && is_digit(s[i]); i++)
            ;
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < p->len && is_digit(s[j]))
            for (i = j; i < p->len && is_digit(s[i]); i++)
                ;
    }
    if (i < p->len && is_name_char((unsigned char)s[i]) &&
        (unsigned char)s[i] < 0x80) {
        size_t e = i;
        while (e < p->len && is_name_char((unsigned char)s[e]) &&
               (unsigned char)s[e] < 0x80)
            e++;
        fail(p, start, "invalid number '%.*s'", (int)(e - start), s + start);
        return -1;
    }
    p->tok.end = i;
    p->tok.kind = T_NUM;
    int rc = bt_dec_parse(&p->tok.num, s + start, i - start);
    if (rc) {
        fail(p, start, "number '%.*s' out of range", (int)(i - start),
             s + start);
        return -1;
    }
    return 0;
}

static int lex_word(parser *p, size_t start)
{
    const unsigned char *s = (const unsigned char *)p->text;
    size_t i = start;
    while (i < p->len && is_name_char(s[i])) {
        size_t k = s[i] < 0x80 ? 1 : utf8_seq(s + i, p->len - i);
        if (!k) {
            fail(p, i, "invalid UTF-8 in name");
            return -1;
        }
        i += k;
    }
    size_t n = i - start;
    const struct keyword *kw = p->juel ? juel_words : feel_words;
    p->tok.kind = T_NAME;
    p->tok.end = i;
    for (; kw->word; kw++) {
        if (strlen(kw->word) == n && !memcmp(kw->word, s + start, n)) {
            if (kw->kind < 0) {
                fail(p, start, "JUEL's %s is not supported", kw->word);
                return -1;
            }
            p->tok.kind = kw->kind;
            break;
        }
    }
    char *name = bt_arena_strndup(p->ar, (const char *)s + start, n);
    if (!name) {
        nomem(p);
        return -1;
    }
    p->tok.s = name;
    p->tok.n = n;
    return 0;
}

static int bad_char(parser *p, size_t i)
{
    const unsigned char *s = (const unsigned char *)p->text;
    if (s[i] > ' ' && s[i] < 0x7f)
        fail(p, i, "unexpected character '%c'", s[i]);
    else
        fail(p, i, "unexpected byte 0x%02X", s[i]);
    return -1;
}

/* The punctuation at `i`: its kind and width, 0 when none, -1 after an
 * error. Habits of the other dialect get a pointed message. */
static int punct(parser *p, size_t i, size_t *w)
{
    char c = p->text[i], d = i + 1 < p->len ? p->text[i + 1] : '\0';
    int juel = p->juel;
    switch (c) {
    case '(': return T_LP;
    case ')': return T_RP;
    case '[': return T_LB;
    case ']': return T_RB;
    case '{': return juel ? (fail(p, i, "JUEL set or map literals are not "
                                        "supported"), -1) : T_LC;
    case '}': return juel ? T_END : T_RC;
    case ',': return T_COMMA;
    case ':': return T_COLON;
    case '?': return T_QUESTION;
    case '@': return juel ? 0 : T_AT;
    case '+':
        if (juel && d == '=')
            return fail(p, i, "JUEL's '+=' is not supported"), -1;
        return T_PLUS;
    case '-':
        if (juel && d == '>')
            return fail(p, i, "JUEL lambdas are not supported"), -1;
        return T_MINUS;
    case '*': return d == '*' && !juel ? (*w = 2, T_POW) : T_STAR;
    case '/': return T_SLASH;
    case '%': return juel ? T_MOD : 0;
    case '.': return d == '.' && !juel ? (*w = 2, T_DOTDOT) : T_DOT;
    case '<': return d == '=' ? (*w = 2, T_LE) : T_LT;
    case '>': return d == '=' ? (*w = 2, T_GE) : T_GT;
    case '=':
        if (d == '=')
            return juel ? (*w = 2, T_EQ)
                        : (fail(p, i, "'==' is not FEEL; use '='"), -1);
        return juel ? (fail(p, i, "JUEL assignment is not supported"), -1)
                    : T_EQ;
    case '!':
        if (d == '=')
            return *w = 2, T_NE;
        return juel ? T_NOT : (fail(p, i, "'!' is not FEEL; use not(...)"), -1);
    case '&':
        if (d == '&')
            return juel ? (*w = 2, T_AND)
                        : (fail(p, i, "'&&' is not FEEL; use 'and'"), -1);
        return 0;
    case '|':
        if (d == '|')
            return juel ? (*w = 2, T_OR)
                        : (fail(p, i, "'||' is not FEEL; use 'or'"), -1);
        return 0;
    case ';':
        return juel ? (fail(p, i, "JUEL's ';' is not supported"), -1) : 0;
    }
    return 0;
}

int bt_feel_lex(parser *p)
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
    if (is_name_start(c)) {
        rc = lex_word(p, i);
    } else if (is_digit(c) ||
               (c == '.' && i + 1 < p->len && is_digit(p->text[i + 1]))) {
        rc = lex_number(p, i);
    } else if (c == '"' || (p->juel && c == '\'') || (!p->juel && c == '`')) {
        rc = lex_quoted(p, i);
    } else if (!p->juel && c == '\'') {
        return fail(p, i, "FEEL strings use \"...\", not '...'"), -1;
    } else {
        size_t w = 1;
        int kind = punct(p, i, &w);
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

/* ---- what both parsers share ----------------------------------------- */

int bt_feel_at(const parser *p, int kind)
{
    return p->tok.kind == kind;
}

void *bt_feel_expected(parser *p, const char *what)
{
    return fail(p, p->tok.pos, "expected %s but found %s", what,
                bt_feel_describe(p));
}

node *bt_feel_mk(parser *p, int kind, size_t pos)
{
    node *n = bt_arena_alloc(p->ar, sizeof *n);
    if (!n)
        return nomem(p);
    n->kind = (uint8_t)kind;
    n->pos = (uint32_t)pos;
    return n;
}

/* Chains of binary operators and of postfix operations grow a tree
 * without nesting the text, and the evaluator recurses once per level:
 * their height is what is capped. */
int bt_feel_tall(parser *p, node *n, size_t pos)
{
    unsigned h = 0;
    const node *k[3] = { n->kid, n->kid2, n->kid3 };
    for (int i = 0; i < 3; i++)
        if (k[i] && k[i]->height > h)
            h = k[i]->height;
    for (size_t i = 0; i < n->n && n->args; i++)
        if (n->args[i] && n->args[i]->height > h)
            h = n->args[i]->height;
    /* a chain of one binary operator, or of members, is walked in
     * blocks (eval.c) */
    int same = n->kid && n->kid->kind == n->kind &&
               (n->kind == N_AND || n->kind == N_OR || n->kind == N_ARITH ||
                n->kind == N_CMP || n->kind == N_MEMBER);
    n->height = (uint16_t)(same && (!n->kid2 ||
                                    n->kid2->height < n->kid->height)
                               ? n->kid->height : h + 1);
    if (n->height > MAX_HEIGHT) {
        fail(p, pos, "expression too deep (a chain of more than %d "
                     "operations)", MAX_HEIGHT);
        return -1;
    }
    return 0;
}

node *bt_feel_binary(parser *p, bt_feel_level_fn sub, const int *ops,
                     int kind)
{
    node *n = sub(p);
    while (n) {
        int k = 0;
        while (ops[k] && !bt_feel_at(p, ops[k]))
            k++;
        if (!ops[k])
            break;
        node *b = bt_feel_mk(p, kind, p->tok.pos);
        if (!b || bt_feel_lex(p))
            return NULL;
        b->op = (uint8_t)(ops[k] == T_DIV ? T_SLASH : ops[k]); /* JUEL div */
        b->kid = n;
        if (!(b->kid2 = sub(p)) || bt_feel_tall(p, b, b->pos))
            return NULL;
        n = b;
    }
    return n;
}
