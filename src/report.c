// SPDX-License-Identifier: MIT
/* report.c - see report.h. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json.h>

#include "hist.h"
#include "report.h"

static const char *const lost_names[PT_LOST_NR] = {
	[PT_LOST_DEPTH] = "depth",
	[PT_LOST_UNMATCHED] = "unmatched",
	[PT_LOST_THREADS_FULL] = "threads_full",
};

/* ------------------------------------------------------------------ build */

int pt_report__build(struct pt_report *r, const struct pt_stage_set *stages,
		     const struct pt_totals *totals, uint64_t duration_ns)
{
	double secs = (double)duration_ns / 1e9;
	size_t i;

	r->rows = calloc(stages->n ? stages->n : 1, sizeof(*r->rows));
	if (!r->rows)
		return -ENOMEM;
	r->n = stages->n;
	r->duration_ns = duration_ns;
	r->lost_total = 0;
	for (i = 0; i < PT_LOST_NR; i++)
		r->lost_total += r->lost[i];
	for (i = 0; i < stages->n; i++) {
		struct pt_stage_report *row = &r->rows[i];
		const struct pt_totals *t = &totals[i];

		row->stage = &stages->v[i];
		row->tot = t;
		if (r->calibrated)
			row->bias_ns = r->bias_ns[row->stage->probe_class];
		if (t->calls) {
			row->mean_ns = t->lat_sum_ns / t->calls;
			row->p50_ns = pt_hist_percentile(t->hist, t->calls, 50,
							 t->min_ns, t->max_ns);
			row->p95_ns = pt_hist_percentile(t->hist, t->calls, 95,
							 t->min_ns, t->max_ns);
			row->p99_ns = pt_hist_percentile(t->hist, t->calls, 99,
							 t->min_ns, t->max_ns);
		}
		if (secs > 0) {
			row->calls_per_s = (double)t->calls / secs;
			row->items_per_s = (double)t->items / secs;
			row->concurrency = (double)t->wall_ns / 1e9 / secs;
		}
	}
	return 0;
}

