/* mix.h: the one 64-bit integer mixer every hash table and hash chain in membench uses.
 *
 * splitmix64's finalizer (Steele, Lea, Flood, "Fast splittable pseudorandom number
 * generators", 2014): a bijection on 64-bit values whose output bits each depend on every
 * input bit, so small or sequential ids (connection ids, dense key ids) spread over a table.
 */
#ifndef MEMBENCH_MIX_H
#define MEMBENCH_MIX_H

#ifndef __bpf__ /* the BPF programs (bpf/capture.h) provide uint64_t themselves */
#include <stdint.h>
#endif

static inline uint64_t mb_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#endif
