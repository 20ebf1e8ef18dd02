// The event stream for rules: exec, fork, exit and a fixed set of security-relevant syscalls,
// each paired enter->exit per thread so one record carries arguments and the return value.
// Only tracepoint arguments, user memory and helpers are read, never a kernel struct.
// Defined by the loader: SELF_TGID, USE_RINGBUF, RINGBUF_PAGES, PENDING_ENTRIES, HAVE_GROUP_DEAD,
// and TP_<syscall> for each syscall whose enter and exit tracepoints exist on this kernel.

#define PATH_LEN 256
#define ARG_LEN 128       // longest single exec argument kept (power of two)
#define ARGV_LEN 2048     // exec arguments kept in total (power of two)
#define MAX_ARGS 20

enum kind { K_SYSCALL = 0, K_EXEC = 1, K_FORK = 2, K_EXIT = 3 };
enum stat { S_OUTPUT_FAILED = 0, S_PENDING_FULL = 1, S_POLLING_SKIPPED = 2 };

struct event_t {           // layout mirrored by events.py (HEADER)
    u64 ts;                // bpf_ktime_get_ns (CLOCK_MONOTONIC)
    u32 pid;               // tgid
    u32 tid;
    u32 uid;
    u32 nr;                // syscall nr
    s64 ret;
    s64 a[4];              // integer arguments, meaning per syscall (events.py SPECS)
    u32 kind;
    u32 argc;              // exec: arguments copied
    u32 len1;              // bytes used in s1 (with the NUL), 0 when empty
    u32 len2;              // bytes used in s2
    char comm[16];
    char s1[PATH_LEN];     // first path (or the raw sockaddr for connect)
    char s2[PATH_LEN];     // second path (exec: the binary sched_process_exec resolved)
};

struct exec_event_t {
    struct event_t ev;
    char argv[ARGV_LEN + ARG_LEN];  // NUL-separated; the slack keeps every copy in bounds
};

#ifdef USE_RINGBUF
BPF_RINGBUF_OUTPUT(events, RINGBUF_PAGES);
#else
BPF_PERF_OUTPUT(events);
#endif
BPF_HASH(pending, u32, struct event_t, PENDING_ENTRIES);    // by tid, between enter and exit
BPF_HASH(pending_exec, u32, struct exec_event_t, 1024);     // by tid, execs in flight
BPF_PERCPU_ARRAY(scratch, struct exec_event_t, 1);          // too big for the 512-byte stack
BPF_PERCPU_ARRAY(stats, u64, 3);                            // enum stat

static __always_inline void bump(int idx) {
    u64 *v = stats.lookup(&idx);
    if (v)
        (*v)++;
}

static __always_inline void emit(void *ctx, void *data, u32 size) {
#ifdef USE_RINGBUF
    if (events.ringbuf_output(data, size, BPF_RB_NO_WAKEUP) < 0)  // consumer drains on a timer
        bump(S_OUTPUT_FAILED);
#else
    if (events.perf_submit(ctx, data, size) < 0)
        bump(S_OUTPUT_FAILED);
#endif
}

// Fills the per-cpu scratch event's header; NULL for syswatch's own threads unless `keep_self`.
static __always_inline struct exec_event_t *begin_event(u32 nr, u32 kind, int keep_self) {
    u64 id = bpf_get_current_pid_tgid();
    if ((id >> 32) == SELF_TGID && !keep_self)
        return 0;
    int zero = 0;
    struct exec_event_t *x = scratch.lookup(&zero);
    if (!x)
        return 0;
    struct event_t *e = &x->ev;
    e->ts = bpf_ktime_get_ns();
    e->pid = id >> 32;
    e->tid = (u32)id;
    e->uid = (u32)bpf_get_current_uid_gid();
    e->nr = nr;
    e->kind = kind;
    e->ret = 0;
    e->argc = 0;
    e->len1 = 0;
    e->len2 = 0;
    e->a[0] = e->a[1] = e->a[2] = e->a[3] = 0;
    e->s1[0] = 0;
    e->s2[0] = 0;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    return x;
}

