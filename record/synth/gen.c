/* The synth:zipf / synth:etc workload model; see synth.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membench/error.h"
#include "synth/synth.h"

#define SALT_KEY 0x6b65792d73697a65ull   /* "key-size" */
#define SALT_VALUE 0x76616c2d73697a65ull /* "val-size" */

static const char *const arrival_names[] = {
	[ARRIVAL_POISSON] = "poisson",
	[ARRIVAL_FIXED] = "fixed",
	[ARRIVAL_ETC] = "etc",
};

int synth_defaults(struct synth_opts *o, const char *model)
{
	char err[128];
	memset(o, 0, sizeof(*o));
	o->ops = 1000000;
	o->seed = 1;
	o->keys = 100000;
	o->alpha = 0.99;
	o->max_value = 1000000;
	o->connections = 1;
	if (strcmp(model, "zipf") == 0) {
		o->model = "zipf";
		dist_parse(&o->key_size, "fixed:16", err, sizeof(err));
		dist_parse(&o->value_size, "fixed:100", err, sizeof(err));
		o->mix[MIX_GET] = 0.9;
		o->mix[MIX_SET] = 0.1;
		o->rate = 10000;
		o->arrival = ARRIVAL_POISSON;
		return 0;
	}
	if (strcmp(model, "etc") == 0) {
		o->model = "etc";
		dist_parse(&o->key_size, "etc-key", err, sizeof(err));
		dist_parse(&o->value_size, "etc-value", err, sizeof(err));
		o->mix[MIX_GET] = 30;
		o->mix[MIX_SET] = 1;
		o->rate = 1e6 * (1 - ETC_IA_K) / ETC_IA_SIGMA; /* mean of GPD(0, sigma, k) */
		o->arrival = ARRIVAL_ETC;
		return 0;
	}
	return MB_E_USAGE;
}

int synth_init(struct synth_gen *g, const struct synth_opts *o)
{
	memset(g, 0, sizeof(*g));
	double total = o->mix[MIX_GET] + o->mix[MIX_SET] + o->mix[MIX_DELETE];
	if ((!o->ops && !o->duration_ns) || !(o->rate > 0) || !isfinite(o->rate) || !o->keys ||
	    !(total > 0) || !o->connections || o->mix[MIX_GET] < 0 || o->mix[MIX_SET] < 0 ||
	    o->mix[MIX_DELETE] < 0)
		return MB_E_USAGE;
	if (zipf_init(&g->zipf, o->keys, o->alpha))
		return MB_E_USAGE;
	g->o = *o;
	rng_seed(&g->rng, o->seed);
	double c = 0;
	for (int i = 0; i < MIX_COUNT; i++) {
		c += o->mix[i] / total;
		g->cum[i] = c;
	}
	g->cum[MIX_COUNT - 1] = 1.0;
	double mean_ns = 1e9 / o->rate;
	switch (o->arrival) {
	case ARRIVAL_POISSON:
		g->gap = (struct dist){.kind = DIST_EXPONENTIAL, .p = {mean_ns}};
		break;
	case ARRIVAL_ETC:
		/* Keep the shape, scale sigma so the mean sigma / (1 - k) is 1/rate. */
		g->gap = (struct dist){.kind = DIST_GPD, .p = {0, mean_ns * (1 - ETC_IA_K), ETC_IA_K}};
		break;
	case ARRIVAL_FIXED:
		g->gap = (struct dist){.kind = DIST_FIXED, .p = {mean_ns}};
		break;
	}
	g->conn_dense = malloc(o->connections * sizeof(*g->conn_dense));
	if (!g->conn_dense)
		return -ENOMEM;
	memset(g->conn_dense, 0xff, o->connections * sizeof(*g->conn_dense));
	return 0;
}

void synth_free(struct synth_gen *g)
{
	free(g->conn_dense);
	g->conn_dense = NULL;
}

/* A generator private to one key: its sizes depend only on seed and rank. */
static void key_rng(const struct synth_gen *g, uint64_t rank, uint64_t salt, struct rng *r)
{
	uint64_t x = g->o.seed ^ salt;
	x ^= rng_splitmix64(&x) ^ rank * 0x9e3779b97f4a7c15ull;
	rng_seed(r, x);
}

uint32_t synth_key_len(const struct synth_gen *g, uint64_t rank)
{
	struct rng r;
	key_rng(g, rank, SALT_KEY, &r);
	return dist_sample_u32(&g->o.key_size, &r, 1, SYNTH_KEY_MAX);
}

uint32_t synth_value_len(const struct synth_gen *g, uint64_t rank)
{
	struct rng r;
	key_rng(g, rank, SALT_VALUE, &r);
	return dist_sample_u32(&g->o.value_size, &r, 0, g->o.max_value);
}

int synth_next(struct synth_gen *g, struct mb_record *rec)
{
	if (g->o.ops && g->n >= g->o.ops)
		return 0;
	if (g->n > 0) {
		if (g->o.arrival == ARRIVAL_FIXED)
			g->t_ns = (double)g->n * g->gap.p[0]; /* no accumulated rounding */
		else
			g->t_ns += dist_sample(&g->gap, &g->rng);
	}
	if (g->o.duration_ns && g->t_ns >= (double)g->o.duration_ns)
		return 0;
	uint64_t rank = zipf_sample(&g->zipf, &g->rng);
	double u = rng_double(&g->rng);
	int m = 0;
	while (m < MIX_COUNT - 1 && u >= g->cum[m])
		m++;
	uint32_t c = (uint32_t)rng_below(&g->rng, g->o.connections);
	if (g->conn_dense[c] == UINT32_MAX)
		g->conn_dense[c] = g->conns_used++;
	static const uint8_t ops[MIX_COUNT] = {
		[MIX_GET] = MB_OP_GET, [MIX_SET] = MB_OP_SET, [MIX_DELETE] = MB_OP_DELETE,
	};
	memset(rec, 0, sizeof(*rec));
	rec->time_ns = (uint64_t)g->t_ns;
	rec->key_id = rank;
	rec->key_len = synth_key_len(g, rank);
	rec->value_len = m == MIX_DELETE ? 0 : synth_value_len(g, rank);
	rec->conn_id = g->conn_dense[c];
	rec->op = ops[m];
	rec->proto = MB_PROTO_TEXT;
	rec->status = MB_STATUS_NONE;
	g->n++;
	return 1;
}

void synth_format_params(const struct synth_opts *o, char *buf, size_t len)
{
	char ks[160], vs[160];
	dist_format(&o->key_size, ks, sizeof(ks));
	dist_format(&o->value_size, vs, sizeof(vs));
	snprintf(buf, len,
		 "model=%s ops=%llu duration=%lluns seed=%llu keys=%llu alpha=%.15g "
		 "key-size=%s value-size=%s max-value=%u mix=get:%.15g,set:%.15g,delete:%.15g "
		 "rate=%.15g arrival=%s connections=%u",
		 o->model, (unsigned long long)o->ops, (unsigned long long)o->duration_ns,
		 (unsigned long long)o->seed, (unsigned long long)o->keys, o->alpha, ks, vs,
		 o->max_value, o->mix[MIX_GET], o->mix[MIX_SET], o->mix[MIX_DELETE], o->rate,
		 arrival_names[o->arrival], o->connections);
}
