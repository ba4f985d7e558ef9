/*
 * etl_events.c - trace headers, event classification and payload decoders.
 *
 * Layouts follow ntwmi.h / evntcons.h as documented in research/etw.md. Every
 * decoder checks each field against ev->len before loading it; a payload too
 * short for the fields the decoder needs returns ETL_ECORRUPT.
 */
#include "etl_events.h"

#include <stdio.h>
#include <string.h>

const char *etl_strerror(int status)
{
	switch (status) {
	case ETL_OK:		return "success";
	case ETL_ENOMEM:	return "out of memory or size limit exceeded";
	case ETL_ETRUNC:	return "truncated";
	case ETL_ECORRUPT:	return "corrupt";
	case ETL_EUNSUPPORTED:	return "unsupported";
	case ETL_EIO:		return "I/O error";
	case ETL_EFORMAT:	return "not an .etl file";
	}
	return "unknown error";
}

/* ---- GUIDs ---------------------------------------------------------------- */

int etl_guid_eq(const struct etl_guid *a, const struct etl_guid *b)
{
	return a->d1 == b->d1 && a->d2 == b->d2 && a->d3 == b->d3 &&
	    memcmp(a->d4, b->d4, 8) == 0;
}

void etl_guid_load(struct etl_guid *g, const uint8_t *p)
{
	g->d1 = etl_le32(p);
	g->d2 = etl_le16(p + 4);
	g->d3 = etl_le16(p + 6);
	memcpy(g->d4, p + 8, 8);
}

void etl_guid_format(const struct etl_guid *g, char *buf, size_t cap)
{
	snprintf(buf, cap, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    (unsigned)g->d1, g->d2, g->d3, g->d4[0], g->d4[1], g->d4[2],
	    g->d4[3], g->d4[4], g->d4[5], g->d4[6], g->d4[7]);
}

void etl_pdb_key(const struct etl_guid *g, uint32_t age, char *buf, size_t cap)
{
	snprintf(buf, cap, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
	    (unsigned)g->d1, g->d2, g->d3, g->d4[0], g->d4[1], g->d4[2],
	    g->d4[3], g->d4[4], g->d4[5], g->d4[6], g->d4[7], (unsigned)age);
}

#define GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7) \
	{ a, b, c, { d0, d1, d2, d3, d4, d5, d6, d7 } }

static const struct etl_guid guid_eventtrace =
	GUID(0x68fdd900, 0x4a3e, 0x11d1, 0x84, 0xf4, 0x00, 0x00, 0xf8, 0x04, 0x64, 0xe3);
static const struct etl_guid guid_perfinfo =
	GUID(0xce1dbfb4, 0x137e, 0x4da6, 0x87, 0xb0, 0x3f, 0x59, 0xaa, 0x10, 0x2c, 0xbc);
static const struct etl_guid guid_stackwalk =
	GUID(0xdef2fe46, 0x7bd6, 0x4b80, 0xbd, 0x94, 0xf5, 0x7f, 0xe2, 0x0d, 0x0c, 0xe3);
static const struct etl_guid guid_image =
	GUID(0x2cb15d1d, 0x5fc1, 0x11d2, 0xab, 0xe1, 0x00, 0xa0, 0xc9, 0x11, 0xf5, 0x18);
static const struct etl_guid guid_process =
	GUID(0x3d6fa8d0, 0xfe05, 0x11d0, 0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c);
static const struct etl_guid guid_thread =
	GUID(0x3d6fa8d1, 0xfe05, 0x11d0, 0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c);
static const struct etl_guid guid_image_id =
	GUID(0xb3e675d7, 0x2554, 0x4f18, 0x83, 0x0b, 0x27, 0x62, 0x73, 0x25, 0x60, 0xde);
static const struct etl_guid guid_clr_runtime =
	GUID(0xe13c0d23, 0xccbc, 0x4e12, 0x93, 0x1b, 0xd9, 0xcc, 0x2e, 0xee, 0x27, 0xe4);
static const struct etl_guid guid_clr_rundown =
	GUID(0xa669021c, 0xc450, 0x4609, 0xa0, 0x35, 0x5a, 0xf5, 0x9a, 0xf4, 0xdf, 0x18);

