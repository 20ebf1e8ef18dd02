// Per-process syscall counters: calls, errors and time in syscall per (tgid, syscall nr).
// Raw tracepoints only; no kernel struct is read (NOTES: with mismatched headers that returns
// garbage). The syscall nr comes from sys_enter's args and is carried to sys_exit.
// Defined by the loader: SELF_TGID, START_ENTRIES, COUNT_ENTRIES, NR_EXIT, NR_EXIT_GROUP.
//
// Where the enter time waits for the exit: a thread stays on its CPU from sys_enter to sys_exit
// unless it is switched out, so the enter is kept in a per-cpu slot (`cur`, no hashing), and
// only when the thread is switched out mid-syscall (blocking calls, preemption) does sched_switch
// move it to the `start` hash by tid. Most syscalls thus touch no shared hash until counting.

struct cur_t {
    u64 ts;   // 0 when the slot is free
    u32 tid;
    u32 nr;
};

struct start_t {
    u64 ts;
    u32 nr;
    u32 pad;
};

struct key_t {
    u32 tgid;
    u32 nr;
};

struct val_t {
    u64 calls;
    u64 errors;
    u64 ns;
};

BPF_PERCPU_ARRAY(cur, struct cur_t, 1);                      // the syscall running on this cpu
BPF_HASH(start, u32, struct start_t, START_ENTRIES);          // by tid: threads switched out mid-syscall
BPF_PERCPU_HASH(counts, struct key_t, struct val_t, COUNT_ENTRIES);  // no cross-cpu contention
BPF_PERCPU_ARRAY(full, u64, 2);  // updates refused by a full map: [0] counts, [1] start

static __always_inline void count_full(int idx) {
    u64 *v = full.lookup(&idx);
    if (v)
        (*v)++;
}

static __always_inline void account(u32 tgid, u32 nr, u64 err, u64 ns) {
    struct key_t key = {.tgid = tgid, .nr = nr};
    struct val_t *v = counts.lookup(&key);
    if (v) {  // per-cpu value: plain increments are safe
        v->calls++;
        v->errors += err;
        v->ns += ns;
        return;
    }
    struct val_t init = {.calls = 1, .errors = err, .ns = ns};
    if (counts.update(&key, &init) < 0)
        count_full(0);
}

RAW_TRACEPOINT_PROBE(sys_enter) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tgid = id >> 32;
    if (tgid == SELF_TGID)
        return 0;
    u32 nr = ctx->args[1];
    if (nr == NR_EXIT || nr == NR_EXIT_GROUP) {  // these never reach sys_exit
        account(tgid, nr, 0, 0);
        return 0;
    }
    int zero = 0;
    struct cur_t *c = cur.lookup(&zero);
    if (!c)
        return 0;
    c->ts = bpf_ktime_get_ns();
    c->tid = (u32)id;
    c->nr = nr;
    return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tgid = id >> 32, tid = (u32)id;
    if (tgid == SELF_TGID)
        return 0;
    u64 began;
    u32 nr;
    int zero = 0;
    struct cur_t *c = cur.lookup(&zero);
    if (c && c->ts && c->tid == tid) {  // never left this cpu
        began = c->ts;
        nr = c->nr;
        c->ts = 0;
    } else {
        struct start_t *s = start.lookup(&tid);
        if (!s)
            return 0;  // began before we attached
        began = s->ts;
        nr = s->nr;
        start.delete(&tid);
    }
    long ret = (long)ctx->args[1];
    account(tgid, nr, ret < 0 && ret >= -4095, bpf_ktime_get_ns() - began);  // -4095..-1: errno
    return 0;
}

// The thread leaving this cpu (current is still `prev` here) takes its pending syscall along.
RAW_TRACEPOINT_PROBE(sched_switch) {
    int zero = 0;
    struct cur_t *c = cur.lookup(&zero);
    if (!c || !c->ts)
        return 0;
    u32 tid = (u32)bpf_get_current_pid_tgid();
    if (c->tid == tid) {
        struct start_t s = {.ts = c->ts, .nr = c->nr};
        if (start.update(&tid, &s) < 0)
            count_full(1);
    }
    c->ts = 0;
    return 0;
}

// A thread killed inside a blocking syscall never exits it: its `start` entry goes with it.
RAW_TRACEPOINT_PROBE(sched_process_exit) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    start.delete(&tid);
    return 0;
}
