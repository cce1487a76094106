// The last gasp: a crash handler that writes one `process.crashed` event line to every
// registered target (viewer sockets, recording files), then hands the signal on to the handler
// that was installed before it, so that Swift's backtracer and the exit status stay as they were.
//
// Only the first thread to crash writes; another one waits for it, then chains.
//
// Async-signal-safety: the handler allocates nothing, takes no lock and uses no stdio. It calls
// clock_gettime, send, write, sigaction, syscall(gettid/tgkill), getpid, mincore, memset, memcpy,
// strlen and swift_task_getCurrent (a thread-local read). Its text is built by hand into a static buffer;
// only one thread writes it (the first to crash).
//
// It must not fault: the six signals are blocked while it runs (so that a second crash waits
// for the first), and a fault with its signal blocked kills the process at once, with no event,
// no chaining and the wrong signal. So the stack is not unwound with backtrace() (libgcc's
// unwinder reads whatever the frames say, and faults on a corrupt or overflowed stack): the
// handler follows the frame pointers from the interrupted context's registers (Swift and C keep
// them on Linux), and reads a frame record only when it lies within the thread's stack or its
// alternate signal stack, whose bounds were recorded when the thread got its alternate stack.
#define _GNU_SOURCE
#include "CSystem.h"
#include "SignalChain.h"

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

// Swift runtime exports, weak so that a plain C program still links.
extern void *swift_task_getCurrent(void) __attribute__((weak));
// Returns a std::atomic<const char *>: the "Fatal error: …" message of the trap about to happen.
extern void *swift_getFatalErrorMessageBuffer(void) __attribute__((weak));

#define SIGNAL_COUNT 6
static const int handled_signals[SIGNAL_COUNT] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
static struct sigaction previous_actions[SIGNAL_COUNT];
static atomic_int installed;
static uint64_t epoch_offset_ns;
static uintptr_t page_size;
static _Atomic(const char *) *fatal_message;

// MARK: Loaded images, for symbolication after the fact

#define IMAGE_COUNT 256
#define IMAGE_PATH_BYTES 512
struct image {
    uintptr_t base;  // the load bias: an address minus it is the address in the ELF file
    uintptr_t low, high;
    char path[IMAGE_PATH_BYTES];
};
static struct image images[IMAGE_COUNT];
static int image_count;
static unsigned char image_used[IMAGE_COUNT];

static int collect_image(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    if (image_count >= IMAGE_COUNT) return 1;
    struct image *image = &images[image_count];
    uintptr_t low = UINTPTR_MAX, high = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD) continue;
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if (start < low) low = start;
        if (start + segment->p_memsz > high) high = start + segment->p_memsz;
    }
    if (high == 0) return 0;
    const char *name = info->dlpi_name;
    if (!name || !name[0]) {
        // The main executable has no name here.
        ssize_t n = readlink("/proc/self/exe", image->path, IMAGE_PATH_BYTES - 1);
        image->path[n > 0 ? n : 0] = 0;
    } else {
        strncpy(image->path, name, IMAGE_PATH_BYTES - 1);
        image->path[IMAGE_PATH_BYTES - 1] = 0;
    }
    if (!image->path[0]) return 0;  // the vDSO
    image->base = info->dlpi_addr;
    image->low = low;
    image->high = high;
    image_count++;
    return 0;
}

static int image_of(uintptr_t address) {
    for (int i = 0; i < image_count; i++) {
        if (address >= images[i].low && address < images[i].high) return i;
    }
    return -1;
}

// MARK: Streams and targets

#define STREAM_COUNT 16
static atomic_int stream_used[STREAM_COUNT];
static _Atomic uint64_t stream_seq[STREAM_COUNT];

#define TARGET_COUNT 64
struct target {
    atomic_int fd_plus_one;  // 0: free, -1: being filled in, else fd + 1
    atomic_int stream;
    atomic_int is_socket;
};
static struct target targets[TARGET_COUNT];

// Each stream's black box ring, when it has one.
static csystem_ring stream_rings[STREAM_COUNT];
static atomic_int stream_has_ring[STREAM_COUNT];

static atomic_int gate_writers;
static _Atomic uint64_t hold_until_ns;

