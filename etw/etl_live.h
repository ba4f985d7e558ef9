/*
 * etl_live.h - a real-time ETW session into the edge builder: EVENT_RECORD
 * fields become etl_events, and images get the PE identity from disk.
 *
 * The consumer API delivers kernel events with their MOF class GUID as the
 * provider and the event type as the opcode, so the file decoder's payload
 * decoders serve both paths. A live trace carries no KernelTraceControl
 * DbgID_RSDS events (xperf and PerfView add them when they merge a file):
 * for every image loaded, the identify callback reads the PE file and an
 * equivalent event is fed to the builder just before the image event.
 */
#ifndef ETL_LIVE_H
#define ETL_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "etl_edges.h"
#include "etl_events.h"
#include "pe_ident.h"

/* EVENT_HEADER_EXTENDED_DATA_ITEM, as plain values. */
struct etl_live_ext {
	uint16_t type;			/* EVENT_HEADER_EXT_TYPE_* */
	uint16_t size;
	const void *data;
};

/* The EVENT_RECORD fields the builder needs, as plain values. */
struct etl_live_record {
	uint8_t provider[16];		/* EVENT_HEADER.ProviderId, as laid out in memory */
	uint16_t flags;			/* EVENT_HEADER.Flags */
	uint16_t id;			/* EVENT_DESCRIPTOR */
	uint8_t version, opcode, level;
	uint16_t task;
	uint64_t keyword;
	uint32_t pid, tid;
	uint64_t ts;			/* raw (QPC with PROCESS_TRACE_MODE_RAW_TIMESTAMP) */
	uint16_t cpu;
	const void *data;		/* UserData */
	uint16_t len;			/* UserDataLength */
	const struct etl_live_ext *ext;	/* ExtendedData */
	uint16_t next;			/* ExtendedDataCount */
};

/* EVENT_HEADER.Flags bits used here. */
#define ETL_LIVE_FLAG_EXTENDED_INFO	0x0001
#define ETL_LIVE_FLAG_32_BIT		0x0020
#define ETL_LIVE_FLAG_64_BIT		0x0040
#define ETL_LIVE_FLAG_CLASSIC		0x0100

/*
 * Convert a record into *ev. Extended items are laid out as in a file into
 * scratch (cap bytes; items that do not fit are dropped and counted in
 * *dropped when not NULL). host_ptrsize (4 or 8) applies when the flags do
 * not say. ev borrows rec's data and scratch.
 */
void etl_live_event(const struct etl_live_record *rec, unsigned host_ptrsize,
    uint8_t *scratch, size_t cap, struct etl_event *ev, uint64_t *dropped);

/*
 * Identify the image file at nt_path (UTF-8, as the trace names it: an NT
 * path such as "\Device\HarddiskVolume2\Windows\System32\ntdll.dll"). Return
 * 1 with *id filled, 0 if the file cannot be read.
 */
typedef int (*etl_live_identify_fn)(void *ctx, const char *nt_path, struct pe_ident *id);

struct etl_live_stats {
	uint64_t events;		/* records added */
	uint64_t images;		/* image load/rundown events */
	uint64_t identified;		/* ... given a PDB identity from the file */
	uint64_t files_read;		/* distinct image files looked at */
	uint64_t ext_dropped;		/* extended items that did not fit */
};

struct etl_live;

/* b is borrowed; identify may be NULL (no PE identities). NULL on ENOMEM. */
struct etl_live *etl_live_new(struct etl_edges *b, unsigned host_ptrsize,
    etl_live_identify_fn identify, void *ctx);
void etl_live_free(struct etl_live *lv);

/* Feed one record to the builder. ETL_OK or ETL_ENOMEM. */
int etl_live_add(struct etl_live *lv, const struct etl_live_record *rec);

/* The last event converted by etl_live_add (valid until the next call). */
const struct etl_event *etl_live_last(const struct etl_live *lv);

void etl_live_get_stats(const struct etl_live *lv, struct etl_live_stats *st);

#endif
