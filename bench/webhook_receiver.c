/* webhook_receiver.c: the benchmark's webhook receiver (bench/webhooks.sh).
 *
 *   webhook_receiver PORT OUT
 *
 * Listens on 127.0.0.1:PORT with libmicrohttpd (epoll, 2 threads), reads
 * each request's body, answers 200 at once with an empty body, and records
 * "<webhook-id> <arrival, epoch microseconds>" per request. The records are
 * kept in memory and written to OUT on SIGTERM/SIGINT, so the receiver does
 * no I/O while it is being measured. Node's http server was the first
 * choice; a C receiver keeps the receiver out of the figures (it costs a
 * few microseconds per request). Signatures are not checked here: the
 * end-to-end tests do that with the reference library. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RECORDS (4 * 1024 * 1024)

typedef struct {
  char id[40];
  long long at_us;
} record;

static record *records;
static size_t nrecords;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct MHD_Response *ok;

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
  (void)cls, (void)url, (void)method, (void)version, (void)upload;
  if (!*state) { /* headers only: wait for the body */
    *state = (void *)1;
    return MHD_YES;
  }
  if (*upload_size) { /* body bytes: discarded */
    *upload_size = 0;
    return MHD_YES;
  }
  const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id");
  long long at = now_us();
  pthread_mutex_lock(&lock);
  if (nrecords < MAX_RECORDS) {
    snprintf(records[nrecords].id, sizeof records[nrecords].id, "%s", id ? id : "-");
    records[nrecords].at_us = at;
    nrecords++;
  }
  pthread_mutex_unlock(&lock);
  return MHD_queue_response(c, MHD_HTTP_OK, ok);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: webhook_receiver PORT OUT\n");
    return 2;
  }
  records = calloc(MAX_RECORDS, sizeof *records);
  if (!records) return 1;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  ok = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)strtol(argv[1], NULL, 10))};
  addr.sin_addr.s_addr = htonl(0x7f000001);
  struct MHD_Daemon *d =
      MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handle, NULL,
                       MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_LIMIT,
                       4000u, MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "webhook_receiver: cannot listen on port %s\n", argv[1]);
    return 1;
  }
  fprintf(stderr, "webhook_receiver: listening on 127.0.0.1:%s\n", argv[1]);
  int sig;
  sigwait(&stop, &sig);
  MHD_stop_daemon(d);
  FILE *f = fopen(argv[2], "w");
  if (!f) return 1;
  for (size_t i = 0; i < nrecords; i++)
    fprintf(f, "%s %lld\n", records[i].id, records[i].at_us);
  fclose(f);
  return 0;
}
