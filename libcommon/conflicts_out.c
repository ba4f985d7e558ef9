/*
 * conflicts_out.c - text, JSON and SARIF reports of trace-conflicts (see conflicts_out.h).
 */
#include "conflicts_out.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "merge_out.h"
#include "sgraph.h"

#define NAME_LEN 4096
#define TEXT_LEN 8192

static void jstr(FILE *f, const char *s)
{
	json_put_string(f, s, strlen(s));
}

/* The side of one conflict (version skew has both). */
static unsigned side_of(const struct cf *c, const struct cf_conflict *k)
{
	const struct cf_edge *e = k->edge ? cf_edge(c, k->edge - 1) : NULL;

	if (!e)
		return CF_SIDE_NODE;
	if (k->cls == CF_VERSION_SKEW)
		return (e->evidence & ~(uint32_t)ES_EV_STATIC) || e->count ? CF_SIDE_RUNTIME : CF_SIDE_STATIC;
	return cf_class_side(k->cls);
}

static const char *side_name(unsigned s)
{
	return s == CF_SIDE_RUNTIME ? "runtime" : s == CF_SIDE_STATIC ? "static" : "node";
}

static const char *reason_name(unsigned r)
{
	return r == CF_WHY_MIN_COUNT ? "min-count" : r == CF_WHY_MIN_WINDOWS ? "min-windows" : "policy";
}

static void fact_list(FILE *f, uint32_t facts)
{
	int first = 1;

	fputc('[', f);
	for (unsigned b = 0; b < CF_NFACTS; b++) {
		if (!(facts & (1u << b)))
			continue;
		fputs(first ? "" : ",", f);
		jstr(f, cf_fact_name(b));
		first = 0;
	}
	fputc(']', f);
}

/* "first .. last" for text; "-" when never observed. */
static void span(const struct cf_edge *e, char *first, char *last, size_t size)
{
	if (e && e->first_ns)
		cli_format_time(e->first_ns, first, size);
	else
		snprintf(first, size, "-");
	if (e && e->last_ns)
		cli_format_time(e->last_ns, last, size);
	else
		snprintf(last, size, "-");
}

/* The conflict's subject: "caller -> callee" or the function. */
static void subject(const struct cf *c, const struct cf_conflict *k, char *buf, size_t size)
{
	char a[NAME_LEN], b[NAME_LEN];
	const struct cf_edge *e = k->edge ? cf_edge(c, k->edge - 1) : NULL;

	if (e) {
		cf_node_name(c, e->caller, a, sizeof(a));
		cf_node_name(c, e->callee, b, sizeof(b));
		if (snprintf(buf, size, "%s -> %s", a, b) >= (int)size && size > 4)
			memcpy(buf + size - 4, "...", 4);	/* a truncated name */
	} else {
		cf_node_name(c, k->node, buf, size);
	}
}

static const char *res_text(const struct cf *c, const struct cf_conflict *k, char *buf, size_t size)
{
	const struct cf_opts *o = cf_options(c);

	if (k->resolution == CF_RES_REJECTED && k->reason == CF_WHY_MIN_COUNT)
		snprintf(buf, size, "rejected (count < %llu)", (unsigned long long)o->min_count);
	else if (k->resolution == CF_RES_REJECTED && k->reason == CF_WHY_MIN_WINDOWS)
		snprintf(buf, size, "rejected (windows < %llu)", (unsigned long long)o->min_windows);
	else
		snprintf(buf, size, "%s", cf_resolution_name(k->resolution));
	return buf;
}

/* ---- text ---- */

