/* libFuzzer target: the request direction (text, meta and binary; detection from byte 1). */
#include "fuzz_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_proto_run(MB_DIR_REQUEST, NULL, 0, data[0], data + 1, size - 1);
	return 0;
}
