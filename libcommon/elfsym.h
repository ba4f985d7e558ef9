/*
 * elfsym.h - ELF module reading with libelf: build id, symbols sorted for
 * address lookup, file offset <-> vaddr through PT_LOAD, glob matching, debug files.
 *
 * Offsets are file offsets (what uprobes and /proc/PID/maps use); vaddrs are
 * link-time addresses (what st_value holds). Symbol and file names point into
 * the open ELF images and stay valid until elfsym_close().
 */
#ifndef TM_ELFSYM_H
#define TM_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

#include "tmerr.h"

#define ELFSYM_BUILD_ID_MAX 64

struct elfsym;

struct elfsym_sym {
	uint64_t addr;		/* st_value (vaddr) */
	uint64_t size;		/* st_size, 0 = unknown */
	const char *name;
	const char *file;	/* STT_FILE qualifier of a local symbol, else NULL */
	uint8_t bind;		/* STB_* */
	uint8_t type;		/* STT_FUNC or STT_GNU_IFUNC */
	uint8_t from_debug;	/* found in the separate debug file */
	uint8_t pad;
};

/*
 * Open an ELF file (path, or fd when fd >= 0: duplicated, the caller keeps
 * its own). `name` is used in error messages. Reads headers, build id and
 * symbols (.symtab, else .dynsym). NULL on error (err set: code 3 for a file
 * that is not a valid ELF, 4 for I/O).
 */
struct elfsym *elfsym_open(const char *path, int fd, const char *name, struct tm_err *err);
void elfsym_close(struct elfsym *es);

/* Build id bytes (NT_GNU_BUILD_ID): the length, 0 when there is none. */
size_t elfsym_build_id(const struct elfsym *es, const uint8_t **id);

/*
 * Read just the build id of a file, without loading symbols. Returns the
 * length (0 = no note), or -1 on error (err set).
 */
int elfsym_read_build_id(const char *path, uint8_t *out, size_t size, struct tm_err *err);

/* ET_DYN (PIE or shared object) rather than ET_EXEC. */
int elfsym_is_dyn(const struct elfsym *es);
/* Whether .symtab (own or from a debug file) was loaded, not just .dynsym. */
int elfsym_has_symtab(const struct elfsym *es);
size_t elfsym_count(const struct elfsym *es);
/* The i-th symbol in address order. */
const struct elfsym_sym *elfsym_at(const struct elfsym *es, size_t i);

/* DT_RUNPATH (else DT_RPATH) as written, $ORIGIN unexpanded; NULL when absent. */
const char *elfsym_runpath(const struct elfsym *es);

/* vaddr <-> file offset through the PT_LOAD headers. 0 or -1 (not mapped). */
int elfsym_vaddr_to_off(const struct elfsym *es, uint64_t vaddr, uint64_t *off);
int elfsym_off_to_vaddr(const struct elfsym *es, uint64_t off, uint64_t *vaddr);

/*
 * The function containing vaddr (within its st_size, or the nearest one below
 * when the size is 0), or NULL.
 */
const struct elfsym_sym *elfsym_lookup(const struct elfsym *es, uint64_t vaddr);
/* Same, by file offset. */
const struct elfsym_sym *elfsym_lookup_off(const struct elfsym *es, uint64_t off);

/*
 * Call fn for every function whose name matches the fnmatch(3) glob, once
 * per distinct entry offset (aliases collapse onto the preferred name).
 * Stops when fn returns nonzero and returns that value; else 0.
 */
typedef int (*elfsym_match_fn)(void *arg, const struct elfsym_sym *s, uint64_t off);
int elfsym_match(const struct elfsym *es, const char *glob, elfsym_match_fn fn, void *arg);

/*
 * Find and load a separate debug file when the module has no .symtab:
 * ROOT/usr/lib/debug/.build-id/xx/rest.debug, then .gnu_debuglink next to
 * the file, in .debug/, and under ROOT/usr/lib/debug/DIR. root may be NULL.
 * A candidate is accepted only when its build id matches. Returns 1 when
 * loaded, 0 when none was found; the path is copied to `found` when non-NULL.
 */
int elfsym_load_debug(struct elfsym *es, const char *path, const char *root, char *found,
    size_t found_size);

/* Read n bytes at file offset off. 0 or -1. */
int elfsym_pread(const struct elfsym *es, uint64_t off, void *buf, size_t n);

/*
 * Whether the function starting at s sets up a frame pointer: optional
 * endbr64, then push %rbp; mov %rsp,%rbp. Sets *prologue to the bytes
 * before %rbp holds the frame (0 when there is no frame pointer).
 */
int elfsym_has_frame_pointer(const struct elfsym *es, const struct elfsym_sym *s,
    unsigned *prologue);

#endif
