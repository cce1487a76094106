// SIGUSR1 as a request for a black box snapshot (opt-in): the handler only counts the signal
// and writes to each registered monitor's eventfd, both async-signal-safe; the monitor threads
// do the work. Installed only where SIGUSR1 still has its default action: a handler of the
// host's own (or SIG_IGN) is never replaced.

#include "CSystem.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#define SNAPSHOT_WAKERS 16
static atomic_int snapshot_wakers[SNAPSHOT_WAKERS];  // eventfd + 1, 0 when free
static _Atomic uint64_t snapshot_requests;
static atomic_int snapshot_installed;

static void snapshot_handler(int sig) {
    (void)sig;
    int saved = errno;
    atomic_fetch_add(&snapshot_requests, 1);
    uint64_t one = 1;
    for (int i = 0; i < SNAPSHOT_WAKERS; i++) {
        int fd = atomic_load(&snapshot_wakers[i]) - 1;
        if (fd >= 0) { ssize_t n = write(fd, &one, sizeof one); (void)n; }
    }
    errno = saved;
}

int csystem_snapshot_signal_install(void) {
    if (atomic_load(&snapshot_installed)) return 1;
    struct sigaction current;
    if (sigaction(SIGUSR1, NULL, &current) != 0) return -1;
    int is_default = !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL;
    if (!is_default) return 0;
    struct sigaction action = {0};
    action.sa_handler = snapshot_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR1, &action, NULL) != 0) return -1;
    atomic_store(&snapshot_installed, 1);
    return 1;
}

int csystem_snapshot_signal_add(int fd) {
    for (int i = 0; i < SNAPSHOT_WAKERS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&snapshot_wakers[i], &expected, fd + 1)) return i;
    }
    return -1;
}

void csystem_snapshot_signal_remove(int slot) {
    if (slot >= 0 && slot < SNAPSHOT_WAKERS) atomic_store(&snapshot_wakers[slot], 0);
}

uint64_t csystem_snapshot_signal_count(void) {
    return atomic_load(&snapshot_requests);
}
