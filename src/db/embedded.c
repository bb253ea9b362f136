/* embedded.c: see embedded.h. Runs scripts/pg.sh as a child process. */
#include "db/embedded.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"

/* <dir of the executable>/../scripts/pg.sh */
static int script_path(char *out, size_t size) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return -1;
  *slash = '\0';
  int w = snprintf(out, size, "%s/../scripts/pg.sh", exe);
  return (w > 0 && (size_t)w < size && access(out, X_OK) == 0) ? 0 : -1;
}

/* Runs pg.sh verb; captures its standard output into out if given. */
static int run_script(const char *verb, char *out, size_t size) {
  char path[PATH_MAX];
  if (script_path(path, sizeof path)) {
    gh_log(GH_LOG_ERROR, "embedded database: scripts/pg.sh not found next to the binary; set DATABASE_URL");
    return -1;
  }
  int fds[2];
  if (pipe(fds)) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    /* The script's chatter is captured (and logged on failure) so that
     * our standard error stays one JSON object per line. */
    dup2(fds[1], STDOUT_FILENO);
    if (strcmp(verb, "url")) dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(path, path, verb, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t used = 0;
  char chatter[2048];
  if (!out) out = chatter, size = sizeof chatter;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) {
    if (used + (size_t)n < size) {
      memcpy(out + used, buf, (size_t)n);
      used += (size_t)n;
    }
  }
  close(fds[0]);
  out[used] = '\0';
  while (used && (out[used - 1] == '\n' || out[used - 1] == '\r'))
    out[--used] = '\0';
  int st;
  if (waitpid(pid, &st, 0) < 0) return -1;
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (rc && strcmp(verb, "status") && out == chatter)
    gh_log_obj(GH_LOG_ERROR, "embedded database script failed", json_pack("{s:s, s:s}", "verb", verb, "output", out));
  return rc;
}

gh_status gh_embedded_start(char **url, bool *started) {
  *url = NULL;
  *started = run_script("status", NULL, 0) != 0;
  if (*started) {
    gh_log(GH_LOG_INFO, "embedded database: starting the cluster under ./var/pg");
    if (run_script("start", NULL, 0)) {
      gh_log(GH_LOG_ERROR, "embedded database: scripts/pg.sh start failed");
      return GH_ERR_DB_DOWN;
    }
  }
  char buf[1024];
  if (run_script("url", buf, sizeof buf) || !buf[0]) return GH_ERR_DB_DOWN;
  *url = strdup(buf);
  memset(buf, 0, sizeof buf);
  return *url ? GH_OK : GH_ERR_NOMEM;
}

void gh_embedded_stop(void) {
  if (run_script("stop", NULL, 0)) gh_log(GH_LOG_WARN, "embedded database: stopping the cluster failed");
}
