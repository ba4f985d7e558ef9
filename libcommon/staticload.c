/*
 * staticload.c - static call graphs by format (see staticload.h).
 */
#include "staticload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dotgraph.h"
#include "jsongraph.h"
#include "segmap.h"
#include "vcg.h"

static const char *const format_names[] = { "auto", "ci", "dot", "json", "stream" };

int staticload_format_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcmp(s, format_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *staticload_format_name(int f)
{
	return f >= 0 && f <= STATICLOAD_STREAM ? format_names[f] : "?";
}

int staticload_sniff(const char *p, size_t len)
{
	size_t i = 0;

	if (len >= 4 && (uint8_t)p[0] == 0x28 && (uint8_t)p[1] == 0xb5 && (uint8_t)p[2] == 0x2f &&
	    (uint8_t)p[3] == 0xfd)
		return STATICLOAD_STREAM;
	if (vcg_sniff(p, len))
		return STATICLOAD_CI;
	if (dot_sniff(p, len))
		return STATICLOAD_DOT;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i < len && (p[i] == '{' || p[i] == '['))
		return STATICLOAD_JSON;
	return -1;
}

/* An importer's result as an error: its message, bad data or environment. */
static int sg_status(struct tm_err *err, int rc, const char *msg)
{
	if (rc == SG_OK)
		return 0;
	tm_err_set(err, rc == SG_EDATA ? TM_EXIT_DATA : TM_EXIT_ENV, "%s",
	    rc == SG_ENOMEM ? "out of memory" : msg);
	return -1;
}

/* A stream held in memory (sniffed, perhaps from stdin): read back through a memfd. */
static int stream_from_memory(const char *data, size_t len, const char *name,
    staticload_stream_fn stream, void *arg, struct tm_err *err)
{
	int fd = memfd_create("static-graph", MFD_CLOEXEC), rc;
	size_t off = 0;

	if (fd < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s: cannot buffer the input", name);
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s: cannot buffer the input", name);
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	rc = stream(arg, fd, name);
	close(fd);
	return rc;
}

/* An edge stream whose format was given: read from the file itself. */
static int stream_from_file(const char *path, const char *name, staticload_stream_fn stream,
    void *arg, struct tm_err *err)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s", name);
		return -1;
	}
	rc = stream(arg, fd, name);
	if (fd != 0)
		close(fd);
	return rc;
}

int staticload_path(struct sgraph *g, const char *path, int format, staticload_stream_fn stream,
    void *arg, struct tm_err *err)
{
	const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	char msg[512];
	struct sg_input in;
	struct stat sb;
	int rc, fmt = format;

	msg[0] = '\0';
	if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (fmt != STATICLOAD_AUTO && fmt != STATICLOAD_CI) {
			tm_err_set(err, TM_EXIT_ENV, "%s: is a directory (only .ci files can be read from a directory)",
			    name);
			return -1;
		}
		return sg_status(err, vcg_parse_dir(g, path, NULL, msg, sizeof(msg)), msg);
	}
	if (fmt == STATICLOAD_STREAM && stream)
		return stream_from_file(path, name, stream, arg, err);
	rc = sgraph_input_open(&in, path, msg, sizeof(msg));
	if (rc != SG_OK)
		return sg_status(err, rc == SG_EDATA ? SG_EIO : rc, msg);
	if (fmt == STATICLOAD_AUTO)
		fmt = staticload_sniff(in.data, in.len);
	switch (fmt) {
	case STATICLOAD_CI:
		rc = sg_status(err, vcg_parse_buffer(g, in.data, in.len, name, NULL, msg, sizeof(msg)), msg);
		break;
	case STATICLOAD_DOT:
		rc = sg_status(err, dot_parse_buffer(g, in.data, in.len, name, NULL, msg, sizeof(msg)), msg);
		break;
	case STATICLOAD_JSON:
		rc = sg_status(err, jsongraph_parse_buffer(g, in.data, in.len, name, msg, sizeof(msg)), msg);
		break;
	case STATICLOAD_STREAM:
		if (stream) {
			rc = stream_from_memory(in.data, in.len, name, stream, arg, err);
			break;
		}
		tm_err_set(err, TM_EXIT_DATA, "%s: an edge stream: join it with trace-merge first "
		    "(--static takes .ci, DOT or JSON graphs)", name);
		rc = -1;
		break;
	default:
		if (stream)
			tm_err_set(err, TM_EXIT_DATA, "%s: not a static call graph (GCC .ci, DOT, JSON or an edge "
			    "stream); see --static-format", name);
		else
			tm_err_set(err, TM_EXIT_DATA, "%s: not a static call graph (GCC .ci, DOT or JSON)", name);
		rc = -1;
		break;
	}
	sgraph_input_close(&in);
	return rc;
}

uint32_t staticload_resolve(const struct sgraph *g, const struct segmap *s, uint32_t node,
    unsigned *how)
{
	const struct segmap_node *n = &s->nodes[node];
	size_t len = 0, flen = 0;
	const char *sym, *file;

	*how = 0;
	if (!n->symbol)
		return SG_NONE;
	sym = strtab_get(&s->strs, n->symbol, &len);
	file = n->file ? strtab_get(&s->strs, n->file, &flen) : NULL;
	return sgraph_resolve(g, sym, len, file, flen, how);
}