/* ---- trace headers -------------------------------------------------------- */

/* EVENT_TRACE_GROUP_* (high byte of the kernel event type). */
enum {
	GROUP_HEADER = 0x00,
	GROUP_PROCESS = 0x03,
	GROUP_THREAD = 0x05,
	GROUP_PERFINFO = 0x0F,
	GROUP_IMAGE = 0x14,
	GROUP_STACKWALK = 0x18,
};

#define HDR_FLAG_TRACE 0x80	/* TRACE_HEADER_FLAG: every record has it */

int etl_event_parse(const uint8_t *p, size_t avail, struct etl_event *ev,
    uint32_t *rec_size)
{
	uint32_t size, hdr;

	if (avail < 4)
		return ETL_ECORRUPT;
	memset(ev, 0, sizeof *ev);
	ev->header_type = p[2];
	if (!(p[3] & HDR_FLAG_TRACE))
		return ETL_ECORRUPT;
	ev->pid = ev->tid = ETL_NO_ID;

	switch (ev->header_type) {
	case 0x01: case 0x02:		/* SYSTEM32/64 */
	case 0x03: case 0x04:		/* COMPACT32/64 */
		hdr = ev->header_type <= 0x02 ? 32 : 24;
		if (avail < hdr)
			return ETL_ECORRUPT;
		ev->kind = ev->header_type <= 0x02 ? ETL_HDR_SYSTEM : ETL_HDR_COMPACT;
		ev->ptrsize = (ev->header_type & 1) ? 4 : 8;
		ev->version = etl_le16(p);
		size = etl_le16(p + 4);
		ev->opcode = p[6];
		ev->group = p[7];
		ev->tid = etl_le32(p + 8);
		ev->pid = etl_le32(p + 12);
		ev->ts = etl_le64(p + 16);
		break;
	case 0x10: case 0x11: {		/* PERFINFO32/64 */
		uint16_t v = etl_le16(p);
		/* 0x8000: PEBS index present; 0x0700: number of PMC counters. */
		hdr = 16 + ((v & 0x8000) ? 8 : 0) + 8 * ((v >> 8) & 7);
		if (avail < 16)
			return ETL_ECORRUPT;
		ev->kind = ETL_HDR_PERFINFO;
		ev->ptrsize = ev->header_type == 0x10 ? 4 : 8;
		ev->version = v & 0xFF;
		size = etl_le16(p + 4);
		ev->opcode = p[6];
		ev->group = p[7];
		ev->ts = etl_le64(p + 8);
		break;
	}
	case 0x0A: case 0x14:		/* FULL_HEADER32/64 */
	case 0x0B: case 0x15:		/* INSTANCE32/64 */
		ev->kind = (ev->header_type == 0x0A || ev->header_type == 0x14) ?
		    ETL_HDR_FULL : ETL_HDR_INSTANCE;
		hdr = ev->kind == ETL_HDR_FULL ? 48 : 72;
		if (avail < hdr)
			return ETL_ECORRUPT;
		ev->ptrsize = ev->header_type <= 0x0B ? 4 : 8;
		size = etl_le16(p);
		ev->opcode = p[4];
		ev->level = p[5];
		ev->version = etl_le16(p + 6);
		ev->tid = etl_le32(p + 8);
		ev->pid = etl_le32(p + 12);
		ev->ts = etl_le64(p + 16);
		etl_guid_load(&ev->guid, p + 24);
		ev->has_guid = 1;
		break;
	case 0x12: case 0x13:		/* EVENT_HEADER32/64 */
		hdr = 80;
		if (avail < hdr)
			return ETL_ECORRUPT;
		ev->kind = ETL_HDR_EVENT;
		ev->ptrsize = ev->header_type == 0x12 ? 4 : 8;
		size = etl_le16(p);
		ev->flags = etl_le16(p + 4);
		ev->tid = etl_le32(p + 8);
		ev->pid = etl_le32(p + 12);
		ev->ts = etl_le64(p + 16);
		etl_guid_load(&ev->guid, p + 24);
		ev->has_guid = 1;
		ev->id = etl_le16(p + 40);
		ev->version = p[42];
		ev->level = p[44];
		ev->opcode = p[45];
		ev->task = etl_le16(p + 46);
		ev->keyword = etl_le64(p + 48);
		break;
	default:
		return ETL_EUNSUPPORTED;
	}

	if (size < hdr || size > avail)
		return ETL_ECORRUPT;

	if (ev->kind == ETL_HDR_EVENT && (ev->flags & 0x0001)) {
		/*
		 * Extended items sit between the header and the user data: each
		 * has an 8-byte head (u16 reserved, u16 type, u16 linkage, u16
		 * data size) and data padded to 8; linkage bit 0 says another
		 * item follows.
		 */
		uint32_t off = hdr;
		for (;;) {
			if (size - off < 8)
				return ETL_ECORRUPT;
			uint16_t link = etl_le16(p + off + 4);
			uint32_t dsize = etl_le16(p + off + 6);
			uint32_t step = 8 + ((dsize + 7) & ~7u);
			if (size - off < step)
				return ETL_ECORRUPT;
			off += step;
			if (!(link & 1))
				break;
		}
		ev->ext = p + hdr;
		ev->ext_len = off - hdr;
		hdr = off;
	}
	ev->data = p + hdr;
	ev->len = size - hdr;
	*rec_size = size;
	return ETL_OK;
}

