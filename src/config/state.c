/* state.c: load-or-create the server's secrets (see state.h). */
#include "config/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

const gh_state *gh_secrets;

static int mkdir_p(const char *dir) {
  char tmp[PATH_MAX];
  size_t n = strlen(dir);
  if (n >= sizeof tmp) return -1;
  memcpy(tmp, dir, n + 1);
  for (char *p = tmp + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
      *p = '/';
    }
  }
  if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
  return 0;
}

/* Reads dir/name (exactly len bytes) if it exists; *found says whether. */
static gh_status load_optional(const char *dir, const char *name, unsigned char *out, size_t len, int *found) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  *found = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return GH_OK;
    gh_log(GH_LOG_ERROR, "cannot read state file %s: %s", path, strerror(errno));
    return GH_ERR_IO;
  }
  ssize_t r = read(fd, out, len);
  close(fd);
  if (r != (ssize_t)len) {
    gh_log(GH_LOG_ERROR, "state file %s is damaged (expected %zu bytes)", path, len);
    return GH_ERR_IO;
  }
  *found = 1;
  return GH_OK;
}

static void make_hex_password(unsigned char *out, size_t len) {
  unsigned char raw[32];
  char hex[65];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  memcpy(out, hex, len < 64 ? len : 64);
  sodium_memzero(raw, sizeof raw);
  sodium_memzero(hex, sizeof hex);
}

/* Reads exactly len bytes of dir/name into out, creating the file from
 * fresh random bytes (rendered by `make`) when absent. */
static gh_status load_or_create(const char *dir, const char *name, unsigned char *out, size_t len,
                                void (*make)(unsigned char *, size_t)) {
  char path[PATH_MAX], tmp[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  for (int attempt = 0; attempt < 2; attempt++) {
    int found;
    gh_status s = load_optional(dir, name, out, len, &found);
    if (s || found) return s;
    unsigned char fresh[128];
    make(fresh, len);
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, name, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) break;
    ssize_t w = write(fd, fresh, len);
    sodium_memzero(fresh, sizeof fresh);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) {
      unlink(tmp);
      break;
    }
    /* link() fails with EEXIST if another node won the race: read theirs. */
    if (link(tmp, path) && errno != EEXIST) {
      unlink(tmp);
      break;
    }
    unlink(tmp);
  }
  gh_log(GH_LOG_ERROR, "cannot read or create state file %s: %s", path, strerror(errno));
  return GH_ERR_IO;
}

static void make_random(unsigned char *out, size_t len) { randombytes_buf(out, len); }

gh_status gh_state_load(const char *dir, gh_state *st) {
  memset(st, 0, sizeof *st);
  if (mkdir_p(dir)) {
    gh_log(GH_LOG_ERROR, "cannot create state directory %s: %s", dir, strerror(errno));
    return GH_ERR_IO;
  }
  gh_status s = load_or_create(dir, "pepper", st->pepper, sizeof st->pepper, make_random);
  if (!s) s = load_or_create(dir, "webhook.key", st->webhook_key, sizeof st->webhook_key, make_random);
  if (!s) s = load_or_create(dir, "app-db-password", (unsigned char *)st->app_db_password, 64, make_hex_password);
  st->app_db_password[64] = '\0';
  if (!s)
    s = load_optional(dir, "webhook.key.previous", st->webhook_key_prev, sizeof st->webhook_key_prev,
                      &st->has_webhook_key_prev);
  return s;
}

/* Writes len bytes to dir/name through a temporary file and rename(2). */
static gh_status replace_file(const char *dir, const char *name, const unsigned char *data, size_t len) {
  char path[PATH_MAX], tmp[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, name, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return GH_ERR_IO;
  int ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp, path)) {
    unlink(tmp);
    gh_log(GH_LOG_ERROR, "cannot write state file %s: %s", path, strerror(errno));
    return GH_ERR_IO;
  }
  return GH_OK;
}

gh_status gh_state_rotate_webhook_key(const char *dir, const unsigned char next[32]) {
  unsigned char cur[32];
  int have = 0;
  gh_status s = load_optional(dir, "webhook.key", cur, sizeof cur, &have);
  if (!s && !have) s = GH_ERR_IO;
  /* The previous key first: if we stop half-way, webhook.key is still the
   * key the rows are sealed with. */
  if (!s) s = replace_file(dir, "webhook.key.previous", cur, sizeof cur);
  if (!s) s = replace_file(dir, "webhook.key", next, 32);
  sodium_memzero(cur, sizeof cur);
  return s;
}

void gh_state_wipe(gh_state *st) {
  if (st) sodium_memzero(st, sizeof *st);
}
