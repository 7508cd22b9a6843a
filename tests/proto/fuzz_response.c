/* libFuzzer target: the response direction, after a fixed pipeline of requests chosen by the
 * first byte (text, meta or binary), so that pairing, multigets and quiet commands are
 * exercised against arbitrary replies. */
#include "fuzz_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char text_pre[] =
	"get a b c\r\nset k 1 2 3\r\nabc\r\nincr n 1\r\nstats\r\nset q 0 0 1 noreply\r\nx\r\n"
	"delete k\r\ntouch k 1\r\nversion\r\ngets a\r\nflush_all\r\nbogus\r\n";
static const char meta_pre[] =
	"mg a v q k\r\nmg b v k O1\r\nms c 2 q\r\nhi\r\nmd d q O2\r\nma e v\r\nmn\r\n"
	"me f\r\nmg g v\r\nms h 1 MA\r\nz\r\nmn\r\n";
/* getkq a, getk b (opaque 1), setq c, noop, stat */
static const uint8_t bin_pre[] = {
	0x80, 0x0d, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 'a',
	0x80, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 'b',
	0x80, 0x11, 0, 1, 8, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 'c', 'v',
	0x80, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
	0x80, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_proto_run(MB_DIR_RESPONSE, (const uint8_t *)text_pre, sizeof(text_pre) - 1,
			       data[0], data + 1, size - 1);
		break;
	case 1:
		fuzz_proto_run(MB_DIR_RESPONSE, (const uint8_t *)meta_pre, sizeof(meta_pre) - 1,
			       data[0], data + 1, size - 1);
		break;
	default:
		fuzz_proto_run(MB_DIR_RESPONSE, bin_pre, sizeof(bin_pre), data[0], data + 1,
			       size - 1);
		break;
	}
	return 0;
}
