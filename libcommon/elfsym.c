/*
 * elfsym.c - ELF build ids, symbols and address translation (see elfsym.h).
 */
#include "elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define ELFSYM_MAX_LOADS 64
/*
 * Regular files up to this size are read into memory whole; larger ones are
 * mapped. Mapping, faulting in and unmapping a small file costs more than
 * reading it, and a large one is better left to the page cache.
 */
#define ELFSYM_READ_MAX ((size_t)1 << 20)

struct elfsym_load {
	uint64_t vaddr, off, filesz;
};

struct elfsym_img {
	int fd;			/* mapped files only, else -1 */
	Elf *elf;
	uint8_t *image;		/* the whole file, when it was read */
	size_t image_len;
};

struct elfsym {
	struct elfsym_img main, debug;
	int is_dyn;
	int has_symtab;
	uint8_t build_id[ELFSYM_BUILD_ID_MAX];
	size_t build_id_len;
	char *debuglink;		/* .gnu_debuglink file name, or NULL */
	char *runpath;			/* DT_RUNPATH, else DT_RPATH, or NULL */
	struct elfsym_load loads[ELFSYM_MAX_LOADS];
	size_t nloads;
	struct elfsym_sym *syms;	/* sorted by addr */
	size_t nsyms, cap;
};

static int elfsym_lib_init(struct tm_err *err)
{
	if (elf_version(EV_CURRENT) == EV_NONE) {
		tm_err_set(err, TM_EXIT_ENV, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	return 0;
}

static void img_close(struct elfsym_img *im)
{
	if (im->elf)
		elf_end(im->elf);
	if (im->fd >= 0)
		close(im->fd);
	free(im->image);
	im->elf = NULL;
	im->fd = -1;
	im->image = NULL;
	im->image_len = 0;
}

/* Read the first size bytes of fd (fewer if it is shorter now) into im->image. */
static int img_read(struct elfsym_img *im, int fd, size_t size)
{
	size_t got = 0;

	im->image = malloc(size ? size : 1);
	if (!im->image)
		return -1;
	while (got < size) {
		ssize_t r = pread(fd, im->image + got, size - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	im->image_len = got;
	return 0;
}

static int img_open(struct elfsym_img *im, const char *path, int fd, const char *name,
    struct tm_err *err)
{
	int f = fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	im->elf = NULL;
	im->fd = -1;
	im->image = NULL;
	im->image_len = 0;
	if (f < 0) {
		tm_err_errno(err, TM_EXIT_ENV, errno, "%s", name);
		return -1;
	}
	if (fstat(f, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= ELFSYM_READ_MAX) {
		if (img_read(im, f, (size_t)st.st_size) < 0) {
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s", name);
			if (f != fd)
				close(f);
			img_close(im);
			return -1;
		}
		if (f != fd)
			close(f);
		im->elf = elf_memory((char *)im->image, im->image_len);
	} else {
		/* Our own descriptor to map with: the caller keeps theirs. */
		im->fd = f != fd ? f : fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (im->fd < 0) {
			tm_err_errno(err, TM_EXIT_ENV, errno, "%s", name);
			return -1;
		}
		im->elf = elf_begin(im->fd, ELF_C_READ_MMAP, NULL);
	}
	if (!im->elf || elf_kind(im->elf) != ELF_K_ELF) {
		tm_err_set(err, TM_EXIT_DATA, "%s: not an ELF file", name);
		img_close(im);
		return -1;
	}
	return 0;
}

/* The GNU build id from a note buffer. */
static size_t note_build_id(Elf_Data *d, uint8_t *out, size_t size)
{
	GElf_Nhdr nh;
	size_t off = 0, next, name_off, desc_off;

	while ((next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) == 0 &&
		    nh.n_descsz > 0 && nh.n_descsz <= size && desc_off + nh.n_descsz <= d->d_size) {
			memcpy(out, (const char *)d->d_buf + desc_off, nh.n_descsz);
			return nh.n_descsz;
		}
		off = next;
	}
	return 0;
}

static size_t elf_build_id(Elf *elf, uint8_t *out, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t n, i, len;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (d && (len = note_build_id(d, out, size)) > 0)
			return len;
	}
	/* No section headers (or none with the note): the PT_NOTE segments. */
	if (elf_getphdrnum(elf, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		if (d && (len = note_build_id(d, out, size)) > 0)
			return len;
	}
	return 0;
}

int elfsym_read_build_id(const char *path, uint8_t *out, size_t size, struct tm_err *err)
{
	struct elfsym_img im;
	size_t len;

	if (elfsym_lib_init(err) < 0 || img_open(&im, path, -1, path, err) < 0)
		return -1;
	len = elf_build_id(im.elf, out, size);
	img_close(&im);
	return (int)len;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct elfsym_sym *x = a, *y = b;
	int rx, ry;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Preferred alias first: global, weak, local; then no leading '_'; shorter. */
	rx = x->bind == STB_GLOBAL ? 0 : x->bind == STB_WEAK ? 1 : 2;
	ry = y->bind == STB_GLOBAL ? 0 : y->bind == STB_WEAK ? 1 : 2;
	if (rx != ry)
		return rx - ry;
	rx = x->name[0] == '_';
	ry = y->name[0] == '_';
	if (rx != ry)
		return rx - ry;
	if (strlen(x->name) != strlen(y->name))
		return strlen(x->name) < strlen(y->name) ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Add the functions of one symbol table section. */
static int load_symtab(struct elfsym *es, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
    int from_debug)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	const char *file = NULL;
	size_t i, n;

	if (!d || sh->sh_entsize == 0)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;
		unsigned type, bind;
		struct elfsym_sym *o;

		if (!gelf_getsym(d, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		bind = GELF_ST_BIND(s.st_info);
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (type == STT_FILE) {
			file = name && name[0] ? name : NULL;
			continue;
		}
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (s.st_shndx == SHN_UNDEF || s.st_value == 0 || !name || !name[0])
			continue;
		if (mem_grow((void **)&es->syms, &es->cap, es->nsyms + 1, sizeof(*es->syms)) < 0)
			return -1;
		o = &es->syms[es->nsyms++];
		o->addr = s.st_value;
		o->size = s.st_size;
		o->name = name;
		o->file = bind == STB_LOCAL ? file : NULL;
		o->bind = (uint8_t)bind;
		o->type = (uint8_t)type;
		o->from_debug = (uint8_t)from_debug;
		o->pad = 0;
	}
	return 0;
}

/* Load .symtab, else .dynsym. Returns 1 when a .symtab was found. */
static int load_symbols(struct elfsym *es, Elf *elf, int from_debug, struct tm_err *err,
    const char *name)
{
	Elf_Scn *scn = NULL, *dyn = NULL, *tab = NULL;
	GElf_Shdr sh, dsh, tsh;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			tab = scn;
			tsh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dyn = scn;
			dsh = sh;
		}
	}
	if (tab) {
		if (load_symtab(es, elf, tab, &tsh, from_debug) < 0)
			goto nomem;
		/* .dynsym adds nothing .symtab lacks, except in odd links: merge. */
		if (dyn && load_symtab(es, elf, dyn, &dsh, from_debug) < 0)
			goto nomem;
	} else if (dyn && load_symtab(es, elf, dyn, &dsh, from_debug) < 0) {
		goto nomem;
	}
	return tab != NULL;
nomem:
	tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
	return -1;
}

/* Sort, then drop exact duplicates (same address and name, e.g. symtab+dynsym). */
static void sort_symbols(struct elfsym *es)
{
	size_t i, j = 0;

	if (es->nsyms == 0)
		return;
	qsort(es->syms, es->nsyms, sizeof(*es->syms), sym_cmp);
	for (i = 1; i < es->nsyms; i++) {
		if (es->syms[i].addr == es->syms[j].addr &&
		    strcmp(es->syms[i].name, es->syms[j].name) == 0) {
			if (!es->syms[j].size)
				es->syms[j].size = es->syms[i].size;
			if (!es->syms[j].file)
				es->syms[j].file = es->syms[i].file;
			continue;
		}
		es->syms[++j] = es->syms[i];
	}
	es->nsyms = j + 1;
}

static void read_debuglink(struct elfsym *es)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;

	if (elf_getshdrstrndx(es->main.elf, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(es->main.elf, scn)) != NULL) {
		const char *n;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(es->main.elf, shstrndx, sh.sh_name);
		if (!n || strcmp(n, ".gnu_debuglink") != 0)
			continue;
		d = elf_getdata(scn, NULL);
		if (d && d->d_size > 1 && memchr(d->d_buf, '\0', d->d_size))
			es->debuglink = strdup(d->d_buf);
		return;
	}
}

static void read_runpath(struct elfsym *es)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *rpath = NULL, *runpath = NULL;

	while ((scn = elf_nextscn(es->main.elf, scn)) != NULL) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || sh.sh_entsize == 0)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < n; i++) {
			GElf_Dyn dyn;

			if (!gelf_getdyn(d, (int)i, &dyn))
				break;
			if (dyn.d_tag == DT_RUNPATH)
				runpath = elf_strptr(es->main.elf, sh.sh_link, dyn.d_un.d_val);
			else if (dyn.d_tag == DT_RPATH)
				rpath = elf_strptr(es->main.elf, sh.sh_link, dyn.d_un.d_val);
		}
		break;
	}
	if (runpath || rpath)
		es->runpath = strdup(runpath ? runpath : rpath);
}

