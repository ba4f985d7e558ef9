/*
 * etl_stream.c - ETW edges to an edge stream segment (see etl_stream.h).
 *
 * The mapping (docs: etw-capture(1)):
 *   - an image is a module named by its basename, with its path as seen in
 *     the trace and, when the trace (or the live capture) knows it, the PE
 *     CodeView identity: ES_ID_PE_RSDS = the 16 GUID bytes as stored in the
 *     PE, then the age as 4 little-endian bytes;
 *   - a JIT-compiled method is the node (assembly, "Namespace.Type::Method")
 *     flagged ES_NODE_JIT, the assembly being a module with the managed PDB
 *     identity when the CLR gave it;
 *   - any other frame is the unsymbolized node module+RVA (offset = RVA), or
 *     "[unknown]"+address; kernel frames are flagged ES_NODE_KERNEL;
 *   - the context is (host, pid, process image name, container id);
 *   - the window is the aligned window of the edge (--window), or else the
 *     collection window: the trace's start and end.
 * etl_edges emits in a deterministic order and the writer defines ids in
 * first-use order, so the same trace always gives the same bytes.
 */
#include "etl_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* EVENT_TRACE_GROUP_CONFIG / EVENT_TRACE_TYPE_CONFIG_CPU, and its live class. */
#define GROUP_CONFIG	0x0B
#define CONFIG_CPU	10
static const struct etl_guid guid_config = { 0x01853a65, 0x418f, 0x4f36,
	{ 0xae, 0xfc, 0xdc, 0x0f, 0x1d, 0x2f, 0xd2, 0x35 } };

/* SystemConfig CPU payload: 5 x u32, then ComputerName as WCHAR[256]. */
#define CPU_NAME_OFF	20
#define CPU_NAME_CHARS	256

void etl_stream_info_from_logfile(struct etl_stream_info *in, const struct etl_logfile *lf)
{
	memset(in, 0, sizeof *in);
	snprintf(in->session, sizeof in->session, "%s", lf->session_name);
	if (lf->os_major || lf->os_minor || lf->provider_version)
		snprintf(in->os, sizeof in->os, "%u.%u.%u", lf->os_major, lf->os_minor,
		    (unsigned)lf->provider_version);
	in->start_ns = etl_filetime_unix_ns(lf->start_time);
	in->end_ns = etl_filetime_unix_ns(lf->end_time);
	if (in->end_ns < in->start_ns)
		in->end_ns = 0;
	in->ptrsize = lf->pointer_size;
	in->ncpu = lf->ncpu;
	in->events_lost = lf->events_lost;
	in->buffers_lost = lf->buffers_lost;
}

void etl_stream_info_note(struct etl_stream_info *in, const struct etl_event *ev)
{
	if (ev->opcode != CONFIG_CPU || in->host[0])
		return;
	if (ev->has_guid ? !etl_guid_eq(&ev->guid, &guid_config) : ev->group != GROUP_CONFIG)
		return;
	if (ev->kind == ETL_HDR_PERFINFO || ev->len <= CPU_NAME_OFF)
		return;
	uint32_t max = ev->len - CPU_NAME_OFF, n = 0;
	if (max > CPU_NAME_CHARS * 2)
		max = CPU_NAME_CHARS * 2;
	const uint8_t *p = ev->data + CPU_NAME_OFF;
	while (n + 1 < max && (p[n] | p[n + 1]))
		n += 2;
	struct etl_str16 s = { p, n };
	char name[sizeof in->host];
	etl_str16_utf8(s, name, sizeof name);
	/* A host name is printable: refuse control characters from a bad file. */
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return;
	memcpy(in->host, name, sizeof in->host);
}

/* ---- writing ------------------------------------------------------------- */

struct wctx {
	struct es_writer *w;
	uint32_t host;
	const struct etl_stream_info *in;
	uint64_t window_ns;
};

static uint32_t node_of(struct wctx *c, const struct etl_edge_end *e)
{
	struct es_module m;
	struct es_node n;

	memset(&m, 0, sizeof m);
	m.name = e->module[0] ? e->module : "[unknown]";
	m.path = e->path[0] ? e->path : NULL;
	if (e->pdb_guid) {
		m.id_kind = ES_ID_PE_RSDS;
		memcpy(m.build_id, e->pdb_guid, 16);
		for (int i = 0; i < 4; i++)
			m.build_id[16 + i] = (uint8_t)(e->pdb_age >> (8 * i));
		m.build_id_len = 20;
	}
	memset(&n, 0, sizeof n);
	n.module = es_writer_module(c->w, &m);
	if (!n.module)
		return 0;
	if (e->symbol && !(n.symbol = es_writer_cstring(c->w, e->symbol)))
		return 0;
	n.offset = e->rva;
	n.flags = (e->kernel ? ES_NODE_KERNEL : 0) | (e->managed ? ES_NODE_JIT : 0);
	return es_writer_node(c->w, &n);
}

