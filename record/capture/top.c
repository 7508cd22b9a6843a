/* Live hot keys of a capture; see top.h for what is kept, the bounds and the output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "capture/top.h"
#include "membench/clock.h"
#include "membench/spacesaving.h"

#define TOP_KEY_MAX 250      /* memcached's longest key; a longer (binary) key is cut */
#define KEY_TEXT_MAX (4 * TOP_KEY_MAX + 32)
#define TTY_KEY_MIN 10
#define ROW_FIXED 71 /* columns of a row besides the key, and one to spare */
#define TTY_KEY_MAX 60
#define PLAIN_KEY_MIN 20

enum top_list { TOP_REQUESTS, TOP_BYTES, TOP_MISSES, TOP_LARGEST, TOP_NLISTS };

/* Per list: its tag in plain output, its title, and which column its sketch counts. */
enum top_col { COL_REQUESTS, COL_BYTES, COL_MISSES, COL_LARGEST };
static const struct {
	const char *tag;
	const char *title;
	const char *tty_title; /* shorter, for a terminal line */
	const char *unit; /* of the list's total */
	enum top_col col;
} list_info[TOP_NLISTS] = {
	[TOP_REQUESTS] = {"requests", "hot keys by requests", "BY REQUESTS", "requests",
			  COL_REQUESTS},
	[TOP_BYTES] = {"bytes", "hot keys by bytes (value bytes of stores and of read hits)",
		       "BY BYTES (stored + read)", "bytes", COL_BYTES},
	[TOP_MISSES] = {"misses", "keys with the most read misses", "MOST MISSES", "misses",
			COL_MISSES},
	[TOP_LARGEST] = {"largest", "largest values", "LARGEST VALUES", NULL, COL_LARGEST},
};

/* A counter's other columns, since its list tracks the key. */
struct top_cell {
	uint64_t reqs, hits, misses, bytes, largest;
	uint64_t mark;     /* reqs at the last refresh (for req/s over the interval) */
	uint32_t key_len;  /* the whole key's length */
	uint32_t kept;     /* bytes in key[] */
	char key[TOP_KEY_MAX];
};

struct top_sketch {
	struct mb_ss ss;
	struct top_cell *cells; /* TOP_COUNTERS */
	uint64_t total;         /* requests, bytes or misses added (W of the bound) */
};

struct capture_top {
	struct capture_top_opts o;
	uint64_t salt;
	struct top_sketch list[TOP_NLISTS];
	uint64_t records, mark_records;
	uint64_t last_show_ns;
	struct mb_ss_entry *rows; /* scratch: TOP_COUNTERS entries */
};

int capture_top_new(struct capture_top **out, const struct capture_top_opts *o)
{
	struct capture_top *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->o = *o;
	t->last_show_ns = o->start_ns;
	if (getrandom(&t->salt, sizeof(t->salt), 0) != sizeof(t->salt))
		t->salt = (uint64_t)mb_wall_ns() ^ ((uint64_t)getpid() << 32);
	int err = 0;
	t->rows = calloc(TOP_COUNTERS, sizeof(*t->rows));
	if (!t->rows)
		err = -ENOMEM;
	for (int i = 0; i < TOP_NLISTS && !err; i++) {
		err = mb_ss_init(&t->list[i].ss, TOP_COUNTERS);
		if (!err && !(t->list[i].cells = calloc(TOP_COUNTERS, sizeof(struct top_cell))))
			err = -ENOMEM;
	}
	if (err) {
		capture_top_free(t);
		return err;
	}
	*out = t;
	return 0;
}

void capture_top_free(struct capture_top *t)
{
	if (!t)
		return;
	for (int i = 0; i < TOP_NLISTS; i++) {
		mb_ss_free(&t->list[i].ss);
		free(t->list[i].cells);
	}
	free(t->rows);
	free(t);
}

/* ---- counting ------------------------------------------------------------------------------ */

