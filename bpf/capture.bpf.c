// SPDX-License-Identifier: GPL-2.0
/*
 * capture.bpf.c - kernel side of trace-capture: entry uprobes that count
 * caller->callee edges by return address, and perf-event user-stack sampling.
 *
 * The hot path of a probe hit is one LRU lookup and an atomic add. Only the
 * first sight of an edge resolves the caller's mapping (bpf_find_vma) and
 * tells user space through the ring buffer, without a wakeup: the user side
 * drains it on a timer. Likewise the first sight of a sampled stack (per
 * process) takes it again with build ids and file offsets, for processes that
 * are gone before user space can read their maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "capture.h"

const volatile __u32 filter_mode = CAP_FILTER_ALL;
const volatile __u32 follow_children = 0;
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct cap_ekey);
	__type(value, struct cap_eval);
} edges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAP_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__uint(value_size, CAP_MAX_STACK * sizeof(__u64));
} stacks SEC(".maps");

/* Where a sample's first-sight event is built (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cap_sevent);
} sscratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct cap_skey);
	__type(value, struct cap_sval);
} samples SEC(".maps");

static __always_inline void stat_inc(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);

	if (v)
		*v += 1;
}

static __always_inline int in_scope(__u32 tgid)
{
	if (tgid == 0)
		return 0;
	if (filter_mode == CAP_FILTER_PIDS)
		return bpf_map_lookup_elem(&pids, &tgid) != NULL;
	if (filter_mode == CAP_FILTER_CGROUP)
		return bpf_current_task_under_cgroup(&cgroups, 0) == 1;
	return tgid != self_tgid;
}

struct vma_ctx {
	struct cap_vma v;
	struct file *file;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *x = data;
	struct cap_vma *v = &x->v;
	struct file *f;

	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->pgoff = vma->vm_pgoff;
	f = vma->vm_file;
	if (!f) {
		v->err = 1;
		return 0;
	}
	x->file = f;
	v->ino = BPF_CORE_READ(f, f_inode, i_ino);
	v->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	v->err = 0;
	return 0;
}

/* The file's path components up to its mount namespace's root (d_path by hand). */
static __always_inline void fill_path(struct cap_event *e, struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry), *root, *parent;
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt), *pm;
	const unsigned char *name;
	__u32 n = 0;
	int i;

	for (i = 0; i < 2 * CAP_PATH_DEPTH; i++) {
		root = BPF_CORE_READ(vm, mnt_root);
		if (d == root) {
			pm = BPF_CORE_READ(m, mnt_parent);
			if (pm == m || !pm) {
				n |= CAP_PATH_COMPLETE;
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = pm;
			vm = (void *)pm + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d) {
			n |= CAP_PATH_COMPLETE;
			break;
		}
		if (n >= CAP_PATH_DEPTH)
			break;
		name = BPF_CORE_READ(d, d_name.name);
		bpf_probe_read_kernel_str(e->path[n & (CAP_PATH_DEPTH - 1)], CAP_NAME_LEN, name);
		n++;
		d = parent;
	}
	e->npath = n;
}