static __always_inline struct exec_event_t *begin(u32 nr, u32 kind) {
    return begin_event(nr, kind, 0);
}

static __always_inline int save(struct exec_event_t *x) {
    if (pending.update(&x->ev.tid, &x->ev) < 0)
        bump(S_PENDING_FULL);
    return 0;
}

// Records are cut after their last used byte: most events have one short path, and a smaller
// record is less to copy and more events in the buffer.
static __always_inline u32 used_size(struct event_t *e) {
    u32 len = e->len2;
    u32 base = offsetof(struct event_t, s2);
    if (!len) {
        len = e->len1;
        base = offsetof(struct event_t, s1);
    }
    if (len > PATH_LEN)
        len = PATH_LEN;
    return base + len;
}

static __always_inline int finish(void *ctx, int nr, long ret) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    struct event_t *e = pending.lookup(&tid);
    if (!e)
        return 0;
    if (e->nr == nr) {  // else a stale entry from a syscall whose exit we missed
        e->ret = ret;
        emit(ctx, e, used_size(e));
    }
    pending.delete(&tid);
    return 0;
}

static __always_inline struct exec_event_t *path_event(int nr, long a0, const char *p1, long a1, const char *p2,
                                                       long a2, long a3) {
    struct exec_event_t *x = begin(nr, K_SYSCALL);
    if (!x)
        return 0;
    struct event_t *e = &x->ev;
    e->a[0] = a0;
    e->a[1] = a1;
    e->a[2] = a2;
    e->a[3] = a3;
    if (p1) {
        int n = bpf_probe_read_user_str(e->s1, sizeof(e->s1), p1);
        e->len1 = n > 0 ? n : 0;
    }
    if (p2) {
        int n = bpf_probe_read_user_str(e->s2, sizeof(e->s2), p2);
        e->len2 = n > 0 ? n : 0;
    }
    return x;
}

static __always_inline int path_call(int nr, long a0, const char *p1, long a1, const char *p2, long a2, long a3) {
    struct exec_event_t *x = path_event(nr, a0, p1, a1, p2, a2, a3);
    return x ? save(x) : 0;
}

// ---- monitors' polling: htop, top, ps, kubelet and syswatch's peers read /proc/PID/stat and
// friends thousands of times a second; no rule looks at those reads, and decoding them in user
// space would cost more than everything else syswatch does. A read-only open is skipped (and
// counted) when it is absolute under /sys/, or when it is absolute under /proc/ or relative to a
// dirfd (how htop and ps open them) and is a directory or one of the per-process status files
// named in events.py. Reads of environ, mem and every other file stay in the stream.

#define O_ACCMODE 03
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_DIRECTORY 0200000

#define POLL_SCAN 64  // paths longer than this are never monitors' status files

// IS_POLLING_NAME(h) is defined by the loader: FNV-1a hashes of the skipped file names.
static __always_inline int is_polling_read(const char *s, long flags) {
    if ((flags & O_ACCMODE) != 0 || (flags & (O_CREAT | O_TRUNC)))
        return 0;
    if (s[0] == '/' && s[1] == 's' && s[2] == 'y' && s[3] == 's' && s[4] == '/')
        return 1;
    int absolute_proc = s[0] == '/' && s[1] == 'p' && s[2] == 'r' && s[3] == 'o' && s[4] == 'c' && s[5] == '/';
    if (s[0] == '/' && !absolute_proc)
        return 0;
    if (flags & O_DIRECTORY)  // listing /proc (or walking a tree through dirfds): the files opened count
        return 1;
    u32 hash = 2166136261u;  // FNV-1a of the file name: the part after the last '/'
    for (u32 i = 0; i < POLL_SCAN; i++) {
        char c = s[i];
        if (c == 0)
            return IS_POLLING_NAME(hash);
        hash = c == '/' ? 2166136261u : (hash ^ (u8)c) * 16777619u;
    }
    return 0;
}

