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

// MARK: - Last gasp: the crash handler (CrashHandler.c)
//
// Everything the signal handler reads is in fixed tables updated with atomics: the streams
// (one per monitor: the last `seq` it numbered), the targets (a viewer's socket or a
// recording's file, each in a stream) and the running SafeGroup children (async task pointer
// -> task id, group id). The handler allocates nothing, takes no lock and calls only
// async-signal-safe functions (clock_gettime, send, write, sigaction, tgkill, mincore), plus
// swift_task_getCurrent (a thread-local read). It walks the stack by frame pointers, reading
// only within the thread's recorded stack bounds, so it cannot fault.

#include <stdint.h>

/// Installs the crash handler for SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE and SIGABRT (once
/// per process; later calls return 0 and change nothing). `epoch_offset_ns` is what to subtract
/// from CLOCK_BOOTTIME, in nanoseconds, to get a timestamp on the wire's clock. Also gives the
/// calling thread an alternate signal stack. Returns 0, or -1 with errno set by the sigaction
/// that failed and `*failed_signal` set to its signal: then no signal is left handled (the
/// actions already replaced are put back) and a later call tries again.
int csystem_crash_install(uint64_t epoch_offset_ns, int *failed_signal);

/// Gives the calling thread an alternate signal stack (256 KiB behind a guard page, released
/// when the thread ends), unless it has one, so that a handler of SIGSEGV can run after a stack
/// overflow. The one installer of alternate stacks: the crash handler's threads and isolated
/// jobs' threads get theirs here. Returns 0, or -1 when none could be set up.
int csystem_install_alternate_signal_stack(void);

/// For tests: sets the frame pointer to a bad address (0x10) and traps (SIGILL), as a crash on
/// a corrupt stack would; the handler must still write its event and chain.
void csystem_crash_trap_with_corrupt_frame_pointer(void);

/// Whether the crash handler is installed.
int csystem_crash_is_installed(void);

/// CLOCK_BOOTTIME in nanoseconds (the clock of Swift's ContinuousClock on Linux).
uint64_t csystem_boottime_ns(void);

/// Reserves a stream (one per monitor) and returns its index, or -1 when all 16 are taken.
int csystem_crash_stream_open(void);
/// Frees a stream whose targets were all removed.
void csystem_crash_stream_close(int stream);
/// Publishes the newest `seq` the stream's monitor numbered; the crash event takes the next one.
void csystem_crash_stream_publish(int stream, uint64_t seq);

/// Adds `fd` to the targets of `stream`: a socket (written with send MSG_NOSIGNAL|MSG_DONTWAIT)
/// or a file (written with write). Returns the target's slot, or -1 when all 64 are taken.
/// Call it between csystem_crash_gate_enter and csystem_crash_gate_leave.
int csystem_crash_target_add(int stream, int fd, int is_socket);
/// Removes a target; call it before closing its fd, inside the gate.
void csystem_crash_target_remove(int slot);

/// The gate the monitor passes through to write to, add, remove or close a target. Returns 1
/// when it may go on (then it must call csystem_crash_gate_leave), 0 while a crash event is
/// being written (for at most two seconds): then it must not touch any target. The handler
/// waits (200 ms at most) for writers inside the gate to leave before it writes, so the crash
/// event is the last line of each target unless a writer outstays that wait.
int csystem_crash_gate_enter(void);
void csystem_crash_gate_leave(void);

/// Registers the current async task as running SafeGroup child `task` of `group` (and gives
/// the calling thread an alternate signal stack, once). Returns the slot, or -1 when there is
/// no current task or the table (8192 slots) is full.
int32_t csystem_crash_task_enter(uint64_t task, uint64_t group);
/// Unregisters what csystem_crash_task_enter registered (nothing for -1).
void csystem_crash_task_leave(int32_t slot);

/// Children that could not be registered because the table was full.
uint64_t csystem_crash_task_overflows(void);

// MARK: - The black box's ring (CrashHandler.c)

