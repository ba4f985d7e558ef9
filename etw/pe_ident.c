/*
 * pe_ident.c - PE image identity from the file (see pe_ident.h).
 *
 * Layout (PE/COFF specification; PerfView PEFile.cs GetPdbSignature):
 * e_lfanew at 0x3C -> "PE\0\0", the 20-byte COFF header (NumberOfSections
 * at +2, TimeDateStamp at +4, SizeOfOptionalHeader at +16), the optional
 * header (magic 0x10B PE32 / 0x20B PE32+; SizeOfImage at +56; data
 * directories at +96 / +112, the debug directory is entry 6), the section
 * table (40 bytes each). The debug directory is an array of 28-byte
 * IMAGE_DEBUG_DIRECTORY; type 2 (CODEVIEW) points at "RSDS", GUID, age,
 * and the PDB path.
 */
#include "pe_ident.h"

#include <stdio.h>
#include <string.h>

#include "etl_events.h"
#include "etl_le.h"

#define MAX_LFANEW	(1u << 20)
#define MAX_SECTIONS	96		/* the loader's limit */
#define MAX_DEBUG	64		/* debug directory entries looked at */
#define CV_MAX		(24 + 1024)	/* RSDS header + path read */

static int read_exact(pe_read_fn rd, void *ctx, uint64_t off, void *buf, size_t n)
{
	long got = rd(ctx, off, buf, n);

	if (got < 0)
		return ETL_EIO;
	return (size_t)got == n ? ETL_OK : ETL_ECORRUPT;
}

struct section {
	uint32_t va, vsize, raw_size, raw_off;
};

/* File offset of [rva, rva + n) through the section table, or -1. */
static int64_t rva_to_off(const struct section *s, unsigned ns, uint32_t rva, uint32_t n)
{
	for (unsigned i = 0; i < ns; i++) {
		uint32_t span = s[i].vsize > s[i].raw_size ? s[i].vsize : s[i].raw_size;
		if (rva < s[i].va || rva - s[i].va >= span)
			continue;
		uint32_t in = rva - s[i].va;
		if (in > s[i].raw_size || n > s[i].raw_size - in)
			return -1;
		return (int64_t)s[i].raw_off + in;
	}
	return -1;
}

int pe_ident_read(pe_read_fn rd, void *ctx, struct pe_ident *id)
{
	uint8_t b[264];
	int rc;

	memset(id, 0, sizeof *id);
	if ((rc = read_exact(rd, ctx, 0, b, 64)) != ETL_OK)
		return rc == ETL_ECORRUPT ? ETL_EFORMAT : rc;
	if (b[0] != 'M' || b[1] != 'Z')
		return ETL_EFORMAT;
	uint32_t pe = etl_le32(b + 0x3C);
	if (pe > MAX_LFANEW)
		return ETL_ECORRUPT;
	if ((rc = read_exact(rd, ctx, pe, b, 24)) != ETL_OK)
		return rc;
	if (memcmp(b, "PE\0\0", 4) != 0)
		return ETL_EFORMAT;
	unsigned nsec = etl_le16(b + 6);
	id->time_date_stamp = etl_le32(b + 8);
	uint32_t optsize = etl_le16(b + 20);
	uint64_t opt = (uint64_t)pe + 24;
	if (nsec > MAX_SECTIONS || optsize < 96)
		return ETL_ECORRUPT;
	uint32_t have = optsize < sizeof b ? optsize : (uint32_t)sizeof b;
	if ((rc = read_exact(rd, ctx, opt, b, have)) != ETL_OK)
		return rc;
	uint16_t magic = etl_le16(b);
	uint32_t dd;
	if (magic == 0x10B)
		dd = 96;
	else if (magic == 0x20B)
		dd = 112;
	else
		return ETL_ECORRUPT;
	id->size_of_image = etl_le32(b + 56);
	uint32_t ndirs = etl_le32(b + dd - 4);
	if (ndirs <= 6 || have < dd + 7 * 8)
		return ETL_OK;		/* no debug directory */
	uint32_t dbg_rva = etl_le32(b + dd + 6 * 8), dbg_size = etl_le32(b + dd + 6 * 8 + 4);
	if (!dbg_rva || !dbg_size)
		return ETL_OK;

	struct section sec[MAX_SECTIONS];
	for (unsigned i = 0; i < nsec; i++) {
		if ((rc = read_exact(rd, ctx, opt + optsize + 40u * i, b, 40)) != ETL_OK)
			return rc;
		sec[i] = (struct section){ etl_le32(b + 12), etl_le32(b + 8), etl_le32(b + 16),
		    etl_le32(b + 20) };
	}
	unsigned nent = dbg_size / 28;
	if (nent > MAX_DEBUG)
		nent = MAX_DEBUG;
	int64_t doff = rva_to_off(sec, nsec, dbg_rva, nent * 28u);
	if (doff < 0)
		return ETL_ECORRUPT;
	for (unsigned i = 0; i < nent; i++) {
		if ((rc = read_exact(rd, ctx, (uint64_t)doff + 28u * i, b, 28)) != ETL_OK)
			return rc;
		uint32_t type = etl_le32(b + 12), size = etl_le32(b + 16), raw = etl_le32(b + 24);
		if (type != 2 || size < 24 || raw == 0)
			continue;
		uint8_t cv[CV_MAX + 1];
		uint32_t n = size > CV_MAX ? CV_MAX : size;
		if ((rc = read_exact(rd, ctx, raw, cv, n)) != ETL_OK)
			return rc;
		if (memcmp(cv, "RSDS", 4) != 0)
			continue;	/* NB10 (PDB 2.0) and others carry no GUID */
		memcpy(id->guid, cv + 4, 16);
		id->age = etl_le32(cv + 20);
		size_t len = 0;
		while (24 + len < n && cv[24 + len] && len + 1 < sizeof id->pdb_name)
			len++;
		memcpy(id->pdb_name, cv + 24, len);
		id->pdb_name[len] = '\0';
		id->has_rsds = 1;
	}
	return ETL_OK;
}

static long read_file(void *ctx, uint64_t off, void *buf, size_t n)
{
	FILE *f = ctx;

	if (off > (uint64_t)0x7fffffff || fseek(f, (long)off, SEEK_SET) != 0)
		return -1;
	size_t got = fread(buf, 1, n, f);
	if (got < n && ferror(f))
		return -1;
	return (long)got;
}

int pe_ident_file(const char *path, struct pe_ident *id)
{
	FILE *f = fopen(path, "rb");

	memset(id, 0, sizeof *id);
	if (!f)
		return ETL_EIO;
	int rc = pe_ident_read(read_file, f, id);
	fclose(f);
	return rc;
}

struct mem {
	const uint8_t *p;
	size_t len;
};

static long read_mem(void *ctx, uint64_t off, void *buf, size_t n)
{
	const struct mem *m = ctx;

	if (off >= m->len)
		return 0;
	if (n > m->len - off)
		n = (size_t)(m->len - off);
	memcpy(buf, m->p + off, n);
	return (long)n;
}

int pe_ident_mem(const uint8_t *data, size_t len, struct pe_ident *id)
{
	struct mem m = { data, len };

	return pe_ident_read(read_mem, &m, id);
}
