/*
 * invoke.c - the invoker's configuration (from the config or the
 * environment) and one call of the Lambda Invoke API through libcurl,
 * which signs it with AWS Signature Version 4 (CURLOPT_AWS_SIGV4).
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * POST {endpoint}/2015-03-31/functions/{functionName}/invocations (with
 * ?Qualifier= for "name:qualifier") with the payload as body, Content-Type application/json and, with a session
 * token, X-Amz-Security-Token. Each call has its own easy handle, so any
 * number of threads may invoke at once; curl_global_init runs once.
 * Neither the secret key nor the session token is ever put in a message.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "lambda_int.h"

#define BODY_MAX ((size_t)64 << 20) /* far above Lambda's 6 MB answers */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_env(const char *value, const char *env)
{
    if (!value || !*value)
        value = getenv(env);
    return value && *value ? strdup(value) : NULL;
}

static int set_err(baton_lambda *l, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(l->errmsg);
    l->errmsg = strdup(msg);
    return rc;
}

static int region_ok(const char *r)
{
    for (const char *s = r; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-'))
            return 0;
    return 1;
}

static int configure(baton_lambda *l, const baton_lambda_config *c)
{
    baton_lambda_config none = {0};
    if (!c)
        c = &none;
    if (pthread_once(&global_once, global_init) != 0 || global_rc != CURLE_OK)
        return set_err(l, BATON_EINVAL, "libcurl could not be initialised");
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (!v || v->version_num < 0x074b00)
        return set_err(l, BATON_EINVAL,
                       "libcurl %s is too old: AWS signing needs 7.75",
                       v ? v->version : "?");
    l->signs_encoded_path = v->version_num >= 0x080f00;
    l->region = dup_or_env(c->region, "AWS_REGION");
    l->access_key_id = dup_or_env(c->access_key_id, "AWS_ACCESS_KEY_ID");
    l->secret_access_key =
        dup_or_env(c->secret_access_key, "AWS_SECRET_ACCESS_KEY");
    l->session_token = dup_or_env(c->session_token, "AWS_SESSION_TOKEN");
    char *endpoint = dup_or_env(c->endpoint, "BATON_LAMBDA_ENDPOINT");
    l->endpoint = endpoint;
    l->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 900000;
    l->retry_backoff_ms = c->retry_backoff_ms > 0 ? c->retry_backoff_ms
                                                  : 1000;
    if (!l->region)
        return set_err(l, BATON_EINVAL,
                       "no AWS region: set it in the configuration or "
                       "AWS_REGION");
    if (!region_ok(l->region))
        return set_err(l, BATON_EINVAL, "bad AWS region \"%s\"", l->region);
    if (!l->access_key_id || !l->secret_access_key)
        return set_err(l, BATON_EINVAL,
                       "no AWS credentials: set an access key id and a "
                       "secret access key in the configuration or "
                       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    if (!l->endpoint) {
        size_t n = strlen(l->region) + 40;
        l->endpoint = malloc(n);
        if (!l->endpoint)
            return BATON_ENOMEM;
        snprintf(l->endpoint, n, "https://lambda.%s.amazonaws.com",
                 l->region);
    }
    if (strncmp(l->endpoint, "http://", 7) != 0 &&
        strncmp(l->endpoint, "https://", 8) != 0)
        return set_err(l, BATON_EINVAL,
                       "bad Lambda endpoint \"%s\": not an http or https URL",
                       l->endpoint);
    size_t n = strlen(l->endpoint);
    while (n > 0 && l->endpoint[n - 1] == '/')
        l->endpoint[--n] = '\0';
    size_t sn = strlen(l->region) + 32;
    l->sigv4 = malloc(sn);
    if (!l->sigv4)
        return BATON_ENOMEM;
    snprintf(l->sigv4, sn, "aws:amz:%s:lambda", l->region);
    return BATON_OK;
}

int baton_lambda_new(const baton_lambda_config *config, baton_lambda **out)
{
    if (!out)
        return BATON_EINVAL;
    *out = NULL;
    baton_lambda *l = calloc(1, sizeof *l);
    if (!l)
        return BATON_ENOMEM;
    int rc = configure(l, config);
    if (rc == BATON_ENOMEM) {
        baton_lambda_free(l);
        return rc;
    }
    *out = l;
    return rc;
}

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
        free(s);
    }
}

void baton_lambda_free(baton_lambda *l)
{
    if (!l)
        return;
    free(l->region);
    free(l->endpoint);
    free(l->access_key_id);
    wipe_free(l->secret_access_key);
    wipe_free(l->session_token);
    free(l->sigv4);
    free(l->errmsg);
    free(l);
}

const char *baton_lambda_errmsg(const baton_lambda *l)
{
    return l && l->errmsg ? l->errmsg : "";
}

/* ------------------------------------------------------------------ */

