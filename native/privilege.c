/* SSSonector shim, least privilege: the privilege drop and the seccomp filter. See privilege.h. */
#define _GNU_SOURCE
#include "privilege.h"

#include "netlink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SSS_AUDIT_ARCH AUDIT_ARCH_X86_64
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#elif defined(__aarch64__)
#define SSS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "native/privilege.c: no seccomp filter for this architecture (x86_64 and aarch64 only)"
#endif

/* The low 32 bits of a system call argument (seccomp_data.args are u64). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(n) ((uint32_t)offsetof(struct seccomp_data, args[n]))
#else
#define ARG_LOW(n) ((uint32_t)offsetof(struct seccomp_data, args[n]) + 4)
#endif

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_EPERM (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define RET_ENOSYS (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

/* clone() flags that create namespaces (CLONE_NEWTIME is clone3/unshare only: in clone() that
 * bit belongs to the exit signal). */
#define CLONE_NEW_ANY                                                                          \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
   CLONE_NEWNET)

/*
 * What a running tunnel never needs, refused with EPERM. Everything else stays allowed: the
 * runtime still opens files and sockets, waits on futexes and epoll, maps memory (the JIT needs
 * mprotect), starts threads for V8 and the FFI worker pool (clone), reads the TUN and writes logs.
 * Most entries also need a capability that the drop has already removed; the filter is a second
 * wall for the day a kernel bug lets an unprivileged process past the first.
 */
static const int denied[] = {
    /* Run another program: the end of most exploits. Deno.Command fails with EPERM. */
    __NR_execve,
    __NR_execveat,
    /* Reach into other processes (every daemon running as the same "nobody" user). */
    __NR_ptrace,
    __NR_process_vm_readv,
    __NR_process_vm_writev,
#ifdef __NR_pidfd_getfd
    __NR_pidfd_getfd,
#endif
    /* Namespaces and mounts: unprivileged user namespaces open much kernel surface. clone() with
     * CLONE_NEW* flags is refused below, clone3 (whose flags seccomp cannot see) gets ENOSYS. */
    __NR_unshare,
    __NR_setns,
    __NR_mount,
    __NR_umount2,
    __NR_pivot_root,
    __NR_chroot,
#ifdef __NR_open_tree
    __NR_open_tree,
    __NR_move_mount,
    __NR_fsopen,
    __NR_fsconfig,
    __NR_fsmount,
    __NR_fspick,
#endif
#ifdef __NR_mount_setattr
    __NR_mount_setattr,
#endif
    /* Kernel code and the machine itself. */
    __NR_init_module,
    __NR_finit_module,
    __NR_delete_module,
    __NR_kexec_load,
#ifdef __NR_kexec_file_load
    __NR_kexec_file_load,
#endif
    __NR_reboot,
    __NR_swapon,
    __NR_swapoff,
    __NR_acct,
    __NR_settimeofday,
    __NR_clock_settime,
    __NR_sethostname,
    __NR_setdomainname,
    __NR_syslog,
    /* Kernel interfaces with a long record of exploits that a tunnel never uses. */
    __NR_bpf,
    __NR_perf_event_open,
    __NR_userfaultfd,
    __NR_keyctl,
    __NR_add_key,
    __NR_request_key,
#ifdef __NR_io_uring_setup
    __NR_io_uring_setup,
    __NR_io_uring_enter,
    __NR_io_uring_register,
#endif
#if defined(__x86_64__)
    /* x86 port I/O and a.out libraries. */
    __NR_iopl,
    __NR_ioperm,
    __NR_uselib,
#endif
};

/*
 * The calls the data path makes per packet or per wake-up, allowed before the denied list is
 * walked, so that they cost a few instructions of the filter each, not the whole list.
 */
static const int hot[] = {
    __NR_read,        __NR_write,       __NR_readv,          __NR_writev,   __NR_recvfrom,
    __NR_sendto,      __NR_recvmsg,     __NR_sendmsg,        __NR_futex,    __NR_epoll_pwait,
    __NR_ppoll,       __NR_madvise,     __NR_mmap,           __NR_munmap,   __NR_mprotect,
    __NR_sched_yield, __NR_getrandom,   __NR_clock_gettime,  __NR_close,
#if defined(__x86_64__)
    __NR_epoll_wait,  __NR_poll,
#endif
};

#define HOT_COUNT (sizeof hot / sizeof hot[0])
#define DENIED_COUNT (sizeof denied / sizeof denied[0])
/* arch 3, load nr 1, x32 2, two per hot and per denied call, clone3 2, clone 5, ioctl 5, allow 1 */
#define FILTER_MAX (3 + 1 + 2 + 2 * HOT_COUNT + 2 * DENIED_COUNT + 2 + 5 + 5 + 1)

/* Builds the filter into f; returns its length. */
static unsigned short build_filter(struct sock_filter *f) {
  unsigned short n = 0;
  /* A call from another ABI (i386 through int 0x80, arm32) has other numbers: refuse them all. */
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        (uint32_t)offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SSS_AUDIT_ARCH, 1, 0);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_EPERM);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        (uint32_t)offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
  /* The x32 ABI shares AUDIT_ARCH_X86_64 with its own numbers (bit 30 set): refuse it. */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_EPERM);
