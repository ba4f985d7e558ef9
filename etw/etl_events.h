/*
 * etl_events.h - ETW event records: the six trace header kinds parsed into one
 * etl_event, its classification, and decoders for the payloads tracemerge uses.
 */
#ifndef ETL_EVENTS_H
#define ETL_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "etl_le.h"

/* Status codes shared by the whole decoder (etl_reader, etl_events, etl_edges). */
enum etl_status {
	ETL_OK = 0,
	ETL_ENOMEM = -1,	/* allocation failed or a size limit was hit */
	ETL_ETRUNC = -2,	/* input ends before a structure does */
	ETL_ECORRUPT = -3,	/* a length, offset or field is inconsistent */
	ETL_EUNSUPPORTED = -4,	/* valid but not handled (e.g. LZNT1 buffers) */
	ETL_EIO = -5,		/* reading the file failed */
	ETL_EFORMAT = -6,	/* not an .etl file */
};

/* A short English description of an etl_status value. */
const char *etl_strerror(int status);

/* A GUID as laid out in Windows structures, fields loaded from little-endian. */
struct etl_guid {
	uint32_t d1;
	uint16_t d2, d3;
	uint8_t d4[8];
};

int etl_guid_eq(const struct etl_guid *a, const struct etl_guid *b);
/* Load 16 bytes in Windows GUID layout. */
void etl_guid_load(struct etl_guid *g, const uint8_t *p);
/* "6048fdb6-2dcd-41c1-8835-594844ce7143" into buf (>= 37 bytes). */
void etl_guid_format(const struct etl_guid *g, char *buf, size_t cap);
/* Symbol-server key: 32 uppercase hex digits then the age in hex (>= 42 bytes). */
void etl_pdb_key(const struct etl_guid *g, uint32_t age, char *buf, size_t cap);

/* The trace header kinds (TRACE_HEADER_TYPE_* pairs, 32/64-bit merged). */
enum etl_hdr_kind {
	ETL_HDR_SYSTEM = 1,	/* SYSTEM_TRACE_HEADER: kernel events */
	ETL_HDR_COMPACT,	/* SYSTEM_TRACE_HEADER without Kernel/UserTime */
	ETL_HDR_PERFINFO,	/* PERFINFO_TRACE_HEADER: samples, no pid/tid */
	ETL_HDR_FULL,		/* EVENT_TRACE_HEADER: classic MOF providers */
	ETL_HDR_INSTANCE,	/* EVENT_INSTANCE_GUID_HEADER */
	ETL_HDR_EVENT,		/* EVENT_HEADER: manifest and TraceLogging providers */
};

#define ETL_NO_ID UINT32_MAX	/* pid/tid when the header carries none */

/*
 * One decoded record. Pointers borrow the reader's buffer and stay valid until
 * the next call to etl_reader_next(). Kernel events in a file are identified by
 * group + opcode; FULL/INSTANCE/EVENT headers by guid (+ id for EVENT).
 */
struct etl_event {
	enum etl_hdr_kind kind;
	uint8_t header_type;	/* raw TRACE_HEADER_TYPE_* */
	uint8_t ptrsize;	/* pointer size of the producer: 4 or 8 */
	uint8_t group;		/* EVENT_TRACE_GROUP_* (system/compact/perfinfo) */
	uint8_t opcode;		/* Packet.Type, Class.Type or Descriptor.Opcode */
	uint16_t version;	/* MOF class version or Descriptor.Version */
	uint16_t id;		/* EVENT_DESCRIPTOR.Id (EVENT_HEADER only) */
	uint16_t task;		/* EVENT_DESCRIPTOR.Task (EVENT_HEADER only) */
	uint16_t flags;		/* EVENT_HEADER.Flags (EVENT_HEADER only) */
	uint8_t level;
	uint8_t has_guid;	/* guid is meaningful (FULL, INSTANCE, EVENT) */
	uint16_t cpu;		/* processor of the buffer the record came from */
	uint64_t keyword;	/* EVENT_DESCRIPTOR.Keyword (EVENT_HEADER only) */
	struct etl_guid guid;	/* provider or MOF class guid */
	uint32_t pid, tid;	/* ETL_NO_ID when absent */
	uint64_t ts;		/* raw timestamp in the trace's clock */
	const uint8_t *data;	/* user payload */
	uint32_t len;
	const uint8_t *ext;	/* EVENT_HEADER extended items, raw (or NULL) */
	uint32_t ext_len;
};

/*
 * Parse one record at p (avail bytes up to the end of the buffer's valid data).
 * On success fills *ev and *rec_size (record size before 8-byte alignment).
 * Returns ETL_OK, ETL_ECORRUPT or ETL_EUNSUPPORTED (unknown header type).
 */
int etl_event_parse(const uint8_t *p, size_t avail, struct etl_event *ev,
    uint32_t *rec_size);

/* EVENT_HEADER extended data item. */
struct etl_ext_item {
	uint16_t type;		/* EVENT_HEADER_EXT_TYPE_* */
	uint16_t size;		/* data bytes */
	const uint8_t *data;
};

