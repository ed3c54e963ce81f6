/*
 * An authenticated client whose TLS layer floods the server (OpenSSL; Deno's TLS cannot send a
 * KeyUpdate). Lab tool: bounded in time, targets only the address it is given.
 *
 *   tls_junk HOST PORT CA CERT KEY HELLO_FILE FRAME_FILE MODE SECONDS [noread]
 *
 * Connects with TLS 1.3 and the client certificate, writes HELLO_FILE (our Hello frame), then for
 * SECONDS or until the server closes:
 *   keyupdate  32 KeyUpdate requests, then FRAME_FILE (a small frame) as one record, again and
 *              again (rustls' limit of 32 KeyUpdates in a row never trips)
 *   tiny       FRAME_FILE one byte a record
 *   padded     FRAME_FILE in records padded to 16 KiB
 * It reads (and discards) what the server sends unless `noread`. Prints one JSON line.
 *
 * Build: cc -O2 -o tls_junk tls_junk.c -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static unsigned char buffer[65536];
  *len = fread(buffer, 1, sizeof buffer, f);
  fclose(f);
  unsigned char *copy = malloc(*len);
  memcpy(copy, buffer, *len);
  return copy;
}

static int dial(const char *host, const char *port) {
  struct addrinfo hints = {0}, *list;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &list) != 0) return -1;
  int fd = -1;
  for (struct addrinfo *a = list; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    /* Each record goes out as written: with Nagle, a padded record's last segment waits for the
     * server's delayed ACK (on loopback, whose MTU holds a whole record, every record does). */
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(list);
  return fd;
}

/* Reads whatever the server has sent, without blocking for more. */
static int drain(SSL *ssl, int fd) {
  static unsigned char sink[65536];
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (SSL_pending(ssl) == 0 && poll(&p, 1, 0) <= 0) return 0;
    int n = SSL_read(ssl, sink, sizeof sink);
    if (n <= 0) return -1;
  }
}

static int write_all(SSL *ssl, const unsigned char *bytes, size_t len) {
  return SSL_write(ssl, bytes, (int)len) == (int)len ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 10) {
    fprintf(stderr, "usage: tls_junk HOST PORT CA CERT KEY HELLO FRAME MODE SECONDS [noread]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argv[8];
  double seconds = atof(argv[9]);
  int reading = !(argc > 10 && strcmp(argv[10], "noread") == 0);
  size_t hello_len, frame_len;
  unsigned char *hello = read_file(argv[6], &hello_len);
  unsigned char *frame = read_file(argv[7], &frame_len);
  if (!hello || !frame) {
    fprintf(stderr, "cannot read %s or %s\n", argv[6], argv[7]);
    return 2;
  }
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1 ||
      SSL_CTX_use_certificate_chain_file(ctx, argv[4]) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, argv[5], SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 2;
  }
  /* ALPN_PROTOCOL of src/transport/tls_options.ts. */
  static const unsigned char alpn[] = "\x0csssonector/1";
  SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
  int fd = dial(argv[1], argv[2]);
  if (fd < 0) {
    perror("connect");
    return 1;
  }
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  if (strcmp(mode, "padded") == 0) SSL_set_block_padding(ssl, 16384);
  long key_updates = 0, frames = 0, records = 0;
  int closed = write_all(ssl, hello, hello_len) != 0;
  double start = now();
  while (!closed && now() - start < seconds) {
    if (strcmp(mode, "keyupdate") == 0) {
      for (int i = 0; i < 32 && !closed; i++) {
        if (SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) != 1 || SSL_do_handshake(ssl) != 1) {
          closed = 1;
          break;
        }
        key_updates++;
        records++;
      }
      if (!closed) closed = write_all(ssl, frame, frame_len) != 0;
      records++;
    } else if (strcmp(mode, "tiny") == 0) {
      for (size_t i = 0; i < frame_len && !closed; i++) {
        closed = write_all(ssl, frame + i, 1) != 0;
        records++;
      }
    } else if (strcmp(mode, "padded") == 0) {
      closed = write_all(ssl, frame, frame_len) != 0;
      records++;
    } else {
      fprintf(stderr, "unknown mode %s\n", mode);
      return 2;
    }
    if (!closed) frames++;
    if (!closed && reading && (frames & 63) == 0) closed = drain(ssl, fd) != 0;
  }
  double elapsed = now() - start;
  // Closed by the server: a write failed. Otherwise, see whether it closes within a second.
  if (!closed) {
    struct pollfd p = {fd, POLLIN, 0};
    double until = now() + 1;
    while (!closed && now() < until) {
      if (poll(&p, 1, 100) > 0 && drain(ssl, fd) != 0) closed = 1;
    }
  }
  printf("{\"mode\":\"%s\",\"keyUpdates\":%ld,\"frames\":%ld,\"records\":%ld,\"seconds\":%.2f,"
         "\"closedByServer\":%s}\n",
         mode, key_updates, frames, records, elapsed, closed ? "true" : "false");
  return 0;
}