static void cell_note(struct top_sketch *l, uint32_t c, bool fresh, const char *key, size_t klen,
		      const struct mb_record *rec)
{
	if (c == MB_SS_NO_CELL)
		return;
	struct top_cell *cell = &l->cells[c];
	if (fresh) {
		memset(cell, 0, offsetof(struct top_cell, key));
		cell->key_len = (uint32_t)klen;
		cell->kept = (uint32_t)(klen < TOP_KEY_MAX ? klen : TOP_KEY_MAX);
		memcpy(cell->key, key, cell->kept);
	}
	cell->reqs++;
	cell->hits += rec->status == MB_STATUS_HIT;
	cell->misses += rec->status == MB_STATUS_MISS;
	cell->bytes += rec->value_len;
	if (rec->value_len > cell->largest)
		cell->largest = rec->value_len;
}

void capture_top_add(struct capture_top *t, const struct mb_record *rec, const void *key,
		     size_t key_bytes)
{
	t->records++;
	if (!key || rec->meta_flags > key_bytes)
		return;
	size_t klen = key_bytes - rec->meta_flags; /* the meta flag text follows the key */
	uint64_t id = XXH3_64bits_withSeed(key, klen, t->salt);
	uint64_t v = rec->value_len, miss = rec->status == MB_STATUS_MISS;
	const uint64_t weight[TOP_NLISTS] = {[TOP_REQUESTS] = 1, [TOP_BYTES] = v, [TOP_MISSES] = miss};
	for (int i = 0; i < TOP_NLISTS; i++) {
		struct top_sketch *l = &t->list[i];
		bool fresh = false;
		uint32_t c;
		if (i == TOP_LARGEST) {
			const struct mb_ss_entry *e;
			if (v)
				c = mb_ss_max(&l->ss, id, v, &fresh);
			else
				c = (e = mb_ss_find(&l->ss, id)) ? e->cell : MB_SS_NO_CELL;
		} else {
			/* weight 0 (a miss in the bytes list): only the columns of a tracked key */
			c = mb_ss_add(&l->ss, id, weight[i], &fresh);
			l->total += weight[i];
		}
		cell_note(l, c, fresh, key, klen, rec);
	}
}

/* ---- showing ------------------------------------------------------------------------------- */

/* key bytes as text: printable ASCII but space and backslash as is, the rest as \xNN. */
static size_t escape_key(char *buf, size_t len, const char *key, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c > 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return o;
}

/* The key as the profile keeps it (top.h): bytes, prefix + identity, or identity. */
static void key_text(const struct capture_top *t, const struct top_cell *c, uint64_t id,
		     char *buf, size_t len)
{
	size_t o = 0;
	if (t->o.key_mode == MB_KEYS_KEPT) {
		o = escape_key(buf, len, c->key, c->kept);
		if (c->kept < c->key_len)
			snprintf(buf + o, len - o, "...");
		return;
	}
	if (t->o.key_mode == MB_KEYS_PREFIX) {
		const char *d = memchr(c->key, t->o.key_delim, c->kept);
		if (d)
			o = escape_key(buf, len, c->key, (size_t)(d - c->key) + 1);
		o += (size_t)snprintf(buf + o, len - o, "*");
	}
	uint64_t dense;
	if (t->o.writer && c->kept == c->key_len &&
	    mb_profile_writer_key_id(t->o.writer, c->key, c->kept, &dense) == 0)
		snprintf(buf + o, len - o, "#%llu", (unsigned long long)dense);
	else
		snprintf(buf + o, len - o, "~%08x", (unsigned)(id >> 32));
}

/* A byte count in at most 6 characters on a terminal ("999", "97.7k", "12.3M"), exact else. */
static void fmt_size(char *buf, size_t len, uint64_t v, bool human)
{
	static const char units[] = "kMGTP";
	if (!human || v < 1000) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	double x = (double)v;
	int u = -1;
	while (x >= 999.95 && u < 4) {
		x /= 1024;
		u++;
	}
	snprintf(buf, len, x < 99.95 ? "%.1f%c" : "%.0f%c", x, units[u]);
}

struct show_ctx {
	bool human;
	int keyw;       /* key column width */
	double dt, up;  /* seconds since the last refresh and since the start */
};

