/* Shared driver of the codec's fuzz targets (fuzz_request.c, fuzz_response.c).
 *
 * Input layout: byte 0 chooses the chunking (and, for responses, the request prelude), the rest
 * is the stream. Every input is parsed three ways: fed whole, fed in chunks whose sizes come
 * from byte 0, and fed with gaps declared between chunks. The first two must report exactly
 * the same commands, errors and counters (the split-invariance oracle: a difference aborts);
 * the third must merely not crash, leak or grow without bound.
 */
#ifndef MB_FUZZ_PROTO_H
#define MB_FUZZ_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "membench/proto.h"

/* prelude: request bytes fed before data (dir RESPONSE), or NULL when data are requests. */
void fuzz_proto_run(enum mb_dir dir, const uint8_t *prelude, size_t prelude_len,
		    uint8_t seed, const uint8_t *data, size_t size);

#endif
