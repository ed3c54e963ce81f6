/*
 * Interop probe: a client that takes its session's records over after the Hello and sends a
 * pattern to an echo server on the default path (libssl's np_peer, or node:tls on rustls),
 * checking every byte that comes back.
 *   np_probe IP PORT CERT KEY CA BYTES [SUITES] [--key-update]
 * --key-update: send one KeyUpdate (update_requested) halfway. Prints one JSON line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "np_connect.h"
#include "np_session.h"

struct echo {
  struct np_session session;
  size_t expected, echoed;
  int mismatch, result;
};

static int check(void *arg, const uint8_t *data, size_t len) {
  struct echo *e = arg;
  for (size_t i = 0; i < len; i++)
    if (data[i] != (uint8_t)((e->echoed + i) % 251)) e->mismatch = 1;
  e->echoed += len;
  return e->echoed >= e->expected || e->mismatch ? 1 : 0;
}

static void *receiver(void *arg) {
  struct echo *e = arg;
  e->result = np_session_receive(&e->session, check, e);
  /* A bad record or a lost peer: stop the sender too (its write fails with EPIPE). */
  if (e->echoed < e->expected || e->mismatch) shutdown(e->session.fd, SHUT_RDWR);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: np_probe IP PORT CERT KEY CA BYTES [SUITES] [--key-update]\n");
    return 2;
  }
  const char *suites = argc > 7 && strncmp(argv[7], "--", 2) != 0 ? argv[7] : NULL;
  int key_update = strcmp(argv[argc - 1], "--key-update") == 0;
  struct np_tls_files files = {argv[3], argv[4], argv[5], suites};
  signal(SIGPIPE, SIG_IGN);
  static struct echo e;
  e.expected = strtoull(argv[6], NULL, 10);
  int fd = np_connect_to(argv[1], atoi(argv[2]));
  if (fd < 0) return 1;
  char err[256];
  if (np_session_start(&e.session, fd, 0, &files, 1, err, sizeof err) != 0) {
    printf("{\"ok\":false,\"error\":\"%s\"}\n", err);
    return 1;
  }
  pthread_t t;
  pthread_create(&t, NULL, receiver, &e);
  static uint8_t chunk[50000];
  size_t sent = 0;
  while (sent < e.expected) {
    size_t n = e.expected - sent < sizeof chunk ? e.expected - sent : sizeof chunk;
    for (size_t i = 0; i < n; i++) chunk[i] = (uint8_t)((sent + i) % 251);
    if (key_update && sent <= e.expected / 2 && sent + n > e.expected / 2 &&
        np_session_key_update(&e.session, 1) != 0)
      break;
    if (np_session_send(&e.session, chunk, n) != 0) break;
    sent += n;
  }
  pthread_join(t, NULL);
  /* A KeyUpdate request that came after our last send is answered now, before close_notify:
   * the sender answers only with its next data, and a fast sender may have none left. */
  if (np_session_send(&e.session, chunk, 0) != 0) e.mismatch = 1;
  np_session_close_notify(&e.session);
  int ok = e.echoed == e.expected && !e.mismatch;
  printf("{\"ok\":%s,\"suite\":\"0x%04x\",\"sent\":%zu,\"echoed\":%zu,\"mismatch\":%d,"
         "\"recordsBeforeTakeover\":{\"sent\":%llu,\"received\":%llu},"
         "\"keyUpdates\":{\"sent\":%llu,\"received\":%llu}}\n",
         ok ? "true" : "false", (unsigned)e.session.suite, sent, e.echoed, e.mismatch,
         (unsigned long long)e.session.tx_before, (unsigned long long)e.session.rx_before,
         (unsigned long long)e.session.tx.updates, (unsigned long long)e.session.rx.updates);
  return ok ? 0 : 1;
}