uint64_t csystem_boottime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int csystem_crash_stream_open(void) {
    for (int i = 0; i < STREAM_COUNT; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&stream_used[i], &expected, 1)) {
            atomic_store(&stream_seq[i], 0);
            return i;
        }
    }
    return -1;
}

void csystem_crash_stream_close(int stream) {
    if (stream >= 0 && stream < STREAM_COUNT) atomic_store(&stream_used[stream], 0);
}

void csystem_crash_stream_publish(int stream, uint64_t seq) {
    if (stream >= 0 && stream < STREAM_COUNT) atomic_store_explicit(&stream_seq[stream], seq, memory_order_release);
}

/// Copies `count` bytes (the last `capacity` of them when there are more) to stream position
/// `at` of `ring`.
static void ring_copy(const csystem_ring *ring, uint64_t at, const uint8_t *from, size_t count) {
    uint64_t capacity = ring->capacity;
    if (count > capacity) {
        from += count - capacity;
        at += count - capacity;
        count = (size_t)capacity;
    }
    uint64_t offset = at % capacity;
    size_t first = capacity - offset < count ? (size_t)(capacity - offset) : count;
    memcpy(ring->data + offset, from, first);
    if (count > first) memcpy(ring->data, from + first, count - first);
}

int csystem_ring_append(const csystem_ring *ring, const void *bytes, size_t count) {
    if (ring->capacity == 0 || count == 0) return 1;
    _Atomic uint64_t *head = (_Atomic uint64_t *)ring->head;
    _Atomic uint64_t *writing = (_Atomic uint64_t *)ring->writing;
    uint64_t at = atomic_load_explicit(head, memory_order_acquire);
    uint64_t end = at + count;
    // First say which bytes are about to change (claiming them: `writing` still at `head`
    // means nobody else is writing), then change them, then publish them.
    uint64_t expected = at;
    if (!atomic_compare_exchange_strong(writing, &expected, end)) return 0;  // the last gasp's
    atomic_thread_fence(memory_order_seq_cst);
    ring_copy(ring, at, bytes, count);
    // Published only if `head` is still where the copy began: else the last gasp wrote its
    // line meanwhile, after this copy's end, and `head` already covers both.
    expected = at;
    atomic_compare_exchange_strong(head, &expected, end);
    return 1;
}

void csystem_ring_append_last_gasp(const csystem_ring *ring, const void *bytes, size_t count) {
    if (ring->capacity == 0 || count == 0) return;
    _Atomic uint64_t *head = (_Atomic uint64_t *)ring->head;
    _Atomic uint64_t *writing = (_Atomic uint64_t *)ring->writing;
    // After anything the monitor may be writing (its bytes may be torn; the line starts with a
    // newline that ends them), and `writing` is never lowered.
    uint64_t start, end, seen = atomic_load(writing);
    do {
        uint64_t h = atomic_load(head);
        start = h > seen ? h : seen;
        end = start + count;
    } while (!atomic_compare_exchange_weak(writing, &seen, end));
    atomic_thread_fence(memory_order_seq_cst);
    ring_copy(ring, start, bytes, count);
    uint64_t h = atomic_load(head);
    while (h < end && !atomic_compare_exchange_weak(head, &h, end)) {}
}

void csystem_crash_stream_set_ring(int stream, const csystem_ring *ring) {
    if (stream < 0 || stream >= STREAM_COUNT) return;
    atomic_store(&stream_has_ring[stream], 0);
    if (!ring) return;
    stream_rings[stream] = *ring;
    atomic_store_explicit(&stream_has_ring[stream], 1, memory_order_release);
}

int csystem_crash_target_add(int stream, int fd, int is_socket) {
    if (stream < 0 || stream >= STREAM_COUNT || fd < 0) return -1;
    for (int i = 0; i < TARGET_COUNT; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&targets[i].fd_plus_one, &expected, -1)) {
            atomic_store(&targets[i].stream, stream);
            atomic_store(&targets[i].is_socket, is_socket);
            atomic_store_explicit(&targets[i].fd_plus_one, fd + 1, memory_order_release);
            return i;
        }
    }
    return -1;
}

void csystem_crash_target_remove(int slot) {
    if (slot >= 0 && slot < TARGET_COUNT) atomic_store(&targets[slot].fd_plus_one, 0);
}