int cf_write_text(const struct cf *c, FILE *f, const struct cf_out_opts *o)
{
	const struct cf_summary *s = cf_summary(c);
	const struct cf_conflict *ks = cf_conflicts(c);
	const struct cf_opts *opt = cf_options(c);
	size_t n = cf_count(c), i = 0;
	char *subj = malloc(NAME_LEN * 2), *why = malloc(TEXT_LEN);
	int rc = -1;

	if (!subj || !why)
		goto out;
	fprintf(f, "%s: %llu conflict%s, %llu unresolved (policy %s, min-count %llu, min-windows %llu)\n",
	    o->tool, (unsigned long long)s->conflicts, s->conflicts == 1 ? "" : "s",
	    (unsigned long long)s->unresolved, cf_policy_name(opt->policy),
	    (unsigned long long)opt->min_count, (unsigned long long)opt->min_windows);
	while (i < n) {
		unsigned cls = ks[i].cls;
		size_t j, end, w = 4;
		uint64_t calls = 0, first = 0, last = 0;
		char t1[48], t2[48], res[64];

		for (end = i; end < n && ks[end].cls == cls; end++) {
			const struct cf_edge *e = ks[end].edge ? cf_edge(c, ks[end].edge - 1) : NULL;
			size_t len;

			subject(c, &ks[end], subj, NAME_LEN * 2);
			len = strlen(subj);
			if (len > w)
				w = len;
			if (e) {
				calls = es_count_add(calls, e->count);
				if (e->first_ns && (!first || e->first_ns < first))
					first = e->first_ns;
				if (e->last_ns > last)
					last = e->last_ns;
			}
		}
		if (w > 100)
			w = 100;
		fprintf(f, "\n%s (%s, %s): %zu conflict%s, %llu unresolved", cf_class_name(cls), cf_class_code(cls),
		    cf_level_name(cf_class_level(cls)), end - i, end - i == 1 ? "" : "s",
		    (unsigned long long)s->open_by_class[cls]);
		if (calls) {
			cli_format_time(first, t1, sizeof(t1));
			cli_format_time(last, t2, sizeof(t2));
			fprintf(f, ", %llu call%s, %s .. %s", (unsigned long long)calls, calls == 1 ? "" : "s", t1, t2);
		}
		fputc('\n', f);
		fprintf(f, "  %-*s  %10s  %7s  %-30s  %-30s  %s\n", (int)w, cls == CF_CONTESTED ? "FUNCTION" : "EDGE",
		    "COUNT", "WINDOWS", "FIRST SEEN", "LAST SEEN", "RESOLUTION");
		for (j = i; j < end; j++) {
			const struct cf_edge *e = ks[j].edge ? cf_edge(c, ks[j].edge - 1) : NULL;

			subject(c, &ks[j], subj, NAME_LEN * 2);
			span(e, t1, t2, sizeof(t1));
			if (e)
				fprintf(f, "  %-*s  %10llu  %7u  %-30s  %-30s  %s\n", (int)w, subj,
				    (unsigned long long)e->count, ks[j].windows, t1, t2,
				    res_text(c, &ks[j], res, sizeof(res)));
			else
				fprintf(f, "  %-*s  %10s  %7s  %-30s  %-30s  %s\n", (int)w, subj, "-", "-", t1, t2,
				    res_text(c, &ks[j], res, sizeof(res)));
			cf_explain(c, &ks[j], why, TEXT_LEN);
			fprintf(f, "      %s", why);
			if (ks[j].loc)
				fprintf(f, " [%s]", cf_str(c, ks[j].loc));
			fprintf(f, " (confidence %s)\n", cf_confidence_name(ks[j].confidence));
		}
		i = end;
	}
	rc = 0;
out:
	free(subj);
	free(why);
	return rc;
}

/* ---- JSON ---- */

