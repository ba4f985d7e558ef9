/*
 * test_merge.c - the merge engine: edge classes, lattice states from static
 * reachability and probe coverage, name aliases, ambiguity, module binding
 * (name, build id, inferred), static edge streams, determinism, the JSON, DOT,
 * --focus and --why forms, and errors.
 */
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfsym.h"
#include "esreader.h"
#include "eswriter.h"
#include "json.h"
#include "merge.h"
#include "merge_out.h"
#include "ndjson.h"
#include "sgraph.h"
#include "staticload.h"

static char tmpdir[256];
static char warnings[4096];

static void on_warn(void *arg, const char *msg)
{
	(void)arg;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static const char *put(const char *name, const char *text)
{
	static char paths[32][512];
	static int next;
	char *p = paths[next++ % 32];
	FILE *f;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

/* Encode NDJSON lines into a stream file. */
static const char *encode(const char *name, const char *ndjson)
{
	static char paths[32][512];
	static int next;
	char *p = paths[next++ % 32];
	struct tm_err err = { 0, "" };
	struct es_writer *w;
	struct ndjson_encoder *e;
	const char *line = ndjson;
	unsigned long n = 0;
	int fd;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = es_writer_new(fd, p, NULL, &err);
	e = ndjson_encoder_new(w, "test", &err);
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (ndjson_encode_line(e, line, len, p, ++n) < 0)
			fprintf(stderr, "encode: %s\n", err.msg);
		line += len + (nl != NULL);
	}
	CHECK(ndjson_encoder_finish(e) == 0);
	ndjson_encoder_free(e);
	es_writer_free(w);
	close(fd);
	return p;
}

static int add_stream(struct merge *m, const char *path)
{
	struct tm_err err = { 0, "" };
	int fd = open(path, O_RDONLY), rc;
	struct es_reader *r = es_reader_new(fd, path, NULL, &err);

	rc = r ? merge_add_runtime(m, r, NULL) : -1;
	if (rc < 0)
		fprintf(stderr, "runtime %s: %s\n", path, err.msg);
	es_reader_free(r);
	close(fd);
	return rc;
}

struct run {
	const char *statics[4];
	const char *runtime[4];
	const char *module;
	const char *binary;
	const char *entries[4];
};

static struct merge *run_merge(const struct run *rn, struct tm_err *err)
{
	struct merge_opts o;
	struct merge *m;
	size_t ne = 0;

	memset(&o, 0, sizeof(o));
	while (ne < 4 && rn->entries[ne])
		ne++;
	o.module = rn->module;
	o.entries = rn->entries;
	o.nentries = ne;
	o.warn = on_warn;
	warnings[0] = '\0';
	m = merge_new(&o, err);
	if (!m)
		return NULL;
	if (rn->binary && merge_bind_binary(m, rn->binary) < 0)
		goto fail;
	for (int i = 0; i < 4 && rn->statics[i]; i++)
		if (merge_add_static(m, rn->statics[i], STATICLOAD_AUTO) < 0)
			goto fail;
	for (int i = 0; i < 4 && rn->runtime[i]; i++)
		if (add_stream(m, rn->runtime[i]) < 0)
			goto fail;
	if (merge_finish(m) < 0)
		goto fail;
	return m;
fail:
	fprintf(stderr, "merge: %s\n", err->msg);
	merge_free(m);
	return NULL;
}

static const struct merge_node *node(const struct merge *m, const char *name)
{
	char buf[512];

	for (uint32_t i = 1; i <= merge_node_count(m); i++) {
		merge_node_name(m, i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return merge_node(m, i);
	}
	return NULL;
}

static const char *state(const struct merge *m, const char *name)
{
	const struct merge_node *n = node(m, name);

	return n ? es_state_name(n->state) : "(absent)";
}

static const char *edge_class(const struct merge *m, const char *a, const char *b)
{
	char x[512], y[512];

	for (size_t i = 0; i < merge_edge_count(m); i++) {
		const struct merge_edge *e = &merge_edges(m)[i];

		merge_node_name(m, e->caller, x, sizeof(x));
		merge_node_name(m, e->callee, y, sizeof(y));
		if (strcmp(x, a) == 0 && strcmp(y, b) == 0)
			return es_class_name(e->edge_class);
	}
	return "(absent)";
}

static const char *APP_CI =
    "graph: { title: \"a.c\"\n"
    "node: { title: \"main\" label: \"main\\na.c:1:5\" }\n"
    "node: { title: \"a.c:helper\" label: \"helper\\na.c:2:12\" }\n"
    "node: { title: \"dispatch\" label: \"dispatch\\na.c:3:5\" }\n"
    "node: { title: \"__indirect_call\" label: \"Indirect Call Placeholder\" shape : ellipse }\n"
    "node: { title: \"a.c:cb\" label: \"cb\\na.c:4:12\" }\n"
    "node: { title: \"dead\" label: \"dead\\na.c:5:5\" }\n"
    "node: { title: \"probed_dead\" label: \"probed_dead\\na.c:6:5\" }\n"
    "node: { title: \"probed_live\" label: \"probed_live\\na.c:7:5\" }\n"
    "node: { title: \"sampled_dead\" label: \"sampled_dead\\na.c:8:5\" }\n"
    "node: { title: \"qsort\" label: \"qsort\\nstdlib.h:851:13\" shape : ellipse }\n"
    "edge: { sourcename: \"main\" targetname: \"a.c:helper\" label: \"a.c:10:3\" }\n"
    "edge: { sourcename: \"main\" targetname: \"dispatch\" label: \"a.c:11:3\" }\n"
    "edge: { sourcename: \"dispatch\" targetname: \"__indirect_call\" label: \"a.c:20:5\" }\n"
    "edge: { sourcename: \"main\" targetname: \"qsort\" label: \"a.c:12:3\" }\n"
    "edge: { sourcename: \"main\" targetname: \"probed_live\" label: \"a.c:13:3\" }\n"
    "edge: { sourcename: \"dead\" targetname: \"a.c:helper\" label: \"a.c:30:3\" }\n"
    "}\n";

static const char *APP_RT =
    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!a.c:helper\",\"count\":3,\"first_seen\":10,\"last_seen\":20,\"evidence\":[\"ebpf-probe\"],\"confidence\":100}\n"
    "{\"type\":\"edge\",\"caller\":\"app!dispatch\",\"callee\":\"app!a.c:cb\",\"count\":2,\"first_seen\":11,\"last_seen\":21,\"evidence\":[\"ebpf-sample\"]}\n"
    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!unknown_fn\",\"count\":1,\"first_seen\":12,\"last_seen\":12,\"evidence\":[\"ebpf-sample\"]}\n"
    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"libc.so.6!qsort\",\"count\":1,\"first_seen\":13,\"last_seen\":13,\"evidence\":[\"ebpf-sample\"]}\n"
    "{\"type\":\"edge\",\"caller\":\"libc.so.6!msort_with_tmp\",\"callee\":\"app!a.c:cb\",\"count\":9,\"first_seen\":14,\"last_seen\":30,\"evidence\":[\"ebpf-sample\"]}\n"
    "{\"type\":\"edge\",\"caller\":\"app!dead\",\"callee\":\"app!a.c:helper\",\"count\":1,\"first_seen\":15,\"last_seen\":15,\"evidence\":[\"ebpf-sample\"]}\n"
    "{\"type\":\"coverage\",\"node\":\"app!probed_dead\",\"method\":\"entry-probe\",\"start\":1,\"end\":100}\n"
    "{\"type\":\"coverage\",\"node\":\"app!probed_live\",\"method\":\"entry-probe\",\"start\":1,\"end\":100}\n"
    "{\"type\":\"coverage\",\"node\":\"app!sampled_dead\",\"method\":\"sampled\",\"start\":1,\"end\":100}\n"
    "{\"type\":\"coverage\",\"node\":\"app!not_in_static\",\"method\":\"entry-probe\",\"start\":1,\"end\":100}\n"
    "{\"type\":\"coverage\",\"node\":\"app!mystery\",\"method\":\"sampled\",\"start\":1,\"end\":100}\n";

static void test_classes_and_states(void)
{
	struct tm_err err = { 0, "" };
	struct run rn = { { put("app.ci", APP_CI) }, { encode("app.es", APP_RT) }, NULL, NULL, { NULL } };
	struct merge *m = run_merge(&rn, &err);
	const struct merge_stats *st;

	CHECK(m != NULL);
	if (!m)
		return;
	st = merge_stats(m);
	CHECK_EQ_U64(st->binding, MERGE_BIND_INFERRED);
	/* edges */
	CHECK_STR(edge_class(m, "app!main", "app!a.c:helper"), "confirmed");
	CHECK_STR(edge_class(m, "app!dispatch", "app!a.c:cb"), "confirmed-indirect");
	CHECK_STR(edge_class(m, "app!main", "app!unknown_fn"), "runtime-only");
	CHECK_STR(edge_class(m, "app!main", "libc.so.6!qsort"), "confirmed");
	CHECK_STR(edge_class(m, "libc.so.6!msort_with_tmp", "app!a.c:cb"), "runtime-only");
	CHECK_STR(edge_class(m, "app!main", "app!dispatch"), "static-only");
	CHECK_STR(edge_class(m, "app!dead", "app!a.c:helper"), "confirmed");
	CHECK_EQ_U64(st->by_class[ES_CLASS_CONFIRMED], 3);
	CHECK_EQ_U64(st->by_class[ES_CLASS_CONFIRMED_INDIRECT], 1);
	CHECK_EQ_U64(st->by_class[ES_CLASS_STATIC_ONLY], 2);
	CHECK_EQ_U64(st->by_class[ES_CLASS_RUNTIME_ONLY], 2);
	/* every state of the lattice */
	CHECK_STR(state(m, "app!main"), "confirmed-reachable");
	CHECK_STR(state(m, "app!a.c:helper"), "confirmed-reachable");
	CHECK_STR(state(m, "app!a.c:cb"), "confirmed-reachable");	/* through the indirect site */
	CHECK_STR(state(m, "app!dead"), "contested");
	CHECK_STR(state(m, "app!probed_dead"), "confirmed-unreachable");
	CHECK_STR(state(m, "app!probed_live"), "static-reachable");
	CHECK_STR(state(m, "app!sampled_dead"), "static-unreachable");	/* samples prove nothing */
	CHECK_STR(state(m, "app!not_in_static"), "runtime-unobserved");
	CHECK_STR(state(m, "app!unknown_fn"), "runtime-observed");
	CHECK_STR(state(m, "app!mystery"), "unknown");
	CHECK_STR(state(m, "libc.so.6!qsort"), "confirmed-reachable");
	CHECK_STR(state(m, "libc.so.6!msort_with_tmp"), "runtime-observed");
	/* flags and attributes */
	CHECK(node(m, "app!main")->flags & ES_NODE_ENTRY);
	CHECK(node(m, "app!dispatch")->flags & ES_NODE_INDIRECT_SITE);
	CHECK(node(m, "app!a.c:cb")->flags & ES_NODE_ADDRESS_TAKEN);
	CHECK(node(m, "libc.so.6!qsort")->flags & ES_NODE_EXTERNAL);
	CHECK_EQ_U64(node(m, "app!a.c:helper")->line, 2);
	{
		const struct merge_edge *e = NULL;

		for (size_t i = 0; i < merge_edge_count(m); i++)
			if (merge_edges(m)[i].callee == (uint32_t)(node(m, "app!a.c:helper") - merge_node(m, 1)) + 1 &&
			    merge_edges(m)[i].count == 3)
				e = &merge_edges(m)[i];
		CHECK(e != NULL);
		if (e) {
			CHECK_EQ_U64(e->evidence, ES_EV_STATIC | ES_EV_EBPF_PROBE);
			CHECK_EQ_U64(e->first_ns, 10);
			CHECK_EQ_U64(e->last_ns, 20);
			CHECK_EQ_U64(e->confidence, 100);
			CHECK_STR(merge_str(m, e->site, NULL), "a.c:10");
		}
	}
	merge_free(m);
}

static void test_alias_and_ambiguity(void)
{
	static const char *ci_a =
	    "graph: { title: \"a.c\"\n"
	    "node: { title: \"main\" label: \"main\\na.c:1:5\" }\n"
	    "node: { title: \"a.c:weigh\" label: \"weigh\\na.c:2:12\" }\n"
	    "node: { title: \"foo\" label: \"foo\\na.c:3:5\" }\n"
	    "node: { title: \"a.c:helper\" label: \"helper\\na.c:4:12\" }\n"
	    "edge: { sourcename: \"main\" targetname: \"a.c:weigh\" label: \"a.c:10:3\" }\n"
	    "edge: { sourcename: \"main\" targetname: \"foo\" label: \"a.c:11:3\" }\n"
	    "edge: { sourcename: \"main\" targetname: \"a.c:helper\" label: \"a.c:12:3\" }\n"
	    "}\n";
	static const char *ci_b =
	    "graph: { title: \"b.c\"\n"
	    "node: { title: \"b.c:helper\" label: \"helper\\nb.c:4:12\" }\n"
	    "node: { title: \"bfun\" label: \"bfun\\nb.c:5:5\" }\n"
	    "edge: { sourcename: \"bfun\" targetname: \"b.c:helper\" label: \"b.c:6:3\" }\n"
	    "}\n";
	static const char *rt =
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!weigh.constprop.0\",\"count\":1}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!foo.isra.0\",\"count\":1}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!foo\",\"count\":1}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!helper\",\"count\":1}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!bfun\",\"callee\":\"app!b.c:helper\",\"count\":1}\n";
	struct tm_err err = { 0, "" };
	struct run rn = { { put("alias-a.ci", ci_a), put("alias-b.ci", ci_b) }, { encode("alias.es", rt) },
	    "app", NULL, { NULL } };
	struct merge *m = run_merge(&rn, &err);
	const struct merge_node *n;
	size_t nf;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_U64(merge_stats(m)->binding, MERGE_BIND_NAME);
	/* A clone name matches its origin and is kept as an alias. */
	CHECK_STR(edge_class(m, "app!main", "app!a.c:weigh"), "confirmed");
	n = node(m, "app!a.c:weigh");
	CHECK(n && (n->flags & MERGE_NODE_ALIAS) && n->naliases == 1);
	if (n && n->naliases)
		CHECK_STR(merge_str(m, merge_alias(m, (uint32_t)(n - merge_node(m, 1)) + 1, 0), NULL),
		    "weigh.constprop.0");
	/* Both foo and foo.isra.0 fold into foo: one edge, counts added. */
	CHECK_STR(edge_class(m, "app!main", "app!foo"), "confirmed");
	CHECK(node(m, "app!foo.isra.0") == NULL);
	n = node(m, "app!foo");
	CHECK(n && n->naliases == 1);
	/* "helper" without a file fits two static functions: not matched. */
	CHECK_STR(edge_class(m, "app!main", "app!helper"), "runtime-only");
	CHECK_STR(edge_class(m, "app!main", "app!a.c:helper"), "static-only");
	CHECK_STR(edge_class(m, "app!bfun", "app!b.c:helper"), "confirmed");
	CHECK_EQ_U64(merge_stats(m)->ambiguous, 1);
	CHECK(strstr(warnings, "matched several static functions") != NULL);
	/* merge_find by alias, by origin, by file-qualified name. */
	CHECK(merge_find(m, "weigh.constprop.0", &nf) == (uint32_t)(node(m, "app!a.c:weigh") - merge_node(m, 1)) + 1);
	CHECK(merge_find(m, "app!weigh", &nf) != 0);
	CHECK(merge_find(m, "b.c:helper", &nf) == (uint32_t)(node(m, "app!b.c:helper") - merge_node(m, 1)) + 1);
	CHECK(merge_find(m, "nosuch", &nf) == 0);
	merge_find(m, "helper", &nf);
	CHECK_EQ_U64(nf, 1);	/* the runtime-only exact "helper" beats the qualified ones */
	merge_free(m);
}

static void test_build_id_binding(void)
{
	uint8_t id[64];
	char hex[200], rt[2048];
	struct tm_err err = { 0, "" };
	int len = elfsym_read_build_id("/proc/self/exe", id, sizeof(id), &err);
	struct merge *m;

	if (len <= 0) {
		fprintf(stderr, "test_build_id_binding: the test binary has no build id; skipped\n");
		return;
	}
	es_build_id_format(ES_ID_GNU, id, (size_t)len, hex, sizeof(hex));
	snprintf(rt, sizeof(rt),
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"caller_build_id\":\"%s\",\"callee\":\"app!a.c:helper\",\"callee_build_id\":\"%s\",\"count\":1}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"caller_build_id\":\"00112233\",\"callee\":\"app!a.c:helper\",\"callee_build_id\":\"00112233\",\"count\":1}\n",
	    hex, hex);
	{
		struct run rn = { { put("bid.ci", APP_CI) }, { encode("bid.es", rt) }, "app", "/proc/self/exe",
		    { NULL } };

		m = run_merge(&rn, &err);
	}
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_U64(merge_stats(m)->binding, MERGE_BIND_BUILD_ID);
	/* Two modules named app: the one with the binary's build id is joined. */
	CHECK_EQ_U64(merge_stats(m)->by_class[ES_CLASS_CONFIRMED], 1);
	CHECK_EQ_U64(merge_stats(m)->by_class[ES_CLASS_RUNTIME_ONLY], 1);
	CHECK(strstr(warnings, "build id 00112233") != NULL);
	/* The test binary defines main: an executable, entered at main. */
	CHECK_EQ_U64(merge_stats(m)->entries, 1);
	merge_free(m);
}

static void test_static_stream(void)
{
	static const char *st =
	    "{\"type\":\"edge\",\"caller\":\"lib.so!api\",\"caller_flags\":[\"entry\"],\"callee\":\"lib.so!src/x.c:inner\",\"evidence\":[\"static\"],\"site\":\"src/x.c:7\"}\n"
	    "{\"type\":\"edge\",\"caller\":\"lib.so!src/x.c:inner\",\"callee\":\"libc.so.6!memcpy\",\"callee_flags\":[\"external\"],\"evidence\":[\"static\"]}\n"
	    "{\"type\":\"edge\",\"caller\":\"lib.so!orphan\",\"callee\":\"lib.so!src/x.c:inner\"}\n"
	    "{\"type\":\"edge\",\"caller\":\"lib.so!api\",\"callee\":\"lib.so!observed_only\",\"evidence\":[\"ebpf-sample\"],\"count\":4}\n";
	static const char *rt =
	    "{\"type\":\"edge\",\"caller\":\"lib.so!api\",\"callee\":\"lib.so!src/x.c:inner\",\"count\":5,\"evidence\":[\"ebpf-probe\"]}\n"
	    "{\"type\":\"edge\",\"caller\":\"lib.so!src/x.c:inner\",\"callee\":\"libc.so.6!__memcpy_avx_unaligned\",\"count\":5}\n"
	    "{\"type\":\"edge\",\"caller\":\"lib.so!src/x.c:inner\",\"callee\":\"libc.so.6!memcpy@GLIBC_2.14\",\"count\":2}\n"
	    "{\"type\":\"edge\",\"caller\":\"other.so!api\",\"callee\":\"other.so!src/x.c:inner\",\"count\":1}\n";
	struct tm_err err = { 0, "" };
	struct run rn = { { encode("static.es", st) }, { encode("ssrt.es", rt) }, NULL, NULL, { NULL } };
	struct merge *m = run_merge(&rn, &err);

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_STR(edge_class(m, "lib.so!api", "lib.so!src/x.c:inner"), "confirmed");
	CHECK_STR(edge_class(m, "lib.so!src/x.c:inner", "libc.so.6!memcpy"), "confirmed");
	CHECK(node(m, "libc.so.6!memcpy") && (node(m, "libc.so.6!memcpy")->flags & MERGE_NODE_ALIAS));
	CHECK_STR(edge_class(m, "lib.so!src/x.c:inner", "libc.so.6!__memcpy_avx_unaligned"), "runtime-only");
	CHECK_STR(edge_class(m, "lib.so!orphan", "lib.so!src/x.c:inner"), "static-only");
	/* Runtime-only edges of a stream are not static edges. */
	CHECK_STR(edge_class(m, "lib.so!api", "lib.so!observed_only"), "(absent)");
	/* Another module's function of the same name is not this one. */
	CHECK_STR(edge_class(m, "other.so!api", "other.so!src/x.c:inner"), "runtime-only");
	CHECK_STR(state(m, "lib.so!api"), "confirmed-reachable");
	CHECK_STR(state(m, "lib.so!orphan"), "static-unreachable");
	CHECK_STR(state(m, "other.so!api"), "runtime-observed");
	merge_free(m);
}

/* The merged stream's bytes (through a memfd). */
static char *stream_bytes(struct merge *m, size_t *len)
{
	struct tm_err err = { 0, "" };
	int fd = memfd_create("t", 0);
	struct es_writer *w = es_writer_new(fd, "mem", NULL, &err);
	char *buf;
	off_t n;

	CHECK(merge_write_stream(m, w, "test") == 0);
	es_writer_free(w);
	n = lseek(fd, 0, SEEK_END);
	buf = malloc((size_t)n + 1);
	CHECK(pread(fd, buf, (size_t)n, 0) == n);
	close(fd);
	*len = (size_t)n;
	return buf;
}

static void test_determinism_and_rejoin(void)
{
	static const char *rt2 =
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!a.c:helper\",\"count\":4,\"first_seen\":5,\"last_seen\":50,\"evidence\":[\"ebpf-sample\"]}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!zeta\",\"callee\":\"app!main\",\"count\":1}\n";
	struct tm_err err = { 0, "" };
	const char *ci = put("det.ci", APP_CI), *a = encode("det-a.es", APP_RT), *b = encode("det-b.es", rt2);
	struct run ab = { { ci }, { a, b }, NULL, NULL, { NULL } };
	struct run ba = { { ci }, { b, a }, NULL, NULL, { NULL } };
	struct merge *m1 = run_merge(&ab, &err), *m2 = run_merge(&ba, &err), *m3;
	size_t l1 = 0, l2 = 0;
	char *s1, *s2, path[512];
	FILE *f;

	CHECK(m1 && m2);
	if (!m1 || !m2)
		return;
	s1 = stream_bytes(m1, &l1);
	s2 = stream_bytes(m2, &l2);
	CHECK(l1 == l2 && memcmp(s1, s2, l1) == 0);
	/* The merged stream as runtime input again: states join, static-only edges are skipped. */
	snprintf(path, sizeof(path), "%s/merged.es", tmpdir);
	f = fopen(path, "w");
	fwrite(s1, 1, l1, f);
	fclose(f);
	{
		struct run again = { { NULL }, { path }, NULL, NULL, { NULL } };

		m3 = run_merge(&again, &err);
	}
	CHECK(m3 != NULL);
	if (m3) {
		CHECK_STR(state(m3, "app!dead"), "contested");
		CHECK_STR(state(m3, "app!probed_dead"), "confirmed-unreachable");
		CHECK_STR(state(m3, "app!main"), "confirmed-reachable");
		CHECK_EQ_U64(merge_stats(m3)->skipped_static, merge_stats(m1)->by_class[ES_CLASS_STATIC_ONLY]);
		merge_free(m3);
	}
	free(s1);
	free(s2);
	merge_free(m1);
	merge_free(m2);
}

static char *capture(const struct merge *m, int what, uint32_t target, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct merge_out_opts o = { "test", what == 2 ? 0 : target };

	if (what == 0)
		*rc = merge_write_json(m, f, &o);
	else if (what == 1)
		*rc = merge_write_dot(m, f, &o);
	else
		*rc = merge_why(m, f, target, 3);
	fclose(f);
	return buf;
}

static void test_outputs(void)
{
	struct tm_err err = { 0, "" };
	struct run rn = { { put("out.ci", APP_CI) }, { encode("out.es", APP_RT) }, NULL, NULL, { NULL } };
	struct merge *m = run_merge(&rn, &err);
	struct json_doc *doc = json_doc_new();
	const struct json_value *root, *sum;
	char msg[256], *text;
	uint64_t v;
	int rc;

	CHECK(m != NULL);
	if (!m)
		return;
	/* JSON: a valid document with the summary counts. */
	text = capture(m, 0, 0, &rc);
	CHECK(rc == 0);
	root = json_parse(doc, text, strlen(text), msg, sizeof(msg));
	CHECK(root != NULL);
	sum = root ? json_get(json_get(root, "summary"), "classes") : NULL;
	CHECK(sum && json_u64(json_get(sum, "confirmed"), &v) == 0 && v == 3);
	CHECK(sum && json_u64(json_get(sum, "runtime-only"), &v) == 0 && v == 2);
	sum = root ? json_get(json_get(root, "summary"), "states") : NULL;
	CHECK(sum && json_u64(json_get(sum, "contested"), &v) == 0 && v == 1);
	free(text);
	/* JSON with --focus: the paths from main to a.c:helper only. */
	text = capture(m, 0, merge_find(m, "a.c:helper", NULL), &rc);
	json_doc_reset(doc);
	root = json_parse(doc, text, strlen(text), msg, sizeof(msg));
	CHECK(root && json_u64(json_get(json_get(root, "summary"), "edges"), &v) == 0 && v == 1);
	CHECK(root && json_u64(json_get(json_get(root, "summary"), "nodes"), &v) == 0 && v == 2);
	free(text);
	json_doc_free(doc);
	/* DOT: styles by class. */
	text = capture(m, 1, 0, &rc);
	CHECK(strstr(text, "\"app!main\" -> \"app!a.c:helper\" [style=solid, color=\"#000000\"") != NULL);
	CHECK(strstr(text, "\"app!main\" -> \"app!dispatch\" [style=dashed, color=\"#9e9e9e\"") != NULL);
	CHECK(strstr(text, "\"app!main\" -> \"app!unknown_fn\" [style=solid, color=\"#d73027\"") != NULL);
	CHECK(strstr(text, "\"app!dead\" [fillcolor=\"#f46d43\"") != NULL);
	free(text);
	/* --why: runtime path first, exit answer 1/0. */
	text = capture(m, 2, merge_find(m, "a.c:helper", NULL), &rc);
	CHECK(rc == 1);
	{
		static const char want[] = "app!a.c:helper: reached (confirmed-reachable)\nruntime path 1:\n"
		    "  app!main\n    -> app!a.c:helper  [confirmed; static,ebpf-probe; 3 calls; a.c:10]\n";

		CHECK(strncmp(text, want, sizeof(want) - 1) == 0);
		CHECK(strstr(text, "static path 1: runtime path 1, every edge also static\n") != NULL);
	}
	free(text);
	text = capture(m, 2, merge_find(m, "probed_dead", NULL), &rc);
	CHECK(rc == 0);
	CHECK(strstr(text, "not reached (confirmed-unreachable)") != NULL);
	CHECK(strstr(text, "an exact entry probe was attached and never fired") != NULL);
	free(text);
	text = capture(m, 2, merge_find(m, "a.c:cb", NULL), &rc);
	CHECK(rc == 1);
	CHECK(strstr(text, "~> app!a.c:cb  [may: address-taken, through an indirect call site in app!dispatch]") != NULL);
	free(text);
	merge_free(m);
}

static void test_errors(void)
{
	struct tm_err err = { 0, "" };
	struct merge_opts o;
	struct merge *m;
	const char *bad = put("bad.ci", "graph: { title: \"x\"\nnode: { title: \n");
	const char *junk = put("junk.txt", "hello world\n");

	memset(&o, 0, sizeof(o));
	m = merge_new(&o, &err);
	CHECK(merge_add_static(m, bad, STATICLOAD_AUTO) < 0);
	CHECK_EQ_U64(err.code, TM_EXIT_DATA);
	CHECK(strstr(err.msg, "bad.ci") != NULL);
	merge_free(m);
	tm_err_clear(&err);
	m = merge_new(&o, &err);
	CHECK(merge_add_static(m, junk, STATICLOAD_AUTO) < 0);
	CHECK_EQ_U64(err.code, TM_EXIT_DATA);
	CHECK(strstr(err.msg, "not a static call graph") != NULL);
	merge_free(m);
	tm_err_clear(&err);
	m = merge_new(&o, &err);
	CHECK(merge_add_static(m, "/nonexistent/x.ci", STATICLOAD_AUTO) < 0);
	CHECK_EQ_U64(err.code, TM_EXIT_ENV);
	merge_free(m);
	tm_err_clear(&err);
	m = merge_new(&o, &err);
	CHECK(merge_add_static(m, junk, STATICLOAD_JSON) < 0);
	CHECK_EQ_U64(err.code, TM_EXIT_DATA);
	merge_free(m);
	tm_err_clear(&err);
	m = merge_new(&o, &err);
	CHECK(merge_add_static(m, junk, STATICLOAD_STREAM) < 0);
	CHECK_EQ_U64(err.code, TM_EXIT_DATA);
	merge_free(m);
	CHECK_EQ_U64(staticload_format_parse("dot"), STATICLOAD_DOT);
	CHECK(staticload_format_parse("xml") < 0);
}

static void test_no_entry_and_static_only(void)
{
	static const char *ci =
	    "graph: { title: \"l.c\"\n"
	    "node: { title: \"api_a\" label: \"api_a\\nl.c:1:5\" }\n"
	    "node: { title: \"api_b\" label: \"api_b\\nl.c:2:5\" }\n"
	    "node: { title: \"l.c:inner\" label: \"inner\\nl.c:3:12\" }\n"
	    "node: { title: \"l.c:unused\" label: \"unused\\nl.c:4:12\" }\n"
	    "edge: { sourcename: \"api_a\" targetname: \"l.c:inner\" label: \"l.c:9:3\" }\n"
	    "}\n";
	struct tm_err err = { 0, "" };
	struct run lib = { { put("lib.ci", ci) }, { NULL }, "libl.so", NULL, { NULL } };
	struct run one = { { put("lib2.ci", ci) }, { NULL }, "libl.so", NULL, { "api_b", "nosuch" } };
	struct merge *m = run_merge(&lib, &err);

	CHECK(m != NULL);
	if (!m)
		return;
	/* No main, no binary: every global function the graph defines is an entry. */
	CHECK_EQ_U64(merge_stats(m)->entries, 2);
	CHECK_STR(state(m, "libl.so!l.c:inner"), "static-reachable");
	CHECK_STR(state(m, "libl.so!l.c:unused"), "static-unreachable");
	merge_free(m);
	m = run_merge(&one, &err);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_U64(merge_stats(m)->entries, 1);
	CHECK_STR(state(m, "libl.so!api_a"), "static-unreachable");
	CHECK_STR(state(m, "libl.so!api_b"), "static-reachable");
	CHECK(strstr(warnings, "--entry nosuch: no such function") != NULL);
	merge_free(m);
	/* Managed code: the Main method of some class is the entry point. */
	{
		struct run cs = { { put("cs.json", "{\"nodes\": [\"Ns.Program::Main\", \"Ns.Program::Unused\"], "
		    "\"edges\": [[\"Ns.Program::Main\", \"Ns.Util::Log\"]]}") }, { NULL }, "app", NULL, { NULL } };

		m = run_merge(&cs, &err);
		CHECK(m != NULL);
		if (!m)
			return;
		CHECK_EQ_U64(merge_stats(m)->entries, 1);
		CHECK_STR(state(m, "app!Ns.Program::Main"), "static-reachable");
		CHECK_STR(state(m, "app!Ns.Program::Unused"), "static-unreachable");
		merge_free(m);
	}
}

static void test_static_streams_share_declarations(void)
{
	static const char *a =
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"caller_flags\":[\"entry\"],\"callee\":\"app!strlen\",\"callee_flags\":[\"external\"],\"evidence\":[\"static\"]}\n"
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"app!plugin_api\",\"callee_flags\":[\"external\"],\"evidence\":[\"static\"]}\n";
	static const char *b =
	    "{\"type\":\"edge\",\"caller\":\"lib.so!plugin_api\",\"callee\":\"lib.so!strlen\",\"callee_flags\":[\"external\"],\"evidence\":[\"static\"]}\n";
	static const char *rt =
	    "{\"type\":\"edge\",\"caller\":\"app!main\",\"callee\":\"lib.so!plugin_api\",\"count\":1}\n"
	    "{\"type\":\"edge\",\"caller\":\"lib.so!plugin_api\",\"callee\":\"libc.so.6!strlen\",\"count\":1}\n";
	struct tm_err err = { 0, "" };
	struct run rn = { { encode("decl-a.es", a), encode("decl-b.es", b) }, { encode("decl-rt.es", rt) }, NULL,
	    NULL, { NULL } };
	struct merge *m = run_merge(&rn, &err);

	CHECK(m != NULL);
	if (!m)
		return;
	/* strlen declared in two modules is no conflict; plugin_api is defined in lib.so. */
	CHECK(strstr(warnings, "defined in modules") == NULL);
	CHECK_STR(edge_class(m, "app!main", "lib.so!plugin_api"), "confirmed");
	CHECK_STR(edge_class(m, "lib.so!plugin_api", "libc.so.6!strlen"), "confirmed");
	CHECK_STR(state(m, "lib.so!plugin_api"), "confirmed-reachable");
	merge_free(m);
}

static void test_static_in_a_thread(void)
{
	struct tm_err err = { 0, "" };
	struct merge_opts o;
	const char *ci = put("thr.ci", APP_CI), *rt = encode("thr.es", APP_RT);
	const char *bad[] = { put("thr-bad.ci", "graph: { title: \"x\"\nnode: {\n") };
	const char *good[] = { ci };
	struct merge *m;

	memset(&o, 0, sizeof(o));
	/* The same result as loading in the caller's thread. */
	m = merge_new(&o, &err);
	CHECK(merge_static_begin(m, good, 1, STATICLOAD_AUTO) == 0);
	CHECK(add_stream(m, rt) == 0);
	CHECK(merge_static_wait(m) == 0);
	CHECK(merge_finish(m) == 0);
	CHECK_STR(state(m, "app!dead"), "contested");
	CHECK_STR(edge_class(m, "app!dispatch", "app!a.c:cb"), "confirmed-indirect");
	CHECK_EQ_U64(merge_stats(m)->static_inputs, 1);
	merge_free(m);
	/* An unparsable graph fails the wait with its message and status. */
	m = merge_new(&o, &err);
	CHECK(merge_static_begin(m, bad, 1, STATICLOAD_AUTO) == 0);
	CHECK(add_stream(m, rt) == 0);
	CHECK(merge_static_wait(m) < 0);
	CHECK_EQ_U64(err.code, TM_EXIT_DATA);
	CHECK(strstr(err.msg, "thr-bad.ci") != NULL);
	merge_free(m);
	/* Freed without waiting: the thread is joined. */
	tm_err_clear(&err);
	m = merge_new(&o, &err);
	CHECK(merge_static_begin(m, good, 1, STATICLOAD_AUTO) == 0);
	merge_free(m);
}

/*
 * Runtime functions are keyed by module, symbol and source file, and an
 * unsymbolized one by its offset and file: the same offset named from two
 * files stays two functions. A module is its build id, named by the least name.
 */
static void test_runtime_identity(void)
{
	const char *rt = encode("ident.es",
	    "{\"type\":\"module\",\"name\":\"zz\",\"build_id_kind\":\"gnu\",\"build_id\":\"abcd\"}\n"
	    "{\"type\":\"module\",\"name\":\"app\",\"build_id_kind\":\"gnu\",\"build_id\":\"abcd\"}\n"
	    "{\"type\":\"edge\",\"caller\":\"zz+0x10\",\"caller_build_id\":\"abcd\",\"caller_file\":\"b.c\","
	    "\"callee\":\"zz!f\",\"callee_build_id\":\"abcd\",\"count\":3,\"evidence\":[\"ebpf-probe\"]}\n"
	    "{\"type\":\"edge\",\"caller\":\"app+0x10\",\"caller_build_id\":\"abcd\",\"caller_file\":\"a.c\","
	    "\"caller_line\":9,\"callee\":\"app!f\",\"callee_build_id\":\"abcd\",\"count\":2,"
	    "\"evidence\":[\"ebpf-probe\"]}\n"
	    "{\"type\":\"edge\",\"caller\":\"app+0x10\",\"caller_build_id\":\"abcd\",\"caller_file\":\"a.c\","
	    "\"caller_line\":3,\"callee\":\"app!f\",\"callee_build_id\":\"abcd\",\"count\":1,"
	    "\"evidence\":[\"ebpf-probe\"]}\n");
	struct run rn = { .runtime = { rt } };
	struct tm_err err = { 0, "" };
	struct merge *m = run_merge(&rn, &err);
	size_t with_a = 0, with_b = 0;

	CHECK(m != NULL);
	if (!m)
		return;
	/* One module (one build id) under its least name; two callers at +0x10. */
	CHECK(node(m, "app!f") != NULL);
	CHECK(node(m, "zz!f") == NULL);
	CHECK_EQ_U64(merge_node_count(m), 3);
	CHECK_EQ_U64(merge_edge_count(m), 2);
	for (uint32_t i = 1; i <= merge_node_count(m); i++) {
		const struct merge_node *n = merge_node(m, i);
		const char *f = merge_str(m, n->file, NULL);

		if (n->symbol)
			continue;
		CHECK_EQ_U64(n->offset, 0x10);
		with_a += strcmp(f, "a.c") == 0 && n->line == 3;
		with_b += strcmp(f, "b.c") == 0;
	}
	CHECK_EQ_U64(with_a, 1);
	CHECK_EQ_U64(with_b, 1);
	merge_free(m);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_merge.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_classes_and_states);
	RUN(test_alias_and_ambiguity);
	RUN(test_build_id_binding);
	RUN(test_static_stream);
	RUN(test_determinism_and_rejoin);
	RUN(test_outputs);
	RUN(test_errors);
	RUN(test_no_entry_and_static_only);
	RUN(test_static_in_a_thread);
	RUN(test_static_streams_share_declarations);
	RUN(test_runtime_identity);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	UNIT_END();
}
