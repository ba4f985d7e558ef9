/*
 * esstats.c - stream statistics (see esstats.h).
 */
#include "esstats.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "mem.h"

void esstats_init(struct esstats *s)
{
	memset(s, 0, sizeof(*s));
}

static void seg_free(struct esstats_seg *g)
{
	size_t i;

	free(g->file);
	free(g->producer);
	free(g->source);
	free(g->host);
	for (i = 0; i < g->nlosses; i++)
		free(g->losses[i].name);
	free(g->losses);
}

void esstats_free(struct esstats *s)
{
	size_t i;

	for (i = 0; i < s->nsegs; i++)
		seg_free(&s->segs[i]);
	free(s->segs);
	esstats_init(s);
}

static char *dup_or_null(const char *p)
{
	return p ? strdup(p) : NULL;
}

int esstats_event(struct esstats *s, const char *file, const struct es_reader *r,
    const struct es_event *ev)
{
	struct esstats_seg *g;
	size_t i;

	if (ev->kind == ES_EVENT_HEADER) {
		void *p = s->segs;

		if (mem_grow(&p, &s->cap, s->nsegs + 1, sizeof(*s->segs)) < 0)
			return -1;
		s->segs = p;
		g = &s->segs[s->nsegs++];
		memset(g, 0, sizeof(*g));
		g->file = strdup(file);
		g->index = es_reader_segment(r);
		g->producer = dup_or_null(ev->header->producer);
		g->source = dup_or_null(ev->header->source);
		g->host = dup_or_null(ev->header->host);
		s->open = 1;
		return g->file ? 0 : -1;
	}
	if (!s->nsegs)
		return 0;
	g = &s->segs[s->nsegs - 1];
	switch (ev->kind) {
	case ES_EVENT_EDGES:
		for (i = 0; i < ev->nedges; i++) {
			const struct es_edge *e = &ev->edges[i];

			g->count_sum = es_count_add(g->count_sum, e->count);
			if (e->first_ns && (!g->first_ns || e->first_ns < g->first_ns))
				g->first_ns = e->first_ns;
			if (e->last_ns > g->last_ns)
				g->last_ns = e->last_ns;
		}
		g->edges += ev->nedges;
		break;
	case ES_EVENT_COVERAGE:
		g->coverage++;
		break;
	case ES_EVENT_TRAILER: {
		const struct es_trailer *t = ev->trailer;

		g->records = t->records;
		g->modules = t->modules;
		g->nodes = t->nodes;
		g->strings = t->strings;
		g->complete = 1;
		if (t->nlosses) {
			g->losses = calloc(t->nlosses, sizeof(*g->losses));
			if (!g->losses)
				return -1;
			for (i = 0; i < t->nlosses; i++) {
				g->losses[i].name = strdup(t->losses[i].name);
				g->losses[i].count = t->losses[i].count;
				if (!g->losses[i].name)
					return -1;
				g->nlosses++;
			}
		}
		s->open = 0;
		break;
	}
	default:
		break;
	}
	return 0;
}

void esstats_end_input(struct esstats *s)
{
	s->open = 0;
}

/* Totals over all segments; losses summed by name (inputs are sorted). */
struct totals {
	uint64_t edges, count_sum, records, coverage, first_ns, last_ns;
	size_t complete;
};

static void totals(const struct esstats *s, struct totals *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < s->nsegs; i++) {
		const struct esstats_seg *g = &s->segs[i];

		t->edges += g->edges;
		t->count_sum = es_count_add(t->count_sum, g->count_sum);
		t->coverage += g->coverage;
		if (g->first_ns && (!t->first_ns || g->first_ns < t->first_ns))
			t->first_ns = g->first_ns;
		if (g->last_ns > t->last_ns)
			t->last_ns = g->last_ns;
		t->complete += (size_t)g->complete;
	}
}

/* Sum of loss `name` over all segments. */
static uint64_t loss_total(const struct esstats *s, const char *name)
{
	uint64_t sum = 0;
	size_t i, j;

	for (i = 0; i < s->nsegs; i++)
		for (j = 0; j < s->segs[i].nlosses; j++)
			if (strcmp(s->segs[i].losses[j].name, name) == 0)
				sum = es_count_add(sum, s->segs[i].losses[j].count);
	return sum;
}

/* Has an earlier (segment, loss) pair already named this loss? */
static int loss_seen_before(const struct esstats *s, size_t seg, size_t idx)
{
	const char *name = s->segs[seg].losses[idx].name;
	size_t i, j;

	for (i = 0; i <= seg; i++)
		for (j = 0; j < (i == seg ? idx : s->segs[i].nlosses); j++)
			if (strcmp(s->segs[i].losses[j].name, name) == 0)
				return 1;
	return 0;
}

static void print_span(FILE *out, uint64_t first, uint64_t last)
{
	char a[40], b[40];

	if (!first && !last) {
		fputs("  span       -\n", out);
		return;
	}
	cli_format_time(first, a, sizeof(a));
	cli_format_time(last, b, sizeof(b));
	fprintf(out, "  span       %s .. %s\n", a, b);
}

