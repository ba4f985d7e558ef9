/*
 * pe_ident.h - the identity of a PE image read from its file: the CodeView
 * RSDS record (PDB GUID, age, PDB name), TimeDateStamp and SizeOfImage.
 */
#ifndef PE_IDENT_H
#define PE_IDENT_H

#include <stddef.h>
#include <stdint.h>

struct pe_ident {
	uint32_t time_date_stamp;	/* COFF header */
	uint32_t size_of_image;		/* optional header */
	int has_rsds;			/* the fields below are valid */
	uint8_t guid[16];		/* as stored in the file */
	uint32_t age;
	char pdb_name[260];		/* as stored, NUL-terminated (truncated if longer) */
};

/*
 * Reads n bytes at file offset off into buf. Returns the number of bytes
 * read (fewer at the end of the file), or -1 on an I/O error.
 */
typedef long (*pe_read_fn)(void *ctx, uint64_t off, void *buf, size_t n);

/*
 * Parse the headers, section table and debug directory through rd. Returns
 * ETL_OK (has_rsds says whether a CodeView RSDS record was found; the last
 * one wins, as in PerfView), ETL_EFORMAT (not a PE image), ETL_ECORRUPT
 * (inconsistent headers) or ETL_EIO. Every offset is checked; at most a few
 * KiB are read.
 */
int pe_ident_read(pe_read_fn rd, void *ctx, struct pe_ident *id);

/* The same for a file (stdio, binary mode). */
int pe_ident_file(const char *path, struct pe_ident *id);

/* The same for an image in memory. */
int pe_ident_mem(const uint8_t *data, size_t len, struct pe_ident *id);

#endif