/// A black box's ring in a shared mapping, as the monitor and the last gasp write it. The
/// words are 8- or 4-byte aligned fields of the file's header (docs/MONITOR.md has the layout).
typedef struct csystem_ring {
    uint8_t *data;
    uint64_t capacity;
    /// Bytes ever written; the next byte goes at `*head % capacity`. Stored after the bytes.
    uint64_t *head;
    /// Where the write under way ends; stored before the bytes, so a reader of a process that
    /// died mid-write knows which bytes may be half-written.
    uint64_t *writing;
    /// 1 running, 2 crashed (set by the last gasp), and the crash's signal.
    uint32_t *state;
    int32_t *signal;
} csystem_ring;

/// The monitor's append: `count` bytes to `ring` (only the last `capacity` of them when there
/// are more). Claims the bytes by moving `writing` from `head` (compare-and-swap), and publishes
/// `head` only if it is still where the copy began. Returns 0, writing nothing, when `writing`
/// is not at `head`: the last gasp is writing (or wrote) there, and its line is left alone.
/// One monitor per ring; async-signal-safe (memcpy and atomics).
int csystem_ring_append(const csystem_ring *ring, const void *bytes, size_t count);

/// The last gasp's append: starts at max(head, writing), after whatever the monitor may be
/// copying, and never lowers `writing` or `head`. Async-signal-safe.
void csystem_ring_append_last_gasp(const csystem_ring *ring, const void *bytes, size_t count);

/// Gives `stream` a black box ring (copied), or takes it away (NULL): on a crash the last gasp
/// appends its event to the ring too and marks it crashed. Call it inside the gate.
void csystem_crash_stream_set_ring(int stream, const csystem_ring *ring);

/// renameat2(2) with RENAME_NOREPLACE (glibc declares it only under _GNU_SOURCE): fails with
/// EEXIST instead of replacing `to`. Returns 0, or -1 with errno set.
int csystem_rename_noreplace(const char *from, const char *to);

/// Removes the black box at `path` when the process exits normally (atexit), unless
/// csystem_blackbox_keep_at_exit(slot) is called first. Returns the slot, or -1 (16 boxes, or a
/// path of 4096 bytes or more): then the box stays after a normal exit.
int csystem_blackbox_remove_at_exit(const char *path);
/// Forgets a slot of csystem_blackbox_remove_at_exit (the box was removed already).
void csystem_blackbox_keep_at_exit(int slot);

// MARK: - SIGUSR1 asks for black box snapshots (SnapshotSignal.c, opt-in)

/// Installs the SIGUSR1 handler if SIGUSR1 still has its default action. Returns 1 when ours
/// is installed (now or before), 0 when the host has a handler of its own or ignores SIGUSR1
/// (then nothing is changed), -1 with errno set when sigaction fails.
int csystem_snapshot_signal_install(void);
/// Registers an eventfd the handler writes to on each SIGUSR1; returns its slot, or -1 when
/// all 16 are taken.
int csystem_snapshot_signal_add(int fd);
/// Unregisters a slot (before its eventfd is closed).
void csystem_snapshot_signal_remove(int slot);
/// How many SIGUSR1s the handler has taken.
uint64_t csystem_snapshot_signal_count(void);

// MARK: - The terminal rescue (TerminalRescue.c)

#include <termios.h>

/// The most bytes of reset sequences the rescue keeps.
#define CSYSTEM_TERMINAL_RESCUE_MAX_RESET 256

/// Arms the terminal rescue for the terminal on `fd`: a trap, a fault, abort() or a signal
/// whose default action terminates (SIGQUIT, SIGUSR1, …; not SIGINT, SIGTERM, SIGHUP, which
/// TerminalUI catches itself) then writes `reset` (at most CSYSTEM_TERMINAL_RESCUE_MAX_RESET
/// bytes) to `fd` and puts `mode` back with tcsetattr, once, before the signal takes its
/// course through the action installed before. Returns 0, or -1 with errno set (then some
/// signals may be handled: disarm).
int csystem_terminal_rescue_arm(int fd, const struct termios *mode, const char *reset, size_t length);

/// Disarms the rescue (the terminal was restored the ordinary way) and puts the previous
/// actions back where the rescue's handler is still the one installed.
void csystem_terminal_rescue_disarm(void);

#endif
