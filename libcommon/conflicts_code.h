/*
 * conflicts_code.h - what a binary's machine code says about its functions,
 * for trace-conflicts: which functions exist, which set up a frame pointer,
 * and the direct calls and jumps (tail calls) each one makes (x86-64).
 *
 * Functions are the ELF function symbols (elfsym.h), indexed 0..n-1 in
 * address order; a function's code is decoded (x86tail.h) on first use and
 * its control transfers kept. Memory: the symbol table, two sorted indices,
 * and the transfers of the functions looked at.
 */
#ifndef TM_CONFLICTS_CODE_H
#define TM_CONFLICTS_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "tmerr.h"

struct cfcode;

/* Open an ELF file. NULL on error (err: 3 not an ELF file, 4 I/O). */
struct cfcode *cfcode_open(const char *path, struct tm_err *err);
void cfcode_free(struct cfcode *c);

const char *cfcode_path(const struct cfcode *c);
/* The file's basename: the module name a capture records for it. */
const char *cfcode_name(const struct cfcode *c);
/* NT_GNU_BUILD_ID bytes; the length, 0 when there is none. */
size_t cfcode_build_id(const struct cfcode *c, const uint8_t **id);
/* Whether the code is x86-64 (other machines: symbols only, no decoding). */
int cfcode_is_x86_64(const struct cfcode *c);
size_t cfcode_count(const struct cfcode *c);

/*
 * Functions named sym ("name" or "file.c:name", a file-qualified local as
 * GCC's .ci names it): exact name, or with origin != 0 every function with
 * the same origin name (symname_base: clones, .cold and .part pieces). A
 * file qualifier narrows several candidates to those the symbol table puts
 * in that file, when any. Fills idx[0..max) and returns the number found
 * (which may exceed max).
 */
size_t cfcode_find(const struct cfcode *c, const char *sym, size_t len, int origin, uint32_t *idx,
    size_t max);

/* The function that starts at file offset off (a capture's node offset), or -1. */
long cfcode_at_offset(const struct cfcode *c, uint64_t off);

struct cfcode_fn {
	uint64_t addr, size;	/* link-time address and st_size */
	const char *name;
	const char *file;	/* STT_FILE qualifier of a local, else NULL */
	int decoded;		/* 1 decoded throughout, -1 not decodable to the end */
	int frame_pointer;	/* push %rbp; mov %rsp,%rbp at the entry */
	int indirect_calls;	/* call *REG or call *MEM instructions */
	int indirect_jumps;	/* jmp *REG or jmp *MEM (switch tables, indirect tail calls) */
};

/* A function (decoded on first use); NULL for an index out of range. */
const struct cfcode_fn *cfcode_fn(struct cfcode *c, uint32_t idx);

enum cfcode_reach {
	CFCODE_CALL = 1u << 0,	/* call rel32 to the target */
	CFCODE_JMP  = 1u << 1,	/* jmp to the target, outside the function: a tail call */
	CFCODE_JCC  = 1u << 2,	/* a conditional jump to it: a conditional tail call */
};

/*
 * How function idx transfers to address target: enum cfcode_reach bits, 0
 * for none. *at (may be NULL) gets the address of the first such
 * instruction, a jump in preference to a call.
 */
unsigned cfcode_reaches(struct cfcode *c, uint32_t idx, uint64_t target, uint64_t *at);

/* The other function symbols at the same address as idx (aliases, identical code folding). */
size_t cfcode_aliases(const struct cfcode *c, uint32_t idx, uint32_t *out, size_t max);

#endif
