/* The TLS 1.3 record layer of tls_record.h: key schedule from a traffic secret, seal and open. */
#include "tls_record.h"

#include <string.h>
#include <openssl/hmac.h>

/* HKDF-Expand-Label (RFC 8446 7.1) for outputs no longer than the hash: one HMAC block. */
static int expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
                        const char *label, uint8_t *out, size_t out_len) {
  uint8_t info[2 + 1 + 255 + 1 + 1];
  size_t label_len = strlen(label);
  size_t n = 0;
  if (out_len > (size_t)EVP_MD_get_size(md) || 6 + label_len > 255) return -1;
  info[n++] = (uint8_t)(out_len >> 8);
  info[n++] = (uint8_t)out_len;
  info[n++] = (uint8_t)(6 + label_len);
  memcpy(info + n, "tls13 ", 6);
  n += 6;
  memcpy(info + n, label, label_len);
  n += label_len;
  info[n++] = 0; /* empty context */
  info[n++] = 1; /* T(1) */
  uint8_t block[EVP_MAX_MD_SIZE];
  unsigned int block_len = 0;
  if (!HMAC(md, secret, (int)secret_len, info, n, block, &block_len)) return -1;
  memcpy(out, block, out_len);
  OPENSSL_cleanse(block, sizeof block);
  return 0;
}

/* Derives key and iv from the current secret and loads the key into the cipher context. */
static int derive(struct np_direction *d) {
  if (expand_label(d->md, d->secret, d->secret_len, "key", d->key, d->key_len) != 0) return -1;
  if (expand_label(d->md, d->secret, d->secret_len, "iv", d->iv, sizeof d->iv) != 0) return -1;
  if (EVP_CipherInit_ex(d->ctx, d->cipher, NULL, d->key, NULL, -1) != 1) return -1;
  d->seq = 0;
  return 0;
}

int np_direction_init(struct np_direction *d, enum np_suite suite, const uint8_t *secret,
                      size_t secret_len, uint64_t seq) {
  memset(d, 0, sizeof *d);
  switch (suite) {
  case NP_AES_128_GCM_SHA256:
    d->cipher = EVP_aes_128_gcm(), d->md = EVP_sha256(), d->key_len = 16;
    break;
  case NP_AES_256_GCM_SHA384:
    d->cipher = EVP_aes_256_gcm(), d->md = EVP_sha384(), d->key_len = 32;
    break;
  case NP_CHACHA20_POLY1305_SHA256:
    d->cipher = EVP_chacha20_poly1305(), d->md = EVP_sha256(), d->key_len = 32;
    break;
  default:
    return -1;
  }
  if (secret_len != (size_t)EVP_MD_get_size(d->md)) return -1;
  memcpy(d->secret, secret, secret_len);
  d->secret_len = secret_len;
  d->ctx = EVP_CIPHER_CTX_new();
  if (!d->ctx || derive(d) != 0) return -1;
  d->seq = seq;
  return 0;
}

void np_direction_free(struct np_direction *d) {
  if (d->ctx) EVP_CIPHER_CTX_free(d->ctx);
  OPENSSL_cleanse(d, sizeof *d);
}

int np_direction_update(struct np_direction *d) {
  uint8_t next[48];
  if (expand_label(d->md, d->secret, d->secret_len, "traffic upd", next, d->secret_len) != 0)
    return -1;
  memcpy(d->secret, next, d->secret_len);
  OPENSSL_cleanse(next, sizeof next);
  d->updates++;
  return derive(d);
}

