/*
 * The TUN doorbell: a shim thread that waits for the TUN device to become readable and then
 * writes one byte into a unix stream socket the JS thread reads natively on its event loop, so a
 * packet reaches JS without a hand-off through Deno's blocking thread pool (docs/performance.md,
 * "Latency"). JS then reads the packets itself (sss_tun_read_frames, timeout 0) and re-arms.
 *
 * The thread only polls and writes one byte: it opens nothing after the first connection, never
 * starts a thread, and holds no capability of its own (the privilege drop applies to it as to
 * every thread of the process).
 */
#ifndef SSSONECTOR_TUN_DOORBELL_H
#define SSSONECTOR_TUN_DOORBELL_H

#include "tun.h"

#include <stdint.h>

typedef struct sss_doorbell sss_doorbell;

/* The device's descriptor (for the doorbell thread's poll). Defined in tun.c. */
int32_t sss_tun_fd(const sss_tun *tun);

/* Listens on the unix socket `path` (a fresh path inside a private folder) and starts the thread,
 * which accepts exactly one connection from this same process (SO_PEERCRED), removes the path,
 * and rings once per arm. NULL on failure with a negative errno in *err. */
sss_doorbell *sss_doorbell_start(sss_tun *tun, const char *path, int32_t *err);

/* Arms the bell: the thread writes one byte as soon as the device is readable, or after
 * timeout_ms (a negative value: no timeout), or at sss_doorbell_ring. Returns 0 or -errno. */
int32_t sss_doorbell_arm(sss_doorbell *bell, int32_t timeout_ms);

/* Rings an armed bell now (to end a wait: the reader's stop, the device's close). */
int32_t sss_doorbell_ring(sss_doorbell *bell);

/* Stops and joins the thread, closes its descriptors, frees the bell. NULL is a no-op. */
void sss_doorbell_stop(sss_doorbell *bell);

#endif
