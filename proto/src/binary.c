/* Binary protocol framing (24-byte header). TODO: being written (phase 2); until then binary
 * connections are counted as protocol errors. */
#include "internal.h"

void bin_feed(struct mb_proto_conn *c, enum mb_dir dir, const uint8_t *p, size_t n, uint64_t t)
{
	(void)p;
	(void)t;
	c->s[dir].off += n;
	conn_error(c, dir, c->s[dir].off - n, "binary protocol not parsed yet");
}

void bin_gap(struct mb_proto_conn *c, enum mb_dir dir, uint64_t len, uint64_t t)
{
	(void)t;
	c->s[dir].off += len;
}
