/* pool.c: bounded worker pool (see pool.h). */
#include "core/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct {
  gh_pool_fn fn;
  void *arg;
} job;

struct gh_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  job *ring;
  size_t cap, head, count, running;
  bool stopping;
  int nthreads;
  int nice;
  pthread_t *threads;
};

static void *worker(void *arg) {
  gh_pool *p = arg;
  /* Linux applies nice values per thread. */
  if (p->nice) (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), p->nice);
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->count && !p->stopping)
      pthread_cond_wait(&p->cv, &p->mu);
    if (!p->count && p->stopping) break;
    job j = p->ring[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    p->running++;
    pthread_mutex_unlock(&p->mu);
    j.fn(j.arg);
    pthread_mutex_lock(&p->mu);
    p->running--;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

gh_pool *gh_pool_new(int threads, size_t capacity, int nice) {
  gh_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nice = nice;
  p->ring = calloc(capacity, sizeof *p->ring);
  p->threads = calloc((size_t)threads, sizeof *p->threads);
  if (!p->ring || !p->threads) {
    free(p->ring);
    free(p->threads);
    free(p);
    return NULL;
  }
  p->cap = capacity;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&p->threads[i], NULL, worker, p)) break;
    p->nthreads++;
  }
  if (!p->nthreads) {
    gh_pool_free(p);
    return NULL;
  }
  return p;
}

void gh_pool_free(gh_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stopping = true;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++)
    pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p->ring);
  free(p->threads);
  free(p);
}

gh_status gh_pool_submit(gh_pool *p, gh_pool_fn fn, void *arg) {
  pthread_mutex_lock(&p->mu);
  if (p->count == p->cap || p->stopping) {
    pthread_mutex_unlock(&p->mu);
    return GH_ERR_BUSY;
  }
  p->ring[(p->head + p->count) % p->cap] = (job){fn, arg};
  p->count++;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return GH_OK;
}

size_t gh_pool_depth(gh_pool *p) {
  pthread_mutex_lock(&p->mu);
  size_t d = p->count + p->running;
  pthread_mutex_unlock(&p->mu);
  return d;
}
