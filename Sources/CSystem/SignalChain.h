// Handing a caught signal on to the action installed before a handler, for the handlers that
// restore or report something and must then let the signal take its course: the crash handler
// (CrashHandler.c) and the terminal rescue (TerminalRescue.c). Private to CSystem.
#ifndef CSYSTEM_SIGNAL_CHAIN_H
#define CSYSTEM_SIGNAL_CHAIN_H

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

/// Whether `info` is a signal sent (kill, raise; not a fault) that the process ignored before
/// the handler was installed: it does not die of it, so the handler should do nothing.
static inline int signal_chain_was_ignored(const siginfo_t *info, const struct sigaction *previous) {
    return info->si_code <= 0 && !(previous->sa_flags & SA_SIGINFO) && previous->sa_handler == SIG_IGN;
}

/// Whether the instruction that raised `sig` raises it again when the handler returns: a
/// fault (SIGILL, SIGSEGV, SIGBUS, SIGFPE from the CPU). Not a signal sent by kill or raise
/// (si_code <= 0), nor one from the terminal (Ctrl-\ is SIGQUIT with SI_KERNEL), nor a
/// SIGTRAP (int3 leaves the PC after itself).
static inline int signal_chain_recurs(int sig, const siginfo_t *info) {
    if (info->si_code <= 0) return 0;
    return sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE;
}

/// Puts `previous` back for `sig` and lets the signal reach it. A fault re-executes the
/// faulting instruction when the handler returns, and faults again into the previous action
/// with the original context. Any other signal is raised again on this thread; it is blocked
/// until the handler returns.
static inline void signal_chain(int sig, const siginfo_t *info, const struct sigaction *previous) {
    sigaction(sig, previous, NULL);
    if (!signal_chain_recurs(sig, info)) syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
}

#endif