#define ETL_EXT_STACK_TRACE32	5
#define ETL_EXT_STACK_TRACE64	6
#define ETL_EXT_CONTAINER_ID	16
#define ETL_EXT_STACK_KEY32	17
#define ETL_EXT_STACK_KEY64	18

/*
 * Iterate extended items: *pos starts at 0. Returns 1 with *item filled, 0 at
 * the end, ETL_ECORRUPT if an item overruns the extended area.
 */
int etl_ext_next(const struct etl_event *ev, uint32_t *pos, struct etl_ext_item *item);

/* What an event is, for the events tracemerge needs; everything else is OTHER. */
enum etl_class {
	ETL_EV_OTHER = 0,
	ETL_EV_LOGFILE_HEADER,
	ETL_EV_SAMPLE,			/* PerfInfo SampledProfile */
	ETL_EV_STACK,			/* StackWalk Stack (plain) */
	ETL_EV_STACK_KEY_CREATE,	/* StackWalk key definitions */
	ETL_EV_STACK_KEY_DELETE,
	ETL_EV_STACK_KEY_RUNDOWN,
	ETL_EV_STACK_REF_KERNEL,	/* StackWalk key references */
	ETL_EV_STACK_REF_USER,
	ETL_EV_IMAGE_LOAD,
	ETL_EV_IMAGE_UNLOAD,
	ETL_EV_IMAGE_DCSTART,
	ETL_EV_IMAGE_DCEND,
	ETL_EV_PROCESS_START,
	ETL_EV_PROCESS_END,
	ETL_EV_PROCESS_DCSTART,
	ETL_EV_PROCESS_DCEND,
	ETL_EV_THREAD_START,
	ETL_EV_THREAD_END,
	ETL_EV_THREAD_DCSTART,
	ETL_EV_THREAD_DCEND,
	ETL_EV_IMAGE_ID,		/* KernelTraceControl ImageID */
	ETL_EV_DBGID_RSDS,		/* KernelTraceControl DbgID_RSDS */
	ETL_EV_CLR_METHOD_LOAD,		/* MethodLoadVerbose (runtime) */
	ETL_EV_CLR_METHOD_UNLOAD,	/* MethodUnloadVerbose (runtime) */
	ETL_EV_CLR_METHOD_DCSTART,	/* MethodDCStartVerbose (rundown) */
	ETL_EV_CLR_METHOD_DCEND,	/* MethodDCEndVerbose (rundown) */
	ETL_EV_CLR_MODULE_LOAD,		/* ModuleLoad (runtime) */
	ETL_EV_CLR_MODULE_UNLOAD,
	ETL_EV_CLR_MODULE_DCSTART,	/* ModuleDCStart (rundown) */
	ETL_EV_CLR_MODULE_DCEND,	/* ModuleDCEnd (rundown) */
	ETL_EV__COUNT
};

enum etl_class etl_event_classify(const struct etl_event *ev);
/* A stable name for a class ("sample", "image_dcstart", ...). */
const char *etl_class_name(enum etl_class c);

/* A UTF-16LE string inside a payload, without its terminator. */
struct etl_str16 {
	const uint8_t *p;
	uint32_t nbytes;
};

/*
 * Convert to UTF-8 into out (always NUL-terminated when cap > 0; truncated at
 * a character boundary). Unpaired surrogates become U+FFFD. Returns the length.
 */
size_t etl_str16_utf8(struct etl_str16 s, char *out, size_t cap);

/* TRACE_LOGFILE_HEADER, from the first record of the file. */
struct etl_logfile {
	uint32_t buffer_size;
	uint8_t os_major, os_minor, os_sp, os_subminor;
	uint32_t provider_version;	/* OS build */
	uint32_t ncpu;
	uint64_t end_time;		/* FILETIME, UTC */
	uint32_t timer_resolution;
	uint32_t max_file_size;
	uint32_t log_file_mode;
	uint32_t buffers_written;
	uint32_t pointer_size;
	uint32_t events_lost;
	uint32_t cpu_speed_mhz;
	int32_t tz_bias_minutes;	/* UTC = local + bias */
	uint64_t boot_time;		/* FILETIME */
	uint64_t perf_freq;
	uint64_t start_time;		/* FILETIME, UTC */
	uint32_t clock_type;		/* ReservedFlags: 1 QPC, 2 system time, 3 CPU cycles */
	uint32_t buffers_lost;
	uint64_t header_ts;		/* timestamp of the header record: start_time in the trace clock */
	char session_name[128];
	char logfile_name[256];
};

int etl_decode_logfile(const struct etl_event *ev, struct etl_logfile *lf);

/*
 * Converts raw event timestamps to UTC ns since the Unix epoch: ref_ts in the
 * trace clock corresponds to ref_unix_ns. type 2 means timestamps are
 * FILETIMEs and needs neither.
 */
