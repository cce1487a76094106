// Black boxes of a process that exits normally without shutting its monitor down (exit(),
// a return from main) are removed at exit, like after a clean shutdown: a box that outlives its
// process must mean the process died. Not on a signal, abort() or _exit(): no atexit runs then.

#define _GNU_SOURCE
#include "CSystem.h"

#include <fcntl.h>
#include <stdio.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_BOXES 16
#define EXIT_PATH_BYTES 4096
static char exit_paths[EXIT_BOXES][EXIT_PATH_BYTES];
// The process that registered each box: a fork()ed child that calls exit() shares the table,
// and must not remove its parent's live box.
static pid_t exit_pids[EXIT_BOXES];
static atomic_int exit_used[EXIT_BOXES];  // 0 free, 1 being filled in, 2 registered
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void remove_boxes_at_exit(void) {
    for (int i = 0; i < EXIT_BOXES; i++) {
        int expected = 2;
        if (atomic_compare_exchange_strong(&exit_used[i], &expected, 1)) {
            if (exit_pids[i] == getpid()) unlink(exit_paths[i]);
            atomic_store(&exit_used[i], 0);
        }
    }
}

static void register_exit_handler(void) { atexit(remove_boxes_at_exit); }

int csystem_blackbox_remove_at_exit(const char *path) {
    size_t length = strlen(path);
    if (length >= EXIT_PATH_BYTES) return -1;
    pthread_once(&exit_once, register_exit_handler);
    for (int i = 0; i < EXIT_BOXES; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&exit_used[i], &expected, 1)) {
            memcpy(exit_paths[i], path, length + 1);
            exit_pids[i] = getpid();
            atomic_store(&exit_used[i], 2);
            return i;
        }
    }
    return -1;
}

int csystem_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

void csystem_blackbox_keep_at_exit(int slot) {
    if (slot < 0 || slot >= EXIT_BOXES) return;
    int expected = 2;
    atomic_compare_exchange_strong(&exit_used[slot], &expected, 0);
}
