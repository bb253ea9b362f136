/* argon2_raw.c: the raw cost of the password hash Gatehouse uses
 * (crypto_pwhash_str_verify, Argon2id, m = 19 MiB, t = 2, p = 1) on every
 * core for a fixed time; prints verifications per second. The baseline of
 * bench/login.sh. Usage: argon2_raw SECONDS THREADS */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char hash[crypto_pwhash_STRBYTES];
static atomic_long done;
static volatile int stop;

static void *work(void *arg) {
  (void)arg;
  while (!stop) {
    if (crypto_pwhash_str_verify(hash, "correct horse battery staple", 28) != 0) abort();
    atomic_fetch_add(&done, 1);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int secs = argc > 1 ? atoi(argv[1]) : 5, threads = argc > 2 ? atoi(argv[2]) : 2;
  if (sodium_init() < 0 || threads < 1 || threads > 64) return 1;
  if (crypto_pwhash_str_alg(hash, "correct horse battery staple", 28, 2, 19u * 1024 * 1024,
                            crypto_pwhash_ALG_ARGON2ID13))
    return 1;
  pthread_t t[64];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < threads; i++)
    pthread_create(&t[i], NULL, work, NULL);
  struct timespec d = {secs, 0};
  nanosleep(&d, NULL);
  stop = 1;
  for (int i = 0; i < threads; i++)
    pthread_join(t[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  printf("%.1f\n", (double)atomic_load(&done) / el);
  return 0;
}