#endif
  for (unsigned i = 0; i < HOT_COUNT; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)hot[i], 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ALLOW);
  }
  for (unsigned i = 0; i < DENIED_COUNT; i++) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_EPERM);
  }
  /* glibc falls back to clone() when clone3 is missing, so threads still start. */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ENOSYS);
  /* clone(flags, ...): threads and fork, but no new namespaces. */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_EPERM);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ALLOW);
  /* ioctl(fd, TIOCSTI): typing into the controlling terminal of whoever started us. The kernel
   * reads the request as 32 bits, so the low half is the whole of it. */
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 4);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(1));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 0, 1);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_EPERM);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ALLOW);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_ALLOW);
  _Static_assert(FILTER_MAX <= BPF_MAXINSNS, "the filter fits the kernel's limit");
  return n;
}

static int32_t fail(int32_t *err, int32_t stage, int errno_value) {
  err[0] = -errno_value;
  err[1] = stage;
  return -errno_value;
}

static int32_t lock_down(uint32_t uid, uint32_t gid, int32_t *err);

int32_t sss_drop_privileges(uint32_t uid, uint32_t gid, const uint32_t *groups, uint32_t n_groups,
                            uint32_t flags, int32_t *err) {
  _Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits on Linux");
  err[0] = 0;
  err[1] = 0;
  if (flags & ~(uint32_t)SSS_DROP_KEEP_NET_ADMIN) return fail(err, 0, EINVAL);
  if (uid == 0) return fail(err, SSS_PRIV_STAGE_UID, EINVAL);
  const int keep = (flags & SSS_DROP_KEEP_NET_ADMIN) != 0;
  int32_t rc = 0;

  /* While still root: the agent starts, drops its bounding set but CAP_NET_ADMIN (that needs
   * CAP_SETPCAP) and sets PR_SET_KEEPCAPS, so that setresuid leaves it its permitted set. */
  if (keep && (rc = sss_netlink_agent_start()) < 0) {
    return fail(err, SSS_PRIV_STAGE_KEEP_START, -rc);
  }

  /* glibc runs each of these on every thread of the process and fails if any thread fails. */
  if (setgroups(n_groups, (const gid_t *)groups) != 0) {
    rc = fail(err, SSS_PRIV_STAGE_GROUPS, errno);
  } else if (setresgid(gid, gid, gid) != 0) {
    rc = fail(err, SSS_PRIV_STAGE_GID, errno);
  } else if (setresuid(uid, uid, uid) != 0) {
    rc = fail(err, SSS_PRIV_STAGE_UID, errno);
  } else if (keep && (rc = sss_netlink_agent_restrict()) < 0) {
    rc = fail(err, SSS_PRIV_STAGE_KEEP_LIMIT, -rc);
  } else {
    rc = lock_down(uid, gid, err);
  }
  if (rc < 0) sss_netlink_agent_stop(); /* its capability must not outlive a failed drop */
  return rc;
}

/* After the uid change: checks the ids, then NoNewPrivs and the seccomp filter on every thread. */
static int32_t lock_down(uint32_t uid, uint32_t gid, int32_t *err) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) {
    return fail(err, SSS_PRIV_STAGE_VERIFY, errno);
  }
  if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid) {
    return fail(err, SSS_PRIV_STAGE_VERIFY, EPERM);
  }

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(err, SSS_PRIV_STAGE_NO_NEW_PRIVS, errno);
  }

  struct sock_filter filter[FILTER_MAX];
  struct sock_fprog program = {.len = build_filter(filter), .filter = filter};
  /* TSYNC puts the filter, and NoNewPrivs, on every thread; a positive result is the id of a
   * thread that could not take it (one with a filter of its own: there is none in Deno). */
  long rc = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
  if (rc < 0) return fail(err, SSS_PRIV_STAGE_SECCOMP, errno);
  if (rc > 0) return fail(err, SSS_PRIV_STAGE_SECCOMP, ESRCH);
  return 0;
}

int32_t sss_thread_status(uint8_t *buf, uint32_t cap, uint32_t *len_out) {
  *len_out = 0;
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL) return -errno;
  uint32_t used = 0;
  int32_t rc = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%.20s/status", entry->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ESRCH) continue; /* the thread has just ended */
      rc = -errno;
      break;
    }
    uint32_t start = used;
    ssize_t got = 0;
    while (used < cap && (got = read(fd, buf + used, cap - used)) > 0) used += (uint32_t)got;
    int read_errno = errno;
    close(fd);
    if (got < 0) {
      used = start;
      if (read_errno == ESRCH) continue;
      rc = -read_errno;
      break;
    }
    if (used >= cap) { /* no room for the text and its NUL */
      rc = -ENOSPC;
      break;
    }
    buf[used++] = 0;
  }
  closedir(dir);
  *len_out = used;
  return rc;
}
