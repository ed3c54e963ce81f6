/*
 * A TLS 1.3 session whose handshake, mutual authentication and Hello run through OpenSSL's libssl
 * (standing in for Deno's node:tls, which reports no traffic secrets: see
 * docs/design/native-data-plane.md), after which its records are handed to tls_record.c.
 */
#ifndef NP_SESSION_H
#define NP_SESSION_H

#include <stdatomic.h>
#include <stddef.h>
#include "tls_record.h"

struct np_session {
  int fd;
  enum np_suite suite;
  /* Records each way before the takeover, counted from libssl's record callbacks. */
  uint64_t tx_before, rx_before;
  /* tx is owned by the writing thread, rx by the reading thread. */
  struct np_direction tx, rx;
  /* Set by the reader when the peer's KeyUpdate asked for ours; cleared by the writer. */
  atomic_int key_update_asked;
  /* Set by either thread when the session is over. */
  atomic_int closed;
};

struct np_tls_files {
  const char *cert, *key, *ca;
  /* TLS 1.3 suites to offer or accept, OpenSSL's names; NULL for OpenSSL's default. */
  const char *suites;
};

/*
 * Runs the handshake on the connected socket `fd`, requiring and verifying the peer's
 * certificate against the CA, then the Hello (the client sends one line, the server answers one
 * line; `hello_reply_any` lets a client accept any reply, e.g. an echo). Fills `s` so that
 * tls_record.c carries on from the next record each way. Returns 0, or -1 with `err` set.
 */
int np_session_start(struct np_session *s, int fd, int is_server, const struct np_tls_files *files,
                     int hello_reply_any, char *err, size_t err_len);

/* Writes `len` bytes as application data records (each at most NP_MAX_PLAINTEXT) in one write;
 * answers a pending KeyUpdate request first. Returns 0 or -1. */
int np_session_send(struct np_session *s, const uint8_t *data, size_t len);

/* Sends our KeyUpdate and moves to the next keys (the writing thread only). Returns 0 or -1. */
int np_session_key_update(struct np_session *s, int request_update);

/* Sends close_notify (best effort). */
void np_session_close_notify(struct np_session *s);

void np_session_free(struct np_session *s);

/* Receives application data: called with each record's plaintext; returns 0 to go on. */
typedef int (*np_data_fn)(void *arg, const uint8_t *data, size_t len);

/*
 * The reading thread's loop: reads the socket, opens each record in place, applies the peer's
 * KeyUpdates (flagging the writer when the peer asks for ours) and hands data to `on_data`.
 * Returns 0 after the peer's close_notify, -1 on a bad record, a read error or end of stream.
 */
int np_session_receive(struct np_session *s, np_data_fn on_data, void *arg);

#endif
