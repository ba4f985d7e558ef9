/*
 * test_lattice.c - the reachability lattice: the join table against its
 * definition (product of two chains), and the algebraic laws over all pairs
 * and triples of states.
 */
#include "lattice.h"
#include "unit.h"

#define NSTATES (ES_STATE_MAX + 1)

/* The join computed from the definition: componentwise max of the axes. */
static unsigned join_by_definition(unsigned a, unsigned b)
{
	unsigned sa, ra, sb, rb;

	if (a == ES_STATE_NONE)
		return b;
	if (b == ES_STATE_NONE)
		return a;
	if (lattice_axes(a, &sa, &ra) < 0 || lattice_axes(b, &sb, &rb) < 0)
		return 0xff;
	return lattice_state(sa > sb ? sa : sb, ra > rb ? ra : rb);
}

static void test_table_is_the_product_join(void)
{
	for (unsigned a = 0; a < NSTATES; a++)
		for (unsigned b = 0; b < NSTATES; b++)
			CHECK_EQ_U64(lattice_join(a, b), join_by_definition(a, b));
}

static void test_named_states(void)
{
	/* The mapping documented in lattice.h and trace-merge(1). */
	CHECK_EQ_U64(lattice_state(LATTICE_S_UNKNOWN, LATTICE_R_UNKNOWN), ES_STATE_UNKNOWN);
	CHECK_EQ_U64(lattice_state(LATTICE_S_REACHABLE, LATTICE_R_UNKNOWN), ES_STATE_STATIC_REACHABLE);
	CHECK_EQ_U64(lattice_state(LATTICE_S_UNREACHABLE, LATTICE_R_UNKNOWN), ES_STATE_STATIC_UNREACHABLE);
	CHECK_EQ_U64(lattice_state(LATTICE_S_UNKNOWN, LATTICE_R_OBSERVED), ES_STATE_RUNTIME_OBSERVED);
	CHECK_EQ_U64(lattice_state(LATTICE_S_UNKNOWN, LATTICE_R_UNOBSERVED), ES_STATE_RUNTIME_UNOBSERVED);
	CHECK_EQ_U64(lattice_state(LATTICE_S_REACHABLE, LATTICE_R_OBSERVED), ES_STATE_CONFIRMED_REACHABLE);
	CHECK_EQ_U64(lattice_state(LATTICE_S_UNREACHABLE, LATTICE_R_UNOBSERVED), ES_STATE_CONFIRMED_UNREACHABLE);
	CHECK_EQ_U64(lattice_state(LATTICE_S_UNREACHABLE, LATTICE_R_OBSERVED), ES_STATE_CONTESTED);
	CHECK_EQ_U64(lattice_state(LATTICE_S_REACHABLE, LATTICE_R_UNOBSERVED), ES_STATE_STATIC_REACHABLE);
}

static void test_axes_round_trip(void)
{
	unsigned s, r, seen = 0;

	for (unsigned st = 1; st < NSTATES; st++) {
		CHECK(lattice_axes(st, &s, &r) == 0);
		CHECK_EQ_U64(lattice_state(s, r), st);
		seen |= 1u << st;
	}
	/* Every named state is the image of some pair. */
	CHECK_EQ_U64(seen, ((1u << NSTATES) - 1) & ~1u);
	CHECK(lattice_axes(ES_STATE_NONE, &s, &r) < 0);
	CHECK(lattice_axes(ES_STATE_MAX + 1, &s, &r) < 0);
}

static void test_commutative_idempotent_identity(void)
{
	for (unsigned a = 0; a < NSTATES; a++) {
		CHECK_EQ_U64(lattice_join(a, a), a);
		CHECK_EQ_U64(lattice_join(ES_STATE_NONE, a), a);
		CHECK_EQ_U64(lattice_join(a, ES_STATE_NONE), a);
		CHECK_EQ_U64(lattice_join(a, ES_STATE_CONFIRMED_REACHABLE), ES_STATE_CONFIRMED_REACHABLE);
		for (unsigned b = 0; b < NSTATES; b++)
			CHECK_EQ_U64(lattice_join(a, b), lattice_join(b, a));
	}
}