const char *elfsym_runpath(const struct elfsym *es)
{
	return es->runpath;
}

struct elfsym *elfsym_open(const char *path, int fd, const char *name, struct tm_err *err)
{
	struct elfsym *es;
	GElf_Ehdr eh;
	size_t n, i;
	int r;

	if (!name)
		name = path ? path : "(fd)";
	if (elfsym_lib_init(err) < 0)
		return NULL;
	es = calloc(1, sizeof(*es));
	if (!es) {
		tm_err_set(err, TM_EXIT_ENV, "%s: out of memory", name);
		return NULL;
	}
	es->main.fd = es->debug.fd = -1;
	if (img_open(&es->main, path, fd, name, err) < 0)
		goto fail;
	if (!gelf_getehdr(es->main.elf, &eh)) {
		tm_err_set(err, TM_EXIT_DATA, "%s: bad ELF header", name);
		goto fail;
	}
	es->is_dyn = eh.e_type == ET_DYN;
	if (elf_getphdrnum(es->main.elf, &n) != 0) {
		tm_err_set(err, TM_EXIT_DATA, "%s: bad program headers", name);
		goto fail;
	}
	for (i = 0; i < n && es->nloads < ELFSYM_MAX_LOADS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(es->main.elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		es->loads[es->nloads].vaddr = ph.p_vaddr;
		es->loads[es->nloads].off = ph.p_offset;
		es->loads[es->nloads].filesz = ph.p_filesz;
		es->nloads++;
	}
	es->build_id_len = elf_build_id(es->main.elf, es->build_id, sizeof(es->build_id));
	read_debuglink(es);
	read_runpath(es);
	r = load_symbols(es, es->main.elf, 0, err, name);
	if (r < 0)
		goto fail;
	es->has_symtab = r;
	sort_symbols(es);
	return es;
fail:
	elfsym_close(es);
	return NULL;
}

void elfsym_close(struct elfsym *es)
{
	if (!es)
		return;
	img_close(&es->main);
	img_close(&es->debug);
	free(es->syms);
	free(es->debuglink);
	free(es->runpath);
	free(es);
}

size_t elfsym_build_id(const struct elfsym *es, const uint8_t **id)
{
	*id = es->build_id;
	return es->build_id_len;
}

int elfsym_is_dyn(const struct elfsym *es)
{
	return es->is_dyn;
}

int elfsym_has_symtab(const struct elfsym *es)
{
	return es->has_symtab;
}

size_t elfsym_count(const struct elfsym *es)
{
	return es->nsyms;
}

const struct elfsym_sym *elfsym_at(const struct elfsym *es, size_t i)
{
	return i < es->nsyms ? &es->syms[i] : NULL;
}

int elfsym_vaddr_to_off(const struct elfsym *es, uint64_t vaddr, uint64_t *off)
{
	size_t i;

	for (i = 0; i < es->nloads; i++) {
		const struct elfsym_load *l = &es->loads[i];

		if (vaddr >= l->vaddr && vaddr - l->vaddr < l->filesz) {
			*off = vaddr - l->vaddr + l->off;
			return 0;
		}
	}
	return -1;
}

int elfsym_off_to_vaddr(const struct elfsym *es, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < es->nloads; i++) {
		const struct elfsym_load *l = &es->loads[i];

		if (off >= l->off && off - l->off < l->filesz) {
			*vaddr = off - l->off + l->vaddr;
			return 0;
		}
	}
	return -1;
}

