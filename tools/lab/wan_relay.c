/*
 * wan_relay: an emulated wide-area link between two network interfaces, for the benchmark's WAN
 * rows (netem is not available on our machines). Runs in a middle namespace that holds one end
 * of each of two veth pairs, and relays every Ethernet frame from one to the other (a bridge),
 * per direction:
 *
 *   1. random loss: each frame is dropped with probability --loss (percent);
 *   2. a bottleneck (with --rate-mbit): frames leave one after another at the rate; a frame that
 *      would wait longer than --queue-ms behind the ones before it is dropped (a drop-tail FIFO
 *      bounded in time, as a router's);
 *   3. delay: each frame is held --delay-ms (one way) after it would leave the bottleneck.
 *
 * It also measures how long small frames (at most SMALL_FRAME bytes: pings, ACKs, a sparse lane's
 * segments) waited in the bottleneck's queue: on SIGUSR1 it prints, per direction, the count and
 * the 50th and 95th percentile of those waits since the last SIGUSR1 (a histogram of WAIT_BUCKETS
 * buckets of WAIT_BUCKET_US each), and starts anew.
 *
 * Bounds: RING_SLOTS frames of SLOT_BYTES per direction (16 MiB each); a frame that finds the
 * ring full or is longer than a slot is dropped and counted. The interfaces must have their
 * offloads off (no GSO/GRO super-frames, no partial checksums): the lab turns them off.
 *
 * Usage: wan_relay IFACE_A IFACE_B DELAY_MS LOSS_PERCENT RATE_MBIT QUEUE_MS SEED
 * (RATE_MBIT 0: no bottleneck). Prints "ready" once both sockets are bound; on SIGTERM or SIGINT
 * prints one line of counters per direction and exits 0.
 *
 * Built by the benchmark with `cc -O2`; never shipped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_SLOTS 8192
#define SLOT_BYTES 2048
#define RECV_BURST 64
#define SMALL_FRAME 256
#define WAIT_BUCKETS 1024
#define WAIT_BUCKET_US 100

struct slot {
  uint64_t release_ns;
  uint32_t length;
  unsigned char data[SLOT_BYTES];
};

struct direction {
  const char *name;
  int in_fd;
  int out_fd;
  uint64_t busy_until_ns;
  uint32_t head;
  uint32_t count;
  uint64_t relayed, lost, queue_full, ring_full, oversize, send_failed;
  /* Queue waits of small frames since the last report; the last bucket holds longer ones. */
  uint64_t small_waits[WAIT_BUCKETS];
  struct slot *ring;
};

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t report_requested = 0;

static void on_report(int sig) {
  (void)sig;
  report_requested = 1;
}

/* The wait (us) below which `share` of the counted small frames waited. */
static double wait_percentile(const struct direction *d, uint64_t total, double share) {
  uint64_t seen = 0;
  uint64_t want = (uint64_t)((double)total * share);
  for (int i = 0; i < WAIT_BUCKETS; i++) {
    seen += d->small_waits[i];
    if (seen > want) return (double)i * WAIT_BUCKET_US + WAIT_BUCKET_US / 2.0;
  }
  return (double)WAIT_BUCKETS * WAIT_BUCKET_US;
}

/* Prints "DIR small_waits N p50_us X p95_us Y" for each direction, then clears the histograms. */
static void report_waits(struct direction *dirs) {
  for (int i = 0; i < 2; i++) {
    struct direction *d = &dirs[i];
    uint64_t total = 0;
    for (int b = 0; b < WAIT_BUCKETS; b++) total += d->small_waits[b];
    printf("%s small_waits %llu p50_us %.0f p95_us %.0f\n", d->name, (unsigned long long)total,
           total ? wait_percentile(d, total, 0.5) : 0.0,
           total ? wait_percentile(d, total, 0.95) : 0.0);
    memset(d->small_waits, 0, sizeof d->small_waits);
  }
  fflush(stdout);
}
static uint64_t rng_state;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: uniform in [0, 1). */
static double next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int open_interface(const char *name) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) {
    perror("socket(AF_PACKET)");
    exit(1);
  }
  unsigned int index = if_nametoindex(name);
  if (index == 0) {
    fprintf(stderr, "wan_relay: no interface \"%s\"\n", name);
    exit(1);
  }
  struct sockaddr_ll address = {0};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = (int)index;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    perror("bind(AF_PACKET)");
    exit(1);
  }
  int one = 1;
  /* Our own transmissions on this interface must not come back as input. */
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
    perror("setsockopt(PACKET_IGNORE_OUTGOING)");
    exit(1);
  }
  int buffer = 8 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer);
  return fd;
}

struct link {
  uint64_t delay_ns;
  double loss;
  double rate_bps;
  uint64_t queue_ns;
};

