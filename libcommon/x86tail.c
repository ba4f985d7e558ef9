/*
 * x86tail.c - x86-64 instruction lengths and control transfers (see x86tail.h).
 *
 * Each opcode is described by whether a ModRM byte follows and what kind of
 * immediate ends the instruction; the tables follow the opcode maps of the
 * Intel SDM volume 2, appendix A (one-byte, 0F, 0F38, 0F3A), with the 64-bit
 * mode rules: 06/07/0E/16/17/1E/1F/27/2F/37/3F/60/61/82/9A/C4-C5 (as LES/LDS)/
 * CE/D4/D5/D6/EA are invalid or re-purposed, 40-4F are REX, C4/C5 VEX, 62
 * EVEX, 8F with a map field >= 8 XOP.
 */
#include "x86tail.h"

#include <string.h>

/* Immediate kinds. */
enum {
	IM_NONE = 0,
	IM_B,		/* imm8 */
	IM_W,		/* imm16 */
	IM_Z,		/* imm16 with a 66 prefix, else imm32 */
	IM_V,		/* imm16 / imm32 / imm64 with REX.W (mov r, imm) */
	IM_WB,		/* imm16 + imm8 (enter) */
	IM_MOFFS,	/* moffs: 8 bytes, 4 with a 67 prefix */
	IM_REL8,
	IM_REL32,
	IM_GRP3,	/* F6/F7: imm8/immz only when ModRM.reg is 0 or 1 (test) */
};

/* Description flags. */
#define D_MODRM   0x10u
#define D_INVALID 0x20u
#define D_IMM(d)  ((d) & 0x0fu)

/* The one-byte map (prefixes, REX, VEX/EVEX/XOP and 0F are handled before). */
static unsigned one_byte(uint8_t op)
{
	if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3:
			return D_MODRM;
		case 4:
			return IM_B;
		case 5:
			return IM_Z;
		default:
			return D_INVALID;	/* push/pop seg, daa/das/aaa/aas; 0F and prefixes earlier */
		}
	}
	if (op >= 0x50 && op <= 0x5f)
		return IM_NONE;
	if (op >= 0x70 && op <= 0x7f)
		return IM_REL8;
	if (op >= 0x84 && op <= 0x8f)
		return D_MODRM;
	if (op >= 0x90 && op <= 0x9f)
		return op == 0x9a ? D_INVALID : IM_NONE;
	if (op >= 0xb0 && op <= 0xb7)
		return IM_B;
	if (op >= 0xb8 && op <= 0xbf)
		return IM_V;
	if (op >= 0xd8 && op <= 0xdf)
		return D_MODRM;		/* x87 */
	switch (op) {
	case 0x63: return D_MODRM;	/* movsxd */
	case 0x68: return IM_Z;
	case 0x69: return D_MODRM | IM_Z;
	case 0x6a: return IM_B;
	case 0x6b: return D_MODRM | IM_B;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: return IM_NONE;
	case 0x80: return D_MODRM | IM_B;
	case 0x81: return D_MODRM | IM_Z;
	case 0x83: return D_MODRM | IM_B;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: return IM_MOFFS;
	case 0xa4: case 0xa5: case 0xa6: case 0xa7: return IM_NONE;
	case 0xa8: return IM_B;
	case 0xa9: return IM_Z;
	case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf: return IM_NONE;
	case 0xc0: case 0xc1: return D_MODRM | IM_B;
	case 0xc2: return IM_W;
	case 0xc3: return IM_NONE;
	case 0xc6: return D_MODRM | IM_B;	/* also xabort ib */
	case 0xc7: return D_MODRM | IM_Z;	/* also xbegin rel32 */
	case 0xc8: return IM_WB;
	case 0xc9: return IM_NONE;
	case 0xca: return IM_W;
	case 0xcb: case 0xcc: return IM_NONE;
	case 0xcd: return IM_B;
	case 0xcf: return IM_NONE;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: return D_MODRM;
	case 0xd7: return IM_NONE;
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: return IM_REL8;
	case 0xe4: case 0xe5: case 0xe6: case 0xe7: return IM_B;
	case 0xe8: case 0xe9: return IM_REL32;
	case 0xeb: return IM_REL8;
	case 0xec: case 0xed: case 0xee: case 0xef: return IM_NONE;
	case 0xf1: case 0xf4: case 0xf5: return IM_NONE;
	case 0xf6: case 0xf7: return D_MODRM | IM_GRP3;
	case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: return IM_NONE;
	case 0xfe: case 0xff: return D_MODRM;
	default: return D_INVALID;
	}
}