int csystem_crash_gate_enter(void) {
    atomic_fetch_add(&gate_writers, 1);
    uint64_t hold = atomic_load(&hold_until_ns);
    if (hold != 0 && csystem_boottime_ns() < hold) {
        atomic_fetch_sub(&gate_writers, 1);
        return 0;
    }
    return 1;
}

void csystem_crash_gate_leave(void) {
    atomic_fetch_sub(&gate_writers, 1);
}

// MARK: Running children and alternate signal stacks

#define TASK_SLOT_COUNT 8192
#define TASK_PROBES 64
struct task_slot {
    _Atomic uintptr_t key;  // 0: free, 1: being filled in, else the async task's address
    _Atomic uint64_t task;
    _Atomic uint64_t group;
};
static struct task_slot task_slots[TASK_SLOT_COUNT];
static _Atomic uint64_t task_overflows;

#define ALT_STACK_BYTES (256 * 1024)
static pthread_key_t alt_stack_key;
static pthread_once_t alt_stack_key_once = PTHREAD_ONCE_INIT;
// Initial-exec: the handler reads these, and a thread-local of that model never allocates.
#define THREAD_LOCAL __thread __attribute__((tls_model("initial-exec")))
static THREAD_LOCAL int thread_checked;
// The calling thread's stack and alternate signal stack, [low, high); 0, 0 when unknown. The
// frame walk reads only within them.
static THREAD_LOCAL uintptr_t stack_low, stack_high, alt_low, alt_high;
// The main thread's stack range runs down to its size limit, further than what is mapped yet.
static THREAD_LOCAL int stack_is_main;

static void release_alt_stack(void *mapping) {
    alt_low = alt_high = 0;
    stack_t disable = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
    sigaltstack(&disable, NULL);
    munmap(mapping, ALT_STACK_BYTES + (size_t)sysconf(_SC_PAGESIZE));
}

/// Records the calling thread's stack bounds (guard page excluded) for the frame walk.
static void record_stack_bounds(void) {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
    void *address;
    size_t size;
    if (pthread_attr_getstack(&attr, &address, &size) == 0) {
        stack_is_main = syscall(SYS_gettid) == getpid();
        stack_low = (uintptr_t)address;
        stack_high = (uintptr_t)address + size;
    }
    pthread_attr_destroy(&attr);
}

/// Gives the calling thread an alternate signal stack (with a guard page), unless it has one,
/// so that the handler can run after a stack overflow. Released when the thread exits. Records
/// the bounds of the thread's stacks for the frame walk.
static void ensure_alt_stack(void) {
    if (thread_checked) return;
    thread_checked = 1;
    record_stack_bounds();
    stack_t current;
    if (sigaltstack(NULL, &current) != 0) return;
    if (!(current.ss_flags & SS_DISABLE)) {
        alt_low = (uintptr_t)current.ss_sp;
        alt_high = alt_low + current.ss_size;
        return;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *mapping = mmap(NULL, ALT_STACK_BYTES + page, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) return;
    mprotect(mapping, page, PROT_NONE);
    stack_t stack = {.ss_sp = mapping + page, .ss_flags = 0, .ss_size = ALT_STACK_BYTES};
    if (sigaltstack(&stack, NULL) != 0) {
        munmap(mapping, ALT_STACK_BYTES + page);
        return;
    }
    alt_low = (uintptr_t)(mapping + page);
    alt_high = alt_low + ALT_STACK_BYTES;
    pthread_setspecific(alt_stack_key, mapping);
}

static void create_alt_stack_key(void) {
    pthread_key_create(&alt_stack_key, release_alt_stack);
}

int csystem_install_alternate_signal_stack(void) {
    pthread_once(&alt_stack_key_once, create_alt_stack_key);
    ensure_alt_stack();
    return alt_high != 0 ? 0 : -1;
}

int32_t csystem_crash_task_enter(uint64_t task, uint64_t group) {
    if (!atomic_load_explicit(&installed, memory_order_relaxed) || !swift_task_getCurrent) return -1;
    ensure_alt_stack();
    uintptr_t key = (uintptr_t)swift_task_getCurrent();
    if (key <= 1) return -1;
    uint64_t hash = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    uint32_t start = (uint32_t)(hash >> 51);  // 13 bits: 0..8191
    for (uint32_t probe = 0; probe < TASK_PROBES; probe++) {
        uint32_t index = (start + probe) & (TASK_SLOT_COUNT - 1);
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&task_slots[index].key, &expected, (uintptr_t)1)) {
            atomic_store_explicit(&task_slots[index].task, task, memory_order_relaxed);
            atomic_store_explicit(&task_slots[index].group, group, memory_order_relaxed);
            atomic_store_explicit(&task_slots[index].key, key, memory_order_release);
            return (int32_t)index;
        }
    }
    atomic_fetch_add_explicit(&task_overflows, 1, memory_order_relaxed);
    return -1;
}

