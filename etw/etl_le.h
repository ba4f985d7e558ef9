/*
 * etl_le.h - little-endian loads from unaligned bytes, shared by the .etl decoder.
 * Values are assembled byte by byte, so loads are alignment-safe and host-order free.
 */
#ifndef ETL_LE_H
#define ETL_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t etl_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t etl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t etl_le64(const uint8_t *p)
{
	return (uint64_t)etl_le32(p) | (uint64_t)etl_le32(p + 4) << 32;
}

/* A pointer-sized field: 4 or 8 bytes depending on the producer. */
static inline uint64_t etl_leptr(const uint8_t *p, unsigned ptrsize)
{
	return ptrsize == 8 ? etl_le64(p) : etl_le32(p);
}

#endif
