/*
 * symname.c - symbol-name normalisation: origin names of compiler clones,
 * versioned and PLT symbols; file-qualified locals; source path matching.
 */
#include "symname.h"

#include <string.h>

static int symname_all_digits(const char *s, size_t len, int hex)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			continue;
		if (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			continue;
		return 0;
	}
	return 1;
}

static int symname_word_is(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);
	return len == wl && memcmp(s, word, wl) == 0;
}

/* Last '.' in s[0..len) at an index > 0, or 0 when there is none. */
static size_t symname_last_dot(const char *s, size_t len)
{
	while (len > 1) {
		len--;
		if (s[len] == '.')
			return len;
	}
	return 0;
}

/* Suffix word followed by ".N": which rule, or 0. */
static unsigned symname_numbered_rule(const char *w, size_t wl)
{
	if (symname_word_is(w, wl, "constprop"))
		return SYMNAME_CONSTPROP;
	if (symname_word_is(w, wl, "isra"))
		return SYMNAME_ISRA;
	if (symname_word_is(w, wl, "part"))
		return SYMNAME_PART;
	if (symname_word_is(w, wl, "cold"))
		return SYMNAME_COLD;
	if (symname_word_is(w, wl, "lto_priv"))
		return SYMNAME_LTO_PRIV;
	if (symname_word_is(w, wl, "llvm"))
		return SYMNAME_LLVM;
	if (symname_word_is(w, wl, "clone") || symname_word_is(w, wl, "specialized") ||
	    symname_word_is(w, wl, "localalias") || symname_word_is(w, wl, "__uniq"))
		return SYMNAME_CLONE;
	return 0;
}

/* Remove "@plt", "@VER", "@@VER" from s[0..*len); return the rule. */
static unsigned symname_strip_at(const char *s, size_t *len)
{
	/* MSVC decorated names ("?f@@YAXXZ") use '@' as a separator. */
	if (*len == 0 || s[0] == '?')
		return 0;
	const char *at = memchr(s, '@', *len);
	if (!at || at == s)
		return 0;
	size_t pos = (size_t)(at - s);
	const char *rest = at + 1;
	size_t rl = *len - pos - 1;
	if (rl == 0)
		return 0;
	if (symname_word_is(rest, rl, "plt") || symname_word_is(rest, rl, "PLT")) {
		*len = pos;
		return SYMNAME_PLT;
	}
	if (rest[0] == '@') {
		rest++;
		rl--;
	}
	/* "_f@12" is a Win32 stdcall decoration, not a version; keep it. */
	if (rl == 0 || symname_all_digits(rest, rl, 0))
		return 0;
	unsigned rules = SYMNAME_VERSION;
	/* "foo@plt" after a version ("foo@GLIBC_2.2.5@plt") is rare but real. */
	const char *at2 = memchr(rest, '@', rl);
	if (at2 && symname_word_is(at2 + 1, rl - (size_t)(at2 + 1 - rest), "plt"))
		rules |= SYMNAME_PLT;
	*len = pos;
	return rules;
}

unsigned symname_base(const char *s, size_t len, size_t *base_len)
{
	unsigned rules = symname_strip_at(s, &len);

	for (;;) {
		size_t dot = symname_last_dot(s, len);
		if (dot == 0)
			break;
		const char *w = s + dot + 1;
		size_t wl = len - dot - 1;
		if (symname_word_is(w, wl, "cold")) {
			rules |= SYMNAME_COLD;
			len = dot;
			continue;
		}
		if (symname_word_is(w, wl, "localalias")) {
			rules |= SYMNAME_CLONE;
			len = dot;
			continue;
		}
		if (!symname_all_digits(w, wl, 1))
			break;
		size_t dot2 = symname_last_dot(s, dot);
		unsigned r = 0;
		if (dot2 != 0)
			r = symname_numbered_rule(s + dot2 + 1, dot - dot2 - 1);
		if (r) {
			/* Hex digits only after ".llvm."; every other number is decimal. */
			if (r != SYMNAME_LLVM && !symname_all_digits(w, wl, 0))
				break;
			rules |= r;
			len = dot2;
			continue;
		}
		if (!symname_all_digits(w, wl, 0))
			break;
		rules |= SYMNAME_RENAMED;
		len = dot;
	}
	*base_len = len;
	return rules;
}

int symname_split_file(const char *s, size_t len, const char **file, size_t *file_len,
    const char **name, size_t *name_len)
{
	*file = NULL;
	*file_len = 0;
	*name = s;
	*name_len = len;
	size_t i = len;
	while (i > 0) {
		i--;
		if (s[i] != ':')
			continue;
		if ((i > 0 && s[i - 1] == ':') || (i + 1 < len && s[i + 1] == ':'))
			return 0;   /* a scope operator: not file-qualified */
		if (i == 0 || i + 1 == len)
			return 0;
		for (size_t k = i + 1; k < len; k++)
			if (s[k] == '/' || s[k] == '\\')
				return 0;
		*file = s;
		*file_len = i;
		*name = s + i + 1;
		*name_len = len - i - 1;
		return 1;
	}
	return 0;
}

