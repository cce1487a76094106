#ifndef CSYSTEM_H
#define CSYSTEM_H

#include <sys/types.h>

#include "CSystemProcess.h"

/// The credentials of the process at the other end of a connected Unix socket (SO_PEERCRED).
typedef struct csystem_peer_credentials {
    pid_t pid;
    uid_t uid;
    gid_t gid;
} csystem_peer_credentials;

/// Reads SO_PEERCRED of `fd` into `out`. Returns 0, or -1 with errno set.
int csystem_peer_credentials_get(int fd, csystem_peer_credentials *out);

/// accept4(2), which glibc declares only under _GNU_SOURCE. Returns the fd, or -1 with errno set.
int csystem_accept4(int fd, int flags);

/// The kernel thread id of the calling thread.
pid_t csystem_gettid(void);

/// SOCK_NONBLOCK | SOCK_CLOEXEC, which Swift cannot import as constants.
int csystem_sock_nonblock_cloexec(void);

/// eventfd(2) with EFD_NONBLOCK | EFD_CLOEXEC, for waking a poll loop.
int csystem_eventfd(void);

/// flock(2) with LOCK_EX | LOCK_NB (Swift sees only `struct flock` under that name).
int csystem_flock_exclusive_nonblocking(int fd);

/// Names the calling thread (pthread_setname_np; at most 15 bytes are kept).
void csystem_set_thread_name(const char *name);

/// Blocks SIGPIPE in the calling thread only (the process's dispositions stay as they are),
/// so a write to a closed pipe fails with EPIPE instead of killing the process.
void csystem_block_sigpipe_in_thread(void);

/// Takes a SIGPIPE pending on the calling thread, if any, without waiting.
void csystem_consume_pending_sigpipe(void);

/// The errno of the calling thread, read at once.
int csystem_errno(void);

#endif
