#ifndef CSYSTEM_PROCESS_H
#define CSYSTEM_PROCESS_H

#include <spawn.h>
#include <sys/types.h>

/// pipe2(2) with O_CLOEXEC (glibc declares pipe2 only under _GNU_SOURCE). Returns 0, or -1 with errno set.
int csystem_pipe_cloexec(int fds[2]);

/// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): a channel a writer can `send` to with
/// MSG_NOSIGNAL, so a dead reader is EPIPE and never SIGPIPE. Returns 0, or -1 with errno set.
int csystem_socketpair_cloexec(int fds[2]);

/// send(2) with MSG_NOSIGNAL | MSG_DONTWAIT. Returns the count sent, or -1 with errno set.
long csystem_send_nosignal(int fd, const void *bytes, unsigned long count);

/// Makes `fd` non-blocking (O_NONBLOCK). Returns 0, or -1 with errno set.
int csystem_set_nonblocking(int fd);

/// Sets or clears FD_CLOEXEC on `fd`. Returns 0, or -1 with errno set.
int csystem_set_cloexec(int fd, int on);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34, _GNU_SOURCE): close every descriptor
/// from `from` up in the child. Returns 0 or an error number.
int csystem_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate of `fd` numbered `minimum` or above.
/// Returns the new descriptor, or -1 with errno set.
int csystem_dup_cloexec_above(int fd, int minimum);

/// prctl(PR_SET_PDEATHSIG, signal): the calling process gets `signal` when the thread that
/// spawned it ends. Returns 0, or -1 with errno set.
int csystem_set_parent_death_signal(int signal);

/// Makes stdout line-buffered (Swift 6 cannot name the C `stdout` variable).
void csystem_line_buffer_stdout(void);

/// The exit status of a process ended by waitpid: >= 0 for an exit code, or -signal for a signal.
int csystem_wait_status_decode(int status);

/// Whether child `pid` has ended, without reaping it (waitid with WNOWAIT): while it is not
/// reaped, its pid and process group id cannot be given to another process.
/// 1 ended, 0 still running, -1 with errno set.
int csystem_child_has_ended(pid_t pid);

#endif