void esstats_print_text(const struct esstats *s, FILE *out)
{
	struct totals t;
	size_t i, j;
	int any = 0;

	for (i = 0; i < s->nsegs; i++) {
		const struct esstats_seg *g = &s->segs[i];

		fprintf(out, "%s: segment %u\n", g->file, g->index);
		fprintf(out, "  producer   %s\n", g->producer ? g->producer : "-");
		fprintf(out, "  source     %s\n", g->source ? g->source : "-");
		if (g->host)
			fprintf(out, "  host       %s\n", g->host);
		fprintf(out, "  edges      %llu\n", (unsigned long long)g->edges);
		fprintf(out, "  count      %llu\n", (unsigned long long)g->count_sum);
		if (g->complete)
			fprintf(out, "  records    %llu (modules %llu, nodes %llu, strings %llu)\n",
			    (unsigned long long)g->records, (unsigned long long)g->modules,
			    (unsigned long long)g->nodes, (unsigned long long)g->strings);
		if (g->coverage)
			fprintf(out, "  coverage   %llu\n", (unsigned long long)g->coverage);
		print_span(out, g->first_ns, g->last_ns);
		fputs("  losses    ", out);
		if (!g->nlosses)
			fputs(" none", out);
		for (j = 0; j < g->nlosses; j++)
			fprintf(out, " %s=%llu", g->losses[j].name, (unsigned long long)g->losses[j].count);
		fputc('\n', out);
		fprintf(out, "  trailer    %s\n", g->complete ? "yes" : "MISSING (truncated)");
	}
	totals(s, &t);
	fprintf(out, "total: %zu segment%s, %llu edges, count %llu, %zu complete\n", s->nsegs,
	    s->nsegs == 1 ? "" : "s", (unsigned long long)t.edges, (unsigned long long)t.count_sum,
	    t.complete);
	print_span(out, t.first_ns, t.last_ns);
	fputs("  losses    ", out);
	for (i = 0; i < s->nsegs; i++)
		for (j = 0; j < s->segs[i].nlosses; j++)
			if (!loss_seen_before(s, i, j)) {
				fprintf(out, " %s=%llu", s->segs[i].losses[j].name,
				    (unsigned long long)loss_total(s, s->segs[i].losses[j].name));
				any = 1;
			}
	if (!any)
		fputs(" none", out);
	fputc('\n', out);
}

static void json_str_or_null(FILE *out, const char *s)
{
	if (s)
		json_put_string(out, s, strlen(s));
	else
		fputs("null", out);
}

void esstats_print_json(const struct esstats *s, FILE *out)
{
	struct totals t;
	size_t i, j;
	int first = 1;

	fputs("{\"segments\":[", out);
	for (i = 0; i < s->nsegs; i++) {
		const struct esstats_seg *g = &s->segs[i];

		if (i)
			putc(',', out);
		fputs("{\"file\":", out);
		json_put_string(out, g->file, strlen(g->file));
		fprintf(out, ",\"segment\":%u,\"producer\":", g->index);
		json_str_or_null(out, g->producer);
		fputs(",\"source\":", out);
		json_str_or_null(out, g->source);
		fputs(",\"host\":", out);
		json_str_or_null(out, g->host);
		fprintf(out, ",\"edges\":%llu,\"count\":%llu,\"records\":%llu,\"modules\":%llu,"
		    "\"nodes\":%llu,\"strings\":%llu,\"coverage\":%llu,\"first_seen\":%llu,"
		    "\"last_seen\":%llu,\"losses\":{",
		    (unsigned long long)g->edges, (unsigned long long)g->count_sum,
		    (unsigned long long)g->records, (unsigned long long)g->modules,
		    (unsigned long long)g->nodes, (unsigned long long)g->strings,
		    (unsigned long long)g->coverage, (unsigned long long)g->first_ns,
		    (unsigned long long)g->last_ns);
		for (j = 0; j < g->nlosses; j++) {
			if (j)
				putc(',', out);
			json_put_string(out, g->losses[j].name, strlen(g->losses[j].name));
			fprintf(out, ":%llu", (unsigned long long)g->losses[j].count);
		}
		fprintf(out, "},\"trailer\":%s}", g->complete ? "true" : "false");
	}
	totals(s, &t);
	fprintf(out, "],\"total\":{\"segments\":%zu,\"complete\":%zu,\"edges\":%llu,\"count\":%llu,"
	    "\"coverage\":%llu,\"first_seen\":%llu,\"last_seen\":%llu,\"losses\":{",
	    s->nsegs, t.complete, (unsigned long long)t.edges, (unsigned long long)t.count_sum,
	    (unsigned long long)t.coverage, (unsigned long long)t.first_ns,
	    (unsigned long long)t.last_ns);
	for (i = 0; i < s->nsegs; i++)
		for (j = 0; j < s->segs[i].nlosses; j++)
			if (!loss_seen_before(s, i, j)) {
				if (!first)
					putc(',', out);
				first = 0;
				json_put_string(out, s->segs[i].losses[j].name,
				    strlen(s->segs[i].losses[j].name));
				fprintf(out, ":%llu",
				    (unsigned long long)loss_total(s, s->segs[i].losses[j].name));
			}
	fputs("}}}\n", out);
}