void pt_report__free(struct pt_report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

/* ------------------------------------------------------------------ table */

const char *pt_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

/* "1.23k", "4.5M" for rates and counts in narrow columns. */
static const char *fmt_rate(char *buf, size_t len, double v)
{
	if (v < 1e4)
		snprintf(buf, len, "%.1f", v);
	else if (v < 1e7)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
	return buf;
}

/* The stage's label: its name, prefixed by its object's basename when that
 * is not the main executable's (the first stage's object). */
static void stage_label(char *buf, size_t len, const struct pt_report *r,
			const struct pt_stage *s)
{
	const char *base = strrchr(s->object, '/');

	if (r->n && strcmp(s->object, r->rows[0].stage->object))
		snprintf(buf, len, "%s:%s", base ? base + 1 : s->object,
			 s->name);
	else
		snprintf(buf, len, "%s", s->name);
}

int pt_report__write_table(FILE *f, const struct pt_report *r)
{
	char b[9][32], label[64];
	size_t i;

	fprintf(f, "PID %d (%s): traced %s, %zu stage%s, %llu lost event%s",
		r->pid, r->command ? r->command : "?",
		pt_fmt_ns(b[0], sizeof(b[0]), r->duration_ns), r->n,
		r->n == 1 ? "" : "s", (unsigned long long)r->lost_total,
		r->lost_total == 1 ? "" : "s");
	if (r->calibrated) {
		bool used[PT_PROBE_NR] = { false };
		const char *sep = "";
		int c;

		for (i = 0; i < r->n; i++)
			used[r->rows[i].stage->probe_class] = true;
		fputs(", probe cost subtracted per call:", f);
		for (c = 0; c < PT_PROBE_NR; c++) {
			if (!used[c])
				continue;
			fprintf(f, "%s %s %s", sep,
				pt_probe_class__name((enum pt_probe_class)c),
				pt_fmt_ns(b[1], sizeof(b[1]), r->bias_ns[c]));
			sep = ",";
		}
	} else {
		fputs(", probe cost not subtracted", f);
	}
	fputs("\n", f);
	if (r->lost_total)
		fprintf(f, "lost: %llu nested too deep, %llu unmatched, %llu untracked threads\n",
			(unsigned long long)r->lost[PT_LOST_DEPTH],
			(unsigned long long)r->lost[PT_LOST_UNMATCHED],
			(unsigned long long)r->lost[PT_LOST_THREADS_FULL]);
	fprintf(f, "%-24s %9s %10s %9s %5s %8s %8s %8s %8s %8s %8s %8s %8s\n",
		"STAGE", "CALLS", "ITEMS", "WALL", "CONC", "MIN", "MEAN", "P50",
		"P95", "P99", "MAX", "CALLS/s", "ITEMS/s");
	for (i = 0; i < r->n; i++) {
		const struct pt_stage_report *row = &r->rows[i];
		const struct pt_totals *t = row->tot;
		bool items = row->stage->items != PT_ITEMS_NONE;
		char items_s[24];

		stage_label(label, sizeof(label), r, row->stage);
		if (items)
			snprintf(items_s, sizeof(items_s), "%llu",
				 (unsigned long long)t->items);
		else
			snprintf(items_s, sizeof(items_s), "-");
		fprintf(f,
			"%-24s %9llu %10s %9s %5.2f %8s %8s %8s %8s %8s %8s %8s %8s\n",
			label, (unsigned long long)t->calls, items_s,
			pt_fmt_ns(b[0], sizeof(b[0]), t->wall_ns),
			row->concurrency,
			pt_fmt_ns(b[1], sizeof(b[1]), t->min_ns),
			pt_fmt_ns(b[2], sizeof(b[2]), row->mean_ns),
			pt_fmt_ns(b[3], sizeof(b[3]), row->p50_ns),
			pt_fmt_ns(b[4], sizeof(b[4]), row->p95_ns),
			pt_fmt_ns(b[5], sizeof(b[5]), row->p99_ns),
			pt_fmt_ns(b[6], sizeof(b[6]), t->max_ns),
			fmt_rate(b[7], sizeof(b[7]), row->calls_per_s),
			items ? fmt_rate(b[8], sizeof(b[8]),
					 row->items_per_s) :
				"-");
	}
	return ferror(f) ? -EIO : 0;
}

/* ------------------------------------------------------------------- JSON */

static json_object *juint(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* Adds key: value to obj, taking value; returns -ENOMEM if value is NULL. */
static int jadd(json_object *obj, const char *key, json_object *value)
{
	if (!value)
		return -ENOMEM;
	if (json_object_object_add(obj, key, value)) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

static json_object *stage_json(const struct pt_stage_report *row)
{
	const struct pt_totals *t = row->tot;
	bool items = row->stage->items != PT_ITEMS_NONE;
	json_object *o = json_object_new_object(), *lat;
	int ret = 0;

	if (!o)
		return NULL;
	lat = json_object_new_object();
	ret |= jadd(o, "name", json_object_new_string(row->stage->name));
	ret |= jadd(o, "object", json_object_new_string(row->stage->object));
	ret |= jadd(o, "annotated",
		    json_object_new_boolean(row->stage->annotated));
	ret |= jadd(o, "calls", juint(t->calls));
	if (items)
		ret |= jadd(o, "items", juint(t->items));
	else
		ret |= json_object_object_add(o, "items", NULL);
	ret |= jadd(o, "items_mode", json_object_new_string(pt_items_mode__name(
					     row->stage->items)));
	ret |= jadd(o, "errors", juint(t->errors));
	ret |= jadd(o, "wall_ns", juint(t->wall_ns));
	if (lat) {
		ret |= jadd(lat, "min", juint(t->min_ns));
		ret |= jadd(lat, "mean", juint(row->mean_ns));
		ret |= jadd(lat, "p50", juint(row->p50_ns));
		ret |= jadd(lat, "p95", juint(row->p95_ns));
		ret |= jadd(lat, "p99", juint(row->p99_ns));
		ret |= jadd(lat, "max", juint(t->max_ns));
		ret |= jadd(lat, "sum", juint(t->lat_sum_ns));
	}
	ret |= jadd(o, "latency_ns", lat);
	ret |= jadd(o, "throughput_per_s",
		    json_object_new_double(row->calls_per_s));
	if (items)
		ret |= jadd(o, "items_per_s",
			    json_object_new_double(row->items_per_s));
	else
		ret |= json_object_object_add(o, "items_per_s", NULL);
	ret |= jadd(o, "concurrency", json_object_new_double(row->concurrency));
	ret |= jadd(o, "probe_class", json_object_new_string(pt_probe_class__name(
					      row->stage->probe_class)));
	ret |= jadd(o, "probe_bias_ns", juint(row->bias_ns));
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The whole report as a json-c object; NULL on allocation failure. */
static json_object *report_json(const struct pt_report *r)
{
	json_object *o = json_object_new_object(), *stages, *lost;
	size_t i;
	int ret = 0;

	if (!o)
		return NULL;
	ret |= jadd(o, "schema", json_object_new_string(PT_REPORT_SCHEMA));
	ret |= jadd(o, "pid", json_object_new_int(r->pid));
	ret |= jadd(o, "command", json_object_new_string(r->command ?
								 r->command :
								 ""));
	ret |= jadd(o, "duration_ns", juint(r->duration_ns));
	ret |= jadd(o, "lost_events", juint(r->lost_total));
	lost = json_object_new_object();
	for (i = 0; lost && i < PT_LOST_NR; i++)
		ret |= jadd(lost, lost_names[i], juint(r->lost[i]));
	ret |= jadd(o, "lost", lost);
	if (r->calibrated) {
		json_object *cal = json_object_new_object();
		int c;

		for (c = 0; cal && c < PT_PROBE_NR; c++)
			ret |= jadd(cal,
				    pt_probe_class__name((enum pt_probe_class)c),
				    juint(r->bias_ns[c]));
		ret |= jadd(o, "calibration_ns", cal);
	} else {
		ret |= json_object_object_add(o, "calibration_ns", NULL);
	}
	stages = json_object_new_array();
	for (i = 0; stages && i < r->n; i++) {
		json_object *s = stage_json(&r->rows[i]);

		if (!s || json_object_array_add(stages, s)) {
			json_object_put(s);
			ret = -ENOMEM;
			break;
		}
	}
	ret |= jadd(o, "stages", stages);
	if (ret) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int pt_report__write_json(FILE *f, const struct pt_report *r)
{
	json_object *o = report_json(r);
	const char *s;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || fputs(s, f) < 0 || fputc('\n', f) < 0)
		ret = -EIO;
	json_object_put(o);
	if (!ret && ferror(f))
		ret = -EIO;
	return ret;
}

/* -------------------------------------------------------------- exporters */

static const struct pt_exporter exporters[] = {
	{ "table", pt_report__write_table },
	{ "json", pt_report__write_json },
};

const struct pt_exporter *pt_exporter__find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++)
		if (!strcmp(exporters[i].name, name))
			return &exporters[i];
	return NULL;
}

int pt_report__save(const char *path, const struct pt_exporter *ex,
		    const struct pt_report *r)
{
	char *tmp, *dir_copy;
	FILE *f;
	int fd, ret;

	dir_copy = strdup(path);
	if (!dir_copy)
		return -ENOMEM;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dir_copy),
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		free(dir_copy);
		return -ENOMEM;
	}
	free(dir_copy);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	/* mkstemp makes 0600; a report is as readable as any output file. */
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	ret = ex->write(f, r);
	if (fflush(f) || fsync(fileno(f)))
		ret = ret ? ret : -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		goto fail;
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return ret;
}
