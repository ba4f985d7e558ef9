/*
 * gen-stream - write a synthetic edge stream for benchmarks: N edge records
 * drawn from D distinct caller->callee pairs over S symbols in M modules,
 * spread over W aligned windows, reproducible from a seed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eswriter.h"
#include "outfile.h"

static const char *prog = "gen-stream";

/* splitmix64: small, fast, good enough for synthetic data. */
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
	    "Write a synthetic edge stream to stdout (or -o FILE).\n"
	    "  --edges N      edge records (default 10000000)\n"
	    "  --distinct D   distinct caller->callee pairs (default 1000000)\n"
	    "  --symbols S    distinct functions (default 200000)\n"
	    "  --modules M    modules (default 64)\n"
	    "  --windows W    5-minute windows the records fall in (default 24)\n"
	    "  --pids P       distinct process contexts (default 16)\n"
	    "  --seed X       random seed (default 1)\n"
	    "  -o FILE        output file\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "edges", required_argument, NULL, 'n' },
		{ "distinct", required_argument, NULL, 'd' },
		{ "symbols", required_argument, NULL, 's' },
		{ "modules", required_argument, NULL, 'm' },
		{ "windows", required_argument, NULL, 'w' },
		{ "pids", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t nedges = 10000000, distinct = 1000000, nsyms = 200000, nmods = 64, nwin = 24;
	uint64_t npids = 16, seed = 1, i, *arg;
	const uint64_t window_ns = 300ull * 1000000000ull, base_ns = 1795000000ull * 1000000000ull;
	const char *output = NULL;
	struct tm_err err = { 0, "" };
	struct es_header h;
	struct es_writer *w;
	struct outfile of;
	uint32_t *node, *mod, *ctx, *win;
	char buf[128];
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': arg = &nedges; break;
		case 'd': arg = &distinct; break;
		case 's': arg = &nsyms; break;
		case 'm': arg = &nmods; break;
		case 'w': arg = &nwin; break;
		case 'p': arg = &npids; break;
		case 'x': arg = &seed; break;
		case 'o': output = optarg; continue;
		case 'h': usage(); return 0;
		default: return cli_usage_error(prog, "bad option");
		}
		if (cli_parse_u64(optarg, UINT32_MAX, arg) < 0 || (*arg == 0 && arg != &seed))
			return cli_usage_error(prog, "bad number '%s'", optarg);
	}
	if (!output && isatty(STDOUT_FILENO))
		return cli_usage_error(prog, "refusing to write a binary stream to a terminal");
	if (outfile_open(&of, output, &err) < 0)
		goto fail;
	w = es_writer_new(of.fd, output ? output : "(stdout)", NULL, &err);
	if (!w)
		goto fail;
	memset(&h, 0, sizeof(h));
	h.producer = "gen-stream " TM_VERSION;
	h.source = "synthetic";
	h.host = "bench";
	h.start_ns = base_ns;
	h.end_ns = base_ns + nwin * window_ns;
	if (es_writer_begin(w, &h) < 0)
		goto fail;

	mod = calloc(nmods, sizeof(*mod));
	node = calloc(nsyms, sizeof(*node));
	ctx = calloc(npids, sizeof(*ctx));
	win = calloc(nwin, sizeof(*win));
	if (!mod || !node || !ctx || !win) {
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
	for (i = 0; i < npids; i++) {
		struct es_context x;

		memset(&x, 0, sizeof(x));
		x.pid = (uint32_t)(1000 + i);
		snprintf(buf, sizeof(buf), "worker-%llu", (unsigned long long)i);
		x.comm = es_writer_cstring(w, buf);
		ctx[i] = es_writer_context(w, &x);
	}
	for (i = 0; i < nwin; i++)
		win[i] = es_writer_window(w, base_ns + i * window_ns, base_ns + (i + 1) * window_ns);

	for (i = 0; i < nedges; i++) {
		uint64_t k = next_rand(&seed) % distinct, r = next_rand(&seed);
		uint64_t wi = i * nwin / nedges, ends[2];
		struct es_edge e;
		unsigned side;

		memset(&e, 0, sizeof(e));
		ends[0] = mix(k, 1) % nsyms;
		ends[1] = mix(k, 2) % nsyms;
		for (side = 0; side < 2; side++) {
			uint64_t s = ends[side];

			if (!node[s]) {
				struct es_node n;

				memset(&n, 0, sizeof(n));
				n.module = mod[s % nmods];
				snprintf(buf, sizeof(buf), "bench_fn_%llx", (unsigned long long)mix(s, 3) >> 40);
				n.symbol = es_writer_cstring(w, buf);
				n.offset = 0x1000 + (s / nmods) * 64;
				node[s] = es_writer_node(w, &n);
			}
		}
		e.caller = node[ends[0]];
		e.callee = node[ends[1]];
		e.count = 1 + (r & 15);
		e.first_ns = base_ns + wi * window_ns + (r >> 8) % window_ns;
		e.last_ns = e.first_ns + (r >> 40) % 1000000000ull;
		e.ctx = ctx[mix(k, 4) % npids];
		e.window = win[wi];
		e.evidence = ES_EV_EBPF_SAMPLE;
		e.confidence = 60;
		if (es_writer_edge(w, &e) < 0)
			goto fail;
	}
	if (es_writer_end(w) < 0 || outfile_commit(&of, &err) < 0)
		goto fail;
	es_writer_free(w);
	free(mod);
	free(node);
	free(ctx);
	free(win);
	return 0;
fail:
	outfile_abort(&of);
	cli_error(prog, "%s", err.msg);
	return err.code ? err.code : 1;
}