static int on_edge(const struct etl_edge *e, void *arg)
{
	struct wctx *c = arg;
	struct es_context x;
	struct es_edge ed;

	memset(&x, 0, sizeof x);
	x.host = c->host;
	x.pid = e->pid;
	if (e->process[0] && !(x.comm = es_writer_cstring(c->w, e->process)))
		return 1;
	if (e->container_id && e->container_id[0] &&
	    !(x.container = es_writer_cstring(c->w, e->container_id)))
		return 1;

	/*
	 * Without --window the window is the collection window, the trace's
	 * start and end, whatever the filters kept (the builder's span of the
	 * stacks used is only a fallback, and widens it if a file's header lies).
	 */
	uint64_t ws = e->window_start_ns, we = e->window_end_ns;
	if (!c->window_ns) {
		if (c->in->start_ns && c->in->start_ns < ws)
			ws = c->in->start_ns;
		if (c->in->end_ns > we)
			we = c->in->end_ns;
	}
	memset(&ed, 0, sizeof ed);
	if (!(ed.caller = node_of(c, &e->caller)) || !(ed.callee = node_of(c, &e->callee)) ||
	    !(ed.ctx = es_writer_context(c->w, &x)) ||
	    !(ed.window = es_writer_window(c->w, ws, we)))
		return 1;
	ed.count = e->count;
	ed.first_ns = e->first_ns;
	ed.last_ns = e->last_ns;
	ed.evidence = ES_EV_ETW_SAMPLE;
	/* A frame in no known image may be a bad unwind: trust it less. */
	ed.confidence = (strcmp(e->caller.module, "[unknown]") == 0 ||
	    strcmp(e->callee.module, "[unknown]") == 0) ?
	    ETL_STREAM_CONF_UNKNOWN : ETL_STREAM_CONF_SAMPLE;
	return es_writer_edge(c->w, &ed) < 0 ? 1 : 0;	/* 1: the writer's error */
}

int etl_stream_write(struct es_writer *w, struct etl_edges *b, const struct etl_stream_opts *o,
    const struct etl_stream_info *in, struct tm_err *err)
{
	const struct etl_edges_opts *eo = o->edges;
	struct es_param params[12];
	struct es_header h;
	char pids[256], win[32], ptr[16], cpus[16], ival[32];
	size_t np = 0;
	struct wctx c;

	pids[0] = '\0';
	if (eo && eo->npids) {
		size_t n = 0;
		for (size_t i = 0; i < eo->npids && n < sizeof pids; i++)
			n += (size_t)snprintf(pids + n, sizeof pids - n, "%s%" PRIu32, i ? "," : "",
			    eo->pids[i]);
	}
	snprintf(win, sizeof win, "%" PRIu64, eo ? eo->window_ns : 0);
	snprintf(ptr, sizeof ptr, "%" PRIu32, in->ptrsize);
	snprintf(cpus, sizeof cpus, "%" PRIu32, in->ncpu);
	snprintf(ival, sizeof ival, "%" PRIu64, o->interval_ns);

	params[np++] = (struct es_param){ "mode", "sample" };
	params[np++] = (struct es_param){ "input", o->input ? o->input : "etl" };
	params[np++] = (struct es_param){ "kernel", eo && eo->kernel ? "yes" : "no" };
	params[np++] = (struct es_param){ "window_ns", win };
	if (pids[0])
		params[np++] = (struct es_param){ "pid", pids };
	if (eo && eo->process_name)
		params[np++] = (struct es_param){ "process_name", eo->process_name };
	if (in->session[0])
		params[np++] = (struct es_param){ "session", in->session };
	if (in->os[0])
		params[np++] = (struct es_param){ "os_version", in->os };
	if (in->ptrsize)
		params[np++] = (struct es_param){ "pointer_size", ptr };
	if (in->ncpu)
		params[np++] = (struct es_param){ "cpus", cpus };
	if (o->interval_ns)
		params[np++] = (struct es_param){ "interval_ns", ival };

	memset(&h, 0, sizeof h);
	h.producer = o->producer;
	h.host = o->host ? o->host : (in->host[0] ? in->host : NULL);
	h.source = "etw";
	h.start_ns = in->start_ns;
	h.end_ns = in->end_ns;
	h.params = params;
	h.nparams = np;
	if (es_writer_begin(w, &h) < 0)
		return -1;

	c.w = w;
	c.in = in;
	c.window_ns = eo ? eo->window_ns : 0;
	c.host = h.host ? es_writer_cstring(w, h.host) : 0;
	if (h.host && !c.host)
		return -1;
	int rc = etl_edges_emit(b, on_edge, &c);
	if (rc == ETL_ENOMEM) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory building the edges");
		return -1;
	}
	if (rc != 0)
		return -1;	/* the writer's error is in err */

	struct etl_edges_stats st;
	etl_edges_get_stats(b, &st);
	if ((in->events_lost && es_writer_loss(w, "events_lost", in->events_lost) < 0) ||
	    (in->buffers_lost && es_writer_loss(w, "buffers_lost", in->buffers_lost) < 0) ||
	    (st.refs_unresolved &&
	     es_writer_loss(w, "stacks_unresolved", st.refs_unresolved) < 0))
		return -1;
	return es_writer_end(w);
}