const struct elfsym_sym *elfsym_lookup(const struct elfsym *es, uint64_t vaddr)
{
	size_t lo = 0, hi = es->nsyms, i;
	const struct elfsym_sym *s;

	/* The first symbol with addr > vaddr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (es->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	i = lo - 1;
	/* Back to the preferred alias at that address. */
	while (i > 0 && es->syms[i - 1].addr == es->syms[i].addr)
		i--;
	s = &es->syms[i];
	if (s->size) {
		if (vaddr - s->addr < s->size)
			return s;
		/* A zero-size alias or a bigger enclosing function further back. */
		return NULL;
	}
	/* Unknown size: accept when no other function starts in between (it does not). */
	return s;
}

const struct elfsym_sym *elfsym_lookup_off(const struct elfsym *es, uint64_t off)
{
	uint64_t v;

	if (elfsym_off_to_vaddr(es, off, &v) < 0)
		return NULL;
	return elfsym_lookup(es, v);
}

int elfsym_match(const struct elfsym *es, const char *glob, elfsym_match_fn fn, void *arg)
{
	size_t i = 0, j;

	while (i < es->nsyms) {
		uint64_t addr = es->syms[i].addr, off;
		int hit = 0, r;

		for (j = i; j < es->nsyms && es->syms[j].addr == addr; j++)
			if (fnmatch(glob, es->syms[j].name, 0) == 0)
				hit = 1;
		if (hit && elfsym_vaddr_to_off(es, addr, &off) == 0) {
			r = fn(arg, &es->syms[i], off);
			if (r)
				return r;
		}
		i = j;
	}
	return 0;
}

