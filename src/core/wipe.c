/* wipe.c: see wipe.h. */
#include "core/wipe.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>

void gh_wipe(void *p) {
  if (p) sodium_memzero(p, malloc_usable_size(p));
}

void gh_wipe_free(void *p) {
  gh_wipe(p);
  free(p);
}

void gh_wipe_json_allocator(void) { json_set_alloc_funcs(malloc, gh_wipe_free); }
