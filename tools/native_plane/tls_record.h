/*
 * A TLS 1.3 record layer (RFC 8446 section 5) for one direction of one connection, driven by a
 * traffic secret: the native data plane experiment (docs/design/native-data-plane.md). Not
 * shipped: tools/ only. Each direction is owned by one thread; the two share nothing except the
 * "peer asked for a KeyUpdate" flag, which the reading side sets and the writing side answers.
 */
#ifndef NP_TLS_RECORD_H
#define NP_TLS_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define NP_RECORD_HEADER 5
#define NP_MAX_PLAINTEXT 16384
#define NP_TAG 16
/* Header, the largest plaintext, its content type byte and the tag. */
#define NP_MAX_RECORD (NP_RECORD_HEADER + NP_MAX_PLAINTEXT + 1 + NP_TAG)

#define NP_CT_ALERT 21
#define NP_CT_HANDSHAKE 22
#define NP_CT_APPLICATION 23

enum np_suite {
  NP_AES_128_GCM_SHA256 = 0x1301,
  NP_AES_256_GCM_SHA384 = 0x1302,
  NP_CHACHA20_POLY1305_SHA256 = 0x1303,
};

struct np_direction {
  const EVP_CIPHER *cipher;
  const EVP_MD *md;
  EVP_CIPHER_CTX *ctx;
  uint8_t secret[48];
  size_t secret_len;
  size_t key_len;
  uint8_t key[32];
  uint8_t iv[12];
  uint64_t seq;
  /* KeyUpdates applied in this direction. */
  uint64_t updates;
};

/* Results of np_open. */
enum np_open_result {
  NP_OPEN_DATA = 0,       /* application data at *plain, *plain_len bytes */
  NP_OPEN_NEED_MORE = 1,  /* not a whole record yet */
  NP_OPEN_KEY_UPDATE = 2, /* the peer's KeyUpdate was applied; *update_requested says whether it asked for ours */
  NP_OPEN_IGNORED = 3,    /* a post-handshake message we do not act on (NewSessionTicket) */
  NP_OPEN_CLOSE = 4,      /* close_notify or another alert: the peer is closing */
  NP_OPEN_BAD = -1,       /* a record that does not authenticate or parse: close the connection */
};

/* Sets a direction up from a traffic secret; `seq` is the number of records already sent in it. */
int np_direction_init(struct np_direction *d, enum np_suite suite, const uint8_t *secret,
                      size_t secret_len, uint64_t seq);
void np_direction_free(struct np_direction *d);

/* The next generation of this direction's keys (RFC 8446 7.2): after sending or receiving a KeyUpdate. */
int np_direction_update(struct np_direction *d);

/*
 * Protects `len` (at most NP_MAX_PLAINTEXT) bytes of content type `type` into `out`, which must
 * hold NP_RECORD_HEADER + len + 1 + NP_TAG bytes. Returns the record's length, or -1.
 */
int np_seal(struct np_direction *d, uint8_t type, const uint8_t *plain, size_t len, uint8_t *out);

/*
 * Unprotects the record at the start of `buf` (`avail` bytes) in place. On NP_OPEN_NEED_MORE
 * nothing is consumed; otherwise *consumed is the record's length on the wire.
 */
enum np_open_result np_open(struct np_direction *d, uint8_t *buf, size_t avail, size_t *consumed,
                            uint8_t **plain, size_t *plain_len, int *update_requested);

/* A KeyUpdate message (handshake type 24) as the plaintext of a handshake record. */
#define NP_KEY_UPDATE_LEN 5
void np_key_update_message(uint8_t out[NP_KEY_UPDATE_LEN], int request_update);

#endif