/* Try one debug file candidate: accept it when its build id matches. */
static int try_debug(struct elfsym *es, const char *cand)
{
	struct tm_err e = { 0 };
	uint8_t id[ELFSYM_BUILD_ID_MAX];
	size_t len;
	int r;

	if (access(cand, R_OK) != 0)
		return 0;
	if (img_open(&es->debug, cand, -1, cand, &e) < 0)
		return 0;
	len = elf_build_id(es->debug.elf, id, sizeof(id));
	if (es->build_id_len && (len != es->build_id_len || memcmp(id, es->build_id, len))) {
		img_close(&es->debug);
		return 0;
	}
	r = load_symbols(es, es->debug.elf, 1, &e, cand);
	if (r <= 0) {
		img_close(&es->debug);
		return 0;
	}
	es->has_symtab = 1;
	sort_symbols(es);
	return 1;
}

/* Concatenate NULL-terminated parts into buf. 0, or -1 when it does not fit. */
static int join(char *buf, size_t size, ...)
{
	va_list ap;
	const char *p;
	size_t n = 0, len;

	va_start(ap, size);
	while ((p = va_arg(ap, const char *)) != NULL) {
		len = strlen(p);
		if (len >= size - n) {
			va_end(ap);
			return -1;
		}
		memcpy(buf + n, p, len);
		n += len;
	}
	va_end(ap);
	buf[n] = '\0';
	return 0;
}

