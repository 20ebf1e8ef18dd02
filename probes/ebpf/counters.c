// Per-process syscall counters: calls, errors and time in syscall per (tgid, syscall nr).
// Raw tracepoints only; no kernel struct is read (NOTES: with mismatched headers that returns
// garbage). The syscall nr comes from sys_enter's args and is carried to sys_exit in `start`.
// Defined by the loader: SELF_TGID, START_ENTRIES, COUNT_ENTRIES, NR_EXIT, NR_EXIT_GROUP.

struct start_t {
    u64 ts;   // 0 when the thread is not inside a syscall we saw begin
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

BPF_HASH(start, u32, struct start_t, START_ENTRIES);          // by tid; entries reused in place
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
    u32 tgid = id >> 32, tid = (u32)id;
    if (tgid == SELF_TGID)
        return 0;
    u32 nr = ctx->args[1];
    if (nr == NR_EXIT || nr == NR_EXIT_GROUP) {  // these never reach sys_exit
        account(tgid, nr, 0, 0);
        return 0;
    }
    u64 now = bpf_ktime_get_ns();
    struct start_t *s = start.lookup(&tid);
    if (s) {
        s->ts = now;
        s->nr = nr;
        return 0;
    }
    struct start_t init = {.ts = now, .nr = nr};
    if (start.update(&tid, &init) < 0)
        count_full(1);
    return 0;
}

RAW_TRACEPOINT_PROBE(sys_exit) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tgid = id >> 32, tid = (u32)id;
    if (tgid == SELF_TGID)
        return 0;
    struct start_t *s = start.lookup(&tid);
    if (!s || s->ts == 0)
        return 0;
    u64 ns = bpf_ktime_get_ns() - s->ts;
    u32 nr = s->nr;
    s->ts = 0;
    long ret = (long)ctx->args[1];
    account(tgid, nr, ret < 0 && ret >= -4095, ns);  // -4095..-1 is an errno, as in IS_ERR_VALUE
    return 0;
}

// A thread's `start` entry goes with the thread (threads killed inside a syscall never exit it).
RAW_TRACEPOINT_PROBE(sched_process_exit) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    start.delete(&tid);
    return 0;
}
