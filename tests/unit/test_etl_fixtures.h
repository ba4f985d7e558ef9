/*
 * test_etl_fixtures.h - locate and load the real .etl recordings for the ETL
 * unit tests: plain files from $TM_SHARED/fixtures/etl, zipped ones unzipped
 * by tests/fixtures-etl.sh into build/fixtures/etl (or $TM_ETL_DIR).
 */
#ifndef TEST_ETL_FIXTURES_H
#define TEST_ETL_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_reader.h"

#define FX_X64		"net.4.5.2.x64.etl"				/* from the zip */
#define FX_RUNDOWN	"gcrundownevents/PerfViewData.clrRundown.etl"	/* from the zip */
#define FX_DIAGHUB	"diaghub-dotnetcore3.1-win-x64-diagsession/diaghub.user_paged.1.etl"
#define FX_DIAGKERNEL	"diaghub-dotnetcore3.1-win-x64-diagsession/diaghub.kernel.1.etl"
#define FX_AIRBUS	"ShutdownPerfDiagLogger.etl"			/* plain file */

static inline const char *fx_shared(void)
{
	const char *s = getenv("TM_SHARED");
	return s && *s ? s : "../shared";
}

static inline const char *fx_unzipped(void)
{
	const char *s = getenv("TM_ETL_DIR");
	return s && *s ? s : "build/fixtures/etl";
}

static inline int fx_exists(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

/* Full path of fixture name: the unzipped copy first, then the shared folder. */
static inline int fx_path(const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", fx_unzipped(), name);
	if (fx_exists(buf))
		return 1;
	snprintf(buf, cap, "%s/fixtures/etl/%s", fx_shared(), name);
	return fx_exists(buf);
}

/*
 * 1 when ../shared/fixtures/etl is there. Unzips the recordings on first use
 * (C has no unzip: the script uses unzip or python3) when they are missing.
 */
static inline int fx_prepare(void)
{
	char readme[4096], probe[4096];

	snprintf(readme, sizeof readme, "%s/fixtures/etl/README.md", fx_shared());
	if (!fx_exists(readme))
		return 0;
	if (!fx_path(FX_X64, probe, sizeof probe) && fx_exists("tests/fixtures-etl.sh")) {
		fprintf(stderr, "note: unzipping .etl fixtures with tests/fixtures-etl.sh\n");
		if (system("sh tests/fixtures-etl.sh >&2") != 0)
			fprintf(stderr, "note: tests/fixtures-etl.sh failed\n");
	}
	return 1;
}

/* Load fixture name into memory, or NULL (with a skip line) when absent. */
static inline uint8_t *fx_load(const char *name, size_t *len)
{
	char path[4096];
	struct etl_error err;
	uint8_t *data;

	if (!fx_path(name, path, sizeof path)) {
		printf("skip: %s not found (run tests/fixtures-etl.sh)\n", name);
		return NULL;
	}
	if (etl_load_file(path, &data, len, &err) != ETL_OK) {
		printf("skip: %s: %s\n", path, err.msg);
		return NULL;
	}
	return data;
}

/* 1 when fixture name can be loaded (for skipping a test before RUN). */
static inline int fx_have(const char *name)
{
	char path[4096];
	if (fx_path(name, path, sizeof path))
		return 1;
	printf("skip: %s not found (run tests/fixtures-etl.sh)\n", name);
	return 0;
}

#define RUN_IF(have, test) do { \
	if (have) \
		RUN(test); \
	else \
		printf("skip: %s\n", #test); \
} while (0)

#endif