static void show_row(struct capture_top *t, enum top_list li, unsigned rank,
		     const struct mb_ss_entry *e, const struct show_ctx *sc)
{
	FILE *f = t->o.out;
	const struct top_cell *c = &t->list[li].cells[e->cell];
	enum top_col col = list_info[li].col;
	char key[KEY_TEXT_MAX], v[TOP_NLISTS][48], bytes[32], largest[32];
	key_text(t, c, e->id, key, sizeof(key));
	if (sc->human && (int)strlen(key) > sc->keyw && sc->keyw > 2)
		snprintf(key + sc->keyw - 2, 3, "..");
	/* the list's own column is its counter (~ when it may be over); the others the cell's */
	uint64_t reqs = col == COL_REQUESTS ? e->count : c->reqs;
	uint64_t misses = col == COL_MISSES ? e->count : c->misses;
	fmt_size(bytes, sizeof(bytes), col == COL_BYTES ? e->count : c->bytes, sc->human);
	fmt_size(largest, sizeof(largest), col == COL_LARGEST ? e->count : c->largest, sc->human);
	const char *mark = e->err ? "~" : "";
	snprintf(v[COL_REQUESTS], sizeof(v[0]), "%s%llu", col == COL_REQUESTS ? mark : "",
		 (unsigned long long)reqs);
	snprintf(v[COL_MISSES], sizeof(v[0]), "%s%llu", col == COL_MISSES ? mark : "",
		 (unsigned long long)misses);
	snprintf(v[COL_BYTES], sizeof(v[0]), "%s%s", col == COL_BYTES ? mark : "", bytes);
	snprintf(v[COL_LARGEST], sizeof(v[0]), "%s", largest);
	char hit[16] = "-";
	if (c->hits + c->misses)
		snprintf(hit, sizeof(hit), "%.1f", 100.0 * (double)c->hits / (double)(c->hits + c->misses));
	if (!sc->human)
		fprintf(f, "%s ", list_info[li].tag);
	fprintf(f, "%4u %-*s %4u %9s %8.1f %8.1f %5s %7s %7s %7s%s\n", rank, sc->keyw, key,
		c->key_len, v[COL_REQUESTS], (double)(c->reqs - c->mark) / sc->dt,
		(double)reqs / sc->up, hit, v[COL_MISSES], v[COL_BYTES], v[COL_LARGEST],
		t->o.tty ? "\033[K" : "");
}

static void show_list(struct capture_top *t, enum top_list li, unsigned rows,
		      const struct show_ctx *sc)
{
	FILE *f = t->o.out;
	struct top_sketch *l = &t->list[li];
	const char *eol = t->o.tty ? "\033[K" : "";
	char bound[160] = "";
	if (li == TOP_LARGEST || l->ss.len < l->ss.cap) {
		snprintf(bound, sizeof(bound), "exact");
	} else {
		uint64_t b = l->total / TOP_COUNTERS;
		if (sc->human) /* a terminal line is short */
			snprintf(bound, sizeof(bound), "~ at most %llu over, any key above %llu listed",
				 (unsigned long long)b, (unsigned long long)b);
		else
			snprintf(bound, sizeof(bound),
				 "every key above %llu %s is listed; ~ marks a count at most %llu over",
				 (unsigned long long)b, list_info[li].unit, (unsigned long long)b);
	}
	const char *title = sc->human ? list_info[li].tty_title : list_info[li].title;
	if (list_info[li].unit)
		fprintf(f, "%s%s: %llu %s in all, %s%s\n", sc->human ? "" : "# ", title,
			(unsigned long long)l->total, list_info[li].unit, bound, eol);
	else
		fprintf(f, "%s%s: %s%s\n", sc->human ? "" : "# ", title, bound, eol);
	if (sc->human)
		fprintf(f, "%4s %-*s %4s %9s %8s %8s %5s %7s %7s %7s%s\n", "#", sc->keyw, "key",
			"len", "requests", "req/s", "avg/s", "hit%", "misses", "bytes",
			"largest", eol);
	size_t n = mb_ss_top(&l->ss, t->rows, rows);
	for (size_t i = 0; i < n; i++)
		show_row(t, li, (unsigned)i + 1, &t->rows[i], sc);
	if (sc->human)
		fprintf(f, "%s\n", eol);
}