static void json_conflict(const struct cf *c, FILE *f, const struct cf_conflict *k, char *name, char *why)
{
	const struct cf_edge *e = k->edge ? cf_edge(c, k->edge - 1) : NULL;
	char t[48];

	fputs("{\"class\":", f);
	jstr(f, cf_class_name(k->cls));
	fputs(",\"code\":", f);
	jstr(f, cf_class_code(k->cls));
	fputs(",\"level\":", f);
	jstr(f, cf_level_name(cf_class_level(k->cls)));
	fputs(",\"side\":", f);
	jstr(f, side_name(side_of(c, k)));
	fputs(",\"resolution\":", f);
	jstr(f, cf_resolution_name(k->resolution));
	if (k->resolution == CF_RES_REJECTED) {
		fputs(",\"reason\":", f);
		jstr(f, reason_name(k->reason));
	}
	fputs(",\"confidence\":", f);
	jstr(f, cf_confidence_name(k->confidence));
	if (e) {
		cf_node_name(c, e->caller, name, NAME_LEN);
		fputs(",\"caller\":", f);
		jstr(f, name);
		cf_node_name(c, e->callee, name, NAME_LEN);
		fputs(",\"callee\":", f);
		jstr(f, name);
		fprintf(f, ",\"count\":%llu,\"windows\":%u", (unsigned long long)e->count, k->windows);
		if (e->first_ns) {
			cli_format_time(e->first_ns, t, sizeof(t));
			fprintf(f, ",\"first_seen\":%llu,\"first_seen_utc\":\"%s\"", (unsigned long long)e->first_ns, t);
		}
		if (e->last_ns) {
			cli_format_time(e->last_ns, t, sizeof(t));
			fprintf(f, ",\"last_seen\":%llu,\"last_seen_utc\":\"%s\"", (unsigned long long)e->last_ns, t);
		}
		fputs(",\"evidence\":", f);
		merge_json_evidence(f, e->evidence);
		if (e->confidence)
			fprintf(f, ",\"evidence_confidence\":%u", e->confidence);
		if (e->site) {
			fputs(",\"site\":", f);
			jstr(f, cf_str(c, e->site));
		}
	} else {
		cf_node_name(c, k->node, name, NAME_LEN);
		fputs(",\"function\":", f);
		jstr(f, name);
	}
	if (k->loc) {
		fputs(",\"location\":", f);
		jstr(f, cf_str(c, k->loc));
	}
	if (k->via) {
		cf_node_name(c, k->via, name, NAME_LEN);
		fputs(",\"via\":", f);
		jstr(f, name);
	}
	if (k->via2) {
		cf_node_name(c, k->via2, name, NAME_LEN);
		fputs(",\"registered_in\":", f);
		jstr(f, name);
	}
	if (k->cls == CF_ASYNC) {
		fputs(",\"async\":", f);
		jstr(f, cf_async_name(k->async));
	}
	if (k->code_at)
		fprintf(f, ",\"code_at\":\"0x%llx\"", (unsigned long long)k->code_at);
	fputs(",\"facts\":", f);
	fact_list(f, k->facts);
	cf_explain(c, k, why, TEXT_LEN);
	fputs(",\"explanation\":", f);
	jstr(f, why);
	fputc('}', f);
}

int cf_write_json(const struct cf *c, FILE *f, const struct cf_out_opts *o)
{
	const struct cf_summary *s = cf_summary(c);
	const struct cf_opts *opt = cf_options(c);
	const struct cf_conflict *ks = cf_conflicts(c);
	size_t n = cf_count(c), i;
	char *name = malloc(NAME_LEN), *why = malloc(TEXT_LEN), prod[256];
	int first = 1;

	if (!name || !why) {
		free(name);
		free(why);
		return -1;
	}
	snprintf(prod, sizeof(prod), "%s %s", o->tool, o->version);
	fputs("{\"producer\":", f);
	jstr(f, prod);
	fputs(",\"policy\":", f);
	jstr(f, cf_policy_name(opt->policy));
	fprintf(f, ",\"min_count\":%llu,\"min_windows\":%llu", (unsigned long long)opt->min_count,
	    (unsigned long long)opt->min_windows);
	if (cf_binary(c)) {
		fputs(",\"binary\":", f);
		jstr(f, cf_binary(c));
	}
	if (cf_static_build_id(c)) {
		fputs(",\"static_build_id\":", f);
		jstr(f, cf_static_build_id(c));
	}
	fprintf(f, ",\"summary\":{\"functions\":%llu,\"edges\":%llu,\"conflicts\":%llu,\"unresolved\":%llu,"
	    "\"classes\":{", (unsigned long long)s->nodes, (unsigned long long)s->edges,
	    (unsigned long long)s->conflicts, (unsigned long long)s->unresolved);
	for (unsigned k = 0; k < CF_NCLASSES; k++) {
		if (!s->by_class[k])
			continue;
		fputs(first ? "" : ",", f);
		jstr(f, cf_class_name(k));
		fprintf(f, ":{\"count\":%llu,\"unresolved\":%llu}", (unsigned long long)s->by_class[k],
		    (unsigned long long)s->open_by_class[k]);
		first = 0;
	}
	fputs("},\"resolutions\":{", f);
	first = 1;
	for (unsigned r = 0; r < CF_NRES; r++) {
		if (!s->by_res[r])
			continue;
		fputs(first ? "" : ",", f);
		jstr(f, cf_resolution_name(r));
		fprintf(f, ":%llu", (unsigned long long)s->by_res[r]);
		first = 0;
	}
	fputs("}},\"conflicts\":[", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", f);
		json_conflict(c, f, &ks[i], name, why);
	}
	fputs(n ? "\n]}\n" : "]}\n", f);
	free(name);
	free(why);
	return 0;
}