/* ---- the --etl job --------------------------------------------------------- */

/*
 * A decoding error: bad input (exit 3), except running out of memory, an
 * environment problem (exit 4). Size limits hit by a hostile file are bad
 * input even though the decoder reports them as ETL_ENOMEM.
 */
static int decode_fail(struct tm_err *err, const char *name, const struct etl_error *e)
{
	int code = TM_EXIT_DATA;

	if (e->code == ETL_EIO ||
	    (e->code == ETL_ENOMEM && strncmp(e->msg, "out of memory", 13) == 0))
		code = TM_EXIT_ENV;
	tm_err_set(err, code, "%s: %s", name, e->msg[0] ? e->msg : etl_strerror(e->code));
	return -1;
}

int etl_stream_from_etl(const uint8_t *data, size_t len, const char *name,
    const struct etl_stream_opts *o, struct es_writer *w, struct etl_stream_stats *st,
    struct tm_err *err)
{
	struct etl_error e;
	struct etl_stream_info in;
	struct etl_clock clk;
	struct etl_event ev;
	uint64_t first = UINT64_MAX, last = 0;
	int rc;

	memset(&e, 0, sizeof e);
	if (st)
		memset(st, 0, sizeof *st);
	struct etl_reader *r = etl_reader_open(data, len, &e);
	if (!r)
		return decode_fail(err, name, &e);
	const struct etl_logfile *lf = etl_reader_logfile(r);
	etl_stream_info_from_logfile(&in, lf);
	etl_reader_clock(r, &clk);
	struct etl_edges *b = etl_edges_new(o->edges, &clk, lf->pointer_size);
	if (!b) {
		etl_reader_close(r);
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
		return -1;
	}
	uint64_t nev = 0;
	while ((rc = etl_reader_next(r, &ev)) == 1) {
		if ((++nev & 0xFFFF) == 0 && o->progress)
			o->progress(o->progress_ctx, nev);
		etl_stream_info_note(&in, &ev);
		if (ev.ts < first)
			first = ev.ts;
		if (ev.ts > last)
			last = ev.ts;
		if ((rc = etl_edges_add(b, &ev)) != ETL_OK) {
			tm_err_set(err, TM_EXIT_ENV, "%s: out of memory building the edge tables", name);
			rc = -1;
			break;
		}
	}
	if (rc < 0 && !err->code)
		decode_fail(err, name, etl_reader_error(r));
	if (rc == 0) {
		/* Headers of real-time or unfinished logs have no end time. */
		if (!in.start_ns && first != UINT64_MAX)
			in.start_ns = etl_clock_unix_ns(&clk, first);
		if (!in.end_ns && last)
			in.end_ns = etl_clock_unix_ns(&clk, last);
		rc = etl_stream_write(w, b, o, &in, err);
	}
	if (st) {
		etl_reader_stats(r, &st->reader);
		etl_edges_get_stats(b, &st->edges);
	}
	etl_edges_free(b);
	etl_reader_close(r);
	return rc < 0 ? -1 : 0;
}

int etl_stream_load(const char *path, uint8_t **data, size_t *len, struct tm_err *err)
{
	const char *name = cli_input_name(path);
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int fd = cli_open_input(path, err);

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	for (;;) {
		if (cap - n < 65536) {
			size_t ncap = cap ? cap * 2 : (size_t)1 << 20;
			uint8_t *nb = ncap > cap ? realloc(buf, ncap) : NULL;
			if (!nb) {
				tm_err_set(err, TM_EXIT_ENV, "%s: out of memory reading the file", name);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		size_t want = cap - n > ((size_t)1 << 30) ? (size_t)1 << 30 : cap - n;
		ssize_t got = read(fd, buf + n, (unsigned)want);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s: read error", name);
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	cli_close_input(fd);
	*data = buf;
	*len = n;
	return 0;
fail:
	cli_close_input(fd);
	free(buf);
	return -1;
}