static int symname_is_sep(char c)
{
	return c == '/' || c == '\\';
}

long symname_normpath(const char *path, size_t len, const char *prefix, char *out,
    size_t outsize)
{
	size_t i = 0;
	if (prefix && prefix[0]) {
		size_t pl = strlen(prefix);
		while (pl > 1 && symname_is_sep(prefix[pl - 1]))
			pl--;
		if (len >= pl && memcmp(path, prefix, pl) == 0 &&
		    (len == pl || symname_is_sep(path[pl]) || symname_is_sep(prefix[pl - 1]))) {
			i = pl;
			while (i < len && symname_is_sep(path[i]))
				i++;
		}
	}
	if (outsize == 0)
		return -1;

	size_t o = 0;
	int absolute = i < len && symname_is_sep(path[i]);
	if (absolute) {
		out[o++] = '/';
	}
	size_t root = o;   /* ".." never climbs above this */
	while (i < len) {
		while (i < len && symname_is_sep(path[i]))
			i++;
		size_t start = i;
		while (i < len && !symname_is_sep(path[i]))
			i++;
		size_t cl = i - start;
		if (cl == 0 || (cl == 1 && path[start] == '.'))
			continue;
		if (cl == 2 && path[start] == '.' && path[start + 1] == '.') {
			/* Drop the previous component unless it is itself "..". */
			size_t prev = o;
			while (prev > root && out[prev - 1] != '/')
				prev--;
			int prev_dotdot = o - prev == 2 && out[prev] == '.' && out[prev + 1] == '.';
			if (o > root && !prev_dotdot) {
				o = prev > root ? prev - 1 : root;
				continue;
			}
			if (absolute)
				continue;   /* "/.." is "/" */
		}
		if (o > root) {
			if (o + 1 >= outsize)
				return -1;
			out[o++] = '/';
		}
		if (o + cl >= outsize)
			return -1;
		memcpy(out + o, path + start, cl);
		o += cl;
	}
	if (o == 0) {
		if (outsize < 2)
			return -1;
		out[o++] = '.';
	}
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return (long)o;
}

int symname_path_match(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen == 0 || blen == 0)
		return 0;
	if (alen > blen) {
		const char *t = a;
		a = b;
		b = t;
		size_t tl = alen;
		alen = blen;
		blen = tl;
	}
	/* a is the shorter one: a suffix of b starting at a component. */
	if (memcmp(b + (blen - alen), a, alen) != 0)
		return 0;
	if (alen == blen)
		return 1;
	return b[blen - alen - 1] == '/' || a[0] == '/';
}

int symname_cxx_internal(const char *s, size_t len)
{
	if (len < 3 || s[0] != '_' || s[1] != 'Z')
		return -1;
	/* An anonymous namespace anywhere in the name makes it internal. */
	static const char anon[] = "_GLOBAL__N";
	for (size_t i = 2; i + sizeof anon - 1 <= len; i++)
		if (memcmp(s + i, anon, sizeof anon - 1) == 0)
			return 1;
	size_t i = 2;
	if (s[i] == 'L')
		return 1;
	if (s[i] != 'N')
		return 0;
	i++;
	/* <nested-name>: skip cv- and ref-qualifiers, then walk <source-name>s
	 * looking for the 'L' that marks internal linkage. Anything else
	 * (substitutions, templates, ctor/dtor) ends the walk: assume external. */
	while (i < len && (s[i] == 'r' || s[i] == 'V' || s[i] == 'K' || s[i] == 'R' ||
	    s[i] == 'O'))
		i++;
	while (i < len) {
		if (s[i] == 'L')
			return 1;
		if (s[i] < '0' || s[i] > '9')
			return 0;
		size_t n = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			n = n * 10 + (size_t)(s[i] - '0');
			if (n > len)
				return 0;
			i++;
		}
		if (n > len - i)
			return 0;
		i += n;
	}
	return 0;
}

static const char *const symname_rule_names[SYMNAME_RULE_COUNT] = {
	"constprop", "isra", "part", "cold", "lto_priv", "llvm", "clone", "renamed",
	"version", "plt", "file",
};

const char *symname_rule_name(unsigned rule)
{
	for (unsigned i = 0; i < SYMNAME_RULE_COUNT; i++)
		if (rule == 1u << i)
			return symname_rule_names[i];
	return "?";
}

char *symname_rules_str(unsigned rules, char *buf, size_t size)
{
	size_t o = 0;
	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (unsigned i = 0; i < SYMNAME_RULE_COUNT; i++) {
		if (!(rules & (1u << i)))
			continue;
		const char *n = symname_rule_names[i];
		size_t nl = strlen(n) + (o ? 1 : 0);
		if (o + nl >= size)
			break;
		if (o)
			buf[o++] = '+';
		memcpy(buf + o, n, strlen(n));
		o += strlen(n);
		buf[o] = '\0';
	}
	return buf;
}
