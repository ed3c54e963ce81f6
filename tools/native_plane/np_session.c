/* The handshake and takeover of np_session.h, and the sending side's record writer. */
#include "np_session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct capture {
  uint8_t client[48], server[48];
  size_t client_len, server_len;
  uint64_t tx, rx; /* records after the handshake, each way */
};

static int capture_index = -1;

static int unhex(const char *hex, uint8_t *out, size_t max) {
  size_t n = 0;
  while (hex[0] && hex[1] && hex[0] != '\n' && n < max) {
    unsigned int byte;
    if (sscanf(hex, "%2x", &byte) != 1) return -1;
    out[n++] = (uint8_t)byte;
    hex += 2;
  }
  return (int)n;
}

/* NSS key log lines: "LABEL client_random secret". */
static void on_keylog(const SSL *ssl, const char *line) {
  struct capture *c = SSL_get_ex_data(ssl, capture_index);
  const char *secret = strrchr(line, ' ');
  if (!c || !secret) return;
  if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0) {
    int n = unhex(secret + 1, c->client, sizeof c->client);
    c->client_len = n > 0 ? (size_t)n : 0;
  } else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0) {
    int n = unhex(secret + 1, c->server, sizeof c->server);
    c->server_len = n > 0 ? (size_t)n : 0;
  }
}

/* Counts protected records once the handshake is over: their sequence numbers each way. */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
                       SSL *ssl, void *arg) {
  (void)version, (void)buf, (void)len, (void)arg;
  struct capture *c = SSL_get_ex_data(ssl, capture_index);
  if (!c || content_type != SSL3_RT_INNER_CONTENT_TYPE || SSL_in_init(ssl)) return;
  if (write_p) c->tx++;
  else c->rx++;
}

static int fail(char *err, size_t err_len, const char *what) {
  unsigned long code = ERR_get_error();
  snprintf(err, err_len, "%s: %s", what, code ? ERR_reason_error_string(code) : "failed");
  return -1;
}

int np_session_start(struct np_session *s, int fd, int is_server, const struct np_tls_files *files,
                     int hello_reply_any, char *err, size_t err_len) {
  memset(s, 0, sizeof *s);
  s->fd = fd;
  if (capture_index < 0) capture_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  struct capture cap = {0};
  SSL_CTX *ctx = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
  SSL *ssl = NULL;
  int rc = -1;
  if (!ctx) return fail(err, err_len, "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_num_tickets(ctx, 0); /* no resumption, as the real server refuses it */
  SSL_CTX_set_keylog_callback(ctx, on_keylog);
  SSL_CTX_set_msg_callback(ctx, on_message);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  if (files->suites && SSL_CTX_set_ciphersuites(ctx, files->suites) != 1) {
    fail(err, err_len, "ciphersuites");
    goto out;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, files->cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, files->key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, files->ca, NULL) != 1) {
    fail(err, err_len, "certificate files");
    goto out;
  }
  ssl = SSL_new(ctx);
  if (!ssl || SSL_set_fd(ssl, fd) != 1) {
    fail(err, err_len, "SSL_new");
    goto out;
  }
  SSL_set_ex_data(ssl, capture_index, &cap);
  if ((is_server ? SSL_accept(ssl) : SSL_connect(ssl)) != 1) {
    fail(err, err_len, "handshake");
    goto out;
  }
  char line[64];
  static const char hello[] = "NP-HELLO\n", ready[] = "NP-READY\n";
  if (is_server) {
    int n = SSL_read(ssl, line, sizeof line);
    if (n != (int)strlen(hello) || memcmp(line, hello, (size_t)n) != 0) {
      fail(err, err_len, "hello");
      goto out;
    }
    if (SSL_write(ssl, ready, (int)strlen(ready)) <= 0) {
      fail(err, err_len, "hello reply");
      goto out;
    }
  } else {
    if (SSL_write(ssl, hello, (int)strlen(hello)) <= 0) {
      fail(err, err_len, "hello");
      goto out;
    }
    int n = SSL_read(ssl, line, sizeof line);
    if (n <= 0 || (!hello_reply_any && (n != (int)strlen(ready) || memcmp(line, ready, (size_t)n)))) {
      fail(err, err_len, "hello reply");
      goto out;
    }
  }
  /* The takeover point: libssl must hold nothing it has read and not yet handed over. */
  if (SSL_has_pending(ssl)) {
    snprintf(err, err_len, "takeover: libssl holds unread bytes");
    goto out;
  }
  if (!cap.client_len || cap.client_len != cap.server_len) {
    snprintf(err, err_len, "takeover: no traffic secrets from the key log callback");
    goto out;
  }
  s->suite = (enum np_suite)SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl));
  s->tx_before = cap.tx, s->rx_before = cap.rx;
  const uint8_t *mine = is_server ? cap.server : cap.client;
  const uint8_t *theirs = is_server ? cap.client : cap.server;
  if (np_direction_init(&s->tx, s->suite, mine, cap.client_len, cap.tx) != 0 ||
      np_direction_init(&s->rx, s->suite, theirs, cap.client_len, cap.rx) != 0) {
    snprintf(err, err_len, "takeover: suite 0x%04x not supported", (unsigned)s->suite);
    goto out;
  }
  rc = 0;