/* The two-byte map 0F xx (38 and 3A are escapes, handled by the caller). */
static unsigned two_byte(uint8_t op)
{
	if ((op >= 0x10 && op <= 0x1f) || (op >= 0x40 && op <= 0x6f) || (op >= 0x90 && op <= 0x9f) ||
	    (op >= 0xd0))
		return D_MODRM;
	if (op >= 0x80 && op <= 0x8f)
		return IM_REL32;
	if (op >= 0xc8 && op <= 0xcf)
		return IM_NONE;		/* bswap */
	switch (op) {
	case 0x00: case 0x01: case 0x02: case 0x03: return D_MODRM;
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b: case 0x0e: return IM_NONE;
	case 0x0d: return D_MODRM;
	case 0x0f: return D_MODRM | IM_B;	/* 3DNow!: the opcode is the trailing byte */
	case 0x20: case 0x21: case 0x22: case 0x23: return D_MODRM;
	case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: case 0x2f:
		return D_MODRM;
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x37: return IM_NONE;
	case 0x70: case 0x71: case 0x72: case 0x73: return D_MODRM | IM_B;
	case 0x74: case 0x75: case 0x76: return D_MODRM;
	case 0x77: return IM_NONE;		/* emms */
	case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
		return D_MODRM;
	case 0xa0: case 0xa1: case 0xa2: case 0xa8: case 0xa9: case 0xaa: return IM_NONE;
	case 0xa3: case 0xa5: case 0xab: case 0xad: case 0xae: case 0xaf: return D_MODRM;
	case 0xa4: case 0xac: return D_MODRM | IM_B;
	case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
	case 0xb8: case 0xb9: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
		return D_MODRM;
	case 0xba: return D_MODRM | IM_B;
	case 0xc0: case 0xc1: case 0xc3: case 0xc7: return D_MODRM;
	case 0xc2: case 0xc4: case 0xc5: case 0xc6: return D_MODRM | IM_B;
	default: return D_INVALID;
	}
}

/* VEX/EVEX map 1 (0F): which opcodes take an imm8, and the one without ModRM. */
static unsigned vex_map1(uint8_t op)
{
	if (op == 0x77)
		return IM_NONE;		/* vzeroupper, vzeroall */
	if ((op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6)
		return D_MODRM | IM_B;
	return D_MODRM;
}

/* Bytes taken by ModRM (and SIB, displacement) at p[0..n); 0 when truncated. */
static unsigned modrm_len(const uint8_t *p, size_t n, uint8_t *reg)
{
	unsigned mod, rm, len = 1;

	if (n < 1)
		return 0;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	*reg = (p[0] >> 3) & 7;
	if (mod != 3) {
		if (rm == 4) {
			if (n < 2)
				return 0;
			len++;
			if (mod == 0 && (p[1] & 7) == 5)
				len += 4;
		} else if (mod == 0 && rm == 5) {
			len += 4;	/* RIP-relative */
		}
		if (mod == 1)
			len += 1;
		else if (mod == 2)
			len += 4;
	}
	return len <= n ? len : 0;
}

static int64_t sext(const uint8_t *p, unsigned size)
{
	if (size == 1)
		return (int8_t)p[0];
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static int is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64:
	case 0x65: case 0x66: case 0x67:
		return 1;
	default:
		return 0;
	}
}