/* The per-record nonce: iv XOR the sequence number, big-endian, right-aligned (RFC 8446 5.3). */
static void nonce(const struct np_direction *d, uint8_t out[12]) {
  memcpy(out, d->iv, 12);
  for (int i = 0; i < 8; i++) out[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

int np_seal(struct np_direction *d, uint8_t type, const uint8_t *plain, size_t len, uint8_t *out) {
  if (len > NP_MAX_PLAINTEXT || d->seq == UINT64_MAX) return -1;
  size_t body = len + 1 + NP_TAG;
  out[0] = NP_CT_APPLICATION;
  out[1] = 3, out[2] = 3;
  out[3] = (uint8_t)(body >> 8), out[4] = (uint8_t)body;
  uint8_t iv[12];
  nonce(d, iv);
  int n = 0;
  if (EVP_EncryptInit_ex(d->ctx, NULL, NULL, NULL, iv) != 1) return -1;
  if (EVP_EncryptUpdate(d->ctx, NULL, &n, out, NP_RECORD_HEADER) != 1) return -1;
  if (len > 0 && EVP_EncryptUpdate(d->ctx, out + NP_RECORD_HEADER, &n, plain, (int)len) != 1)
    return -1;
  if (EVP_EncryptUpdate(d->ctx, out + NP_RECORD_HEADER + len, &n, &type, 1) != 1) return -1;
  if (EVP_EncryptFinal_ex(d->ctx, out + NP_RECORD_HEADER + len + 1, &n) != 1) return -1;
  if (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, NP_TAG,
                          out + NP_RECORD_HEADER + len + 1) != 1)
    return -1;
  d->seq++;
  return (int)(NP_RECORD_HEADER + body);
}

/* Handshake messages after the handshake: KeyUpdate acted on, NewSessionTicket ignored. */
static enum np_open_result handshake(struct np_direction *d, const uint8_t *p, size_t len,
                                     int *update_requested) {
  enum np_open_result result = NP_OPEN_IGNORED;
  while (len > 0) {
    if (len < 4) return NP_OPEN_BAD;
    size_t body = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
    if (body > len - 4) return NP_OPEN_BAD; /* a message split across records: not supported */
    if (p[0] == 24) {
      /* KeyUpdate must be the last message of its record (RFC 8446 5.1). */
      if (body != 1 || p[4] > 1 || len != 5) return NP_OPEN_BAD;
      *update_requested = p[4];
      if (np_direction_update(d) != 0) return NP_OPEN_BAD;
      return NP_OPEN_KEY_UPDATE;
    }
    if (p[0] != 4) return NP_OPEN_BAD; /* only NewSessionTicket and KeyUpdate may come now */
    p += 4 + body, len -= 4 + body;
  }
  return result;
}

enum np_open_result np_open(struct np_direction *d, uint8_t *buf, size_t avail, size_t *consumed,
                            uint8_t **plain, size_t *plain_len, int *update_requested) {
  if (avail < NP_RECORD_HEADER) return NP_OPEN_NEED_MORE;
  size_t body = ((size_t)buf[3] << 8) | buf[4];
  if (buf[0] != NP_CT_APPLICATION || buf[1] != 3 || buf[2] != 3 || body < 1 + NP_TAG ||
      body > NP_MAX_PLAINTEXT + 256)
    return NP_OPEN_BAD;
  if (avail < NP_RECORD_HEADER + body) return NP_OPEN_NEED_MORE;
  *consumed = NP_RECORD_HEADER + body;
  uint8_t iv[12];
  nonce(d, iv);
  uint8_t *text = buf + NP_RECORD_HEADER;
  size_t text_len = body - NP_TAG;
  int n = 0;
  if (EVP_DecryptInit_ex(d->ctx, NULL, NULL, NULL, iv) != 1) return NP_OPEN_BAD;
  if (EVP_DecryptUpdate(d->ctx, NULL, &n, buf, NP_RECORD_HEADER) != 1) return NP_OPEN_BAD;
  if (EVP_DecryptUpdate(d->ctx, text, &n, text, (int)text_len) != 1) return NP_OPEN_BAD;
  if (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, NP_TAG, text + text_len) != 1)
    return NP_OPEN_BAD;
  if (EVP_DecryptFinal_ex(d->ctx, text + text_len, &n) != 1) return NP_OPEN_BAD;
  d->seq++;
  /* The real content type is the last non-zero byte (RFC 8446 5.4). */
  while (text_len > 0 && text[text_len - 1] == 0) text_len--;
  if (text_len == 0) return NP_OPEN_BAD;
  uint8_t type = text[--text_len];
  if (type == NP_CT_APPLICATION) {
    *plain = text, *plain_len = text_len;
    return NP_OPEN_DATA;
  }
  if (type == NP_CT_ALERT) return NP_OPEN_CLOSE;
  if (type == NP_CT_HANDSHAKE) return handshake(d, text, text_len, update_requested);
  return NP_OPEN_BAD;
}

void np_key_update_message(uint8_t out[NP_KEY_UPDATE_LEN], int request_update) {
  out[0] = 24, out[1] = 0, out[2] = 0, out[3] = 1, out[4] = request_update ? 1 : 0;
}
