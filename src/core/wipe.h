/* wipe.h: freeing memory that may have held a secret.
 *
 * Passwords arrive in request bodies and so in the parsed JSON tree; new
 * API key secrets, webhook secrets, invitation and CSRF tokens leave in
 * rendered replies. Both are heap blocks that free() would hand back with
 * their bytes intact, to be read by whatever reuses them or by a core
 * dump. Everything that held one is zeroed, the whole allocation, before
 * it is freed: jansson's blocks (gh_wipe_json_allocator) and the response
 * text libmicrohttpd frees after sending (server.c passes gh_wipe_free as
 * its free callback). sodium_memzero, so the compiler cannot drop it. */
#ifndef GH_WIPE_H
#define GH_WIPE_H

/* Zeroes every usable byte of a malloc'ed block (malloc_usable_size); NULL
 * is fine. */
void gh_wipe(void *p);
/* gh_wipe, then free. */
void gh_wipe_free(void *p);
/* Makes jansson allocate with malloc and free through gh_wipe_free. Once,
 * before any JSON is made (main() does it first). */
void gh_wipe_json_allocator(void);

#endif