int etl_ext_next(const struct etl_event *ev, uint32_t *pos, struct etl_ext_item *item)
{
	uint32_t off = *pos;

	if (!ev->ext || off >= ev->ext_len)
		return 0;
	if (ev->ext_len - off < 8)
		return ETL_ECORRUPT;
	uint16_t dsize = etl_le16(ev->ext + off + 6);
	uint32_t step = 8 + ((dsize + 7u) & ~7u);
	if (ev->ext_len - off < step)
		return ETL_ECORRUPT;
	item->type = etl_le16(ev->ext + off + 2);
	item->size = dsize;
	item->data = ev->ext + off + 8;
	*pos = off + step;
	return 1;
}

/* ---- classification ------------------------------------------------------- */

static int kernel_group_of_guid(const struct etl_guid *g)
{
	if (etl_guid_eq(g, &guid_perfinfo))	return GROUP_PERFINFO;
	if (etl_guid_eq(g, &guid_stackwalk))	return GROUP_STACKWALK;
	if (etl_guid_eq(g, &guid_image))	return GROUP_IMAGE;
	if (etl_guid_eq(g, &guid_process))	return GROUP_PROCESS;
	if (etl_guid_eq(g, &guid_thread))	return GROUP_THREAD;
	if (etl_guid_eq(g, &guid_eventtrace))	return GROUP_HEADER;
	return -1;
}

static enum etl_class classify_kernel(int group, unsigned op)
{
	switch (group) {
	case GROUP_HEADER:
		return op == 0 ? ETL_EV_LOGFILE_HEADER : ETL_EV_OTHER;
	case GROUP_PERFINFO:
		return op == 46 ? ETL_EV_SAMPLE : ETL_EV_OTHER;
	case GROUP_STACKWALK:
		switch (op) {
		case 32: return ETL_EV_STACK;
		case 34: return ETL_EV_STACK_KEY_CREATE;
		case 35: return ETL_EV_STACK_KEY_DELETE;
		case 36: return ETL_EV_STACK_KEY_RUNDOWN;
		case 37: return ETL_EV_STACK_REF_KERNEL;
		case 38: return ETL_EV_STACK_REF_USER;
		}
		return ETL_EV_OTHER;
	case GROUP_IMAGE:
		switch (op) {
		case 2: return ETL_EV_IMAGE_UNLOAD;
		case 3: return ETL_EV_IMAGE_DCSTART;
		case 4: return ETL_EV_IMAGE_DCEND;
		case 10: return ETL_EV_IMAGE_LOAD;
		}
		return ETL_EV_OTHER;
	case GROUP_PROCESS:
		switch (op) {
		case 1: return ETL_EV_PROCESS_START;
		case 2: return ETL_EV_PROCESS_END;
		case 3: return ETL_EV_PROCESS_DCSTART;
		case 4: return ETL_EV_PROCESS_DCEND;
		/* Image Load is logged in the process group (PERFINFO_LOG_TYPE_IMAGELOAD). */
		case 10: return ETL_EV_IMAGE_LOAD;
		}
		return ETL_EV_OTHER;
	case GROUP_THREAD:
		switch (op) {
		case 1: return ETL_EV_THREAD_START;
		case 2: return ETL_EV_THREAD_END;
		case 3: return ETL_EV_THREAD_DCSTART;
		case 4: return ETL_EV_THREAD_DCEND;
		}
		return ETL_EV_OTHER;
	}
	return ETL_EV_OTHER;
}