void csystem_crash_task_leave(int32_t slot) {
    if (slot >= 0 && slot < TASK_SLOT_COUNT) atomic_store_explicit(&task_slots[slot].key, 0, memory_order_release);
}

uint64_t csystem_crash_task_overflows(void) {
    return atomic_load_explicit(&task_overflows, memory_order_relaxed);
}

// MARK: Text, by hand

struct text {
    char *at;
    char *end;
};

static void put_bytes(struct text *t, const char *bytes, size_t count) {
    size_t room = (size_t)(t->end - t->at);
    if (count > room) count = room;
    memcpy(t->at, bytes, count);
    t->at += count;
}

static void put(struct text *t, const char *literal) {
    put_bytes(t, literal, strlen(literal));
}

static void put_unsigned(struct text *t, uint64_t value) {
    char digits[20];
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0 && t->at < t->end) *t->at++ = digits[--count];
}

static void put_signed(struct text *t, int64_t value) {
    if (value < 0) {
        put(t, "-");
        put_unsigned(t, (uint64_t)0 - (uint64_t)value);
    } else {
        put_unsigned(t, (uint64_t)value);
    }
}

static void put_hex(struct text *t, uint64_t value) {
    static const char hex[] = "0123456789abcdef";
    char digits[18] = {'0', 'x'};
    for (int i = 0; i < 16; i++) digits[2 + i] = hex[(value >> (60 - 4 * i)) & 0xF];
    put_bytes(t, digits, sizeof(digits));
}

/// Writes `bytes` as the inside of a JSON string: quotes, backslashes and control characters
/// escaped, everything else as it is; at most `limit` bytes of input, cut at a UTF-8 boundary.
static void put_escaped(struct text *t, const char *bytes, size_t count, size_t limit) {
    if (count > limit) {
        count = limit;
        while (count > 0 && ((unsigned char)bytes[count] & 0xC0) == 0x80) count--;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < count && t->end - t->at >= 6; i++) {
        unsigned char c = (unsigned char)bytes[i];
        switch (c) {
        case '"': put(t, "\\\""); break;
        case '\\': put(t, "\\\\"); break;
        case '\n': put(t, "\\n"); break;
        case '\r': put(t, "\\r"); break;
        case '\t': put(t, "\\t"); break;
        default:
            if (c < 0x20) {
                char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                put_bytes(t, escape, 6);
            } else {
                *t->at++ = (char)c;
            }
        }
    }
}

// MARK: Describing the signal

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    default: return "SIG?";
    }
}

static const char *signal_description(int sig) {
    switch (sig) {
    case SIGILL: return "illegal instruction";
    case SIGTRAP: return "trace/breakpoint trap";
    case SIGSEGV: return "segmentation fault";
    case SIGBUS: return "bus error";
    case SIGFPE: return "arithmetic exception";
    case SIGABRT: return "aborted";
    default: return "signal";
    }
}

/// What `si_code` says, or NULL when it says nothing worth a word.
static const char *code_description(int sig, int code) {
    switch (code) {
    case SI_USER: return "sent by kill";
    case SI_TKILL: return "sent by tgkill or raise";
    case SI_QUEUE: return "sent by sigqueue";
    default: break;
    }
    switch (sig) {
    case SIGSEGV:
        if (code == SEGV_MAPERR) return "address not mapped";
        if (code == SEGV_ACCERR) return "invalid permissions for mapped object";
        break;
    case SIGBUS:
        if (code == BUS_ADRALN) return "invalid address alignment";
        if (code == BUS_ADRERR) return "nonexistent physical address";
        if (code == BUS_OBJERR) return "object-specific hardware error";
        break;
    case SIGILL:
        if (code == ILL_ILLOPC) return "illegal opcode";
        if (code == ILL_ILLOPN) return "illegal operand";
        if (code == ILL_PRVOPC) return "privileged opcode";
        break;
    case SIGFPE:
        if (code == FPE_INTDIV) return "integer divide by zero";
        if (code == FPE_INTOVF) return "integer overflow";
        if (code == FPE_FLTDIV) return "floating-point divide by zero";
        break;
    case SIGTRAP:
        if (code == TRAP_BRKPT) return "breakpoint";
        break;
    }
    return NULL;
}