/* ---- SARIF 2.1.0 ---- */

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

/* A file path as a URI reference: percent-encoded; absolute paths as file:// URIs. */
static void uri(FILE *f, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	fputc('"', f);
	if (len && p[0] == '/')
		fputs("file://", f);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~/!$&'()*+,;=:@", ch))
			fputc(ch, f);
		else if (ch == '\\')
			fputc('/', f);
		else
			fprintf(f, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
	fputc('"', f);
}

static void sarif_location(const struct cf *c, FILE *f, const struct cf_conflict *k, char *name)
{
	const struct cf_edge *e = k->edge ? cf_edge(c, k->edge - 1) : NULL;
	const char *loc = k->loc ? cf_str(c, k->loc) : NULL;
	size_t flen;
	uint32_t line = 0, col = 0;

	fputs("[{", f);
	if (loc && sgraph_loc_split(loc, strlen(loc), &flen, &line, &col) && flen) {
		fputs("\"physicalLocation\":{\"artifactLocation\":{\"uri\":", f);
		uri(f, loc, flen);
		fputc('}', f);
		if (line) {
			fprintf(f, ",\"region\":{\"startLine\":%u", line);
			if (col)
				fprintf(f, ",\"startColumn\":%u", col);
			fputc('}', f);
		}
		fputs("},", f);
	} else if (loc && *loc) {
		fputs("\"physicalLocation\":{\"artifactLocation\":{\"uri\":", f);
		uri(f, loc, strlen(loc));
		fputs("}},", f);
	}
	cf_node_name(c, e ? e->caller : k->node, name, NAME_LEN);
	fputs("\"logicalLocations\":[{\"fullyQualifiedName\":", f);
	jstr(f, name);
	fputs(",\"kind\":\"function\"}", f);
	if (e) {
		cf_node_name(c, e->callee, name, NAME_LEN);
		fputs(",{\"fullyQualifiedName\":", f);
		jstr(f, name);
		fputs(",\"kind\":\"function\"}", f);
	}
	fputs("]}]", f);
}

int cf_write_sarif(const struct cf *c, FILE *f, const struct cf_out_opts *o)
{
	const struct cf_summary *s = cf_summary(c);
	const struct cf_opts *opt = cf_options(c);
	const struct cf_conflict *ks = cf_conflicts(c);
	size_t n = cf_count(c), i;
	char *name = malloc(NAME_LEN), *why = malloc(TEXT_LEN), *subj = malloc(NAME_LEN * 2);
	char t[48], msg[TEXT_LEN / 2];

	if (!name || !why || !subj) {
		free(name);
		free(why);
		free(subj);
		return -1;
	}
	fputs("{\"$schema\":\"" SARIF_SCHEMA "\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":", f);
	jstr(f, o->tool);
	fputs(",\"version\":", f);
	jstr(f, o->version);
	fputs(",\"semanticVersion\":", f);
	jstr(f, o->version);
	fputs(",\"rules\":[", f);
	for (unsigned k = 0; k < CF_NCLASSES; k++) {
		fputs(k ? ",\n" : "\n", f);
		fputs("{\"id\":", f);
		jstr(f, cf_class_name(k));
		fputs(",\"name\":", f);
		jstr(f, cf_class_title(k));
		fputs(",\"shortDescription\":{\"text\":", f);
		snprintf(msg, sizeof(msg), "%s (%s)", cf_class_title(k), cf_class_code(k));
		jstr(f, msg);
		fputs("},\"fullDescription\":{\"text\":", f);
		jstr(f, cf_class_summary(k));
		fputs("},\"defaultConfiguration\":{\"level\":", f);
		jstr(f, cf_level_name(cf_class_level(k)));
		fputs("},\"properties\":{\"code\":", f);
		jstr(f, cf_class_code(k));
		fputs(",\"side\":", f);
		jstr(f, side_name(cf_class_side(k)));
		fputs(",\"tags\":[\"call-graph\",\"reachability\"]}}", f);
	}
	fputs("\n]}},\"results\":[", f);
	for (i = 0; i < n; i++) {
		const struct cf_conflict *k = &ks[i];
		const struct cf_edge *e = k->edge ? cf_edge(c, k->edge - 1) : NULL;

		fputs(i ? ",\n" : "\n", f);
		subject(c, k, subj, NAME_LEN * 2);
		cf_explain(c, k, why, TEXT_LEN);
		/* An unresolved conflict fails at the rule's level; a resolved one is
		 * informational, and SARIF then requires the level "none". */
		fprintf(f, "{\"ruleId\":\"%s\",\"ruleIndex\":%u,\"kind\":\"%s\",\"level\":\"%s\",\"message\":{\"text\":",
		    cf_class_name(k->cls), (unsigned)k->cls, k->resolution == CF_RES_OPEN ? "fail" : "informational",
		    k->resolution == CF_RES_OPEN ? cf_level_name(cf_class_level(k->cls)) : "none");
		fputs("\"", f);
		json_put_escaped(f, subj, strlen(subj));
		fputs(": ", f);
		json_put_escaped(f, why, strlen(why));
		fputs("\"},\"locations\":", f);
		sarif_location(c, f, k, name);
		fputs(",\"partialFingerprints\":{\"tracemergeSubject/v1\":", f);
		snprintf(msg, sizeof(msg), "%s:%s", cf_class_name(k->cls), subj);
		jstr(f, msg);
		fputc('}', f);
		fputs(",\"properties\":{\"class\":", f);
		jstr(f, cf_class_name(k->cls));
		fputs(",\"code\":", f);
		jstr(f, cf_class_code(k->cls));
		fputs(",\"side\":", f);
		jstr(f, side_name(side_of(c, k)));
		fputs(",\"resolution\":", f);
		jstr(f, cf_resolution_name(k->resolution));
		fputs(",\"confidence\":", f);
		jstr(f, cf_confidence_name(k->confidence));
		if (e) {
			cf_node_name(c, e->caller, name, NAME_LEN);
			fputs(",\"caller\":", f);
			jstr(f, name);
			cf_node_name(c, e->callee, name, NAME_LEN);
			fputs(",\"callee\":", f);
			jstr(f, name);
			fprintf(f, ",\"count\":%llu,\"windows\":%u", (unsigned long long)e->count, k->windows);
			if (e->first_ns) {
				cli_format_time(e->first_ns, t, sizeof(t));
				fprintf(f, ",\"firstSeen\":\"%s\"", t);
			}
			if (e->last_ns) {
				cli_format_time(e->last_ns, t, sizeof(t));
				fprintf(f, ",\"lastSeen\":\"%s\"", t);
			}
			fputs(",\"evidence\":", f);
			merge_json_evidence(f, e->evidence);
		} else {
			cf_node_name(c, k->node, name, NAME_LEN);
			fputs(",\"function\":", f);
			jstr(f, name);
		}
		if (k->via) {
			cf_node_name(c, k->via, name, NAME_LEN);
			fputs(",\"via\":", f);
			jstr(f, name);
		}
		fputs(",\"facts\":", f);
		fact_list(f, k->facts);
		fputs("}}", f);
	}
	fprintf(f, "\n],\"properties\":{\"policy\":\"%s\",\"minCount\":%llu,\"minWindows\":%llu,"
	    "\"conflicts\":%llu,\"unresolved\":%llu}}]}\n", cf_policy_name(opt->policy),
	    (unsigned long long)opt->min_count, (unsigned long long)opt->min_windows,
	    (unsigned long long)s->conflicts, (unsigned long long)s->unresolved);
	free(name);
	free(why);
	free(subj);
	return 0;
}