enum etl_class etl_event_classify(const struct etl_event *ev)
{
	if (!ev->has_guid)
		return classify_kernel(ev->group, ev->opcode);

	if (ev->kind == ETL_HDR_EVENT) {
		if (etl_guid_eq(&ev->guid, &guid_clr_runtime)) {
			switch (ev->id) {
			case 143: return ETL_EV_CLR_METHOD_LOAD;
			case 144: return ETL_EV_CLR_METHOD_UNLOAD;
			case 152: return ETL_EV_CLR_MODULE_LOAD;
			case 153: return ETL_EV_CLR_MODULE_UNLOAD;
			}
			return ETL_EV_OTHER;
		}
		if (etl_guid_eq(&ev->guid, &guid_clr_rundown)) {
			switch (ev->id) {
			case 143: return ETL_EV_CLR_METHOD_DCSTART;
			case 144: return ETL_EV_CLR_METHOD_DCEND;
			case 153: return ETL_EV_CLR_MODULE_DCSTART;
			case 154: return ETL_EV_CLR_MODULE_DCEND;
			}
			return ETL_EV_OTHER;
		}
	}
	if (etl_guid_eq(&ev->guid, &guid_image_id)) {
		switch (ev->opcode) {
		case 0: return ETL_EV_IMAGE_ID;
		case 36: return ETL_EV_DBGID_RSDS;
		}
		return ETL_EV_OTHER;
	}
	/* Kernel events delivered with their MOF class guid (live sessions). */
	int group = kernel_group_of_guid(&ev->guid);
	if (group >= 0)
		return classify_kernel(group, ev->opcode);
	return ETL_EV_OTHER;
}

const char *etl_class_name(enum etl_class c)
{
	static const char *const names[ETL_EV__COUNT] = {
		[ETL_EV_OTHER] = "other",
		[ETL_EV_LOGFILE_HEADER] = "logfile_header",
		[ETL_EV_SAMPLE] = "sample",
		[ETL_EV_STACK] = "stack",
		[ETL_EV_STACK_KEY_CREATE] = "stack_key_create",
		[ETL_EV_STACK_KEY_DELETE] = "stack_key_delete",
		[ETL_EV_STACK_KEY_RUNDOWN] = "stack_key_rundown",
		[ETL_EV_STACK_REF_KERNEL] = "stack_ref_kernel",
		[ETL_EV_STACK_REF_USER] = "stack_ref_user",
		[ETL_EV_IMAGE_LOAD] = "image_load",
		[ETL_EV_IMAGE_UNLOAD] = "image_unload",
		[ETL_EV_IMAGE_DCSTART] = "image_dcstart",
		[ETL_EV_IMAGE_DCEND] = "image_dcend",
		[ETL_EV_PROCESS_START] = "process_start",
		[ETL_EV_PROCESS_END] = "process_end",
		[ETL_EV_PROCESS_DCSTART] = "process_dcstart",
		[ETL_EV_PROCESS_DCEND] = "process_dcend",
		[ETL_EV_THREAD_START] = "thread_start",
		[ETL_EV_THREAD_END] = "thread_end",
		[ETL_EV_THREAD_DCSTART] = "thread_dcstart",
		[ETL_EV_THREAD_DCEND] = "thread_dcend",
		[ETL_EV_IMAGE_ID] = "image_id",
		[ETL_EV_DBGID_RSDS] = "dbgid_rsds",
		[ETL_EV_CLR_METHOD_LOAD] = "clr_method_load",
		[ETL_EV_CLR_METHOD_UNLOAD] = "clr_method_unload",
		[ETL_EV_CLR_METHOD_DCSTART] = "clr_method_dcstart",
		[ETL_EV_CLR_METHOD_DCEND] = "clr_method_dcend",
		[ETL_EV_CLR_MODULE_LOAD] = "clr_module_load",
		[ETL_EV_CLR_MODULE_UNLOAD] = "clr_module_unload",
		[ETL_EV_CLR_MODULE_DCSTART] = "clr_module_dcstart",
		[ETL_EV_CLR_MODULE_DCEND] = "clr_module_dcend",
	};
	if ((unsigned)c >= ETL_EV__COUNT || !names[c])
		return "unknown";
	return names[c];
}

