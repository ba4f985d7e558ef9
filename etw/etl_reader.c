/*
 * etl_reader.c - buffer index, decompression and the per-CPU merge.
 *
 * An .etl file is a sequence of buffers, each a 0x48-byte WMI_BUFFER_HEADER
 * and 8-byte aligned records. Each buffer holds the events of one processor,
 * in time order; a processor's buffers are ordered by SequenceNumber. So the
 * file is a set of sorted runs, one per processor: at open we index the
 * buffers and group them into per-processor streams, and reading is a k-way
 * merge over the streams' head records (a binary min-heap). Only the current
 * buffer of each stream is decompressed, so memory is bounded by
 * processors x buffer size whatever the file size.
 */
#include "etl_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xpress.h"

#define BUF_HDR		0x48
#define BUF_FLAG_EVENTS_LOST	0x0002
#define BUF_FLAG_BUFFER_LOST	0x0004
#define BUF_FLAG_PROC_INDEX	0x0020
#define BUF_FLAG_COMPRESSED	0x0040
#define BUF_TYPE_HEADER		4

#define COMPRESSION_LZNT1	2
#define COMPRESSION_XPRESS	3
#define COMPRESSION_XPRESS_HUFF	4

/* %zu is not portable to every C runtime (msvcrt); print sizes as %llu. */
#define ULL(x) ((unsigned long long)(x))

/* ETW's largest buffer is 16 MiB (BufferSize is in KiB, at most 16384). */
#define MAX_BUFFER	(16u << 20)
/* Cap on the decompression scratch of all streams together. */
#define MAX_SCRATCH	((size_t)1 << 30)

struct buf {
	uint64_t off;		/* file offset of the header */
	uint64_t seq;
	uint32_t size;		/* bytes on disk */
	uint32_t saved;		/* valid bytes once decompressed, header included */
	uint16_t cpu;
	uint16_t flags;
	uint16_t format;	/* COMPRESSION_* when compressed */
	uint16_t type;
};

struct stream {
	uint32_t first, end;	/* range in r->order */
	uint32_t next;		/* next buffer to load */
	uint32_t cur;		/* buffer being read (index into r->bufs) */
	const uint8_t *data;	/* records of the current buffer */
	uint32_t len, pos;
	uint8_t *scratch;	/* decompression target, allocated on first use */
	size_t scratch_cap;	/* bytes allocated */
	size_t scratch_max;	/* largest decompressed buffer of the stream */
	uint16_t cpu;
	struct etl_event head;	/* parsed record at the front of the stream */
};

struct etl_reader {
	const uint8_t *file;
	size_t file_len;
	struct buf *bufs;
	uint32_t nbufs;
	uint32_t *order;	/* buffer indices sorted by (cpu, seq, offset) */
	struct stream *streams;
	uint32_t nstreams;
	uint32_t *heap;		/* stream indices, min-heap on head.ts */
	uint32_t nheap;
	int last;		/* stream returned by the previous call, -1 none */
	int started;
	uint64_t prev_ts;
	struct etl_logfile lf;
	struct etl_error err;
	struct etl_reader_stats st;
};

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

