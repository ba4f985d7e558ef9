/*
 * lattice.h - the reachability lattice of a function or edge (DESIGN §5): a
 * static axis and a runtime axis combined into the named states of es_state.
 *
 * The two axes are chains, ordered by the strength of the evidence (positive
 * evidence beats negative evidence, which beats no evidence):
 *
 *   static   S_UNKNOWN < S_UNREACHABLE < S_REACHABLE
 *            (no static graph covers it < no path from the entry points
 *             in the static graph < a static path from an entry point)
 *   runtime  R_UNKNOWN < R_UNOBSERVED < R_OBSERVED
 *            (nothing known < an exact entry probe was attached and never
 *             fired < seen executing)
 *
 * Their product has nine elements; the named states are the product with
 * (reachable, unobserved) identified with (reachable, unknown):
 *
 *                    R_UNKNOWN            R_UNOBSERVED            R_OBSERVED
 *   S_UNKNOWN        unknown              runtime-unobserved      runtime-observed
 *   S_UNREACHABLE    static-unreachable   confirmed-unreachable   contested
 *   S_REACHABLE      static-reachable     static-reachable        confirmed-reachable
 *
 * (A reachable function that an exact probe never saw run is not a
 * contradiction - reachable means "may run" - so it stays static-reachable;
 * the probe's coverage record is kept beside it.) That identification is a
 * congruence of the product's join, so the join below is the product's join
 * read through the table: commutative, associative, idempotent and monotone,
 * with ES_STATE_NONE (not classified) as identity and confirmed-reachable as
 * top. Contested (statically unreachable yet observed) joined with static
 * reachability becomes confirmed-reachable: a path found by any static graph
 * refutes a "no path" claim. The join is one table, lattice.c.
 */
#ifndef TM_LATTICE_H
#define TM_LATTICE_H

#include "esformat.h"

/* The static axis, in order. */
enum lattice_static {
	LATTICE_S_UNKNOWN     = 0,
	LATTICE_S_UNREACHABLE = 1,	/* also: absent from a static graph that covers it */
	LATTICE_S_REACHABLE   = 2,
};

/* The runtime axis, in order. */
enum lattice_runtime {
	LATTICE_R_UNKNOWN    = 0,
	LATTICE_R_UNOBSERVED = 1,	/* only from exact entry-probe coverage, never from absence */
	LATTICE_R_OBSERVED   = 2,
};

/* The named state (enum es_state, never NONE) of a pair of axis values. */
unsigned lattice_state(unsigned s, unsigned r);

/*
 * The axis values of a named state (the representative pair: static-reachable
 * is (reachable, unknown)). 0, or -1 for NONE and values above ES_STATE_MAX.
 */
int lattice_axes(unsigned state, unsigned *s, unsigned *r);

/*
 * Join of two states (enum es_state). NONE is the identity. A value above
 * ES_STATE_MAX (from a later format version) is kept: the join of two such
 * values, or of one with a known state, is the larger number.
 */
unsigned lattice_join(unsigned a, unsigned b);

/* a <= b in the lattice order (lattice_join(a, b) == b). */
int lattice_leq(unsigned a, unsigned b);

#endif