/* ---- strings -------------------------------------------------------------- */

/*
 * A NUL-terminated UTF-16LE string at p[off..len). Sets *s and returns the
 * offset after the terminator; without a terminator the string runs to len
 * and the return is len + 1 (so "nothing follows" is detectable).
 */
static uint32_t scan_str16(const uint8_t *p, uint32_t len, uint32_t off,
    struct etl_str16 *s)
{
	uint32_t i = off;

	if (off > len) {
		s->p = p + len;
		s->nbytes = 0;
		return len + 1;
	}
	s->p = p + off;
	while (len - i >= 2) {
		if (p[i] == 0 && p[i + 1] == 0) {
			s->nbytes = i - off;
			return i + 2;
		}
		i += 2;
	}
	s->nbytes = (len - off) & ~1u;
	return len + 1;
}

/* A NUL-terminated 8-bit string at p[off..len); same contract as scan_str16. */
static uint32_t scan_str8(const uint8_t *p, uint32_t len, uint32_t off,
    const char **s, uint32_t *n)
{
	uint32_t i = off;

	if (off > len) {
		*s = (const char *)p + len;
		*n = 0;
		return len + 1;
	}
	*s = (const char *)p + off;
	while (i < len) {
		if (p[i] == 0) {
			*n = i - off;
			return i + 1;
		}
		i++;
	}
	*n = len - off;
	return len + 1;
}