int elfsym_load_debug(struct elfsym *es, const char *path, const char *root, char *found,
    size_t found_size)
{
	char cand[4096], dir[4096];
	const char *slash;
	size_t i, n;

	if (es->has_symtab || es->debug.elf)
		return 0;
	if (!root)
		root = "";
	if (es->build_id_len >= 2) {
		n = (size_t)snprintf(cand, sizeof(cand), "%s/usr/lib/debug/.build-id/%02x/", root,
		    es->build_id[0]);
		for (i = 1; i < es->build_id_len && n + 3 < sizeof(cand); i++)
			n += (size_t)snprintf(cand + n, sizeof(cand) - n, "%02x", es->build_id[i]);
		if (n + 7 < sizeof(cand)) {
			memcpy(cand + n, ".debug", 7);
			if (try_debug(es, cand))
				goto ok;
		}
	}
	if (!es->debuglink || !path || strchr(es->debuglink, '/'))
		return 0;
	slash = strrchr(path, '/');
	n = slash ? (size_t)(slash - path) : 1;
	if (n >= sizeof(dir))
		return 0;
	memcpy(dir, slash ? path : ".", n);
	dir[n] = '\0';
	if (join(cand, sizeof(cand), dir, "/", es->debuglink, NULL) == 0 &&
	    strcmp(cand, path) != 0 && try_debug(es, cand))
		goto ok;
	if (join(cand, sizeof(cand), dir, "/.debug/", es->debuglink, NULL) == 0 &&
	    try_debug(es, cand))
		goto ok;
	if (join(cand, sizeof(cand), root, "/usr/lib/debug", dir[0] == '/' ? "" : "/", dir,
	    "/", es->debuglink, NULL) == 0 && try_debug(es, cand))
		goto ok;
	return 0;
ok:
	if (found && found_size)
		snprintf(found, found_size, "%s", cand);
	return 1;
}

int elfsym_pread(const struct elfsym *es, uint64_t off, void *buf, size_t n)
{
	const struct elfsym_img *im = &es->main;
	ssize_t r;

	if (!im->image) {
		r = pread(im->fd, buf, n, (off_t)off);
		return r == (ssize_t)n ? 0 : -1;
	}
	/* As pread(2) of the file would: a negative offset fails, bytes past
	 * the end are missing. */
	if ((off_t)off < 0)
		return -1;
	if (n == 0)
		return 0;
	if (off > im->image_len || n > im->image_len - off)
		return -1;
	memcpy(buf, im->image + off, n);
	return 0;
}

int elfsym_has_frame_pointer(const struct elfsym *es, const struct elfsym_sym *s,
    unsigned *prologue)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const uint8_t fp1[4] = { 0x55, 0x48, 0x89, 0xe5 };	/* push %rbp; mov %rsp,%rbp */
	static const uint8_t fp2[4] = { 0x55, 0x48, 0x8b, 0xec };	/* same, other encoding */
	uint8_t b[8];
	uint64_t off;
	unsigned skip = 0;

	*prologue = 0;
	if (elfsym_vaddr_to_off(es, s->addr, &off) < 0 || elfsym_pread(es, off, b, sizeof(b)) < 0)
		return 0;
	if (memcmp(b, endbr64, 4) == 0)
		skip = 4;
	if (memcmp(b + skip, fp1, 4) == 0 || memcmp(b + skip, fp2, 4) == 0) {
		*prologue = skip + 4;
		return 1;
	}
	return 0;
}