static int has_address(int sig, int code) {
    return code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
}

// MARK: The stack, by frame pointers

/// Whether the page holding `address` is mapped (mincore fails with ENOMEM when it is not).
static int page_mapped(uintptr_t address) {
    unsigned char resident;
    return mincore((void *)(address & ~(page_size - 1)), 1, &resident) == 0;
}

static int in_alt_stack(uintptr_t address, uintptr_t end) {
    return address >= alt_low && end <= alt_high && alt_low < alt_high;
}

/// Whether the frame record at `address` (two words) can be read without a fault: it lies in
/// the thread's stack or its alternate signal stack. The main thread's recorded range reaches
/// below its mapped part, so there the pages are asked about too.
static int frame_record_readable(uintptr_t address) {
    if (address == 0 || address % sizeof(uintptr_t) != 0 || address > UINTPTR_MAX - 2 * sizeof(uintptr_t)) return 0;
    uintptr_t end = address + 2 * sizeof(uintptr_t);
    if (in_alt_stack(address, end)) return 1;
    if (address >= stack_low && end <= stack_high && stack_low < stack_high) {
        return !stack_is_main || (page_mapped(address) && page_mapped(end - 1));
    }
    return 0;
}

/// The interrupted thread's return addresses, innermost (the faulting instruction) first:
/// follows the chain of frame records (saved frame pointer, return address) from the context's
/// frame pointer, reading only records that lie in the thread's known stacks, so it cannot fault.
/// A thread whose stacks are unknown (it never ran a tracked child) gets the faulting address
/// alone. Stops at a null return address, a record out of bounds, or a chain that does not go
/// up the stack.
static int walk_stack(void *context, uintptr_t *frames, int capacity) {
    const ucontext_t *uc = context;
    if (!uc || capacity <= 0) return 0;
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.regs[29];
#else
    uintptr_t pc = 0, fp = 0;
#endif
    int count = 0;
    if (pc == 0) return 0;
    frames[count++] = pc;
    while (count < capacity && frame_record_readable(fp)) {
        const uintptr_t *record = (const uintptr_t *)fp;
        uintptr_t next = record[0], return_address = record[1];
        if (return_address == 0) break;
        frames[count++] = return_address;
        // Frames lie ever higher on a stack; from the alternate stack (a fault in a signal
        // handler) the chain may go on in the thread's own stack, wherever that is.
        if (next <= fp && !in_alt_stack(fp, fp + 1)) break;
        fp = next;
    }
    return count;
}

// MARK: The event

#define STACK_FRAMES 32
#define REASON_LIMIT 2048
// The body of the line: everything after the seq. Keys, numbers and 32 frames take under 2 KiB,
// the images at most 33 paths (usually a few dozen bytes each);
// the reason at most six bytes per byte.
static char body[96 * 1024 + 6 * REASON_LIMIT];
static char line[sizeof(body) + 64];

