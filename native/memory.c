/* SSSonector shim, memory given back. See memory.h. */
#include "memory.h"

#include <malloc.h>

int32_t sss_malloc_trim(void) { return malloc_trim(0); }

void sss_malloc_info(uint64_t *out) {
  struct mallinfo2 m = mallinfo2();
  out[0] = m.arena;
  out[1] = m.hblkhd;
  out[2] = m.uordblks;
  out[3] = m.fordblks;
}