static __always_inline void fill_common(struct cap_event *e, __u32 type, __u64 pid_tgid,
    __u64 now)
{
	e->type = type;
	e->tgid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ts = now;
	e->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline int on_entry(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cap_ekey k = {};
	struct cap_eval nv = {}, *v;
	struct vma_ctx vma = {};
	struct cap_event *e;
	__u64 now;
	long rc;

	k.tgid = pid_tgid >> 32;
	if (!in_scope(k.tgid))
		return 0;
	k.cookie = (__u32)bpf_get_attach_cookie(ctx);
	if (bpf_probe_read_user(&k.ret, sizeof(k.ret), (void *)PT_REGS_SP(ctx))) {
		stat_inc(CAP_ST_RET_FAULT);
		return 0;
	}
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&edges, &k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_ns = now;
		return 0;
	}

	/* First sight: insert, then describe the caller's mapping. */
	nv.count = 1;
	nv.first_ns = now;
	nv.last_ns = now;
	rc = bpf_map_update_elem(&edges, &k, &nv, BPF_NOEXIST);
	if (rc == -17 /* EEXIST: another CPU won the race */) {
		v = bpf_map_lookup_elem(&edges, &k);
		if (v)
			__sync_fetch_and_add(&v->count, 1);
		return 0;
	}
	if (rc) {
		stat_inc(CAP_ST_EDGE_MAP_FULL);
		return 0;
	}
	stat_inc(CAP_ST_NEW_EDGES);

	vma.v.err = -1;
	rc = bpf_find_vma(bpf_get_current_task_btf(), k.ret, vma_cb, &vma, 0);
	if (rc) {
		vma.v.err = rc;
		stat_inc(CAP_ST_VMA_FAIL);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(CAP_ST_RINGBUF_FULL);
		return 0;
	}
	fill_common(e, CAP_EV_EDGE, pid_tgid, now);
	e->cookie = k.cookie;
	e->ret = k.ret;
	e->vma = vma.v;
	e->stackid = 0;
	e->npath = 0;
	if (vma.file && !vma.v.err)
		fill_path(e, vma.file);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Attached through a raw BPF_LINK_CREATE of type BPF_TRACE_UPROBE_MULTI. */
SEC("uprobe")
int cap_probe_multi(struct pt_regs *ctx)
{
	return on_entry(ctx);
}

/* The same, for the fallback of one perf-event uprobe per target. */
SEC("uprobe")
int cap_probe_single(struct pt_regs *ctx)
{
	return on_entry(ctx);
}

SEC("perf_event")
int cap_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cap_skey k = {};
	struct cap_sval nv = {}, *v;
	struct cap_sevent *e;
	__u32 zero = 0;
	__u64 now;
	long rc, n;

	k.tgid = pid_tgid >> 32;
	if (!in_scope(k.tgid))
		return 0;
	stat_inc(CAP_ST_SAMPLES);
	k.stackid = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (k.stackid < 0) {
		stat_inc(CAP_ST_STACK_FAIL);
		return 0;
	}
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&samples, &k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_ns = now;
		return 0;
	}
	nv.count = 1;
	nv.first_ns = now;
	nv.last_ns = now;
	rc = bpf_map_update_elem(&samples, &k, &nv, BPF_NOEXIST);
	if (rc == -17) {
		v = bpf_map_lookup_elem(&samples, &k);
		if (v)
			__sync_fetch_and_add(&v->count, 1);
		return 0;
	}
	if (rc) {
		stat_inc(CAP_ST_SAMPLE_MAP_FULL);
		return 0;
	}

	/*
	 * First sight: the same user stack again, frame for frame, as build
	 * id and file offset (an address where the kernel cannot read the
	 * file's note without waiting: it only tries a lock).
	 */
	e = bpf_map_lookup_elem(&sscratch, &zero);
	if (!e)
		return 0;
	e->type = CAP_EV_SAMPLE;
	e->tgid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->stackid = k.stackid;
	e->ts = now;
	e->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->pad = 0;
	n = bpf_get_stack(ctx, e->frames, sizeof(e->frames),
	    BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	if (n < 0) {
		stat_inc(CAP_ST_BID_STACK_FAIL);
		n = 0;
	}
	if (n > (long)sizeof(e->frames))
		n = sizeof(e->frames);
	e->nframes = (__u32)n / sizeof(e->frames[0]);
	n = e->nframes * sizeof(e->frames[0]);
	if (n > (long)sizeof(e->frames))
		return 0;
	if (bpf_ringbuf_output(&events, e, offsetof(struct cap_sevent, frames) + n,
	    BPF_RB_NO_WAKEUP))
		stat_inc(CAP_ST_RINGBUF_FULL);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cap_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid, ctgid;
	__u8 one = 1;

	if (filter_mode != CAP_FILTER_PIDS || !follow_children)
		return 0;
	ptgid = parent->tgid;
	ctgid = child->tgid;
	if (ptgid == ctgid || !bpf_map_lookup_elem(&pids, &ptgid))
		return 0;
	if (bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY))
		stat_inc(CAP_ST_PIDS_FULL);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cap_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cap_event *e;
	__u32 tgid;

	if (p->pid != p->tgid)
		return 0;
	tgid = p->tgid;
	if (filter_mode == CAP_FILTER_PIDS) {
		if (!bpf_map_lookup_elem(&pids, &tgid))
			return 0;
	} else if (!in_scope(tgid)) {
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(CAP_ST_RINGBUF_FULL);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_common(e, CAP_EV_EXIT, pid_tgid, bpf_ktime_get_ns());
	e->stackid = p->exit_code;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
