/* cli.h: the subcommands of the gatehouse binary. Each returns the process
 * exit status. */
#ifndef GH_CLI_H
#define GH_CLI_H

int gh_cli_serve(int argc, char **argv);
int gh_cli_migrate(int argc, char **argv);
int gh_cli_org(int argc, char **argv);
int gh_cli_routes(int argc, char **argv);
int gh_cli_webhook(int argc, char **argv);
/* `gatehouse webhook rekey` (rekey.c). */
int gh_cli_webhook_rekey(void);

#endif
