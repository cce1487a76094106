// Handing a caught signal on to the action installed before a handler, for the handlers that
// restore or report something and must then let the signal take its course: the crash handler
// (CrashHandler.c) and the terminal rescue (TerminalRescue.c). Private to CSystem.
#ifndef CSYSTEM_SIGNAL_CHAIN_H
#define CSYSTEM_SIGNAL_CHAIN_H

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

/// The action installed before the handler for `sig`, which is `signals[*index]` (`count` of
/// them, their previous actions in `previous`, in the same order). NULL when `sig` is none of
/// them, or when it was sent (kill, raise; not a fault) and the process ignored it before the
/// handler was installed: it does not die of it, so the handler should do nothing.
static inline const struct sigaction *signal_chain_previous(int sig, const siginfo_t *info, const int *signals,
                                                            const struct sigaction *previous, int count, int *index) {
    int i = 0;
    while (i < count && signals[i] != sig) i++;
    if (i == count) return NULL;
    *index = i;
    const struct sigaction *action = &previous[i];
    int ignored = !(action->sa_flags & SA_SIGINFO) && action->sa_handler == SIG_IGN;
    return info->si_code <= 0 && ignored ? NULL : action;
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
