/* keycache_memory.c: resident memory per cached API key and lookup rate of
 * the key cache (src/auth/keycache.h), built by bench/keycache_memory.sh
 * against build/libgatehouse.a.
 *
 * Inserts N entries (default 1 000 000; argv[1]) with ids of the real shape
 * ("key_"/"org_" + 22 base62 characters, gh_id_new) under 32-byte hashes
 * that look random (a keyed BLAKE2b of the index, so nothing but the cache
 * itself grows between the two RSS readings), and prints
 *   - resident bytes per key: (RSS after - RSS before) / N, RSS from
 *     /proc/self/statm; also the peak (VmHWM) over the same baseline;
 *   - lookups per second on one thread, random hits over all N keys.
 * Exits 1 if an inserted key is missing. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/keycache.h"
#include "core/rand.h"

static const unsigned char seed[crypto_generichash_KEYBYTES] = "gatehouse bench keycache seed.";

static void hash_of(uint64_t i, unsigned char out[32]) {
  crypto_generichash(out, 32, (const unsigned char *)&i, sizeof i, seed, sizeof seed);
}

static long rss_bytes(void) {
  long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) {
    perror("/proc/self/statm");
    exit(2);
  }
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

static long hwm_bytes(void) {
  char line[256];
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb * 1024;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  if (n < 1 || sodium_init() < 0) return 2;

  gh_keyinfo info;
  unsigned char h[32] = {0};
  memset(&info, 0, sizeof info);
  gh_keycache_get(h, &info); /* lazy initialisation happens before the baseline */

  long rss0 = rss_bytes();
  double t0 = now();
  for (long i = 0; i < n; i++) {
    hash_of((uint64_t)i, h);
    gh_id_new(info.key_id, "key_");
    gh_id_new(info.org_id, "org_");
    info.livemode = i & 1;
    info.scopes = 1u << (i % 12);
    info.expires_at = 0;
    gh_keycache_put(h, &info, gh_keycache_epoch());
  }
  double t_ins = now() - t0;
  long rss1 = rss_bytes(), hwm = hwm_bytes();
  size_t count = gh_keycache_count();
  if ((long)count != n) {
    fprintf(stderr, "keycache holds %zu entries, expected %ld\n", count, n);
    return 1;
  }

  /* Lookups: a fixed random sequence of hits, hashed beforehand so the timed
   * loop is the cache alone. */
  enum { BATCH = 1 << 20 };
  unsigned char(*q)[32] = malloc((size_t)BATCH * 32);
  if (!q) return 2;
  for (long i = 0; i < BATCH; i++)
    hash_of((uint64_t)(randombytes_uniform((uint32_t)n)), q[i]);
  long lookups = 0, hits = 0;
  double t1 = now(), el;
  do {
    for (long i = 0; i < BATCH; i++)
      hits += gh_keycache_get(q[i], &info);
    lookups += BATCH;
  } while ((el = now() - t1) < 1.0);
  if (hits != lookups) {
    fprintf(stderr, "%ld misses in %ld lookups\n", lookups - hits, lookups);
    return 1;
  }

  printf("entries              %ld\n", n);
  printf("insert rate          %.0f puts/s (including id generation and hashing)\n", (double)n / t_ins);
  printf("rss before/after     %.1f / %.1f MiB\n", rss0 / 1048576.0, rss1 / 1048576.0);
  printf("resident per key     %.1f B  (target <= 256)\n", (double)(rss1 - rss0) / (double)n);
  printf("peak per key         %.1f B  (VmHWM over the same baseline: tables coexist while growing)\n",
         (double)(hwm - rss0) / (double)n);
  printf("lookups              %.0f /s  (1 thread, random hits, %.1f ns each)\n", (double)lookups / el,
         el / (double)lookups * 1e9);
  free(q);
  gh_keycache_reset();
  return 0;
}