static int set_err(struct etl_error *e, int code, uint64_t off, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static int set_err(struct etl_error *e, int code, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	e->offset = off;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- buffer index --------------------------------------------------------- */

static int cmp_buf(const struct buf *a, const struct buf *b)
{
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

/* Merge sort of buffer indices (stable; qsort has no context argument). */
static void sort_order(uint32_t *idx, uint32_t *tmp, uint32_t n, const struct buf *bufs)
{
	if (n < 2)
		return;
	uint32_t h = n / 2;
	sort_order(idx, tmp, h, bufs);
	sort_order(idx + h, tmp, n - h, bufs);
	uint32_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = cmp_buf(&bufs[idx[j]], &bufs[idx[i]]) < 0 ? idx[j++] : idx[i++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int index_buffers(struct etl_reader *r)
{
	size_t off = 0, cap = 0;

	while (off < r->file_len) {
		size_t left = r->file_len - off;
		const uint8_t *h = r->file + off;

		if (left < BUF_HDR) {
			if (all_zero(h, left))
				break;
			return set_err(&r->err, ETL_ETRUNC, off,
			    "buffer %u at offset %llu: only %llu bytes left for a %u-byte header",
			    r->nbufs, ULL(off), ULL(left), BUF_HDR);
		}
		uint32_t size = etl_le32(h);
		uint32_t saved = etl_le32(h + 4);
		if (size == 0 && all_zero(h, left))
			break;		/* preallocated, never written tail */
		struct buf b = {
			.off = off, .size = size, .saved = saved,
			.seq = etl_le64(h + 0x18),
			.flags = etl_le16(h + 0x34),
			.type = etl_le16(h + 0x36),
		};
		b.cpu = (b.flags & BUF_FLAG_PROC_INDEX) ? etl_le16(h + 0x28) : h[0x28];
		if (size < BUF_HDR || size > MAX_BUFFER)
			return set_err(&r->err, ETL_ECORRUPT, off,
			    "buffer %u at offset %llu: bad BufferSize %u", r->nbufs, ULL(off), size);
		if (size > left)
			return set_err(&r->err, ETL_ETRUNC, off,
			    "buffer %u at offset %llu: truncated (%u bytes declared, %llu left)",
			    r->nbufs, ULL(off), size, ULL(left));
		if (b.flags & BUF_FLAG_COMPRESSED) {
			b.format = etl_le32(h + 0x2C) & 0xFFFF;
			if (saved < BUF_HDR || saved > MAX_BUFFER)
				return set_err(&r->err, ETL_ECORRUPT, off,
				    "buffer %u at offset %llu: bad SavedOffset %u for a compressed buffer",
				    r->nbufs, ULL(off), saved);
		} else if (saved < BUF_HDR || saved > size) {
			return set_err(&r->err, ETL_ECORRUPT, off,
			    "buffer %u at offset %llu: SavedOffset %u outside [%u, %u]",
			    r->nbufs, ULL(off), saved, BUF_HDR, size);
		}
		if (r->nbufs == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct buf *nb = realloc(r->bufs, ncap * sizeof *nb);
			if (!nb)
				return set_err(&r->err, ETL_ENOMEM, off, "out of memory");
			r->bufs = nb;
			cap = ncap;
		}
		if (r->nbufs == UINT32_MAX)
			return set_err(&r->err, ETL_ENOMEM, off, "too many buffers");
		r->bufs[r->nbufs++] = b;
		r->st.buffers++;
		if (b.flags & BUF_FLAG_COMPRESSED)
			r->st.compressed_buffers++;
		if (b.flags & (BUF_FLAG_EVENTS_LOST | BUF_FLAG_BUFFER_LOST))
			r->st.lost_buffers++;
		off += size;
	}
	if (r->nbufs == 0)
		return set_err(&r->err, ETL_EFORMAT, 0, "empty file: no buffers");
	return ETL_OK;
}

static int build_streams(struct etl_reader *r)
{
	uint32_t n = r->nbufs;
	uint32_t *tmp;
	size_t scratch_total = 0;

	r->order = malloc((size_t)n * sizeof *r->order);
	tmp = malloc((size_t)n * sizeof *tmp);
	if (!r->order || !tmp) {
		free(tmp);
		return set_err(&r->err, ETL_ENOMEM, 0, "out of memory");
	}
	for (uint32_t i = 0; i < n; i++)
		r->order[i] = i;
	sort_order(r->order, tmp, n, r->bufs);
	free(tmp);

	uint32_t ns = 0;
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || r->bufs[r->order[i]].cpu != r->bufs[r->order[i - 1]].cpu)
			ns++;
	r->streams = calloc(ns, sizeof *r->streams);
	r->heap = malloc((size_t)ns * sizeof *r->heap);
	if (!r->streams || !r->heap)
		return set_err(&r->err, ETL_ENOMEM, 0, "out of memory");
	r->nstreams = ns;
	r->st.streams = ns;

	uint32_t s = 0;
	for (uint32_t i = 0; i < n; s++) {
		struct stream *st = &r->streams[s];
		uint32_t maxsaved = 0;
		st->first = i;
		st->cpu = r->bufs[r->order[i]].cpu;
		while (i < n && r->bufs[r->order[i]].cpu == st->cpu) {
			const struct buf *b = &r->bufs[r->order[i]];
			if ((b->flags & BUF_FLAG_COMPRESSED) && b->saved > maxsaved)
				maxsaved = b->saved;
			i++;
		}
		st->end = i;
		if (maxsaved) {
			/* Allocated when a buffer is decompressed, as large as
			 * the buffers met so far need. */
			st->scratch_max = maxsaved - BUF_HDR;
			scratch_total += st->scratch_max;
			if (scratch_total > MAX_SCRATCH)
				return set_err(&r->err, ETL_ENOMEM, 0,
				    "decompression buffers would exceed %llu bytes", ULL(MAX_SCRATCH));
		}
	}
	return ETL_OK;
}

/* ---- streams -------------------------------------------------------------- */

/* Make buffer order[st->next] current: decompress it if needed. */
static int load_buffer(struct etl_reader *r, struct stream *st)
{
	uint32_t bi = r->order[st->next++];
	const struct buf *b = &r->bufs[bi];
	const uint8_t *h = r->file + b->off;

	st->cur = bi;
	st->pos = 0;
	if (!(b->flags & BUF_FLAG_COMPRESSED)) {
		st->data = h + BUF_HDR;
		st->len = b->saved - BUF_HDR;
		return ETL_OK;
	}
	if (b->format != COMPRESSION_XPRESS)
		return set_err(&r->err, ETL_EUNSUPPORTED, b->off,
		    "buffer %u at offset %llu: compression format %u not supported (only XPRESS)",
		    bi, ULL(b->off), b->format);
	size_t got, need = b->saved - BUF_HDR;
	if (!st->scratch || need > st->scratch_cap) {
		/* At least double, so that growing buffers do not realloc each time. */
		size_t ncap = st->scratch_cap * 2;
		if (ncap < need)
			ncap = need;
		if (ncap > st->scratch_max)
			ncap = st->scratch_max;
		uint8_t *ns = realloc(st->scratch, ncap ? ncap : 1);
		if (!ns)
			return set_err(&r->err, ETL_ENOMEM, b->off, "out of memory");
		st->scratch = ns;
		st->scratch_cap = ncap;
	}
	int rc = xpress_lz77_decompress(h + BUF_HDR, b->size - BUF_HDR,
	    st->scratch, need, &got);
	if (rc != XPRESS_OK)
		return set_err(&r->err, ETL_ECORRUPT, b->off,
		    "buffer %u at offset %llu: XPRESS data: %s",
		    bi, ULL(b->off), xpress_strerror(rc));
	if (got != b->saved - BUF_HDR)
		return set_err(&r->err, ETL_ECORRUPT, b->off,
		    "buffer %u at offset %llu: decompressed to %llu bytes, header says %u",
		    bi, ULL(b->off), ULL(got), b->saved - BUF_HDR);
	r->st.decompressed_bytes += got;
	st->data = st->scratch;
	st->len = (uint32_t)got;
	return ETL_OK;
}

/*
 * Parse the next record of the stream into st->head. Returns 1 when a record
 * is there, 0 when the stream is exhausted, or a negative status.
 */
static int stream_advance(struct etl_reader *r, struct stream *st)
{
	for (;;) {
		if (st->data && st->len - st->pos >= 4 &&
		    etl_le32(st->data + st->pos) != 0xFFFFFFFFu) {
			uint32_t size;
			int rc = etl_event_parse(st->data + st->pos, st->len - st->pos,
			    &st->head, &size);
			if (rc != ETL_OK) {
				const struct buf *b = &r->bufs[st->cur];
				return set_err(&r->err, rc, b->off,
				    "buffer %u at offset %llu (cpu %u): record at +0x%x: %s (header type 0x%02x, %u bytes left)",
				    st->cur, ULL(b->off), st->cpu,
				    BUF_HDR + st->pos,
				    rc == ETL_EUNSUPPORTED ? "unknown header type" : "bad record size",
				    st->data[st->pos + 2], st->len - st->pos);
			}
			st->head.cpu = st->cpu;
			/* Records are 8-byte aligned; the last one may end unpadded. */
			uint32_t step = (size + 7) & ~7u;
			st->pos = step < st->len - st->pos ? st->pos + step : st->len;
			return 1;
		}
		if (st->next == st->end) {
			st->data = NULL;
			return 0;
		}
		int rc = load_buffer(r, st);
		if (rc != ETL_OK)
			return rc;
	}
}

static int heap_less(const struct etl_reader *r, uint32_t a, uint32_t b)
{
	uint64_t ta = r->streams[a].head.ts, tb = r->streams[b].head.ts;
	return ta < tb || (ta == tb && a < b);
}

static void heap_push(struct etl_reader *r, uint32_t s)
{
	uint32_t i = r->nheap++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!heap_less(r, s, r->heap[p]))
			break;
		r->heap[i] = r->heap[p];
		i = p;
	}
	r->heap[i] = s;
}

static uint32_t heap_pop(struct etl_reader *r)
{
	uint32_t top = r->heap[0];
	uint32_t s = r->heap[--r->nheap];
	uint32_t i = 0, n = r->nheap;

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_less(r, r->heap[c + 1], r->heap[c]))
			c++;
		if (!heap_less(r, r->heap[c], s))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (n)
		r->heap[i] = s;
	return top;
}

static int start(struct etl_reader *r)
{
	r->nheap = 0;
	for (uint32_t s = 0; s < r->nstreams; s++) {
		struct stream *st = &r->streams[s];
		st->next = st->first;
		st->data = NULL;
		st->len = st->pos = 0;
		int rc = stream_advance(r, st);
		if (rc < 0)
			return rc;
		if (rc)
			heap_push(r, s);
	}
	r->started = 1;
	r->last = -1;
	return ETL_OK;
}

int etl_reader_next(struct etl_reader *r, struct etl_event *ev)
{
	if (r->err.code)
		return r->err.code;
	if (!r->started) {
		int rc = start(r);
		if (rc < 0)
			return rc;
	}
	/* Advance the stream we returned from last time, now its event is consumed. */
	if (r->last >= 0) {
		int rc = stream_advance(r, &r->streams[r->last]);
		if (rc < 0)
			return rc;
		if (rc)
			heap_push(r, (uint32_t)r->last);
		r->last = -1;
	}
	if (r->nheap == 0)
		return 0;
	uint32_t s = heap_pop(r);
	*ev = r->streams[s].head;
	r->last = (int)s;
	if (r->st.events && ev->ts < r->prev_ts)
		r->st.out_of_order++;
	r->prev_ts = ev->ts;
	r->st.events++;
	return 1;
}

void etl_reader_rewind(struct etl_reader *r)
{
	memset(&r->err, 0, sizeof r->err);
	r->started = 0;
	r->last = -1;
	r->nheap = 0;
	r->prev_ts = 0;
	r->st.events = 0;
	r->st.out_of_order = 0;
	r->st.decompressed_bytes = 0;
}

/* ---- open / close --------------------------------------------------------- */

static int read_logfile_header(struct etl_reader *r)
{
	const struct buf *b = &r->bufs[0];
	struct etl_event ev;
	uint32_t size;

	if (b->flags & BUF_FLAG_COMPRESSED)
		return set_err(&r->err, ETL_EFORMAT, 0,
		    "not an .etl file: the first buffer is compressed");
	int rc = etl_event_parse(r->file + BUF_HDR, b->saved - BUF_HDR, &ev, &size);
	if (rc != ETL_OK || etl_event_classify(&ev) != ETL_EV_LOGFILE_HEADER ||
	    (ev.kind != ETL_HDR_SYSTEM && ev.kind != ETL_HDR_COMPACT))
		return set_err(&r->err, ETL_EFORMAT, 0,
		    "not an .etl file: no logfile header record in the first buffer");
	if (etl_decode_logfile(&ev, &r->lf) != ETL_OK)
		return set_err(&r->err, ETL_ECORRUPT, BUF_HDR,
		    "logfile header record too short (%u bytes)", ev.len);
	return ETL_OK;
}

struct etl_reader *etl_reader_open(const uint8_t *data, size_t len, struct etl_error *err)
{
	struct etl_reader *r = calloc(1, sizeof *r);

	if (!r) {
		set_err(err, ETL_ENOMEM, 0, "out of memory");
		return NULL;
	}
	r->file = data;
	r->file_len = len;
	r->last = -1;
	if (index_buffers(r) != ETL_OK || read_logfile_header(r) != ETL_OK ||
	    build_streams(r) != ETL_OK) {
		if (err)
			*err = r->err;
		etl_reader_close(r);
		return NULL;
	}
	return r;
}

void etl_reader_close(struct etl_reader *r)
{
	if (!r)
		return;
	if (r->streams)
		for (uint32_t s = 0; s < r->nstreams; s++)
			free(r->streams[s].scratch);
	free(r->streams);
	free(r->heap);
	free(r->order);
	free(r->bufs);
	free(r);
}

const struct etl_logfile *etl_reader_logfile(const struct etl_reader *r)
{
	return &r->lf;
}

const struct etl_error *etl_reader_error(const struct etl_reader *r)
{
	return &r->err;
}

void etl_reader_stats(const struct etl_reader *r, struct etl_reader_stats *st)
{
	*st = r->st;
}

/* ---- time ----------------------------------------------------------------- */

uint64_t etl_reader_unix_ns(const struct etl_reader *r, uint64_t ts)
{
	struct etl_clock c;

	etl_clock_from_logfile(&c, &r->lf);
	return etl_clock_unix_ns(&c, ts);
}

void etl_reader_clock(const struct etl_reader *r, struct etl_clock *c)
{
	etl_clock_from_logfile(c, &r->lf);
}

/* ---- file loading --------------------------------------------------------- */

int etl_load_file(const char *path, uint8_t **data, size_t *len, struct etl_error *err)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	*data = NULL;
	*len = 0;
	if (!f)
		return set_err(err, ETL_EIO, 0, "%s", strerror(errno));
	for (;;) {
		if (cap - n < 65536) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			if (ncap < cap) {
				fclose(f);
				free(buf);
				return set_err(err, ETL_ENOMEM, n, "file too large");
			}
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				fclose(f);
				free(buf);
				return set_err(err, ETL_ENOMEM, n, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				int e = errno;
				fclose(f);
				free(buf);
				return set_err(err, ETL_EIO, n, "%s", strerror(e));
			}
			break;
		}
	}
	fclose(f);
	*data = buf;
	*len = n;
	return ETL_OK;
}