static void accept_frame(struct direction *d, const struct link *link, const unsigned char *frame,
                         uint32_t length, uint64_t now) {
  if (link->loss > 0 && next_random() < link->loss) {
    d->lost++;
    return;
  }
  if (length > SLOT_BYTES) {
    d->oversize++;
    return;
  }
  uint64_t leave = now;
  if (link->rate_bps > 0) {
    uint64_t start = d->busy_until_ns > now ? d->busy_until_ns : now;
    if (start - now > link->queue_ns) {
      d->queue_full++;
      return;
    }
    if (length <= SMALL_FRAME) {
      uint64_t bucket = (start - now) / 1000 / WAIT_BUCKET_US;
      d->small_waits[bucket < WAIT_BUCKETS ? bucket : WAIT_BUCKETS - 1]++;
    }
    leave = start + (uint64_t)((double)length * 8.0 * 1e9 / link->rate_bps);
  }
  if (d->count == RING_SLOTS) {
    d->ring_full++;
    return;
  }
  if (link->rate_bps > 0) d->busy_until_ns = leave;
  struct slot *slot = &d->ring[(d->head + d->count) % RING_SLOTS];
  slot->release_ns = leave + link->delay_ns;
  slot->length = length;
  memcpy(slot->data, frame, length);
  d->count++;
}

/* Sends every frame whose time has come; returns when the next one is due (0: none waiting). */
static uint64_t release_due(struct direction *d, uint64_t now) {
  while (d->count > 0) {
    struct slot *slot = &d->ring[d->head];
    if (slot->release_ns > now) return slot->release_ns;
    if (send(d->out_fd, slot->data, slot->length, 0) < 0) d->send_failed++;
    else d->relayed++;
    d->head = (d->head + 1) % RING_SLOTS;
    d->count--;
  }
  return 0;
}

static void receive_burst(struct direction *d, const struct link *link) {
  static unsigned char frame[65536];
  for (int i = 0; i < RECV_BURST; i++) {
    ssize_t got = recv(d->in_fd, frame, sizeof frame, MSG_TRUNC);
    if (got < 0) return;
    accept_frame(d, link, frame, (uint32_t)got, now_ns());
  }
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr,
            "usage: wan_relay IFACE_A IFACE_B DELAY_MS LOSS_PERCENT RATE_MBIT QUEUE_MS SEED\n");
    return 2;
  }
  struct link link = {
      .delay_ns = (uint64_t)(atof(argv[3]) * 1e6),
      .loss = atof(argv[4]) / 100.0,
      .rate_bps = atof(argv[5]) * 1e6,
      .queue_ns = (uint64_t)(atof(argv[6]) * 1e6),
  };
  rng_state = strtoull(argv[7], NULL, 10) | 1;
  int a = open_interface(argv[1]);
  int b = open_interface(argv[2]);
  struct direction dirs[2] = {
      {.name = "a->b", .in_fd = a, .out_fd = b},
      {.name = "b->a", .in_fd = b, .out_fd = a},
  };
  for (int i = 0; i < 2; i++) {
    dirs[i].ring = calloc(RING_SLOTS, sizeof(struct slot));
    if (!dirs[i].ring) {
      fprintf(stderr, "wan_relay: out of memory\n");
      return 1;
    }
  }
  struct sigaction action = {0};
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  struct sigaction report = {0};
  report.sa_handler = on_report;
  sigaction(SIGUSR1, &report, NULL);
  printf("ready\n");
  fflush(stdout);

  struct pollfd fds[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
  while (!stop_requested) {
    uint64_t now = now_ns();
    uint64_t next = 0;
    for (int i = 0; i < 2; i++) {
      uint64_t due = release_due(&dirs[i], now);
      if (due != 0 && (next == 0 || due < next)) next = due;
    }
    struct timespec timeout = {.tv_sec = 1, .tv_nsec = 0};
    if (next != 0) {
      uint64_t wait = next > now ? next - now : 0;
      timeout.tv_sec = (time_t)(wait / 1000000000ull);
      timeout.tv_nsec = (long)(wait % 1000000000ull);
    }
    if (report_requested) {
      report_requested = 0;
      report_waits(dirs);
    }
    int ready = ppoll(fds, 2, &timeout, NULL);
    if (ready < 0) {
      if (errno == EINTR) continue;
      perror("ppoll");
      return 1;
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].revents & POLLIN) receive_burst(&dirs[i], &link);
    }
  }
  for (int i = 0; i < 2; i++) {
    struct direction *d = &dirs[i];
    printf("%s relayed %llu lost %llu queue_full %llu ring_full %llu oversize %llu send_failed %llu\n",
           d->name, (unsigned long long)d->relayed, (unsigned long long)d->lost,
           (unsigned long long)d->queue_full, (unsigned long long)d->ring_full,
           (unsigned long long)d->oversize, (unsigned long long)d->send_failed);
  }
  return 0;
}
