/*
 * reqparse.c - the parser plugin of reqd (libreqparse.so, loaded with
 * dlopen(3)). A request line is "VERB vN HEADER"; the version picks the
 * header parser from a table of function pointers, so parse_header_v1 is
 * reached only through an indirect call, and only by legacy (v1) requests.
 *
 * parse_header_v1 is the example's "vulnerable" function: it trusts the
 * length field of a legacy header and copies that many bytes into a
 * fixed-size buffer. The sample inputs stay within bounds; what the demo
 * asks is whether, and from where, this function runs at all.
 */
#include <stdlib.h>
#include <string.h>

#include "reqd.h"

int reqparse_line(const char *line, struct request *req);

/* Copy the value of "name=value" in a v2 header into out; 1 if present. */
static int header_field(const char *hdr, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	for (const char *p = hdr; *p; p += strcspn(p, " "), p += strspn(p, " ")) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t n = strcspn(p + nlen + 1, " ");

			if (n >= size)
				n = size - 1;
			memcpy(out, p + nlen + 1, n);
			out[n] = '\0';
			return 1;
		}
	}
	return 0;
}

/* v1 (legacy): "KEY:LEN:VALUE". */
static int parse_header_v1(const char *hdr, struct request *req)
{
	const char *colon = strchr(hdr, ':');
	unsigned long len;
	char *end;

	if (!colon || (size_t)(colon - hdr) >= sizeof req->key)
		return -1;
	memcpy(req->key, hdr, (size_t)(colon - hdr));
	req->key[colon - hdr] = '\0';
	len = strtoul(colon + 1, &end, 10);
	if (*end != ':')
		return -1;
	/* The flaw: LEN is checked against neither the line nor req->value. */
	memcpy(req->value, end + 1, len);
	req->value[len] = '\0';
	req->priority = 1;
	return 0;
}

/* v2: "key=KEY [value=VALUE] [prio=N]", every copy bounded. */
static int parse_header_v2(const char *hdr, struct request *req)
{
	char prio[8];

	if (!header_field(hdr, "key", req->key, sizeof req->key))
		return -1;
	header_field(hdr, "value", req->value, sizeof req->value);
	req->priority = header_field(hdr, "prio", prio, sizeof prio) ? atoi(prio) : 0;
	return 0;
}

typedef int (*header_fn)(const char *hdr, struct request *req);

static const header_fn header_parsers[] = { parse_header_v1, parse_header_v2 };

int reqparse_line(const char *line, struct request *req)
{
	size_t n = strcspn(line, " ");

	if (n == 0 || n >= sizeof req->verb)
		return -1;
	memcpy(req->verb, line, n);
	req->verb[n] = '\0';
	line += n;
	line += strspn(line, " ");
	if (line[0] != 'v' || line[1] < '1' || line[1] > '2' || (line[2] != ' ' && line[2] != '\0'))
		return -1;
	req->version = line[1] - '0';
	line += 2;
	line += strspn(line, " ");
	if (header_parsers[req->version - 1](line, req) != 0)
		return -1;
	return req->key[0] ? 0 : -1;
}