static __always_inline int open_call(int nr, long dfd, const char *filename, long flags, long mode) {
    struct exec_event_t *x = path_event(nr, dfd, filename, flags, 0, mode, 0);
    if (!x)
        return 0;
    if (is_polling_read(x->ev.s1, flags)) {
        bump(S_POLLING_SKIPPED);
        return 0;
    }
    return save(x);
}

#define EXIT_PROBE(name) \
    TRACEPOINT_PROBE(syscalls, sys_exit_##name) { return finish(args, args->__syscall_nr, args->ret); }

// ---- exec: argv at enter; success reported by sched_process_exec (which also knows the pid a
// non-leader thread's exec ends up with), failure by sys_exit_execve(at).

static __always_inline int exec_enter(int nr, long dfd, const char *filename, const char *const *argv, long flags) {
    struct exec_event_t *x = begin(nr, K_EXEC);
    if (!x)
        return 0;
    x->ev.a[0] = dfd;
    x->ev.a[1] = flags;
    bpf_probe_read_user_str(x->ev.s1, sizeof(x->ev.s1), filename);
    u32 off = 0;
#pragma unroll
    for (int i = 0; i < MAX_ARGS; i++) {
        const char *arg = 0;
        if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) < 0 || !arg)
            break;
        if (off >= ARGV_LEN) {
            x->ev.a[2] = 1;  // argv truncated
            break;
        }
        int n = bpf_probe_read_user_str(&x->argv[off & (ARGV_LEN - 1)], ARG_LEN, arg);
        if (n <= 0)
            break;
        off += n;
        x->ev.argc = i + 1;
        if (i == MAX_ARGS - 1) {
            const char *more = 0;
            bpf_probe_read_user(&more, sizeof(more), &argv[MAX_ARGS]);
            x->ev.a[2] = more != 0;
        }
    }
    if (pending_exec.update(&x->ev.tid, x) < 0)
        bump(S_PENDING_FULL);
    return 0;
}

static __always_inline int exec_exit(void *ctx, long ret) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    struct exec_event_t *x = pending_exec.lookup(&tid);
    if (!x)
        return 0;
    if (ret < 0) {
        x->ev.ret = ret;
        emit(ctx, x, sizeof(*x));
    }
    pending_exec.delete(&tid);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_execve) {
    return exec_enter(args->__syscall_nr, -100, args->filename, args->argv, 0);
}
TRACEPOINT_PROBE(syscalls, sys_exit_execve) { return exec_exit(args, args->ret); }

#ifdef TP_execveat
TRACEPOINT_PROBE(syscalls, sys_enter_execveat) {
    return exec_enter(args->__syscall_nr, args->fd, args->filename, args->argv, args->flags);
}
TRACEPOINT_PROBE(syscalls, sys_exit_execveat) { return exec_exit(args, args->ret); }
#endif

TRACEPOINT_PROBE(sched, sched_process_exec) {
    u32 old = args->old_pid;
    struct exec_event_t *x = pending_exec.lookup(&old);
    if (!x)
        return 0;
    x->ev.tid = args->pid;
    x->ev.ret = 0;
    bpf_get_current_comm(x->ev.comm, sizeof(x->ev.comm));  // the new program's comm
    TP_DATA_LOC_READ_STR(x->ev.s2, filename, sizeof(x->ev.s2));
    emit(args, x, sizeof(*x));
    pending_exec.delete(&old);
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_fork) {
    struct exec_event_t *x = begin_event(0, K_FORK, 1);  // our children's parent must be known too
    if (!x)
        return 0;
    x->ev.a[0] = args->parent_pid;
    x->ev.a[1] = args->child_pid;
    emit(args, &x->ev, offsetof(struct event_t, s1));
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exit) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = (u32)id;
    pending.delete(&tid);  // a thread killed inside a syscall never reaches its exit tracepoint
    pending_exec.delete(&tid);
