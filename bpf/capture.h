/*
 * capture.h - structures shared by bpf/capture.bpf.c and the user-space
 * capture engine (libcommon/capture.c): map keys and values, ring events, stats.
 */
#ifndef TM_BPF_CAPTURE_H
#define TM_BPF_CAPTURE_H

#define CAP_MAX_STACK	32	/* user frames kept per sampled stack */
#define CAP_COMM_LEN	16
#define CAP_PATH_DEPTH	8	/* path components of a caller's file */
#define CAP_NAME_LEN	64
#define CAP_PATH_COMPLETE 0x100	/* npath flag: the walk reached the root */

/* How the kernel side decides which tasks are in scope (rodata filter_mode). */
enum cap_filter {
	CAP_FILTER_ALL    = 0,	/* every process but the tracer */
	CAP_FILTER_PIDS   = 1,	/* tgid in the pids map (followed across fork) */
	CAP_FILTER_CGROUP = 2,	/* current task under cgroups[0] (v2 hierarchy) */
};

/* Probe mode: one exact edge per (process, callee target, return address). */
struct cap_ekey {
	__u32 tgid;
	__u32 cookie;		/* target index (uprobe cookie) */
	__u64 ret;		/* return address into the caller */
};

struct cap_eval {
	__u64 count;
	__u64 first_ns;		/* CLOCK_MONOTONIC */
	__u64 last_ns;
};

/* Sample mode: counts per (process, user stack). */
struct cap_skey {
	__u32 tgid;
	__s32 stackid;
};

struct cap_sval {
	__u64 count;
	__u64 first_ns;
	__u64 last_ns;
};

enum cap_event_type {
	CAP_EV_EDGE   = 1,	/* first sight of a cap_ekey (struct cap_event) */
	CAP_EV_SAMPLE = 2,	/* first sight of a cap_skey (struct cap_sevent) */
	CAP_EV_EXIT   = 3,	/* a traced process exited (struct cap_event) */
};

/* The mapping that held an address, as bpf_find_vma saw it. */
struct cap_vma {
	__u64 start, end;
	__u64 pgoff;		/* in pages */
	__u64 ino;
	__u32 dev;		/* kernel dev_t: major << 20 | minor */
	__s32 err;		/* 0, or the bpf_find_vma error; 1 = anonymous */
};

struct cap_event {
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__u32 cookie;
	__u64 ret;		/* caller return address (EDGE) */
	__u64 ts;		/* CLOCK_MONOTONIC */
	__u64 cgroup;		/* cgroup v2 id */
	struct cap_vma vma;	/* mapping of ret (EDGE) */
	__s32 stackid;		/* exit code (EXIT) */
	__u32 npath;		/* EDGE: components in path, | CAP_PATH_COMPLETE */
	char comm[CAP_COMM_LEN];
	/*
	 * EDGE: the caller's file as seen in its mount namespace, innermost
	 * component first, so that it can be opened after the process exited.
	 */
	char path[CAP_PATH_DEPTH][CAP_NAME_LEN];
};

/*
 * A frame of a build-id stack, as bpf_get_stack(BPF_F_USER_BUILD_ID) writes
 * it (struct bpf_stack_build_id): a build id and file offset when the kernel
 * could read the mapped file's note, else the address.
 */
#define CAP_BID_EMPTY	0	/* BPF_STACK_BUILD_ID_EMPTY: no frame */
#define CAP_BID_VALID	1	/* BPF_STACK_BUILD_ID_VALID: build_id + offset */
#define CAP_BID_IP	2	/* BPF_STACK_BUILD_ID_IP: ip only */
#define CAP_BID_SIZE	20

struct cap_bid_frame {
	__s32 status;
	unsigned char build_id[CAP_BID_SIZE];
	__u64 off_or_ip;	/* file offset (VALID) or address (IP) */
};

/*
 * The first sight of a sampled stack (CAP_EV_SAMPLE), variable length: the
 * header and nframes frames of the same user stack with build ids, so that
 * the frames of a process that exits before user space looks at /proc still
 * name their file.
 */
struct cap_sevent {
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__s32 stackid;
	__u64 ts;		/* CLOCK_MONOTONIC */
	__u64 cgroup;
	char comm[CAP_COMM_LEN];
	__u32 nframes;
	__u32 pad;
	struct cap_bid_frame frames[CAP_MAX_STACK];
};

/* Per-CPU counters; the user side sums them into the trailer's losses. */
enum cap_stat {
	CAP_ST_NEW_EDGES = 0,	/* edges inserted */
	CAP_ST_RINGBUF_FULL,	/* bpf_ringbuf_reserve failed */
	CAP_ST_EDGE_MAP_FULL,	/* edge insert failed */
	CAP_ST_VMA_FAIL,	/* bpf_find_vma failed (busy, no vma) */
	CAP_ST_RET_FAULT,	/* return address unreadable */
	CAP_ST_SAMPLES,		/* perf samples in scope */
	CAP_ST_STACK_FAIL,	/* bpf_get_stackid failed */
	CAP_ST_SAMPLE_MAP_FULL,	/* sample-count insert failed */
	CAP_ST_PIDS_FULL,	/* a child could not be added to the pid set */
	CAP_ST_BID_STACK_FAIL,	/* first sight: the build-id stack failed */
	CAP_ST_MAX,
};

#endif
