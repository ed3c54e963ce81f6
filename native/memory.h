/*
 * SSSonector shim, memory given back: glibc keeps the heap memory a flood of connections grew in
 * its arenas (free, but never returned to the system) unless asked. After a flood the door asks
 * (src/transport/quiet_reclaim.ts).
 */
#ifndef SSSONECTOR_MEMORY_H
#define SSSONECTOR_MEMORY_H

#include <stdint.h>

/* malloc_trim(0): returns the free memory of every arena's top and whole free pages inside them
 * to the system. Returns 1 when some memory was released, else 0. */
int32_t sss_malloc_trim(void);

/* glibc's view of its heap (mallinfo2, summed over arenas), 4 u64: out[0] bytes obtained with sbrk
 * or per-arena mmap, out[1] in mmapped chunks, out[2] in use, out[3] free inside the arenas. */
void sss_malloc_info(uint64_t *out);

#endif