unsigned x86tail_decode(const uint8_t *p, size_t n, uint64_t vaddr, struct x86tail_insn *out)
{
	size_t i = 0, lim = n < X86TAIL_MAX_LEN ? n : X86TAIL_MAX_LEN;
	int opsize16 = 0, addr32 = 0, rexw = 0, map = 0;
	unsigned d, imm = 0, ml;
	uint8_t op, reg = 0;

	memset(out, 0, sizeof(*out));
	/* Legacy prefixes and REX; a REX counts only right before the opcode. */
	while (i < lim) {
		uint8_t b = p[i];

		if (is_legacy_prefix(b)) {
			if (b == 0x66)
				opsize16 = 1;
			else if (b == 0x67)
				addr32 = 1;
			rexw = 0;
			i++;
		} else if ((b & 0xf0) == 0x40) {
			rexw = (b & 8) != 0;
			i++;
		} else {
			break;
		}
	}
	if (i >= lim)
		return 0;
	op = p[i++];
	if (op == 0xc4 || op == 0xc5 || op == 0x62 || (op == 0x8f && i < lim && (p[i] & 0x1f) >= 8)) {
		/* VEX (3-byte C4, 2-byte C5), EVEX (62), XOP (8F, map >= 8). */
		int xop = op == 0x8f;

		if (op == 0xc5) {
			map = 1;
			i += 1;
		} else if (op == 0x62) {
			if (i >= lim)
				return 0;
			map = p[i] & 7;
			i += 3;
		} else {
			if (i >= lim)
				return 0;
			map = p[i] & 0x1f;
			i += 2;
		}
		if (i >= lim)
			return 0;
		op = p[i++];
		if (xop) {
			/* XOP: maps 8 (imm8), 9 (none), A (imm32). */
			d = D_MODRM | (map == 8 ? IM_B : map == 9 ? IM_NONE : map == 10 ? IM_Z : D_INVALID);
			opsize16 = 0;
		} else if (map == 1) {
			d = vex_map1(op);
		} else if (map == 2 || map == 5 || map == 6) {
			d = D_MODRM;
		} else if (map == 3) {
			d = D_MODRM | IM_B;
		} else {
			return 0;
		}
		opsize16 = 0;	/* the imm of these forms is never operand-size dependent */
	} else if (op == 0x0f) {
		if (i >= lim)
			return 0;
		op = p[i++];
		if (op == 0x38 || op == 0x3a) {
			if (i >= lim)
				return 0;
			d = op == 0x38 ? D_MODRM : D_MODRM | IM_B;
			map = op == 0x38 ? 2 : 3;
			op = p[i++];
		} else {
			d = two_byte(op);
			map = 1;
		}
		if (map == 1 && D_IMM(d) == IM_REL32) {
			/* jcc rel32 */
			if (i + 4 > lim)
				return 0;
			out->kind = X86TAIL_JCC;
			out->target = vaddr + i + 4 + (uint64_t)sext(p + i, 4);
			out->len = (uint8_t)(i + 4);
			return out->len;
		}
	} else {
		d = one_byte(op);
	}
	if (d & D_INVALID)
		return 0;
	if (d & D_MODRM) {
		ml = modrm_len(p + i, lim - i, &reg);
		if (!ml)
			return 0;
		i += ml;
	}
	switch (D_IMM(d)) {
	case IM_NONE: imm = 0; break;
	case IM_B: imm = 1; break;
	case IM_W: imm = 2; break;
	case IM_Z: imm = opsize16 ? 2 : 4; break;
	case IM_V: imm = rexw ? 8 : opsize16 ? 2 : 4; break;
	case IM_WB: imm = 3; break;
	case IM_MOFFS: imm = addr32 ? 4 : 8; break;
	case IM_REL8: imm = 1; break;
	case IM_REL32: imm = 4; break;
	case IM_GRP3: imm = reg < 2 ? (op == 0xf6 ? 1 : opsize16 ? 2 : 4) : 0; break;
	default: return 0;
	}
	if (i + imm > lim)
		return 0;
	if (D_IMM(d) == IM_REL8 || D_IMM(d) == IM_REL32) {
		out->target = vaddr + i + imm + (uint64_t)sext(p + i, imm);
		out->kind = op == 0xe8 ? X86TAIL_CALL : (op == 0xe9 || op == 0xeb) ? X86TAIL_JMP : X86TAIL_JCC;
	} else if (map == 0 && op == 0xff) {
		if (reg == 2 || reg == 3)
			out->kind = X86TAIL_CALL_IND;
		else if (reg == 4 || reg == 5)
			out->kind = X86TAIL_JMP_IND;
	} else if (map == 0 && (op == 0xc3 || op == 0xc2 || op == 0xcb || op == 0xca)) {
		out->kind = X86TAIL_RET;
	}
	out->len = (uint8_t)(i + imm);
	return out->len;
}

int x86tail_sweep(const uint8_t *code, size_t len, uint64_t vaddr, x86tail_fn fn, void *arg,
    uint64_t *bad_at)
{
	size_t off = 0;

	while (off < len) {
		struct x86tail_insn in;
		unsigned n = x86tail_decode(code + off, len - off, vaddr + off, &in);

		if (!n) {
			if (bad_at)
				*bad_at = vaddr + off;
			return -1;
		}
		if (fn && in.kind != X86TAIL_OTHER && fn(arg, vaddr + off, &in))
			return 1;
		off += n;
	}
	return 0;
}