struct etl_clock {
	uint32_t type;		/* 1 QPC, 2 system time, 3 CPU cycles */
	uint64_t freq;		/* ticks per second (types 1 and 3) */
	uint64_t ref_ts;
	uint64_t ref_unix_ns;
};

void etl_clock_from_logfile(struct etl_clock *c, const struct etl_logfile *lf);
/* Saturates at 0 and UINT64_MAX. */
uint64_t etl_clock_unix_ns(const struct etl_clock *c, uint64_t ts);
/* A FILETIME (100 ns since 1601) as ns since 1970; 0 before 1970. */
uint64_t etl_filetime_unix_ns(uint64_t ft);

/* PerfInfo SampledProfile (opcode 46). */
struct etl_sample {
	uint64_t ip;
	uint32_t tid;
	uint16_t count;
	uint8_t flags;		/* bit0 DPC, bit1 ISR, bits 3-7 priority */
};

int etl_decode_sample(const struct etl_event *ev, struct etl_sample *s);

/*
 * A run of pointer-sized stack frames, innermost first. Read a frame with
 * etl_frame(); frames borrow the event's buffer.
 */
struct etl_frames {
	const uint8_t *p;
	uint32_t n;
	uint8_t ptrsize;
};

static inline uint64_t etl_frame(const struct etl_frames *f, uint32_t i)
{
	return etl_leptr(f->p + (size_t)i * f->ptrsize, f->ptrsize);
}

/* StackWalk Stack (32): the frames of the event logged at event_ts on tid. */
struct etl_stack {
	uint64_t event_ts;
	uint32_t pid, tid;
	struct etl_frames frames;
};

int etl_decode_stack(const struct etl_event *ev, struct etl_stack *s);

/* StackWalk key reference (37 kernel, 38 user). */
struct etl_stack_ref {
	uint64_t event_ts;
	uint32_t pid, tid;
	uint64_t key;
};

int etl_decode_stack_ref(const struct etl_event *ev, struct etl_stack_ref *r);

/* StackWalk key definition (34 create, 35 delete, 36 rundown). */
struct etl_stack_def {
	uint64_t key;
	struct etl_frames frames;
};

int etl_decode_stack_def(const struct etl_event *ev, struct etl_stack_def *d);

/* Image Load/Unload/DCStart/DCEnd (WMI_IMAGELOAD_INFORMATION, v2 and v3). */
struct etl_image {
	uint64_t base, size;
	uint32_t pid;
	uint32_t checksum;
	uint32_t time_date_stamp;	/* often 0 in DCStart events */
	uint64_t default_base;
	struct etl_str16 file_name;	/* NT path */
};

int etl_decode_image(const struct etl_event *ev, struct etl_image *im);

/* Process Start/End/DCStart/DCEnd (v3 and later). */
struct etl_process {
	uint64_t unique_key;
	uint32_t pid, ppid, session_id;
	int32_t exit_status;
	uint32_t flags;			/* v4 and later */
	const char *image_name;		/* ANSI, not NUL-terminated in the buffer */
	uint32_t image_name_len;
	struct etl_str16 command_line;
};

int etl_decode_process(const struct etl_event *ev, struct etl_process *pr);

/* Thread Start/End/DCStart/DCEnd: only the ids. */
struct etl_thread {
	uint32_t pid, tid;
};

int etl_decode_thread(const struct etl_event *ev, struct etl_thread *th);

/* KernelTraceControl ImageID (0): the PE time stamp and original name. */
struct etl_image_id {
	uint64_t base, size;
	uint32_t pid;
	uint32_t time_date_stamp;
	struct etl_str16 original_name;
};

int etl_decode_image_id(const struct etl_event *ev, struct etl_image_id *id);

/* KernelTraceControl DbgID_RSDS (36): the PDB identity of an image. */
struct etl_rsds {
	uint64_t base;
	uint32_t pid;
	struct etl_guid guid;
	uint8_t guid_bytes[16];		/* as stored in the PE CodeView record */
	uint32_t age;
	const char *pdb_name;		/* ANSI, not NUL-terminated in the buffer */
	uint32_t pdb_name_len;
};

int etl_decode_rsds(const struct etl_event *ev, struct etl_rsds *r);

/* CLR MethodLoadVerbose / MethodUnloadVerbose / MethodDC*Verbose. */
struct etl_clr_method {
	uint64_t method_id, module_id;
	uint64_t start;
	uint32_t size;
	uint32_t token;
	uint32_t flags;
	struct etl_str16 ns, name, sig;	/* ns is the full type name */
};

int etl_decode_clr_method(const struct etl_event *ev, struct etl_clr_method *m);

/* CLR ModuleLoad / ModuleUnload / ModuleDC*. */
struct etl_clr_module {
	uint64_t module_id, assembly_id;
	uint32_t flags;
	struct etl_str16 il_path, native_path;
	int has_pdb;			/* version 2: managed PDB identity follows */
	struct etl_guid pdb_guid;
	uint32_t pdb_age;
};

int etl_decode_clr_module(const struct etl_event *ev, struct etl_clr_module *m);

#endif