size_t etl_str16_utf8(struct etl_str16 s, char *out, size_t cap)
{
	size_t o = 0;
	uint32_t i = 0;

	if (cap == 0)
		return 0;
	while (s.nbytes - i >= 2) {
		uint32_t c = etl_le16(s.p + i);
		i += 2;
		if (c >= 0xD800 && c <= 0xDBFF && s.nbytes - i >= 2) {
			uint32_t lo = etl_le16(s.p + i);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xD800 && c <= 0xDFFF) {
			c = 0xFFFD;
		}
		char b[4];
		size_t n;
		if (c < 0x80) {
			b[0] = (char)c; n = 1;
		} else if (c < 0x800) {
			b[0] = (char)(0xC0 | c >> 6);
			b[1] = (char)(0x80 | (c & 0x3F)); n = 2;
		} else if (c < 0x10000) {
			b[0] = (char)(0xE0 | c >> 12);
			b[1] = (char)(0x80 | (c >> 6 & 0x3F));
			b[2] = (char)(0x80 | (c & 0x3F)); n = 3;
		} else {
			b[0] = (char)(0xF0 | c >> 18);
			b[1] = (char)(0x80 | (c >> 12 & 0x3F));
			b[2] = (char)(0x80 | (c >> 6 & 0x3F));
			b[3] = (char)(0x80 | (c & 0x3F)); n = 4;
		}
		if (cap - 1 - o < n)
			break;
		memcpy(out + o, b, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

/* ---- payload decoders ----------------------------------------------------- */

/* True when the payload holds n bytes at off (overflow-safe). */
static int has(const struct etl_event *ev, uint32_t off, uint32_t n)
{
	return off <= ev->len && ev->len - off >= n;
}

int etl_decode_logfile(const struct etl_event *ev, struct etl_logfile *lf)
{
	const uint8_t *d = ev->data;

	memset(lf, 0, sizeof *lf);
	if (!has(ev, 0, 56))
		return ETL_ECORRUPT;
	lf->buffer_size = etl_le32(d);
	lf->os_major = d[4];
	lf->os_minor = d[5];
	lf->os_sp = d[6];
	lf->os_subminor = d[7];
	lf->provider_version = etl_le32(d + 8);
	lf->ncpu = etl_le32(d + 12);
	lf->end_time = etl_le64(d + 16);
	lf->timer_resolution = etl_le32(d + 24);
	lf->max_file_size = etl_le32(d + 28);
	lf->log_file_mode = etl_le32(d + 32);
	lf->buffers_written = etl_le32(d + 36);
	lf->pointer_size = etl_le32(d + 44);
	lf->events_lost = etl_le32(d + 48);
	lf->cpu_speed_mhz = etl_le32(d + 52);
	if (lf->pointer_size != 4 && lf->pointer_size != 8)
		return ETL_ECORRUPT;

	uint32_t p2 = 2 * lf->pointer_size;
	uint32_t tz = 56 + p2;			/* TIME_ZONE_INFORMATION, 172 bytes */
	uint32_t tail = tz + 172 + 4;		/* BootTime, after 4 bytes of padding */
	if (!has(ev, tail, 32))
		return ETL_ECORRUPT;
	lf->tz_bias_minutes = (int32_t)etl_le32(d + tz);
	lf->boot_time = etl_le64(d + tail);
	lf->perf_freq = etl_le64(d + tail + 8);
	lf->start_time = etl_le64(d + tail + 16);
	lf->clock_type = etl_le32(d + tail + 24);
	lf->buffers_lost = etl_le32(d + tail + 28);
	lf->header_ts = ev->ts;

	struct etl_str16 s;
	uint32_t next = scan_str16(d, ev->len, tail + 32, &s);
	etl_str16_utf8(s, lf->session_name, sizeof lf->session_name);
	if (next <= ev->len) {
		scan_str16(d, ev->len, next, &s);
		etl_str16_utf8(s, lf->logfile_name, sizeof lf->logfile_name);
	}
	return ETL_OK;
}

/* ---- time ----------------------------------------------------------------- */

#define FILETIME_UNIX_EPOCH 116444736000000000ULL	/* 1970-01-01 in 100 ns since 1601 */

uint64_t etl_filetime_unix_ns(uint64_t ft)
{
	if (ft <= FILETIME_UNIX_EPOCH)
		return 0;
	uint64_t t = ft - FILETIME_UNIX_EPOCH;
	if (t > UINT64_MAX / 100)
		return UINT64_MAX;
	return t * 100;
}

void etl_clock_from_logfile(struct etl_clock *c, const struct etl_logfile *lf)
{
	c->type = lf->clock_type;
	c->freq = lf->clock_type == 3 ?
	    (uint64_t)lf->cpu_speed_mhz * 1000000u : lf->perf_freq;
	if (c->freq == 0)
		c->freq = 10000000;	/* the usual QPC rate; a header without one is damaged */
	/* The header record's timestamp is the trace clock at StartTime. */
	c->ref_ts = lf->header_ts;
	c->ref_unix_ns = etl_filetime_unix_ns(lf->start_time);
}

uint64_t etl_clock_unix_ns(const struct etl_clock *c, uint64_t ts)
{
	if (c->type == 2)
		return etl_filetime_unix_ns(ts);

	/* Split seconds and remainder so the products stay below 2^64. */
	int neg = ts < c->ref_ts;
	uint64_t d = neg ? c->ref_ts - ts : ts - c->ref_ts;
	uint64_t freq = c->freq ? c->freq : 1;
	uint64_t ns;
	if (d / freq > UINT64_MAX / 1000000000u)
		ns = UINT64_MAX;
	else
		ns = (d / freq) * 1000000000u + (d % freq) * 1000000000u / freq;
	if (neg)
		return ns > c->ref_unix_ns ? 0 : c->ref_unix_ns - ns;
	return ns > UINT64_MAX - c->ref_unix_ns ? UINT64_MAX : c->ref_unix_ns + ns;
}

/* ---- payload decoders (kernel) ----------------------------------------------- */

int etl_decode_sample(const struct etl_event *ev, struct etl_sample *s)
{
	unsigned P = ev->ptrsize;

	if (!has(ev, 0, P + 8))
		return ETL_ECORRUPT;
	s->ip = etl_leptr(ev->data, P);
	s->tid = etl_le32(ev->data + P);
	s->count = etl_le16(ev->data + P + 4);
	s->flags = ev->data[P + 6];
	return ETL_OK;
}

static void frames_at(const struct etl_event *ev, uint32_t off, struct etl_frames *f)
{
	f->ptrsize = ev->ptrsize;
	f->p = ev->data + off;
	f->n = (ev->len - off) / ev->ptrsize;
}

int etl_decode_stack(const struct etl_event *ev, struct etl_stack *s)
{
	if (!has(ev, 0, 16))
		return ETL_ECORRUPT;
	s->event_ts = etl_le64(ev->data);
	s->pid = etl_le32(ev->data + 8);
	s->tid = etl_le32(ev->data + 12);
	frames_at(ev, 16, &s->frames);
	return ETL_OK;
}

int etl_decode_stack_ref(const struct etl_event *ev, struct etl_stack_ref *r)
{
	if (!has(ev, 0, 16 + ev->ptrsize))
		return ETL_ECORRUPT;
	r->event_ts = etl_le64(ev->data);
	r->pid = etl_le32(ev->data + 8);
	r->tid = etl_le32(ev->data + 12);
	r->key = etl_leptr(ev->data + 16, ev->ptrsize);
	return ETL_OK;
}

int etl_decode_stack_def(const struct etl_event *ev, struct etl_stack_def *d)
{
	if (!has(ev, 0, ev->ptrsize))
		return ETL_ECORRUPT;
	d->key = etl_leptr(ev->data, ev->ptrsize);
	frames_at(ev, ev->ptrsize, &d->frames);
	return ETL_OK;
}

int etl_decode_image(const struct etl_event *ev, struct etl_image *im)
{
	unsigned P = ev->ptrsize;
	uint32_t name;

	memset(im, 0, sizeof *im);
	if (ev->version < 1)
		return ETL_EUNSUPPORTED;	/* pre-Vista layout without a pid */
	if (!has(ev, 0, 2 * P + 4))
		return ETL_ECORRUPT;
	im->base = etl_leptr(ev->data, P);
	im->size = etl_leptr(ev->data + P, P);
	im->pid = etl_le32(ev->data + 2 * P);
	if (ev->version == 1) {
		name = 2 * P + 4;
	} else {
		/* v2+: checksum, time stamp, signature bytes, DefaultBase, 4 reserved. */
		if (!has(ev, 0, 2 * P + 16 + P + 16))
			return ETL_ECORRUPT;
		im->checksum = etl_le32(ev->data + 2 * P + 4);
		im->time_date_stamp = etl_le32(ev->data + 2 * P + 8);
		im->default_base = etl_leptr(ev->data + 2 * P + 16, P);
		name = 3 * P + 32;
	}
	scan_str16(ev->data, ev->len, name, &im->file_name);
	return ETL_OK;
}

int etl_decode_process(const struct etl_event *ev, struct etl_process *pr)
{
	unsigned P = ev->ptrsize;
	const uint8_t *d = ev->data;
	uint32_t off;

	memset(pr, 0, sizeof *pr);
	if (ev->version < 2)
		return ETL_EUNSUPPORTED;
	if (!has(ev, 0, P + 16))
		return ETL_ECORRUPT;
	pr->unique_key = etl_leptr(d, P);
	pr->pid = etl_le32(d + P);
	pr->ppid = etl_le32(d + P + 4);
	pr->session_id = etl_le32(d + P + 8);
	pr->exit_status = (int32_t)etl_le32(d + P + 12);
	off = P + 16;
	if (ev->version >= 3)
		off += P;		/* DirectoryTableBase */
	if (ev->version >= 4) {
		if (!has(ev, off, 4))
			return ETL_ECORRUPT;
		pr->flags = etl_le32(d + off);
		off += 4;
	}
	/*
	 * The user SID: a u32 0 when absent, otherwise a TOKEN_USER (two
	 * pointers) followed by a SID of 8 + 4 * SubAuthorityCount bytes.
	 */
	if (!has(ev, off, 4))
		return ETL_ECORRUPT;
	if (etl_le32(d + off) == 0) {
		off += 4;
	} else {
		off += 2 * P;
		if (!has(ev, off, 8))
			return ETL_ECORRUPT;
		off += 8 + 4u * d[off + 1];
		if (off > ev->len)
			return ETL_ECORRUPT;
	}
	off = scan_str8(d, ev->len, off, &pr->image_name, &pr->image_name_len);
	if (off <= ev->len)
		scan_str16(d, ev->len, off, &pr->command_line);
	return ETL_OK;
}

int etl_decode_thread(const struct etl_event *ev, struct etl_thread *th)
{
	if (!has(ev, 0, 8))
		return ETL_ECORRUPT;
	if (ev->version == 0) {
		th->tid = etl_le32(ev->data);
		th->pid = etl_le32(ev->data + 4);
	} else {
		th->pid = etl_le32(ev->data);
		th->tid = etl_le32(ev->data + 4);
	}
	return ETL_OK;
}

int etl_decode_image_id(const struct etl_event *ev, struct etl_image_id *id)
{
	unsigned P = ev->ptrsize;

	memset(id, 0, sizeof *id);
	if (!has(ev, 0, 2 * P + 8))
		return ETL_ECORRUPT;
	id->base = etl_leptr(ev->data, P);
	id->size = etl_leptr(ev->data + P, P);
	id->pid = etl_le32(ev->data + 2 * P);
	id->time_date_stamp = etl_le32(ev->data + 2 * P + 4);
	scan_str16(ev->data, ev->len, 2 * P + 8, &id->original_name);
	return ETL_OK;
}

int etl_decode_rsds(const struct etl_event *ev, struct etl_rsds *r)
{
	unsigned P = ev->ptrsize;
	uint32_t off = P + 4;

	memset(r, 0, sizeof *r);
	if (!has(ev, 0, off + 20))
		return ETL_ECORRUPT;
	r->base = etl_leptr(ev->data, P);
	r->pid = etl_le32(ev->data + P);
	memcpy(r->guid_bytes, ev->data + off, 16);
	etl_guid_load(&r->guid, ev->data + off);
	r->age = etl_le32(ev->data + off + 16);
	scan_str8(ev->data, ev->len, off + 20, &r->pdb_name, &r->pdb_name_len);
	return ETL_OK;
}

int etl_decode_clr_method(const struct etl_event *ev, struct etl_clr_method *m)
{
	const uint8_t *d = ev->data;
	uint32_t off;

	memset(m, 0, sizeof *m);
	/* Address fields are 64-bit whatever the producer's pointer size. */
	if (!has(ev, 0, 36))
		return ETL_ECORRUPT;
	m->method_id = etl_le64(d);
	m->module_id = etl_le64(d + 8);
	m->start = etl_le64(d + 16);
	m->size = etl_le32(d + 24);
	m->token = etl_le32(d + 28);
	m->flags = etl_le32(d + 32);
	off = scan_str16(d, ev->len, 36, &m->ns);
	if (off > ev->len)
		return ETL_ECORRUPT;
	off = scan_str16(d, ev->len, off, &m->name);
	if (off > ev->len)
		return ETL_ECORRUPT;
	scan_str16(d, ev->len, off, &m->sig);
	return ETL_OK;
}

int etl_decode_clr_module(const struct etl_event *ev, struct etl_clr_module *m)
{
	const uint8_t *d = ev->data;
	uint32_t off;

	memset(m, 0, sizeof *m);
	if (!has(ev, 0, 24))
		return ETL_ECORRUPT;
	m->module_id = etl_le64(d);
	m->assembly_id = etl_le64(d + 8);
	m->flags = etl_le32(d + 16);
	off = scan_str16(d, ev->len, 24, &m->il_path);
	if (off > ev->len)
		return ETL_ECORRUPT;
	off = scan_str16(d, ev->len, off, &m->native_path);
	/* Version 2: u16 ClrInstanceID, then the managed PDB GUID and age. */
	if (ev->version >= 2 && off <= ev->len && has(ev, off, 2 + 16 + 4)) {
		etl_guid_load(&m->pdb_guid, d + off + 2);
		m->pdb_age = etl_le32(d + off + 18);
		m->has_pdb = 1;
	}
	return ETL_OK;
}
