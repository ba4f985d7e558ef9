/*
 * etl_live.c - real-time ETW records into the edge builder (see etl_live.h).
 */
#include "etl_live.h"

#include <stdlib.h>
#include <string.h>

#define SCRATCH		65536		/* extended items of one event */
#define PATH_MAX_UTF8	2048

/* KernelTraceControl ImageID class: DbgID_RSDS is its opcode 36. */
static const uint8_t guid_image_id[16] = {
	0xd7, 0x75, 0xe6, 0xb3, 0x54, 0x25, 0x18, 0x4f,
	0x83, 0x0b, 0x27, 0x62, 0x73, 0x25, 0x60, 0xde,
};
#define OPCODE_DBGID_RSDS 36

void etl_live_event(const struct etl_live_record *rec, unsigned host_ptrsize,
    uint8_t *scratch, size_t cap, struct etl_event *ev, uint64_t *dropped)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = (rec->flags & ETL_LIVE_FLAG_CLASSIC) ? ETL_HDR_FULL : ETL_HDR_EVENT;
	if (rec->flags & ETL_LIVE_FLAG_32_BIT)
		ev->ptrsize = 4;
	else if (rec->flags & ETL_LIVE_FLAG_64_BIT)
		ev->ptrsize = 8;
	else
		ev->ptrsize = host_ptrsize == 4 ? 4 : 8;
	ev->header_type = ev->kind == ETL_HDR_FULL ? (ev->ptrsize == 4 ? 0x0A : 0x14) :
	    (ev->ptrsize == 4 ? 0x12 : 0x13);
	ev->opcode = rec->opcode;
	ev->version = rec->version;
	ev->id = rec->id;
	ev->task = rec->task;
	ev->flags = rec->flags;
	ev->level = rec->level;
	ev->keyword = rec->keyword;
	ev->cpu = rec->cpu;
	ev->has_guid = 1;
	etl_guid_load(&ev->guid, rec->provider);
	ev->pid = rec->pid;
	ev->tid = rec->tid;
	ev->ts = rec->ts;
	ev->data = rec->data;
	ev->len = rec->data ? rec->len : 0;

	/* Extended items, laid out as in a file: 8-byte head, data padded to 8. */
	size_t off = 0;
	size_t last = SIZE_MAX;
	for (uint16_t i = 0; rec->ext && i < rec->next; i++) {
		const struct etl_live_ext *x = &rec->ext[i];
		size_t step = 8 + (((size_t)x->size + 7) & ~(size_t)7);
		if (!x->data || step > cap - off) {
			if (dropped)
				(*dropped)++;
			continue;
		}
		uint8_t *h = scratch + off;
		memset(h, 0, step);
		h[0] = (uint8_t)(x->size + 8);
		h[1] = (uint8_t)((x->size + 8) >> 8);
		h[2] = (uint8_t)x->type;
		h[3] = (uint8_t)(x->type >> 8);
		h[6] = (uint8_t)x->size;
		h[7] = (uint8_t)(x->size >> 8);
		memcpy(h + 8, x->data, x->size);
		if (last != SIZE_MAX)
			scratch[last + 4] |= 1;		/* linkage: another item follows */
		last = off;
		off += step;
	}
	if (off) {
		ev->ext = scratch;
		ev->ext_len = (uint32_t)off;
	}
}

/* ---- the identity cache: image path -> what its file says ---------------- */

struct ident_slot {
	char *path;			/* NULL = empty */
	uint64_t hash;
	struct pe_ident id;
	int found;
};