/// Writes the event's fields after `seq` into `body`; returns its length.
static size_t format_body(int sig, siginfo_t *info, void *context) {
    struct text t = {body, body + sizeof(body)};
    uint64_t now = csystem_boottime_ns();
    put(&t, ",\"t\":");
    put_unsigned(&t, now > epoch_offset_ns ? now - epoch_offset_ns : 0);
    put(&t, ",\"type\":\"process.crashed\",\"signal\":");
    put_signed(&t, sig);
    put(&t, ",\"signalName\":\"");
    put(&t, signal_name(sig));
    put(&t, "\",\"reason\":\"");

    const char *message = fatal_message ? atomic_load(fatal_message) : NULL;
    size_t length = message ? strlen(message) : 0;
    while (length > 0 && (message[length - 1] == '\n' || message[length - 1] == ' ')) length--;
    if (length > 0) {
        put_escaped(&t, message, length, REASON_LIMIT);
    } else {
        put(&t, signal_description(sig));
        const char *code = code_description(sig, info->si_code);
        if (code) {
            put(&t, ": ");
            put(&t, code);
        }
        if (info->si_code == SI_USER || info->si_code == SI_QUEUE) {
            put(&t, " from pid ");
            put_signed(&t, info->si_pid);
        }
        if (has_address(sig, info->si_code)) {
            put(&t, " at ");
            put_hex(&t, (uint64_t)(uintptr_t)info->si_addr);
        }
    }
    put(&t, "\"");

    uintptr_t current = swift_task_getCurrent ? (uintptr_t)swift_task_getCurrent() : 0;
    if (current > 1) {
        for (uint32_t i = 0; i < TASK_SLOT_COUNT; i++) {
            if (atomic_load_explicit(&task_slots[i].key, memory_order_acquire) == current) {
                put(&t, ",\"task\":");
                put_unsigned(&t, atomic_load_explicit(&task_slots[i].task, memory_order_relaxed));
                put(&t, ",\"group\":");
                put_unsigned(&t, atomic_load_explicit(&task_slots[i].group, memory_order_relaxed));
                break;
            }
        }
    }
    put(&t, ",\"thread\":");
    put_signed(&t, (int64_t)syscall(SYS_gettid));
    if (has_address(sig, info->si_code)) {
        put(&t, ",\"address\":");
        put_unsigned(&t, (uint64_t)(uintptr_t)info->si_addr);
    }

    // The stack from the faulting instruction outwards.
    uintptr_t frames[STACK_FRAMES];
    int count = walk_stack(context, frames, STACK_FRAMES);
    put(&t, ",\"stack\":[");
    memset(image_used, 0, sizeof(image_used));
    for (int i = 0; i < count; i++) {
        if (i > 0) put(&t, ",");
        put(&t, "{\"symbol\":\"");
        put_hex(&t, (uint64_t)frames[i]);
        put(&t, "\"}");
        int image = image_of(frames[i]);
        if (image >= 0) image_used[image] = 1;
    }
    // The images the frames are in, so that a reader can turn an address into a file offset.
    put(&t, "],\"images\":[");
    int listed = 0;
    for (int i = 0; i < image_count; i++) {
        if (!image_used[i]) continue;
        if (listed++ > 0) put(&t, ",");
        put(&t, "{\"path\":\"");
        put_escaped(&t, images[i].path, strlen(images[i].path), IMAGE_PATH_BYTES);
        put(&t, "\",\"base\":");
        put_unsigned(&t, images[i].base);
        put(&t, ",\"size\":");
        put_unsigned(&t, images[i].high - images[i].base);
        put(&t, "}");
    }
    put(&t, "]}\n");
    return (size_t)(t.at - body);
}

static void send_all(int fd, int is_socket, const char *bytes, size_t count) {
    while (count > 0) {
        ssize_t n = is_socket ? send(fd, bytes, count, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, bytes, count);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // full, closed or failing: this target misses the event
        bytes += n;
        count -= (size_t)n;
    }
}

static void write_last_gasp(int sig, siginfo_t *info, void *context) {
    // Hold the monitors' writes, and wait (a little) for those under way: the crash event is
    // then the last line of every target, and no fd is closed under our feet. A writer still
    // in the gate after 200 ms (a hung filesystem, descheduled) is not waited for: the rest of
    // its bytes then follow the event (readers keep the crash; see docs/MONITOR.md).
    uint64_t start = csystem_boottime_ns();
    atomic_store(&hold_until_ns, start + 2000000000ull);
    while (atomic_load(&gate_writers) > 0 && csystem_boottime_ns() - start < 200000000ull) {}

    size_t body_length = format_body(sig, info, context);
    // The black boxes first: they are what is left when nobody was watching.
    for (int s = 0; s < STREAM_COUNT; s++) {
        if (!atomic_load_explicit(&stream_has_ring[s], memory_order_acquire)) continue;
        const csystem_ring *ring = &stream_rings[s];
        struct text t = {line, line + sizeof(line)};
        put(&t, "\n{\"seq\":");
        put_unsigned(&t, atomic_load_explicit(&stream_seq[s], memory_order_acquire) + 1);
        size_t head = (size_t)(t.at - line);
        if (head + body_length > sizeof(line)) continue;
        memcpy(line + head, body, body_length);
        csystem_ring_append_last_gasp(ring, line, head + body_length);
        atomic_store((_Atomic int32_t *)ring->signal, sig);
        atomic_store((_Atomic uint32_t *)ring->state, 2);
    }
    for (int i = 0; i < TARGET_COUNT; i++) {
        int fd = atomic_load_explicit(&targets[i].fd_plus_one, memory_order_acquire) - 1;
        if (fd < 0) continue;
        int stream = atomic_load(&targets[i].stream);
        // A leading newline ends a line the target may be in the middle of (an empty line is skipped).
        struct text t = {line, line + sizeof(line)};
        put(&t, "\n{\"seq\":");
        put_unsigned(&t, atomic_load_explicit(&stream_seq[stream], memory_order_acquire) + 1);
        size_t head = (size_t)(t.at - line);
        if (head + body_length > sizeof(line)) continue;
        memcpy(line + head, body, body_length);
        send_all(fd, atomic_load(&targets[i].is_socket), line, head + body_length);
    }
}