static void show(struct capture_top *t, uint64_t now, const struct capture_top_losses *l,
		 bool final)
{
	FILE *f = t->o.out;
	bool tty = t->o.tty;
	struct show_ctx sc = {.human = tty, .keyw = PLAIN_KEY_MIN};
	sc.dt = (double)(now - t->last_show_ns) / 1e9;
	sc.up = (double)(now - t->o.start_ns) / 1e9;
	if (sc.dt <= 0)
		sc.dt = 1e-9;
	if (sc.up <= 0)
		sc.up = 1e-9;
	unsigned rows = t->o.rows;
	struct winsize ws;
	if (tty && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		/* header 2 lines, per list title + column names + blank line */
		int fit = ((int)ws.ws_row - 3) / TOP_NLISTS - 3;
		if (!final && fit < (int)rows)
			rows = fit < 1 ? 1 : (unsigned)fit;
		sc.keyw = (int)ws.ws_col - ROW_FIXED;
		sc.keyw = sc.keyw < TTY_KEY_MIN ? TTY_KEY_MIN : sc.keyw > TTY_KEY_MAX ? TTY_KEY_MAX : sc.keyw;
	} else if (tty) {
		sc.keyw = TTY_KEY_MIN + 12;
	}
	int64_t wall = t->o.start_wall_ns + (int64_t)(now - t->o.start_ns);
	time_t secs = (time_t)(wall / 1000000000);
	struct tm tm;
	char when[64];
	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	char sample[64] = "";
	if (t->o.sample < 1.0)
		snprintf(sample, sizeof(sample), "%scounts are of the %.4g%% of connections sampled",
			 tty ? "  " : "; ",
			 100.0 * t->o.sample);
	if (tty && !final)
		fprintf(f, "\033[H");
	double rate = (double)(t->records - t->mark_records) / sc.dt;
	if (tty) /* two lines that fit 80 columns */
		fprintf(f,
			"%s%s UTC  up %.0fs  %llu requests  %.1f req/s (last %.1fs)  %.1f avg\033[K\n"
			"drops %llu  gaps %llu  protocol errors %llu%s\033[K\n",
			final ? "FINAL " : "", when + 11, sc.up, (unsigned long long)t->records, rate,
			sc.dt, (double)t->records / sc.up, (unsigned long long)l->ring_drops,
			(unsigned long long)l->stream_gaps, (unsigned long long)l->protocol_errors,
			sample);
	else
		fprintf(f,
			"--- %s%s.%03dZ +%.3fs: %llu requests, %.1f req/s over the last %.3fs, %.1f "
			"req/s average; drops %llu, gaps %llu, protocol errors %llu%s\n"
			"# list rank key len requests req/s avg_req/s hit%% misses bytes largest\n",
			final ? "final " : "", when, (int)(wall / 1000000 % 1000), sc.up,
			(unsigned long long)t->records, rate, sc.dt, (double)t->records / sc.up,
			(unsigned long long)l->ring_drops, (unsigned long long)l->stream_gaps,
			(unsigned long long)l->protocol_errors, sample);
	for (int i = 0; i < TOP_NLISTS; i++)
		show_list(t, (enum top_list)i, rows, &sc);
	if (tty && !final)
		fprintf(f, "\033[J");
	fflush(f);

	/* the next interval starts now */
	t->last_show_ns = now;
	t->mark_records = t->records;
	for (int i = 0; i < TOP_NLISTS; i++)
		for (size_t j = 0; j < t->list[i].ss.len; j++) {
			struct top_cell *c = &t->list[i].cells[t->list[i].ss.heap[j].cell];
			c->mark = c->reqs;
		}
}

bool capture_top_due(const struct capture_top *t, uint64_t now_ns)
{
	return now_ns - t->last_show_ns >= t->o.refresh_ns;
}

int capture_top_tick(struct capture_top *t, uint64_t now_ns, const struct capture_top_losses *l,
		     bool final)
{
	if (t->o.writer) {
		int err = mb_profile_writer_flush(t->o.writer); /* every key shown gets its #ID */
		if (err)
			return err;
	}
	if (final && t->o.tty)
		fprintf(t->o.out, "\033[H\033[J");
	show(t, now_ns, l, final);
	return ferror(t->o.out) ? 1 : 0; /* a closed pipe (`| head`), a full disk */
}