typedef struct sink {
    lambda_response *resp;
    lambda_buf body; /* handed to resp once the call is over */
    int oom;
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    sink *k = ud;
    size_t n = size * nmemb;
    if (k->body.len + n > BODY_MAX)
        return 0;
    lambda_buf_put(&k->body, data, n);
    k->oom |= k->body.oom;
    return k->oom ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    sink *k = ud;
    size_t n = size * nmemb;
    static const char name[] = "X-Amz-Function-Error:";
    size_t nl = sizeof name - 1;
    if (n > nl && strncasecmp(data, name, nl) == 0) {
        const char *v = data + nl;
        const char *e = data + n;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            e--;
        free(k->resp->function_error);
        k->resp->function_error = strndup(v, (size_t)(e - v));
        if (!k->resp->function_error) {
            k->oom = 1;
            return 0;
        }
    }
    return n;
}

/* Percent-encodes s[0..n) at p, all but unreserved characters; returns
 * the end. */
static char *pct(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *u = (const unsigned char *)s; n--; u++) {
        if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
            (*u >= '0' && *u <= '9') || strchr("-._~", *u)) {
            *p++ = (char)*u;
        } else {
            *p++ = '%';
            *p++ = hex[*u >> 4];
            *p++ = hex[*u & 15];
        }
    }
    return p;
}

static size_t colons(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == ':';
    return n;
}

const char *lambda_function_refused(const baton_lambda *l,
                                    const char *function)
{
    if (colons(function) < 2 || l->signs_encoded_path)
        return NULL;
    return "an ARN needs libcurl 8.15 or later, which signs the ':' of "
           "the path as AWS checks them; name the function by its name, "
           "or name:qualifier";
}

/* The Invoke URL: "name:qualifier" (a version or alias) as the name in
 * the path and ?Qualifier=, which every libcurl signs as AWS does; any
 * other name (an ARN holds two ':' or more) percent-encoded in the
 * path. */
static char *url_for(const baton_lambda *l, const char *function)
{
    size_t fl = strlen(function);
    size_t n = strlen(l->endpoint) + 3 * fl + 64;
    char *url = malloc(n);
    if (!url)
        return NULL;
    char *p = url + sprintf(url, "%s/2015-03-31/functions/", l->endpoint);
    const char *q = colons(function) == 1 ? strchr(function, ':') : NULL;
    p = pct(p, function, q ? (size_t)(q - function) : fl);
    p = stpcpy(p, "/invocations");
    if (q) {
        p = stpcpy(p, "?Qualifier=");
        p = pct(p, q + 1, strlen(q + 1));
    }
    *p = '\0';
    return url;
}

void lambda_response_clear(lambda_response *r)
{
    free(r->body);
    free(r->function_error);
    free(r->transport_error);
    memset(r, 0, sizeof *r);
}

int lambda_http_invoke(const baton_lambda *l, const char *function,
                       const char *payload, size_t len,
                       lambda_response *resp)
{
    memset(resp, 0, sizeof *resp);
    char *url = url_for(l, function);
    CURL *c = url ? curl_easy_init() : NULL;
    struct curl_slist *hdrs = NULL, *t;
    char *token_hdr = NULL;
    int rc = -1;
    if (!c)
        goto out;
    t = curl_slist_append(hdrs, "Content-Type: application/json");
    if (!t)
        goto out;
    hdrs = t;
    /* No "Expect:" line to keep libcurl from sending Expect:
     * 100-continue: libcurl 7.88 would sign the emptied header. */
    if (l->session_token) {
        size_t n = strlen(l->session_token) + 32;
        token_hdr = malloc(n);
        if (!token_hdr)
            goto out;
        snprintf(token_hdr, n, "X-Amz-Security-Token: %s", l->session_token);
        t = curl_slist_append(hdrs, token_hdr);
        if (!t)
            goto out;
        hdrs = t;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    sink k = { resp, { NULL, 0, 0, 0 }, 0 };
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, l->sigv4);
    curl_easy_setopt(c, CURLOPT_USERNAME, l->access_key_id);
    curl_easy_setopt(c, CURLOPT_PASSWORD, l->secret_access_key);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)l->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &k);
    CURLcode cc = curl_easy_perform(c);
    resp->body = k.body.p;
    resp->len = k.body.len;
    if (k.oom)
        goto out;
    if (cc != CURLE_OK) {
        lambda_response_clear(resp);
        resp->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
        resp->transport_error =
            strdup(errbuf[0] ? errbuf : curl_easy_strerror(cc));
        rc = resp->transport_error ? 0 : -1;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    rc = 0;
out:
    if (rc != 0)
        lambda_response_clear(resp);
    if (token_hdr)
        wipe_free(token_hdr);
    curl_slist_free_all(hdrs);
    if (c)
        curl_easy_cleanup(c);
    free(url);
    return rc;
}