static atomic_int handling;
static atomic_int written;

static void crash_handler(int sig, siginfo_t *info, void *context) {
    int saved_errno = errno;
    int index;
    const struct sigaction *previous =
        signal_chain_previous(sig, info, handled_signals, previous_actions, SIGNAL_COUNT, &index);
    if (!previous) {
        // Not ours, or a signal the process ignored before us: it does not die of it, and neither do we.
        errno = saved_errno;
        return;
    }
    if (atomic_exchange(&handling, 1) == 0) {
        write_last_gasp(sig, info, context);
        atomic_store(&written, 1);
    } else {
        // Another thread crashed first and is writing: let it finish (a second or so at most)
        // before this signal, taking its course, ends the process.
        uint64_t start = csystem_boottime_ns();
        while (!atomic_load(&written) && csystem_boottime_ns() - start < 1000000000ull) {}
    }

    signal_chain(sig, info, previous);
    errno = saved_errno;
}

int csystem_crash_is_installed(void) {
    return atomic_load(&installed);
}

int csystem_crash_install(uint64_t epoch_offset, int *failed_signal) {
    // 0: not installed, 1: being installed, 2: installed. A failed install leaves 0 behind, so
    // that a retry tries again (and reports its own outcome).
    static atomic_int state;
    static int prepared;
    for (;;) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&state, &expected, 1)) break;
        if (expected == 2) return 0;
        sched_yield();  // another thread is installing it: wait for its outcome
    }
    if (!prepared) {
        prepared = 1;
        epoch_offset_ns = epoch_offset;
        page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
        if (swift_getFatalErrorMessageBuffer) fatal_message = swift_getFatalErrorMessageBuffer();
        // The images loaded now (dl_iterate_phdr takes a lock: never in the handler). Libraries
        // loaded later are not listed; their frames still have their addresses.
        dl_iterate_phdr(collect_image, NULL);
        pthread_once(&alt_stack_key_once, create_alt_stack_key);
    }
    ensure_alt_stack();

    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < SIGNAL_COUNT; i++) sigaddset(&action.sa_mask, handled_signals[i]);
    for (int i = 0; i < SIGNAL_COUNT; i++) {
        // Read the previous action first, so that it is known before the handler can run.
        if (sigaction(handled_signals[i], NULL, &previous_actions[i]) != 0 ||
            sigaction(handled_signals[i], &action, NULL) != 0) {
            // All or nothing: put back the actions already replaced.
            int saved_errno = errno;
            for (int j = 0; j < i; j++) sigaction(handled_signals[j], &previous_actions[j], NULL);
            if (failed_signal) *failed_signal = handled_signals[i];
            atomic_store(&state, 0);
            errno = saved_errno;
            return -1;
        }
    }
    atomic_store(&installed, 1);
    atomic_store(&state, 2);
    return 0;
}

#if defined(__x86_64__) || defined(__aarch64__)
__attribute__((noinline)) void csystem_crash_trap_with_corrupt_frame_pointer(void) {
#if defined(__x86_64__)
    __asm__ volatile("movq $0x10, %%rbp\n\tud2" ::: "memory");
#else
    __asm__ volatile("mov x29, #0x10\n\tudf #0" ::: "memory");
#endif
    __builtin_unreachable();
}
#endif
