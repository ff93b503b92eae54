/* Connections to the store for the server's threads: a baton_host is one
 * connection used by one thread at a time, so each request takes one
 * from here and gives it back. */
#define _POSIX_C_SOURCE 200809L
#include "ops.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ops_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *uri;
    size_t max, open, n_free;
    baton_host **free_hosts; /* `max` slots */
};

int ops_pool_new(const char *uri, size_t max, baton_host *first,
                 struct ops_pool **out)
{
    struct ops_pool *p = calloc(1, sizeof *p);

    *out = NULL;
    if (p) {
        p->uri = cli_strdup(uri);
        p->free_hosts = calloc(max, sizeof *p->free_hosts);
    }
    if (!p || !p->uri || !p->free_hosts) {
        if (p) {
            free(p->uri);
            free(p->free_hosts);
        }
        free(p);
        baton_host_close(first);
        return -1;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    p->max = max;
    p->free_hosts[0] = first;
    p->open = p->n_free = 1;
    *out = p;
    return 0;
}

baton_host *ops_pool_take(struct ops_pool *p)
{
    baton_host *h = NULL;
    int rc;

    pthread_mutex_lock(&p->lock);
    while (p->n_free == 0 && p->open >= p->max)
        pthread_cond_wait(&p->freed, &p->lock);
    if (p->n_free > 0) {
        h = p->free_hosts[--p->n_free];
        pthread_mutex_unlock(&p->lock);
        return h;
    }
    p->open++; /* reserved while it opens, outside the lock */
    pthread_mutex_unlock(&p->lock);

    rc = baton_host_open(p->uri, &h);
    if (rc != BATON_OK) {
        baton_host_close(h);
        h = NULL;
        pthread_mutex_lock(&p->lock);
        p->open--;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->lock);
    }
    return h;
}

void ops_pool_give(struct ops_pool *p, baton_host *h)
{
    pthread_mutex_lock(&p->lock);
    p->free_hosts[p->n_free++] = h;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

void ops_pool_free(struct ops_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_free; i++)
        baton_host_close(p->free_hosts[i]);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p->free_hosts);
    free(p->uri);
    free(p);
}
