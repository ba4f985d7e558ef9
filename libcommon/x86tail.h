/*
 * x86tail.h - a small x86-64 instruction-length decoder that finds the control
 * transfers of a function's code: direct and indirect calls and jumps, returns.
 *
 * It decodes lengths only (prefixes, REX, VEX, EVEX, XOP, ModRM/SIB,
 * displacements, immediates), which is enough to sweep a function linearly
 * and to tell a tail call (a jmp to another function) from a call. 64-bit
 * mode only. Nothing is allocated; the caller owns the bytes.
 */
#ifndef TM_X86TAIL_H
#define TM_X86TAIL_H

#include <stddef.h>
#include <stdint.h>

#define X86TAIL_MAX_LEN 15	/* longest x86 instruction */

enum x86tail_kind {
	X86TAIL_OTHER = 0,	/* no control transfer (or one this module ignores) */
	X86TAIL_CALL,		/* call rel32: target set */
	X86TAIL_JMP,		/* jmp rel8/rel32: target set */
	X86TAIL_JCC,		/* jcc rel8/rel32, loop, jrcxz: target set */
	X86TAIL_CALL_IND,	/* call through a register or memory (FF /2, /3) */
	X86TAIL_JMP_IND,	/* jmp through a register or memory (FF /4, /5) */
	X86TAIL_RET,		/* ret, ret imm16, retf */
};

struct x86tail_insn {
	uint8_t len;		/* bytes, 1..15 */
	uint8_t kind;		/* enum x86tail_kind */
	uint64_t target;	/* absolute target of a direct transfer */
};

/*
 * Decode the instruction at p[0..n), located at address vaddr. Returns its
 * length (>= 1), or 0 when the bytes are not a valid 64-bit instruction or
 * run past n.
 */
unsigned x86tail_decode(const uint8_t *p, size_t n, uint64_t vaddr, struct x86tail_insn *out);

/* Called for every control transfer found by x86tail_sweep(); nonzero stops the sweep. */
typedef int (*x86tail_fn)(void *arg, uint64_t at, const struct x86tail_insn *insn);

/*
 * Decode code[0..len) (a function at vaddr) instruction after instruction.
 * Returns 0 when the whole range decoded, 1 when fn stopped the sweep, -1
 * at the first undecodable byte (*bad_at gets its address; may be NULL).
 * fn may be NULL (a decode check only).
 */
int x86tail_sweep(const uint8_t *code, size_t len, uint64_t vaddr, x86tail_fn fn, void *arg,
    uint64_t *bad_at);

#endif
