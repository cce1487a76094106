// The terminal rescue: while the dashboard has the terminal in curses mode (no echo, no line
// editing, the alternate screen, the cursor hidden), a signal that kills the process would
// leave it so for the shell. SIGINT, SIGTERM and SIGHUP are caught by TerminalUI's SignalTrap
// and end the run loop, which restores the terminal through curses. Everything else that ends
// the process short of SIGKILL comes here: a trap (SIGILL, SIGTRAP), a fault, abort(), and
// the signals whose default action is to terminate (SIGQUIT from Ctrl-\, SIGUSR1, …).
//
// The handler writes the terminal's reset sequences (taken from terminfo by TerminalUI when it
// armed the rescue) and puts back the mode saved before curses started, with tcsetattr; both
// are async-signal-safe. Then it hands the signal on (SignalChain.h) to the action installed
// before it, so that Swift's backtracer still runs, now on a sane terminal, and the process
// dies of the same signal with the same status. It allocates nothing and takes no lock.
#define _GNU_SOURCE
#include "CSystem.h"
#include "SignalChain.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define ALWAYS_COUNT 6
#define RESCUE_COUNT 16
// The first ALWAYS_COUNT are always handled: the faults and abort(), of which the process dies
// whoever handles them (Swift's backtracer prints a crash report first). The others only where
// their action is the default, which terminates: a handler someone else installed decides for
// itself (Swift's backtracer catches SIGQUIT, and the process lives on).
static const int rescue_signals[RESCUE_COUNT] = {
    SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT,
    SIGQUIT, SIGSYS, SIGXCPU, SIGXFSZ, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGPIPE,
};
static struct sigaction previous_actions[RESCUE_COUNT];
static int installed[RESCUE_COUNT];

static int terminal_fd = -1;
static struct termios saved_mode;
static char reset_bytes[CSYSTEM_TERMINAL_RESCUE_MAX_RESET];
static size_t reset_length;
// 1 while armed; the first handler to run takes it (exchange), so the terminal is reset once.
static atomic_int armed;

static void rescue_handler(int sig, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    int index;
    const struct sigaction *previous =
        signal_chain_previous(sig, info, rescue_signals, previous_actions, RESCUE_COUNT, &index);
    if (!previous) {
        errno = saved_errno;
        return;
    }
    if (atomic_exchange(&armed, 0)) {
        size_t written = 0;
        while (written < reset_length) {
            ssize_t count = write(terminal_fd, reset_bytes + written, reset_length - written);
            if (count < 0 && errno == EINTR) continue;
            if (count <= 0) break;
            written += (size_t)count;
        }
        while (tcsetattr(terminal_fd, TCSANOW, &saved_mode) != 0 && errno == EINTR) {}
    }
    installed[index] = 0;
    signal_chain(sig, info, previous);
    errno = saved_errno;
}

int csystem_terminal_rescue_arm(int fd, const struct termios *mode, const char *reset, size_t length) {
    if (length > sizeof(reset_bytes)) length = sizeof(reset_bytes);
    atomic_store(&armed, 0);
    terminal_fd = fd;
    saved_mode = *mode;
    memcpy(reset_bytes, reset, length);
    reset_length = length;

    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = rescue_handler;
    // On the alternate stack where the thread has one: a stack overflow faults too.
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < RESCUE_COUNT; i++) sigaddset(&action.sa_mask, rescue_signals[i]);
    for (int i = 0; i < RESCUE_COUNT; i++) {
        if (installed[i]) continue;
        struct sigaction current;
        if (sigaction(rescue_signals[i], NULL, &current) != 0) return -1;
        int is_default = !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
        if (i >= ALWAYS_COUNT && !is_default) continue;
        previous_actions[i] = current;
        if (sigaction(rescue_signals[i], &action, NULL) != 0) return -1;
        installed[i] = 1;
    }
    atomic_store(&armed, 1);
    return 0;
}

void csystem_terminal_rescue_disarm(void) {
    atomic_store(&armed, 0);
    for (int i = 0; i < RESCUE_COUNT; i++) {
        if (!installed[i]) continue;
        // Put the previous action back only where ours is still the one installed: a handler
        // installed since (the crash handler of an in-process monitor) chains to ours, which
        // then only chains on.
        struct sigaction current;
        if (sigaction(rescue_signals[i], NULL, &current) != 0) continue;
        if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == rescue_handler) {
            sigaction(rescue_signals[i], &previous_actions[i], NULL);
            installed[i] = 0;
        }
    }
}
