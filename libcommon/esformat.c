/*
 * esformat.c - names of the enumerations in esformat.h and the human form of
 * module identities.
 */
#include "esformat.h"

#include <stdio.h>
#include <string.h>

static const char *const evidence_names[ES_EV_NAMES_COUNT] = {
	"static", "ebpf-probe", "ebpf-sample", "etw-sample", "ebpf-lbr", "manual",
};

static const char *const class_names[ES_CLASS_MAX + 1] = {
	"none", "confirmed", "confirmed-indirect", "static-only", "runtime-only",
};

static const char *const conflict_names[ES_CONFLICT_MAX + 1] = {
	"none", "unexplained", "contested", "version-skew", "out-of-scope", "dynamic-module",
	"identity-mismatch", "not-present", "indirect-call", "async-transfer", "callback",
	"tail-call", "inlined", "unwind-artifact", "not-exercised", "caller-not-executed",
	"unobservable",
};

static const char *const resolution_names[ES_RES_MAX + 1] = {
	"none", "open", "accepted", "rejected", "explained", "kept",
};

static const char *const state_names[ES_STATE_MAX + 1] = {
	"none", "unknown", "static-reachable", "static-unreachable", "runtime-observed",
	"runtime-unobserved", "confirmed-reachable", "confirmed-unreachable", "contested",
};

static const char *const node_flag_names[ES_NODE_FLAG_NAMES_COUNT] = {
	"external", "address-taken", "indirect-site", "entry", "kernel", "jit", NULL, NULL,
	"alias", "accepted",
};

static const char *const cov_names[] = { "none", "entry-probe", "sampled" };

static const char *const id_kind_names[ES_ID_KIND_MAX + 1] = {
	"none", "gnu", "pe-rsds", "sha256",
};

static int lookup(const char *const *names, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* "bitN" / "kindN" style names for values without a name. */
static int numbered(const char *prefix, const char *s, size_t len, unsigned max)
{
	size_t plen = strlen(prefix), i;
	unsigned v = 0;

	if (len <= plen || len > plen + 3 || memcmp(s, prefix, plen) != 0)
		return -1;
	for (i = plen; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if ((len - plen > 1 && s[plen] == '0') || v > max)
		return -1;
	return (int)v;
}

/*
 * One enumeration's names: values 0 .. n-1, some of them unnamed (NULL);
 * "<unnamed>N" (0 .. max) names any value, so that unknown ones survive a
 * round trip through text.
 */
struct names {
	const char *const *v;
	unsigned n;
	const char *unnamed;
	unsigned max;
};

#define NAMES(arr, prefix, max) { arr, sizeof(arr) / sizeof(arr[0]), prefix, max }

static const struct names evidence = NAMES(evidence_names, "bit", 31);
static const struct names classes = NAMES(class_names, "class", 255);
static const struct names conflicts = NAMES(conflict_names, "conflict", 255);
static const struct names resolutions = NAMES(resolution_names, "resolution", 255);
static const struct names states = NAMES(state_names, "state", 1000000);
static const struct names node_flags = NAMES(node_flag_names, "bit", 31);
static const struct names cov_methods = NAMES(cov_names, "method", 1000000);
static const struct names id_kinds = NAMES(id_kind_names, "kind", 1000000);

static const char *name_of(const struct names *t, unsigned v)
{
	return v < t->n ? t->v[v] : NULL;
}

static int value_of(const struct names *t, const char *name, size_t len)
{
	int v = lookup(t->v, t->n, name, len);

	return v >= 0 ? v : numbered(t->unnamed, name, len, t->max);
}

const char *es_evidence_name(unsigned bit) { return name_of(&evidence, bit); }
int es_evidence_bit(const char *name, size_t len) { return value_of(&evidence, name, len); }
const char *es_class_name(unsigned c) { return name_of(&classes, c); }
int es_class_from_name(const char *name, size_t len) { return value_of(&classes, name, len); }
const char *es_conflict_name(unsigned c) { return name_of(&conflicts, c); }
int es_conflict_from_name(const char *name, size_t len) { return value_of(&conflicts, name, len); }
const char *es_resolution_name(unsigned r) { return name_of(&resolutions, r); }
int es_resolution_from_name(const char *name, size_t len)
{
	return value_of(&resolutions, name, len);
}
const char *es_state_name(unsigned s) { return name_of(&states, s); }
int es_state_from_name(const char *name, size_t len) { return value_of(&states, name, len); }
const char *es_node_flag_name(unsigned bit) { return name_of(&node_flags, bit); }
int es_node_flag_bit(const char *name, size_t len) { return value_of(&node_flags, name, len); }
const char *es_cov_method_name(unsigned m) { return name_of(&cov_methods, m); }
int es_cov_method_from_name(const char *name, size_t len)
{
	return value_of(&cov_methods, name, len);
}
const char *es_id_kind_name(unsigned kind) { return name_of(&id_kinds, kind); }
int es_id_kind_from_name(const char *name, size_t len) { return value_of(&id_kinds, name, len); }

size_t es_build_id_format(unsigned kind, const uint8_t *id, size_t len, char *buf, size_t size)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (size == 0)
		return 0;
	if (kind == ES_ID_PE_RSDS && len == 20) {
		/*
		 * Symbol-server key: GUID fields Data1 (LE u32), Data2, Data3 (LE
		 * u16), Data4 (8 bytes as stored), then the age in hex, no padding.
		 */
		static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
		uint32_t age = (uint32_t)id[16] | (uint32_t)id[17] << 8 | (uint32_t)id[18] << 16 |
		    (uint32_t)id[19] << 24;
		char tmp[48];

		for (i = 0; i < 16; i++) {
			tmp[o++] = upper[id[order[i]] >> 4];
			tmp[o++] = upper[id[order[i]] & 15];
		}
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%X", (unsigned)age);
		snprintf(buf, size, "%s", tmp);
		return o;
	}
	for (i = 0; i < len && o + 2 < size; i++) {
		buf[o++] = lower[id[i] >> 4];
		buf[o++] = lower[id[i] & 15];
	}
	buf[o] = '\0';
	return o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int es_build_id_parse(unsigned kind, const char *s, size_t slen, uint8_t *out)
{
	size_t i;

	if (kind == ES_ID_PE_RSDS) {
		static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
		uint64_t age = 0;

		if (slen < 33 || slen > 40)
			return -1;
		for (i = 0; i < 16; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -1;
			out[order[i]] = (uint8_t)(hi << 4 | lo);
		}
		for (i = 32; i < slen; i++) {
			int v = hexval(s[i]);

			if (v < 0)
				return -1;
			age = age << 4 | (unsigned)v;
		}
		/* The key has no leading zeros in the age: keep the form canonical. */
		if (age > UINT32_MAX || (slen > 33 && s[32] == '0'))
			return -1;
		for (i = 0; i < 4; i++)
			out[16 + i] = (uint8_t)(age >> (8 * i));
		return 20;
	}
	if (slen == 0 || slen % 2 || slen / 2 > ES_BUILD_ID_MAX)
		return -1;
	for (i = 0; i < slen / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0 || (s[2 * i] >= 'A' && s[2 * i] <= 'F') ||
		    (s[2 * i + 1] >= 'A' && s[2 * i + 1] <= 'F'))
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(slen / 2);
}