struct etl_live {
	struct etl_edges *b;
	unsigned ptrsize;
	etl_live_identify_fn identify;
	void *ctx;
	struct ident_slot *slots;
	size_t cap, n;			/* cap is a power of two */
	uint8_t *scratch;
	struct etl_event last;
	struct etl_live_stats st;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static struct ident_slot *cache_get(struct etl_live *lv, const char *path, int *fresh)
{
	*fresh = 0;
	if ((lv->n + 1) * 4 > lv->cap * 3) {
		size_t ncap = lv->cap ? lv->cap * 2 : 256;
		struct ident_slot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return NULL;
		for (size_t i = 0; i < lv->cap; i++) {
			if (!lv->slots[i].path)
				continue;
			size_t j = lv->slots[i].hash & (ncap - 1);
			while (ns[j].path)
				j = (j + 1) & (ncap - 1);
			ns[j] = lv->slots[i];
		}
		free(lv->slots);
		lv->slots = ns;
		lv->cap = ncap;
	}
	uint64_t h = hash_str(path);
	size_t i = h & (lv->cap - 1);
	for (; lv->slots[i].path; i = (i + 1) & (lv->cap - 1))
		if (lv->slots[i].hash == h && strcmp(lv->slots[i].path, path) == 0)
			return &lv->slots[i];
	size_t len = strlen(path) + 1;
	char *copy = malloc(len);
	if (!copy)
		return NULL;
	memcpy(copy, path, len);
	lv->slots[i] = (struct ident_slot){ .path = copy, .hash = h };
	lv->n++;
	*fresh = 1;
	return &lv->slots[i];
}

struct etl_live *etl_live_new(struct etl_edges *b, unsigned host_ptrsize,
    etl_live_identify_fn identify, void *ctx)
{
	struct etl_live *lv = calloc(1, sizeof *lv);

	if (!lv)
		return NULL;
	lv->scratch = malloc(SCRATCH);
	if (!lv->scratch) {
		free(lv);
		return NULL;
	}
	lv->b = b;
	lv->ptrsize = host_ptrsize == 4 ? 4 : 8;
	lv->identify = identify;
	lv->ctx = ctx;
	return lv;
}

void etl_live_free(struct etl_live *lv)
{
	if (!lv)
		return;
	for (size_t i = 0; i < lv->cap; i++)
		free(lv->slots[i].path);
	free(lv->slots);
	free(lv->scratch);
	free(lv);
}

/*
 * Before an image event: the DbgID_RSDS event KernelTraceControl would have
 * logged (u64 ImageBase, u32 pid, GUID, u32 age, PDB name), from the file.
 */
static int add_identity(struct etl_live *lv, const struct etl_event *ev)
{
	struct etl_image im;
	char path[PATH_MAX_UTF8];
	int fresh;

	if (etl_decode_image(ev, &im) != ETL_OK || !im.file_name.nbytes)
		return ETL_OK;
	lv->st.images++;
	etl_str16_utf8(im.file_name, path, sizeof path);
	struct ident_slot *s = cache_get(lv, path, &fresh);
	if (!s)
		return ETL_ENOMEM;
	if (fresh) {
		lv->st.files_read++;
		s->found = lv->identify(lv->ctx, path, &s->id) == 1;
	}
	if (!s->found || !s->id.has_rsds)
		return ETL_OK;

	uint8_t p[8 + 4 + 16 + 4 + sizeof s->id.pdb_name];
	size_t nlen = 0;
	while (nlen + 1 < sizeof s->id.pdb_name && s->id.pdb_name[nlen])
		nlen++;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(im.base >> (8 * i));
	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(im.pid >> (8 * i));
		p[28 + i] = (uint8_t)(s->id.age >> (8 * i));
	}
	memcpy(p + 12, s->id.guid, 16);
	memcpy(p + 32, s->id.pdb_name, nlen);
	p[32 + nlen] = '\0';

	struct etl_event rs;
	memset(&rs, 0, sizeof rs);
	rs.kind = ETL_HDR_FULL;
	rs.header_type = 0x14;
	rs.ptrsize = 8;
	rs.opcode = OPCODE_DBGID_RSDS;
	rs.version = 2;
	rs.has_guid = 1;
	etl_guid_load(&rs.guid, guid_image_id);
	rs.pid = im.pid;
	rs.tid = ev->tid;
	rs.ts = ev->ts;
	rs.cpu = ev->cpu;
	rs.data = p;
	rs.len = (uint32_t)(32 + nlen + 1);
	lv->st.identified++;
	return etl_edges_add(lv->b, &rs);
}

int etl_live_add(struct etl_live *lv, const struct etl_live_record *rec)
{
	struct etl_event *ev = &lv->last;
	int rc;

	etl_live_event(rec, lv->ptrsize, lv->scratch, SCRATCH, ev, &lv->st.ext_dropped);
	lv->st.events++;
	if (lv->identify) {
		enum etl_class c = etl_event_classify(ev);
		if ((c == ETL_EV_IMAGE_LOAD || c == ETL_EV_IMAGE_DCSTART) &&
		    (rc = add_identity(lv, ev)) != ETL_OK)
			return rc;
	}
	return etl_edges_add(lv->b, ev);
}

const struct etl_event *etl_live_last(const struct etl_live *lv)
{
	return &lv->last;
}

void etl_live_get_stats(const struct etl_live *lv, struct etl_live_stats *st)
{
	*st = lv->st;
}
