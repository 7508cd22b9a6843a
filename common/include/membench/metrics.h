/* Live metrics over HTTP (--metrics ADDR:PORT on record and replay): a Prometheus text exposition
 * (format version 0.0.4) served at /metrics by libevent's evhttp, and the helpers that write it.
 *
 * Threads: the server runs on a thread of its own with its own event_base, created with every
 * signal blocked (signals stay with the binary's own threads). On each GET /metrics it calls the
 * owner's render function on that thread; the owner renders a snapshot it keeps under its own
 * lock (or reads atomics), so the threads doing the work never wait for a scrape. Stopping
 * writes to a pipe the server thread watches (no libevent thread support needed) and joins it.
 *
 * Exposition (https://prometheus.io/docs/instrumenting/exposition_formats/): for each family a
 * "# HELP name text" and a "# TYPE name counter|gauge|summary|histogram" line, then its samples
 * "name{label="value",...} value", one per line, the family's samples together. Counter names end
 * in _total. Label values are escaped (\\, \", \n) by mb_prom_label.
 */
#ifndef MEMBENCH_METRICS_H
#define MEMBENCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "membench/buf.h"

/* ---- exposition writer --------------------------------------------------------------------- */

/* Output of one scrape. err is the first error (-ENOMEM) of any helper; later calls do nothing. */
struct mb_prom {
	struct mb_buf buf;
	int err;
};

/* "# HELP name help" and "# TYPE name type". */
void mb_prom_family(struct mb_prom *p, const char *name, const char *type, const char *help);
/* One sample: name{labels} value. labels: "" / NULL for none, else the text between the braces
 * (built with mb_prom_label). Integers are printed exactly; doubles with 12 significant digits
 * (NaN and infinities as Prometheus spells them). */
void mb_prom_u64(struct mb_prom *p, const char *name, const char *labels, uint64_t v);
void mb_prom_f64(struct mb_prom *p, const char *name, const char *labels, double v);
/* A counter read from a struct: its name, help, and the offset of its uint64_t field. */
struct mb_prom_counter {
	const char *name, *help;
	size_t off;
};
/* One unlabeled counter family per row of t (n rows), each read from base + off. */
void mb_prom_counters(struct mb_prom *p, const struct mb_prom_counter *t, size_t n,
		      const void *base);
/* The uint64_t at base + off (a field named by a table row). */
uint64_t mb_prom_field(const void *base, size_t off);
/* Appends name="value" (value escaped) to the label text in buf (size len, NUL-terminated),
 * with a comma before it unless buf is empty. @return 0, or -ENOSPC when it does not fit (buf is
 * then left unchanged). */
int mb_prom_label(char *buf, size_t len, const char *name, const char *value);

/* ---- server -------------------------------------------------------------------------------- */

struct mb_metrics;

/* Writes the exposition into p (called on the server thread for every scrape). The return value
 * is ignored: p->err (out of memory) answers 500. */
typedef void (*mb_metrics_render_fn)(void *ctx, struct mb_prom *p);

/* Parses addr, binds and listens, then starts the server thread.
 * addr: HOST:PORT, [IPV6]:PORT or :PORT (every interface); HOST a name or a numeric address;
 * PORT 0..65535, 0 for any free port (mb_metrics_port says which).
 * @return 0, or -EINVAL (addr malformed), -ENOENT (host unknown), the negative errno of
 * socket/bind/listen (-EADDRINUSE, -EADDRNOTAVAIL, -EACCES), -ENOMEM or that of pthread_create,
 * with the reason in err (not naming the flag: the caller prefixes "--metrics ADDR: "). */
int mb_metrics_start(struct mb_metrics **out, const char *addr, mb_metrics_render_fn fn, void *ctx,
		     char *err, size_t errlen);
/* mb_metrics_start for a binary's --metrics flag: prints "<prog>: metrics at URL" on stderr, or
 * the error as one line naming the flag and the address.
 * @return 0, MB_EXIT_USAGE (an address that cannot be bound) or MB_EXIT_FAILURE (out of
 * memory, no thread). */
int mb_metrics_serve(struct mb_metrics **out, const char *addr, mb_metrics_render_fn fn,
		     void *ctx);
/* The port bound (the real one when 0 was asked for). */
unsigned mb_metrics_port(const struct mb_metrics *m);
/* "http://HOST:PORT/metrics" of the address bound (numeric). */
const char *mb_metrics_url(const struct mb_metrics *m);
/* Stops the server thread, closes the socket and frees m. A scrape in progress finishes first.
 * Safe on NULL. */
void mb_metrics_stop(struct mb_metrics *m);

#endif