out:
  OPENSSL_cleanse(&cap, sizeof cap);
  if (ssl) {
    SSL_set_quiet_shutdown(ssl, 1);
    SSL_free(ssl); /* SSL_set_fd's BIO does not close the socket */
  }
  SSL_CTX_free(ctx);
  return rc;
}

static int write_all(int fd, const uint8_t *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n, len -= (size_t)n;
  }
  return 0;
}

/* Our KeyUpdate (not requesting one back), then the next generation of our keys. */
static int answer_key_update(struct np_session *s, uint8_t *out, size_t *used) {
  uint8_t msg[NP_KEY_UPDATE_LEN];
  np_key_update_message(msg, 0);
  int n = np_seal(&s->tx, NP_CT_HANDSHAKE, msg, sizeof msg, out + *used);
  if (n < 0) return -1;
  *used += (size_t)n;
  return np_direction_update(&s->tx);
}

int np_session_send(struct np_session *s, const uint8_t *data, size_t len) {
  /* Up to 5 full records per write; a 64 KiB TUN packet takes one. */
  static _Thread_local uint8_t out[5 * NP_MAX_RECORD];
  size_t used = 0;
  if (atomic_exchange(&s->key_update_asked, 0) && answer_key_update(s, out, &used) != 0) return -1;
  while (len > 0) {
    size_t chunk = len < NP_MAX_PLAINTEXT ? len : NP_MAX_PLAINTEXT;
    if (used + NP_MAX_RECORD > sizeof out) {
      if (write_all(s->fd, out, used) != 0) return -1;
      used = 0;
    }
    int n = np_seal(&s->tx, NP_CT_APPLICATION, data, chunk, out + used);
    if (n < 0) return -1;
    used += (size_t)n, data += chunk, len -= chunk;
  }
  return used ? write_all(s->fd, out, used) : 0;
}

int np_session_key_update(struct np_session *s, int request_update) {
  uint8_t msg[NP_KEY_UPDATE_LEN], out[64];
  np_key_update_message(msg, request_update);
  int n = np_seal(&s->tx, NP_CT_HANDSHAKE, msg, sizeof msg, out);
  if (n < 0 || write_all(s->fd, out, (size_t)n) != 0) return -1;
  return np_direction_update(&s->tx);
}

void np_session_close_notify(struct np_session *s) {
  uint8_t alert[2] = {1, 0}, out[64];
  int n = np_seal(&s->tx, NP_CT_ALERT, alert, sizeof alert, out);
  if (n > 0) (void)write_all(s->fd, out, (size_t)n);
}

void np_session_free(struct np_session *s) {
  np_direction_free(&s->tx);
  np_direction_free(&s->rx);
}
