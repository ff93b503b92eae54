/* The token of `baton ops`: a request carries it in "Authorization:
 * Bearer TOKEN", or carries the cookie that /login sets once the token
 * is typed in. The cookie holds a random secret of this run of the
 * server, never the token, so the token appears in no response; the
 * cookie stops working when the server stops. */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"

#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COOKIE "baton_ops_session"

static const char login_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>baton ops: log in</title></head>\n<body style=\"font-family: "
    "sans-serif; margin: 3em\">\n<h1>baton ops</h1>\n"
    "<p>This server needs its token.</p>\n"
    "<form method=\"post\" action=\"/login\">\n"
    "<label>Token <input type=\"password\" name=\"token\" "
    "autocomplete=\"current-password\" required></label>\n"
    "<button type=\"submit\">Log in</button>\n</form>\n</body></html>\n";

static const char wrong_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>baton ops: log in</title></head>\n<body style=\"font-family:"
    " sans-serif; margin: 3em\">\n<p>Wrong token.</p>\n"
    "<p><a href=\"/login\">Try again</a></p>\n</body></html>\n";

int ops_auth_init(struct ops_auth *a, const char *token)
{
    char session[65];

    memset(a, 0, sizeof *a);
    if (!token)
        return 0;
    if (ops_random_hex(session, 32) != 0)
        return -1;
    snprintf(a->cookie, sizeof a->cookie,
             COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/", session);
    memcpy(a->session, session, sizeof session);
    if (!(a->token = cli_strdup(token)))
        return -1;
    return 0;
}

void ops_auth_free(struct ops_auth *a)
{
    if (a->token) {
        memset(a->token, 0, strlen(a->token));
        free(a->token);
    }
    memset(a, 0, sizeof *a);
}

int ops_auth_check(const struct ops_auth *a, struct MHD_Connection *c)
{
    const char *auth, *cookie;

    if (!a->token)
        return 1;
    auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0 &&
        ops_secret_equal(auth + 7, a->token))
        return 1;
    cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    return cookie && ops_secret_equal(cookie, a->session);
}

const char *ops_login_page(void)
{
    return login_page;
}

/* The form's "token" field, which may come in pieces. */
struct field {
    char *text;
    int failed;
};

static enum MHD_Result token_field(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *filename,
                                   const char *content_type,
                                   const char *encoding, const char *data,
                                   uint64_t off, size_t size)
{
    struct field *f = cls;
    size_t have = f->text ? strlen(f->text) : 0;
    char *t;

    (void)kind, (void)filename, (void)content_type, (void)encoding;
    (void)off;
    if (strcmp(key, "token") != 0)
        return MHD_YES;
    if (!(t = realloc(f->text, have + size + 1))) {
        f->failed = 1;
        return MHD_NO;
    }
    memcpy(t + have, data, size);
    t[have + size] = '\0';
    f->text = t;
    return MHD_YES;
}

static void page(struct ops_reply *r, unsigned status, const char *html)
{
    r->status = status;
    r->type = "text/html; charset=utf-8";
    r->body = (char *)html;
    r->len = strlen(html);
    r->release = NULL;
}

const char *ops_login_answer(const struct ops_auth *a,
                             struct MHD_Connection *c, const char *method,
                             const char *body, size_t len,
                             struct ops_reply *r)
{
    struct field f = {NULL, 0};
    struct MHD_PostProcessor *pp;
    int ok;

    if (strcmp(method, "POST") != 0) {
        page(r, 200, login_page);
        return NULL;
    }
    if (!(pp = MHD_create_post_processor(c, 1024, token_field, &f))) {
        ops_reply_error(r, 400, "cannot read the form");
        return NULL;
    }
    ok = MHD_post_process(pp, body ? body : "", len) == MHD_YES;
    ok = MHD_destroy_post_processor(pp) == MHD_YES && ok;
    if (f.failed) {
        ops_reply_error(r, 500, "out of memory");
        ok = 0;
    } else if (!ok || !f.text || !ops_secret_equal(f.text, a->token)) {
        page(r, 401, wrong_page);
        ok = 0;
    } else {
        page(r, 303, "");
    }
    if (f.text) {
        memset(f.text, 0, strlen(f.text));
        free(f.text);
    }
    return ok ? a->cookie : NULL;
}
