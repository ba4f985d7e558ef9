/*
 * test_cli.c - duration, size and time parsing/formatting, atomic output.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "outfile.h"
#include "unit.h"

static void test_durations(void)
{
	uint64_t ns;

	CHECK(cli_parse_duration("30s", &ns) == 0 && ns == 30000000000ull);
	CHECK(cli_parse_duration("500ms", &ns) == 0 && ns == 500000000ull);
	CHECK(cli_parse_duration("5m", &ns) == 0 && ns == 300000000000ull);
	CHECK(cli_parse_duration("1h", &ns) == 0 && ns == 3600000000000ull);
	CHECK(cli_parse_duration("1d", &ns) == 0 && ns == 86400000000000ull);
	CHECK(cli_parse_duration("7", &ns) == 0 && ns == 7000000000ull);
	CHECK(cli_parse_duration("250us", &ns) == 0 && ns == 250000);
	CHECK(cli_parse_duration("", &ns) < 0);
	CHECK(cli_parse_duration("5x", &ns) < 0);
	CHECK(cli_parse_duration("-1s", &ns) < 0);
	CHECK(cli_parse_duration("1.5s", &ns) < 0);
	CHECK(cli_parse_duration("99999999999999d", &ns) < 0);
}

static void test_sizes(void)
{
	uint64_t b;

	CHECK(cli_parse_size("64K", &b) == 0 && b == 65536);
	CHECK(cli_parse_size("64M", &b) == 0 && b == 64ull << 20);
	CHECK(cli_parse_size("1G", &b) == 0 && b == 1ull << 30);
	CHECK(cli_parse_size("1GiB", &b) == 0 && b == 1ull << 30);
	CHECK(cli_parse_size("4096", &b) == 0 && b == 4096);
	CHECK(cli_parse_size("1Q", &b) < 0);
	CHECK(cli_parse_size("K", &b) < 0);
	CHECK(cli_parse_size("99999999999T", &b) < 0);
}

static void test_time(void)
{
	char buf[64];

	cli_format_time(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00.000000000Z");
	cli_format_time(1795000000123456789ull, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-18T11:06:40.123456789Z");
}

static void test_outfile(void)
{
	char dir[] = "/tmp/tm-outfile-XXXXXX", path[128];
	struct tm_err err = { 0, "" };
	struct outfile o;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out", dir);
	CHECK(outfile_open(&o, path, &err) == 0);
	CHECK(write(o.fd, "abc", 3) == 3);
	CHECK(stat(path, &st) < 0);		/* not visible before commit */
	CHECK(outfile_commit(&o, &err) == 0);
	CHECK(stat(path, &st) == 0 && st.st_size == 3);
	CHECK(outfile_open(&o, path, &err) == 0);
	CHECK(write(o.fd, "longer", 6) == 6);
	outfile_abort(&o);
	CHECK(stat(path, &st) == 0 && st.st_size == 3);	/* the old file survives */
	unlink(path);
	CHECK(rmdir(dir) == 0);				/* no temporary left behind */
	snprintf(path, sizeof(path), "%s/none/out", dir);
	CHECK(outfile_open(&o, path, &err) < 0 && err.code == TM_EXIT_ENV);
}

int main(void)
{
	RUN(test_durations);
	RUN(test_sizes);
	RUN(test_time);
	RUN(test_outfile);
	UNIT_END();
}
