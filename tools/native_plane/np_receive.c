/* The reading side of np_session.h: records off the socket, opened in place. */
#include "np_session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int np_session_receive(struct np_session *s, np_data_fn on_data, void *arg) {
  /* Room for several records per read; a partial record moves to the front. */
  static _Thread_local uint8_t buf[16 * NP_MAX_RECORD];
  size_t have = 0;
  while (!atomic_load(&s->closed)) {
    ssize_t n = read(s->fd, buf + have, sizeof buf - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    have += (size_t)n;
    size_t at = 0;
    for (;;) {
      size_t used = 0, len = 0;
      uint8_t *plain = NULL;
      int update_requested = 0;
      enum np_open_result r =
          np_open(&s->rx, buf + at, have - at, &used, &plain, &len, &update_requested);
      if (r == NP_OPEN_NEED_MORE) break;
      if (r == NP_OPEN_BAD) return -1;
      if (r == NP_OPEN_CLOSE) return 0;
      at += used;
      if (r == NP_OPEN_KEY_UPDATE && update_requested) atomic_store(&s->key_update_asked, 1);
      if (r == NP_OPEN_DATA && len > 0 && on_data(arg, plain, len) != 0) return -1;
    }
    memmove(buf, buf + at, have - at);
    have -= at;
  }
  return 0;
}
