/* main.c: argv → subcommand. Everything else lives in the library
 * (build/libgatehouse.a) that the tests and fuzzers link too. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/wipe.h"

static const struct {
  const char *name;
  int (*run)(int, char **);
  const char *help;
} commands[] = {
    {"serve", gh_cli_serve, "migrate, then serve HTTP until SIGTERM"},
    {"migrate", gh_cli_migrate, "apply pending migrations and exit"},
    {"org", gh_cli_org, "org create --name N --admin-email E: new org + one-time admin invitation"},
    {"routes", gh_cli_routes, "print the route table as JSON"},
    {"webhook", gh_cli_webhook,
     "webhook verify --secret S --id I --timestamp T --signature SIG < body: check a delivery; webhook rekey: new "
     "webhook.key"},
};

static int usage(FILE *f) {
  fprintf(f, "usage: gatehouse <command> [options]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
  return f == stdout ? 0 : 2;
}

int main(int argc, char **argv) {
  gh_wipe_json_allocator();
  if (argc < 2) return usage(stderr);
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) return usage(stdout);
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "gatehouse: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}
