/*
 * lattice.c - the join of the reachability lattice (see lattice.h): one table.
 */
#include "lattice.h"

enum {
	N  = ES_STATE_NONE,
	U  = ES_STATE_UNKNOWN,
	SR = ES_STATE_STATIC_REACHABLE,
	SU = ES_STATE_STATIC_UNREACHABLE,
	RO = ES_STATE_RUNTIME_OBSERVED,
	RU = ES_STATE_RUNTIME_UNOBSERVED,
	CR = ES_STATE_CONFIRMED_REACHABLE,
	CU = ES_STATE_CONFIRMED_UNREACHABLE,
	C  = ES_STATE_CONTESTED,
};

/* join_table[a][b], indexed by enum es_state. */
static const unsigned char join_table[ES_STATE_MAX + 1][ES_STATE_MAX + 1] = {
	/*        N   U   SR  SU  RO  RU  CR  CU  C  */
	/* N  */ { N,  U,  SR, SU, RO, RU, CR, CU, C  },
	/* U  */ { U,  U,  SR, SU, RO, RU, CR, CU, C  },
	/* SR */ { SR, SR, SR, SR, CR, SR, CR, SR, CR },
	/* SU */ { SU, SU, SR, SU, C,  CU, CR, CU, C  },
	/* RO */ { RO, RO, CR, C,  RO, RO, CR, C,  C  },
	/* RU */ { RU, RU, SR, CU, RO, RU, CR, CU, C  },
	/* CR */ { CR, CR, CR, CR, CR, CR, CR, CR, CR },
	/* CU */ { CU, CU, SR, CU, C,  CU, CR, CU, C  },
	/* C  */ { C,  C,  CR, C,  C,  C,  CR, C,  C  },
};

/* state_of[s][r] for the axis values of lattice.h. */
static const unsigned char state_of[3][3] = {
	/*              R_UNKNOWN  R_UNOBSERVED  R_OBSERVED */
	/* S_UNKNOWN */   { U,  RU, RO },
	/* S_UNREACH */   { SU, CU, C  },
	/* S_REACH   */   { SR, SR, CR },
};

unsigned lattice_state(unsigned s, unsigned r)
{
	if (s > LATTICE_S_REACHABLE)
		s = LATTICE_S_REACHABLE;
	if (r > LATTICE_R_OBSERVED)
		r = LATTICE_R_OBSERVED;
	return state_of[s][r];
}

int lattice_axes(unsigned state, unsigned *s, unsigned *r)
{
	static const unsigned char axes[ES_STATE_MAX + 1][2] = {
		[U]  = { LATTICE_S_UNKNOWN, LATTICE_R_UNKNOWN },
		[SR] = { LATTICE_S_REACHABLE, LATTICE_R_UNKNOWN },
		[SU] = { LATTICE_S_UNREACHABLE, LATTICE_R_UNKNOWN },
		[RO] = { LATTICE_S_UNKNOWN, LATTICE_R_OBSERVED },
		[RU] = { LATTICE_S_UNKNOWN, LATTICE_R_UNOBSERVED },
		[CR] = { LATTICE_S_REACHABLE, LATTICE_R_OBSERVED },
		[CU] = { LATTICE_S_UNREACHABLE, LATTICE_R_UNOBSERVED },
		[C]  = { LATTICE_S_UNREACHABLE, LATTICE_R_OBSERVED },
	};

	if (state == ES_STATE_NONE || state > ES_STATE_MAX)
		return -1;
	*s = axes[state][0];
	*r = axes[state][1];
	return 0;
}

unsigned lattice_join(unsigned a, unsigned b)
{
	if (a > ES_STATE_MAX || b > ES_STATE_MAX)
		return a > b ? a : b;
	return join_table[a][b];
}

int lattice_leq(unsigned a, unsigned b)
{
	return lattice_join(a, b) == b;
}