#ifdef HAVE_GROUP_DEAD
    if (!args->group_dead)
        return 0;
#else
    if ((id >> 32) != tid)
        return 0;
#endif
    struct exec_event_t *x = begin(0, K_EXIT);
    if (x)
        emit(args, &x->ev, offsetof(struct event_t, s1));
    return 0;
}

// ---- files

#ifdef TP_open
TRACEPOINT_PROBE(syscalls, sys_enter_open) {
    return open_call(args->__syscall_nr, -100, args->filename, args->flags, args->mode);
}
EXIT_PROBE(open)
#endif

#ifdef TP_openat
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    return open_call(args->__syscall_nr, args->dfd, args->filename, args->flags, args->mode);
}
EXIT_PROBE(openat)
#endif

#ifdef TP_openat2
TRACEPOINT_PROBE(syscalls, sys_enter_openat2) {
    struct exec_event_t *x = path_event(args->__syscall_nr, args->dfd, args->filename, 0, 0, 0, 0);
    if (!x)
        return 0;
    bpf_probe_read_user(&x->ev.a[1], 3 * sizeof(s64), args->how);  // struct open_how: flags, mode, resolve
    return save(x);
}
EXIT_PROBE(openat2)
#endif

#ifdef TP_unlink
TRACEPOINT_PROBE(syscalls, sys_enter_unlink) { return path_call(args->__syscall_nr, -100, args->pathname, 0, 0, 0, 0); }
EXIT_PROBE(unlink)
#endif

#ifdef TP_unlinkat
TRACEPOINT_PROBE(syscalls, sys_enter_unlinkat) {
    return path_call(args->__syscall_nr, args->dfd, args->pathname, args->flag, 0, 0, 0);
}
EXIT_PROBE(unlinkat)
#endif

#ifdef TP_rmdir
TRACEPOINT_PROBE(syscalls, sys_enter_rmdir) { return path_call(args->__syscall_nr, -100, args->pathname, 0, 0, 0, 0); }
EXIT_PROBE(rmdir)
#endif

#ifdef TP_rename
TRACEPOINT_PROBE(syscalls, sys_enter_rename) {
    return path_call(args->__syscall_nr, -100, args->oldname, -100, args->newname, 0, 0);
}
EXIT_PROBE(rename)
#endif

#ifdef TP_renameat
TRACEPOINT_PROBE(syscalls, sys_enter_renameat) {
    return path_call(args->__syscall_nr, args->olddfd, args->oldname, args->newdfd, args->newname, 0, 0);
}
EXIT_PROBE(renameat)
#endif

#ifdef TP_renameat2
TRACEPOINT_PROBE(syscalls, sys_enter_renameat2) {
    return path_call(args->__syscall_nr, args->olddfd, args->oldname, args->newdfd, args->newname, args->flags, 0);
}
EXIT_PROBE(renameat2)
#endif

#ifdef TP_symlink
TRACEPOINT_PROBE(syscalls, sys_enter_symlink) {
    return path_call(args->__syscall_nr, 0, args->oldname, -100, args->newname, 0, 0);
}
EXIT_PROBE(symlink)
#endif

#ifdef TP_symlinkat
TRACEPOINT_PROBE(syscalls, sys_enter_symlinkat) {
    return path_call(args->__syscall_nr, 0, args->oldname, args->newdfd, args->newname, 0, 0);
}
EXIT_PROBE(symlinkat)
#endif

#ifdef TP_chmod
TRACEPOINT_PROBE(syscalls, sys_enter_chmod) { return path_call(args->__syscall_nr, -100, args->filename, args->mode, 0, 0, 0); }
EXIT_PROBE(chmod)
#endif

