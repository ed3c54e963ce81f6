/* SSSonector shim, memory given back. See memory.h. */
#include "memory.h"

#include <malloc.h>

int32_t sss_malloc_trim(void) { return malloc_trim(0); }

int32_t sss_malloc_tune(int32_t arena_max, int32_t trim_threshold, int32_t mmap_threshold) {
  int32_t ok = 1;
  if (arena_max >= 0 && mallopt(M_ARENA_MAX, arena_max) != 1) ok = 0;
  if (trim_threshold >= 0 && mallopt(M_TRIM_THRESHOLD, trim_threshold) != 1) ok = 0;
  if (mmap_threshold >= 0 && mallopt(M_MMAP_THRESHOLD, mmap_threshold) != 1) ok = 0;
  return ok;
}

void sss_malloc_info(uint64_t *out) {
  struct mallinfo2 m = mallinfo2();
  out[0] = m.arena;
  out[1] = m.hblkhd;
  out[2] = m.uordblks;
  out[3] = m.fordblks;
}
