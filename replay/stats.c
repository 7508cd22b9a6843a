/* Counters and latency histograms of a run (stats.h): allocation and the merge of per-worker
 * blocks after the run. Histograms are 3 significant digits over RP_LAT_LOW..RP_LAT_HIGH; the
 * per-command ones are allocated on a command's first use, so a run of gets only pays for gets.
 * A --warmup block is a second struct rp_stats of the same shape, owned by the first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int rp_stats_init(struct rp_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (mb_hist_init(&s->corr, RP_LAT_LOW, RP_LAT_HIGH, 3) ||
	    mb_hist_init(&s->uncorr, RP_LAT_LOW, RP_LAT_HIGH, 3) ||
	    mb_hist_init(&s->lag, RP_LAT_LOW, RP_LAT_HIGH, 3) ||
	    mb_hist_init(&s->gen_lag, RP_LAT_LOW, RP_LAT_HIGH, 3)) {
		rp_stats_free(s);
		return -ENOMEM;
	}
	return 0;
}

int rp_opstats_use(struct rp_opstats *o)
{
	if (o->used)
		return 0;
	if (mb_hist_init(&o->corr, RP_LAT_LOW, RP_LAT_HIGH, 3) ||
	    mb_hist_init(&o->uncorr, RP_LAT_LOW, RP_LAT_HIGH, 3)) {
		mb_hist_free(&o->corr);
		mb_hist_free(&o->uncorr);
		return -ENOMEM;
	}
	o->used = true;
	return 0;
}

int rp_stats_add_warmup(struct rp_stats *s)
{
	if (s->warmup)
		return 0;
	struct rp_stats *w = malloc(sizeof(*w));
	if (!w || rp_stats_init(w) != 0) {
		free(w);
		return -ENOMEM;
	}
	s->warmup = w;
	return 0;
}

void rp_stats_free(struct rp_stats *s)
{
	if (s->warmup) {
		rp_stats_free(s->warmup);
		free(s->warmup);
		s->warmup = NULL;
	}
	mb_hist_free(&s->corr);
	mb_hist_free(&s->uncorr);
	mb_hist_free(&s->lag);
	mb_hist_free(&s->gen_lag);
	for (unsigned i = 0; i < MB_OP_COUNT; i++) {
		mb_hist_free(&s->op[i].corr);
		mb_hist_free(&s->op[i].uncorr);
		s->op[i].used = false;
	}
}

void rp_stats_merge(struct rp_stats *d, const struct rp_stats *s)
{
	d->commands_sent += s->commands_sent;
	d->requests_sent += s->requests_sent;
	d->responses += s->responses;
	d->noreply_sent += s->noreply_sent;
	d->skipped_late += s->skipped_late;
	d->skipped_ops += s->skipped_ops;
	d->stalls += s->stalls;
	d->reconnects += s->reconnects;
	d->bytes_out += s->bytes_out;
	d->bytes_in += s->bytes_in;
	d->cas_compared += s->cas_compared;
	d->cas_differ += s->cas_differ;
	for (unsigned i = 0; i < RP_ERR_COUNT; i++)
		d->errors[i] += s->errors[i];
	mb_hist_merge(&d->corr, &s->corr);
	mb_hist_merge(&d->uncorr, &s->uncorr);
	mb_hist_merge(&d->lag, &s->lag);
	mb_hist_merge(&d->gen_lag, &s->gen_lag);
	for (unsigned i = 0; i < MB_OP_COUNT; i++) {
		const struct rp_opstats *so = &s->op[i];
		struct rp_opstats *dop = &d->op[i];
		if (!so->used || rp_opstats_use(dop) != 0)
			continue;
		dop->sent += so->sent;
		dop->keys += so->keys;
		dop->responses += so->responses;
		dop->bytes_out += so->bytes_out;
		dop->bytes_in += so->bytes_in;
		for (unsigned k = 0; k < MB_STATUS_COUNT; k++)
			dop->status[k] += so->status[k];
		mb_hist_merge(&dop->corr, &so->corr);
		mb_hist_merge(&dop->uncorr, &so->uncorr);
	}
	if (s->first_send_ns && (!d->first_send_ns || s->first_send_ns < d->first_send_ns))
		d->first_send_ns = s->first_send_ns;
	if (s->last_done_ns > d->last_done_ns)
		d->last_done_ns = s->last_done_ns;
	if (s->warmup && rp_stats_add_warmup(d) == 0)
		rp_stats_merge(d->warmup, s->warmup);
}

void rp_stats_reset(struct rp_stats *s)
{
	struct rp_stats keep = *s;
	memset(s, 0, sizeof(*s));
	s->corr = keep.corr;
	s->uncorr = keep.uncorr;
	s->lag = keep.lag;
	s->gen_lag = keep.gen_lag;
	mb_hist_reset(&s->corr);
	mb_hist_reset(&s->uncorr);
	mb_hist_reset(&s->lag);
	mb_hist_reset(&s->gen_lag);
	for (unsigned i = 0; i < MB_OP_COUNT; i++) {
		s->op[i].corr = keep.op[i].corr;
		s->op[i].uncorr = keep.op[i].uncorr;
		s->op[i].used = keep.op[i].used;
		if (s->op[i].used) {
			mb_hist_reset(&s->op[i].corr);
			mb_hist_reset(&s->op[i].uncorr);
		}
	}
	s->warmup = keep.warmup; /* kept and emptied, like the histograms */
	s->warmup_end_ns = keep.warmup_end_ns;
	if (s->warmup)
		rp_stats_reset(s->warmup);
}
