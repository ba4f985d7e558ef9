/*
 * test_segmap.c - the canonical node order (segmap_node_ranks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esreader.h"
#include "eswriter.h"
#include "segmap.h"
#include "unit.h"

#define NMODS 6

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/*
 * A segment whose nodes are made to tie deep into the node order: module
 * names shared by two build ids and one module without any, symbols from a
 * two-letter alphabet (long common prefixes, one a prefix of another), the
 * same symbol in several source files, and unsymbolized nodes. Every node is
 * the caller of one edge, so that reading the edges defines them all.
 */
static FILE *write_nodes(int nnodes, int maxlen)
{
	static const char *const names[NMODS] = { "libz.so", "liba.so", "liba.so", "prog", "libb.so",
		"libz.so" };
	struct tm_err err = { 0, "" };
	FILE *f = tmpfile();
	struct es_writer *w = es_writer_new(fileno(f), "test_segmap", NULL, &err);
	struct es_header h;
	struct es_module m;
	struct es_node n;
	struct es_edge e;
	uint32_t mods[NMODS], callee = 0;
	char sym[16], file[16];
	int i, k;

	memset(&h, 0, sizeof(h));
	h.producer = "test_segmap";
	CHECK(es_writer_begin(w, &h) == 0);
	for (i = 0; i < NMODS; i++) {
		memset(&m, 0, sizeof(m));
		m.name = names[i];
		if (i != 3) {
			m.id_kind = ES_ID_GNU;
			m.build_id_len = 4;
			memcpy(m.build_id, "\x10\x20\x30", 3);
			m.build_id[3] = (uint8_t)(NMODS - i);
		}
		mods[i] = es_writer_module(w, &m);
	}
	for (i = 0; i < nnodes; i++) {
		memset(&n, 0, sizeof(n));
		n.module = mods[next_rand() % NMODS];
		if (next_rand() % 5) {
			int len = 1 + (int)(next_rand() % (unsigned)maxlen);

			for (k = 0; k < len; k++)
				sym[k] = next_rand() % 2 ? 'a' : 'b';
			sym[len] = '\0';
			n.symbol = es_writer_cstring(w, sym);
			snprintf(file, sizeof(file), "f%u.c", next_rand() % 3);
			n.file = es_writer_cstring(w, file);
		} else {
			n.offset = next_rand() % 64;
		}
		memset(&e, 0, sizeof(e));
		e.caller = es_writer_node(w, &n);
		if (!callee)
			callee = e.caller;
		e.callee = callee;
		e.count = 1;
		CHECK(es_writer_edge(w, &e) == 0);
	}
	CHECK(es_writer_end(w) == 0);
	CHECK(err.code == 0);
	es_writer_free(w);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	return f;
}

/*
 * The ranks of nnodes nodes with symbols up to maxlen letters, `distinct` of
 * them distinct (the same (module, symbol, file) or offset recurs), sort
 * them as segmap_node_cmp does, and order inverts rank.
 */
static void check_node_ranks(int nnodes, int maxlen, size_t distinct)
{
	struct es_reader_opts opts = { 0 };
	struct tm_err err = { 0, "" };
	FILE *f = write_nodes(nnodes, maxlen);
	struct es_reader *r = es_reader_new(fileno(f), "nodes.es", &opts, &err);
	struct segmap s;
	struct es_event ev;
	uint32_t *rank = NULL, *order = NULL;
	size_t i, unsorted = 0, mismatched = 0, mods_met = 0;
	int rc;

	segmap_init(&s);
	while ((rc = es_reader_next(r, &ev)) > 0) {
		if (ev.kind == ES_EVENT_HEADER)
			segmap_segment(&s);
		if (ev.kind == ES_EVENT_EDGES)
			for (i = 0; i < ev.nedges; i++)
				CHECK(segmap_node(&s, r, ev.edges[i].caller) != SEGMAP_ERR);
	}
	CHECK(rc == 0);
	CHECK(s.nmods == NMODS);
	CHECK_EQ_U64(s.nnodes, distinct);
	CHECK(segmap_node_ranks(&s, &rank, &order) == 0);
	CHECK(order[0] == 0);
	for (i = 1; i <= s.nnodes; i++) {
		if (rank[order[i]] != i)
			mismatched++;
		if (i > 1 && segmap_node_cmp(&s, order[i - 1], order[i]) >= 0)
			unsorted++;
		if (i > 1 && s.nodes[order[i - 1]].module != s.nodes[order[i]].module)
			mods_met++;
	}
	CHECK_EQ_U64(mismatched, 0);
	CHECK_EQ_U64(unsorted, 0);
	/* Each module's nodes are contiguous. */
	CHECK_EQ_U64(mods_met, NMODS - 1);
	free(rank);
	free(order);
	segmap_free(&s);
	es_reader_free(r);
	fclose(f);
}

/* Ties deep into the order: symbols of up to 6 letters over a two-letter alphabet. */
static void test_node_ranks(void)
{
	check_node_ranks(3000, 6, 1361);
}

/*
 * Enough nodes that the two halves are sorted on two threads, then merged:
 * 131,073 of them (this many draws, after the test above), so that the
 * halves, of 2^16 and 2^16 + 1 nodes, end up in different buffers.
 */
static void test_node_ranks_parallel(void)
{
	check_node_ranks(420506, 15, 131073);
}

int main(void)
{
	RUN(test_node_ranks);
	RUN(test_node_ranks_parallel);
	UNIT_END();
}
