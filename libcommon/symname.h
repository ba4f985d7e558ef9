/*
 * symname.h - symbol-name normalisation shared by the capture and merge sides:
 * clone/version/PLT suffixes to origin names, file-qualified local functions, paths.
 *
 * Every function here works on (pointer, length) views of the caller's text and
 * allocates nothing: a base name is always a prefix of the symbol, a split file
 * qualifier two sub-ranges of it. Only symname_normpath() writes, into a caller
 * buffer.
 */
#ifndef TM_SYMNAME_H
#define TM_SYMNAME_H

#include <stddef.h>

/* Which aliasing rules turned a symbol into its origin name (a bit set). */
enum symname_rule {
	SYMNAME_CONSTPROP   = 1u << 0,  /* .constprop.N   GCC constant-propagation clone */
	SYMNAME_ISRA        = 1u << 1,  /* .isra.N        GCC scalar-replacement clone */
	SYMNAME_PART        = 1u << 2,  /* .part.N        GCC partial-inlining split */
	SYMNAME_COLD        = 1u << 3,  /* .cold, .cold.N GCC hot/cold split part */
	SYMNAME_LTO_PRIV    = 1u << 4,  /* .lto_priv.N    GCC LTO privatised local */
	SYMNAME_LLVM        = 1u << 5,  /* .llvm.HASH     LLVM ThinLTO promoted local */
	SYMNAME_CLONE       = 1u << 6,  /* .clone.N, .specialized.N, .localalias, .__uniq.N */
	SYMNAME_RENAMED     = 1u << 7,  /* .N             link-time rename of a clashing local */
	SYMNAME_VERSION     = 1u << 8,  /* foo@VER, foo@@VER  ELF symbol version */
	SYMNAME_PLT         = 1u << 9,  /* foo@plt        PLT stub */
	SYMNAME_FILE        = 1u << 10, /* path/file.c:foo  file-qualified local function */
};

#define SYMNAME_RULE_COUNT 11

/*
 * The origin name of a symbol: s[0..*base_len) once the clone suffixes, the
 * symbol version and the @plt marker are removed (in any combination, e.g.
 * "foo.isra.0.cold" or "memcpy@GLIBC_2.14"). Returns the rules that applied,
 * 0 when the symbol already is an origin name. Never strips to an empty name.
 * A file qualifier is not removed here: see symname_split_file().
 */
unsigned symname_base(const char *s, size_t len, size_t *base_len);

/*
 * Split a file-qualified local function "path/file.c:name" (GCC's
 * -fcallgraph-info title of a TU-local function) at its last single ':'.
 * C++ scope operators "a::b" never split. Returns 1 and the two sub-ranges when
 * qualified, 0 (file = NULL, name = s) otherwise.
 */
int symname_split_file(const char *s, size_t len, const char **file, size_t *file_len,
    const char **name, size_t *name_len);

/*
 * Lexically normalise a source path into out[0..outsize): backslashes become
 * '/', "." components and repeated '/' go, "dir/.." pairs collapse. When prefix
 * is non-NULL and the path starts with it at a component boundary, the prefix
 * and the '/' after it are removed (the path becomes relative to it).
 * Returns the length written (NUL-terminated), or -1 when out is too small.
 */
long symname_normpath(const char *path, size_t len, const char *prefix, char *out,
    size_t outsize);

/*
 * 1 when two normalised paths name the same file as far as can be told: equal,
 * or one is a whole-component suffix of the other ("main.c" matches
 * "src/main.c" and "/b/src/main.c", never "domain.c").
 */
int symname_path_match(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Linkage of an Itanium-mangled C++ name: 1 internal (static, anonymous
 * namespace: "_ZL...", "_ZN12_GLOBAL__N_1..."), 0 external (COMDAT/weak when a
 * .ci file-qualifies it), -1 not a mangled name.
 */
int symname_cxx_internal(const char *s, size_t len);

/* Short name of one rule bit ("constprop", "plt", ...), or "?" */
const char *symname_rule_name(unsigned rule);

/* "isra+cold" for a rule set into buf; returns buf ("" for 0). */
char *symname_rules_str(unsigned rules, char *buf, size_t size);

#endif