#ifdef TP_fchmodat
TRACEPOINT_PROBE(syscalls, sys_enter_fchmodat) {
    return path_call(args->__syscall_nr, args->dfd, args->filename, args->mode, 0, 0, 0);
}
EXIT_PROBE(fchmodat)
#endif

#ifdef TP_fchmod
TRACEPOINT_PROBE(syscalls, sys_enter_fchmod) { return path_call(args->__syscall_nr, args->fd, 0, args->mode, 0, 0, 0); }
EXIT_PROBE(fchmod)
#endif

#ifdef TP_memfd_create
TRACEPOINT_PROBE(syscalls, sys_enter_memfd_create) {
    return path_call(args->__syscall_nr, args->flags, args->uname, 0, 0, 0, 0);
}
EXIT_PROBE(memfd_create)
#endif

// ---- network, fds, processes, credentials

#ifdef TP_connect
TRACEPOINT_PROBE(syscalls, sys_enter_connect) {
    struct exec_event_t *x = begin(args->__syscall_nr, K_SYSCALL);
    if (!x)
        return 0;
    u32 len = args->addrlen;
    if (len > 128)  // sizeof(struct sockaddr_storage)
        len = 128;
    x->ev.a[0] = args->fd;
    len &= sizeof(x->ev.s1) - 1;
    if (bpf_probe_read_user(x->ev.s1, len, args->uservaddr) == 0)
        x->ev.len1 = len;
    return save(x);
}
EXIT_PROBE(connect)
#endif

#ifdef TP_dup2
TRACEPOINT_PROBE(syscalls, sys_enter_dup2) { return path_call(args->__syscall_nr, args->oldfd, 0, args->newfd, 0, 0, 0); }
EXIT_PROBE(dup2)
#endif

#ifdef TP_dup3
TRACEPOINT_PROBE(syscalls, sys_enter_dup3) {
    return path_call(args->__syscall_nr, args->oldfd, 0, args->newfd, 0, args->flags, 0);
}
EXIT_PROBE(dup3)
#endif

#ifdef TP_ptrace
TRACEPOINT_PROBE(syscalls, sys_enter_ptrace) {
    return path_call(args->__syscall_nr, args->request, 0, args->pid, 0, args->addr, args->data);
}
EXIT_PROBE(ptrace)
#endif

#ifdef TP_setuid
TRACEPOINT_PROBE(syscalls, sys_enter_setuid) { return path_call(args->__syscall_nr, args->uid, 0, 0, 0, 0, 0); }
EXIT_PROBE(setuid)
#endif

#ifdef TP_setgid
TRACEPOINT_PROBE(syscalls, sys_enter_setgid) { return path_call(args->__syscall_nr, args->gid, 0, 0, 0, 0, 0); }
EXIT_PROBE(setgid)
#endif

#ifdef TP_setreuid
TRACEPOINT_PROBE(syscalls, sys_enter_setreuid) {
    return path_call(args->__syscall_nr, args->ruid, 0, args->euid, 0, 0, 0);
}
EXIT_PROBE(setreuid)
#endif

#ifdef TP_setregid
TRACEPOINT_PROBE(syscalls, sys_enter_setregid) {
    return path_call(args->__syscall_nr, args->rgid, 0, args->egid, 0, 0, 0);
}
EXIT_PROBE(setregid)
#endif

#ifdef TP_setresuid
TRACEPOINT_PROBE(syscalls, sys_enter_setresuid) {
    return path_call(args->__syscall_nr, args->ruid, 0, args->euid, 0, args->suid, 0);
}
EXIT_PROBE(setresuid)
#endif

#ifdef TP_setresgid
TRACEPOINT_PROBE(syscalls, sys_enter_setresgid) {
    return path_call(args->__syscall_nr, args->rgid, 0, args->egid, 0, args->sgid, 0);
}
EXIT_PROBE(setresgid)
#endif
