/*
 * gen-static - write a synthetic static call graph, as an edge stream of
 * static edges, that fits the runtime stream of gen-stream: the same modules
 * (names and build ids) and function names, a share of gen-stream's
 * caller->callee pairs (confirmed by a merge) and random pairs (static-only).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eswriter.h"
#include "outfile.h"

static const char *prog = "gen-static";

/* The generator of gen-stream.c, so that names and pairs agree. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t mix(uint64_t k, uint64_t salt)
{
	uint64_t s = k * 0x9e3779b97f4a7c15ull + salt;

	return next_rand(&s);
}

static void usage(void)
{
	printf("Usage: %s [OPTIONS]\n"
	    "Write a synthetic static call graph (an edge stream of static edges) to stdout\n"
	    "(or -o FILE) matching gen-stream's modules and functions.\n"
	    "  --functions F  functions (default 200000; gen-stream --symbols)\n"
	    "  --edges E      static edges (default 1000000)\n"
	    "  --distinct D   gen-stream --distinct (default 1000000)\n"
	    "  --modules M    gen-stream --modules (default 64)\n"
	    "  --observed P   percent of the edges taken from gen-stream's pairs (default 70)\n"
	    "  --seed X       gen-stream --seed (default 1)\n"
	    "  -o FILE        output file\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "functions", required_argument, NULL, 'f' },
		{ "edges", required_argument, NULL, 'e' },
		{ "distinct", required_argument, NULL, 'd' },
		{ "modules", required_argument, NULL, 'm' },
		{ "observed", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t nfun = 200000, nedges = 1000000, distinct = 1000000, nmods = 64, observed = 70;
	uint64_t seed = 1, rnd, i, *arg;
	const char *output = NULL;
	struct tm_err err = { 0, "" };
	struct es_header h;
	struct es_param param = { "generator", "gen-static" };
	struct es_writer *w = NULL;
	struct outfile of;
	uint32_t *node = NULL, *mod = NULL;
	char buf[128];
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': arg = &nfun; break;
		case 'e': arg = &nedges; break;
		case 'd': arg = &distinct; break;
		case 'm': arg = &nmods; break;
		case 'p': arg = &observed; break;
		case 'x': arg = &seed; break;
		case 'o': output = optarg; continue;
		case 'h': usage(); return 0;
		default: return 2;
		}
		if (cli_parse_u64(optarg, UINT32_MAX, arg) < 0)
			return cli_usage_error(prog, "bad number '%s'", optarg);
	}
	if (!nfun || !nmods || !distinct || observed > 100)
		return cli_usage_error(prog, "--functions, --modules and --distinct must be > 0, --observed <= 100");
	if (outfile_open(&of, output, &err) < 0) {
		cli_error(prog, "%s", err.msg);
		return err.code;
	}
	w = es_writer_new(of.fd, output ? output : "(stdout)", NULL, &err);
	if (!w)
		goto fail;
	memset(&h, 0, sizeof(h));
	h.producer = "gen-static";
	h.source = "static";
	h.params = &param;
	h.nparams = 1;
	if (es_writer_begin(w, &h) < 0)
		goto fail;
	mod = calloc(nmods, sizeof(*mod));
	node = calloc(nfun, sizeof(*node));
	if (!mod || !node) {
		tm_err_set(&err, TM_EXIT_ENV, "out of memory");
		goto fail;
	}
	for (i = 0; i < nmods; i++) {
		struct es_module m;
		uint64_t id = mix(i, seed), j;

		memset(&m, 0, sizeof(m));
		snprintf(buf, sizeof(buf), "libbench%llu.so", (unsigned long long)i);
		m.name = buf;
		m.id_kind = ES_ID_GNU;
		m.build_id_len = 20;
		for (j = 0; j < 20; j++)
			m.build_id[j] = (uint8_t)(mix(id, j) >> 7);
		mod[i] = es_writer_module(w, &m);
	}
	for (i = 0; i < nfun; i++) {
		struct es_node n;

		memset(&n, 0, sizeof(n));
		n.module = mod[i % nmods];
		snprintf(buf, sizeof(buf), "bench_fn_%llx", (unsigned long long)mix(i, 3) >> 40);
		n.symbol = es_writer_cstring(w, buf);
		if (i < nmods)
			n.flags |= ES_NODE_ENTRY;
		if (i % 50 == 7)
			n.flags |= ES_NODE_INDIRECT_SITE;
		if (i % 9 == 4)
			n.flags |= ES_NODE_ADDRESS_TAKEN;
		snprintf(buf, sizeof(buf), "src/m%llu/u%llu.c", (unsigned long long)(i % nmods),
		    (unsigned long long)(i / 200));
		n.file = es_writer_cstring(w, buf);
		n.line = (uint32_t)(10 + i % 1000);
		node[i] = es_writer_node(w, &n);
	}
	rnd = seed ^ 0x5eed;
	for (i = 0; i < nedges; i++) {
		uint64_t a, b;
		struct es_edge e;

		if (i * 100 < nedges * observed) {
			uint64_t k = i % distinct;

			a = mix(k, 1) % nfun;
			b = mix(k, 2) % nfun;
		} else {
			a = next_rand(&rnd) % nfun;
			b = next_rand(&rnd) % nfun;
		}
		memset(&e, 0, sizeof(e));
		e.caller = node[a];
		e.callee = node[b];
		e.evidence = ES_EV_STATIC;
		snprintf(buf, sizeof(buf), "src/m%llu/u%llu.c:%llu", (unsigned long long)(a % nmods),
		    (unsigned long long)(a / 200), (unsigned long long)(20 + i % 4000));
		e.site = es_writer_cstring(w, buf);
		if (es_writer_edge(w, &e) < 0)
			goto fail;
	}
	if (es_writer_end(w) < 0 || outfile_commit(&of, &err) < 0)
		goto fail;
	es_writer_free(w);
	free(mod);
	free(node);
	return 0;
fail:
	es_writer_free(w);
	free(mod);
	free(node);
	outfile_abort(&of);
	cli_error(prog, "%s", err.msg);
	return err.code ? err.code : 1;
}