static void test_associative(void)
{
	for (unsigned a = 0; a < NSTATES; a++)
		for (unsigned b = 0; b < NSTATES; b++)
			for (unsigned c = 0; c < NSTATES; c++)
				CHECK_EQ_U64(lattice_join(lattice_join(a, b), c),
				    lattice_join(a, lattice_join(b, c)));
}

static void test_monotone(void)
{
	/* a <= b implies a v c <= b v c, and the join is an upper bound. */
	for (unsigned a = 0; a < NSTATES; a++)
		for (unsigned b = 0; b < NSTATES; b++) {
			CHECK(lattice_leq(a, lattice_join(a, b)));
			CHECK(lattice_leq(b, lattice_join(a, b)));
			if (!lattice_leq(a, b))
				continue;
			for (unsigned c = 0; c < NSTATES; c++)
				CHECK(lattice_leq(lattice_join(a, c), lattice_join(b, c)));
		}
}

static void test_order_is_partial_order(void)
{
	for (unsigned a = 0; a < NSTATES; a++)
		for (unsigned b = 0; b < NSTATES; b++) {
			if (a != b)
				CHECK(!(lattice_leq(a, b) && lattice_leq(b, a)));
			for (unsigned c = 0; c < NSTATES; c++)
				if (lattice_leq(a, b) && lattice_leq(b, c))
					CHECK(lattice_leq(a, c));
		}
}

static void test_evidence_never_weakens(void)
{
	/* The cases the man page spells out. */
	CHECK_EQ_U64(lattice_join(ES_STATE_STATIC_REACHABLE, ES_STATE_RUNTIME_OBSERVED),
	    ES_STATE_CONFIRMED_REACHABLE);
	CHECK_EQ_U64(lattice_join(ES_STATE_STATIC_UNREACHABLE, ES_STATE_RUNTIME_OBSERVED),
	    ES_STATE_CONTESTED);
	CHECK_EQ_U64(lattice_join(ES_STATE_STATIC_UNREACHABLE, ES_STATE_RUNTIME_UNOBSERVED),
	    ES_STATE_CONFIRMED_UNREACHABLE);
	CHECK_EQ_U64(lattice_join(ES_STATE_CONFIRMED_UNREACHABLE, ES_STATE_RUNTIME_OBSERVED),
	    ES_STATE_CONTESTED);
	CHECK_EQ_U64(lattice_join(ES_STATE_CONTESTED, ES_STATE_STATIC_REACHABLE),
	    ES_STATE_CONFIRMED_REACHABLE);
	CHECK_EQ_U64(lattice_join(ES_STATE_RUNTIME_UNOBSERVED, ES_STATE_RUNTIME_OBSERVED),
	    ES_STATE_RUNTIME_OBSERVED);
	CHECK_EQ_U64(lattice_join(ES_STATE_STATIC_REACHABLE, ES_STATE_RUNTIME_UNOBSERVED),
	    ES_STATE_STATIC_REACHABLE);
	/* Contested is never lost to runtime or negative static evidence. */
	for (unsigned a = 0; a < NSTATES; a++) {
		unsigned s, r, j = lattice_join(ES_STATE_CONTESTED, a);

		CHECK(lattice_axes(j, &s, &r) == 0);
		CHECK_EQ_U64(r, LATTICE_R_OBSERVED);
		CHECK(s >= LATTICE_S_UNREACHABLE);
	}
}

static void test_unknown_values_preserved(void)
{
	CHECK_EQ_U64(lattice_join(12, ES_STATE_CONTESTED), 12);
	CHECK_EQ_U64(lattice_join(ES_STATE_UNKNOWN, 9), 9);
	CHECK_EQ_U64(lattice_join(9, 12), 12);
	for (unsigned a = 0; a < NSTATES + 3; a++)
		for (unsigned b = 0; b < NSTATES + 3; b++)
			for (unsigned c = 0; c < NSTATES + 3; c++)
				CHECK_EQ_U64(lattice_join(lattice_join(a, b), c),
				    lattice_join(a, lattice_join(b, c)));
}

int main(void)
{
	RUN(test_table_is_the_product_join);
	RUN(test_named_states);
	RUN(test_axes_round_trip);
	RUN(test_commutative_idempotent_identity);
	RUN(test_associative);
	RUN(test_monotone);
	RUN(test_order_is_partial_order);
	RUN(test_evidence_never_weakens);
	RUN(test_unknown_values_preserved);
	UNIT_END();
}
