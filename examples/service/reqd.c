/*
 * reqd - the example service of tracemerge: a small key-value store that
 * serves request files. Each line goes to the parser plugin (dlopen(3),
 * dlsym(3)), the parsed request is dispatched through a table of function
 * pointers by its verb, and the final report sorts the store with qsort(3)
 * and a callback. No direct call in this program reaches the plugin.
 *
 * usage: reqd [-l SECONDS] PLUGIN.so REQUEST-FILE...
 *   -l SECONDS  keep serving: read the files again every SECONDS, until
 *               killed (a long-running process for trace-capture --pid)
 * Exit status: 0, 1 when a line was not a valid request, 2 for a usage error
 * or a file or plugin that cannot be loaded.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reqd.h"

#define STORE_MAX     256
#define DIGEST_ROUNDS 3000000	/* work per stored value, so sampling sees it */

struct entry {
	char key[REQD_KEY_MAX];
	char value[REQD_VALUE_MAX];
	int priority;
	unsigned long digest;
};

struct store {
	struct entry e[STORE_MAX];
	size_t n;
	unsigned long hits, misses;
};

typedef int (*handler_fn)(struct store *st, const struct request *req);

unsigned long digest(const char *s, unsigned rounds);
int serve_file(const char *path, reqparse_fn parse, struct store *st);
void store_report(struct store *st);
int import_legacy_dump(const char *path, struct store *st);

/* FNV-1a over the value, ROUNDS times. */
unsigned long digest(const char *s, unsigned rounds)
{
	unsigned long h = 1469598103934665603ul;

	for (unsigned r = 0; r < rounds; r++)
		for (const char *p = s; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ul;
	return h;
}

static struct entry *find(struct store *st, const char *key)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->e[i].key, key) == 0)
			return &st->e[i];
	return NULL;
}

static int handle_get(struct store *st, const struct request *req)
{
	struct entry *e = find(st, req->key);

	if (!e) {
		st->misses++;
		return 0;
	}
	st->hits++;
	return e->digest == digest(e->value, DIGEST_ROUNDS / 4);
}

static int handle_put(struct store *st, const struct request *req)
{
	struct entry *e = find(st, req->key);

	if (!e) {
		if (st->n == STORE_MAX)
			return -1;
		e = &st->e[st->n++];
		memcpy(e->key, req->key, sizeof e->key);
	}
	memcpy(e->value, req->value, sizeof e->value);
	e->priority = req->priority;
	e->digest = digest(e->value, DIGEST_ROUNDS);
	return 0;
}

static int handle_del(struct store *st, const struct request *req)
{
	struct entry *e = find(st, req->key);

	if (!e)
		return -1;
	*e = st->e[--st->n];
	return 0;
}

static int handle_stat(struct store *st, const struct request *req)
{
	(void)req;
	printf("stat: %zu keys, %lu hits, %lu misses\n", st->n, st->hits, st->misses);
	return 0;
}

static const struct handler {
	const char *verb;
	handler_fn fn;
} handlers[] = {
	{ "GET", handle_get },
	{ "PUT", handle_put },
	{ "DEL", handle_del },
	{ "STAT", handle_stat },
};

static handler_fn lookup_handler(const char *verb)
{
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i].verb, verb) == 0)
			return handlers[i].fn;
	return NULL;
}

/* qsort(3) callback: highest priority first, then by key. */
static int by_priority(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Serve every request of one file; the number of invalid lines. */
int serve_file(const char *path, reqparse_fn parse, struct store *st)
{
	char line[256];
	int bad = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		struct request req;
		handler_fn h;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		memset(&req, 0, sizeof req);
		if (parse(line, &req) != 0 || !(h = lookup_handler(req.verb)) || h(st, &req) != 0) {
			fprintf(stderr, "%s: invalid request: %s\n", path, line);
			bad++;
		}
	}
	fclose(f);
	return bad;
}

void store_report(struct store *st)
{
	qsort(st->e, st->n, sizeof st->e[0], by_priority);
	for (size_t i = 0; i < st->n && i < 3; i++)
		printf("top %zu: %s (priority %d)\n", i + 1, st->e[i].key, st->e[i].priority);
}

/* Never called: an old import path that the static graph still contains. */
int import_legacy_dump(const char *path, struct store *st)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f) && st->n < STORE_MAX) {
		struct entry *e = &st->e[st->n++];
		size_t n = strcspn(line, "\n");

		if (n >= sizeof e->key)
			n = sizeof e->key - 1;
		memcpy(e->key, line, n);
		e->key[n] = '\0';
		e->digest = digest(e->key, 1);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	void *plugin;
	reqparse_fn parse;
	struct store *st;
	int bad = 0, c;
	unsigned loop = 0;

	while ((c = getopt(argc, argv, "l:")) != -1) {
		if (c != 'l')
			goto usage;
		loop = (unsigned)atoi(optarg);
		if (loop == 0)
			goto usage;
	}
	if (argc - optind < 2)
		goto usage;
	plugin = dlopen(argv[optind], RTLD_NOW);
	if (!plugin) {
		fprintf(stderr, "reqd: %s\n", dlerror());
		return 2;
	}
	parse = (reqparse_fn)dlsym(plugin, REQPARSE_SYMBOL);
	st = calloc(1, sizeof *st);
	if (!parse || !st) {
		fprintf(stderr, "reqd: %s: no %s\n", argv[optind], REQPARSE_SYMBOL);
		return 2;
	}
	do {
		for (int i = optind + 1; i < argc; i++) {
			int r = serve_file(argv[i], parse, st);

			if (r < 0)
				return 2;
			bad += r;
		}
		store_report(st);
		fflush(stdout);
	} while (loop && sleep(loop) == 0);
	free(st);
	dlclose(plugin);
	return bad ? 1 : 0;
usage:
	fprintf(stderr, "usage: reqd [-l SECONDS] PLUGIN.so REQUEST-FILE...\n");
	return 2;
}
