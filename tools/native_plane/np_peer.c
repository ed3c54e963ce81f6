/*
 * The default path's stand-in in C: a libssl echo server (its own record layer, tickets on)
 * that asks for a KeyUpdate every UPDATE_EVERY bytes it has echoed (0: never).
 *   np_peer IP PORT CERT KEY CA UPDATE_EVERY [SUITES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "np_connect.h"

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: np_peer IP PORT CERT KEY CA UPDATE_EVERY [SUITES]\n");
    return 2;
  }
  size_t every = strtoull(argv[6], NULL, 10);
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  if (argc > 7) SSL_CTX_set_ciphersuites(ctx, argv[7]);
  if (SSL_CTX_use_certificate_chain_file(ctx, argv[3]) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, argv[5], NULL) != 1) {
    fprintf(stderr, "np_peer: certificate files\n");
    return 1;
  }
  int fd = np_accept_one(argv[1], atoi(argv[2]));
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  static char buf[65536];
  size_t echoed = 0, next = every, updates = 0;
  int n;
  while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) {
    if (SSL_write(ssl, buf, n) != n) break;
    echoed += (size_t)n;
    if (every && echoed >= next) {
      SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED);
      updates++;
      next += every;
    }
  }
  int clean = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN;
  fprintf(stderr, "np_peer: echoed %zu bytes, asked for %zu key updates, ended by %s\n", echoed,
          updates, clean ? "close_notify" : "an error");
  if (!clean) ERR_print_errors_fp(stderr);
  return clean ? 0 : 1;
}
