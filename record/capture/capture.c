/* capture/capture.c: configure, load and attach bpf/capture.bpf.c; read its counters. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture/capture_user.h"

static const char *const extra_exits[] = {MB_CAP_EXTRA_EXITS};

uint64_t capture_sample_below(double fraction)
{
	if (!(fraction < 1.0))
		return 0;
	double v = ldexp(fraction, 64);
	return v < 1.0 ? 1 : (uint64_t)v;
}

int capture_prog_load(struct capture_prog *cap, const struct capture_prog_config *cfg)
{
	memset(cap, 0, sizeof(*cap));
	struct capture *skel = capture__open();
	if (!skel)
		return errno ? -errno : -ENOMEM;
	skel->rodata->self_tgid = cfg->self_tgid;
	skel->rodata->filter_tgid = cfg->pid;
	skel->rodata->filter_cgroup = cfg->cgroup_id;
	skel->rodata->filter_cgroup_level = cfg->cgroup_level;
	skel->rodata->side = cfg->side;
	skel->rodata->max_bytes = cfg->max_bytes;
	skel->rodata->tail_bytes = cfg->tail_bytes;
	skel->rodata->wakeup_bytes = cfg->wakeup_bytes;
	skel->rodata->full_values = cfg->full_values;
	skel->rodata->sample_below = cfg->sample_below;
	memcpy((void *)skel->rodata->port_bits, cfg->ports, sizeof(cfg->ports));
	if (cfg->comm[0]) {
		skel->rodata->filter_comm_on = 1;
		memcpy((void *)skel->rodata->filter_comm, cfg->comm, MB_CAP_COMM_LEN);
		((char *)skel->rodata->filter_comm)[MB_CAP_COMM_LEN - 1] = '\0';
	}
	/* tcp_probe is attached by hand (capture_prog_attach), so that a kernel without it only
	 * loses the arrival stamps; it is not even loaded when they are off. */
	bpf_program__set_autoattach(skel->progs.on_tcp_probe, false);
	if (!cfg->arrivals)
		bpf_program__set_autoload(skel->progs.on_tcp_probe, false);
	int rc = bpf_map__set_max_entries(skel->maps.events, cfg->ring_size);
	if (!rc)
		rc = capture__load(skel);
	if (rc) {
		capture__destroy(skel);
		return rc;
	}
	cap->skel = skel;
	return 0;
}

int capture_prog_attach(struct capture_prog *cap)
{
	int rc = capture__attach(cap->skel);
	if (rc)
		return rc;
	_Static_assert(sizeof(extra_exits) / sizeof(extra_exits[0]) <=
			       sizeof(cap->extra) / sizeof(cap->extra[0]),
		       "room for every exit link");
	for (size_t i = 0; i < sizeof(extra_exits) / sizeof(extra_exits[0]); i++) {
		struct bpf_link *l = bpf_program__attach_tracepoint(cap->skel->progs.exit_data_tp,
								    "syscalls", extra_exits[i]);
		if (!l) {
			rc = errno ? -errno : -EINVAL;
			capture_prog_detach(cap);
			return rc;
		}
		cap->extra[cap->nextra++] = l;
	}
	if (bpf_program__autoload(cap->skel->progs.on_tcp_probe)) {
		cap->arrive = bpf_program__attach_raw_tracepoint(cap->skel->progs.on_tcp_probe,
								 "tcp_probe");
		if (!cap->arrive)
			cap->arrive_err = errno ? -errno : -EINVAL;
	}
	/* Every exit is in place: entries may start stashing syscalls. */
	__atomic_store_n(&cap->skel->bss->armed, 1, __ATOMIC_RELEASE);
	return 0;
}

void capture_prog_detach(struct capture_prog *cap)
{
	if (!cap->skel)
		return;
	__atomic_store_n(&cap->skel->bss->armed, 0, __ATOMIC_RELEASE);
	capture__detach(cap->skel);
	for (int i = 0; i < cap->nextra; i++)
		bpf_link__destroy(cap->extra[i]);
	cap->nextra = 0;
	bpf_link__destroy(cap->arrive);
	cap->arrive = NULL;
}

uint64_t capture_prog_counter(const struct capture_prog *cap, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || !cap->skel)
		return 0;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v)), sum = 0;
	if (!v)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(cap->skel->maps.counters), &idx, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

uint64_t capture_prog_arrival_misses(const struct capture_prog *cap)
{
	if (!cap->skel || !bpf_program__autoload(cap->skel->progs.on_tcp_probe))
		return 0;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(cap->skel->progs.on_tcp_probe), &info, &len))
		return 0;
	return info.recursion_misses;
}

int capture_prog_ring_fd(const struct capture_prog *cap)
{
	return bpf_map__fd(cap->skel->maps.events);
}

void capture_prog_destroy(struct capture_prog *cap)
{
	capture_prog_detach(cap);
	capture__destroy(cap->skel);
	cap->skel = NULL;
}
