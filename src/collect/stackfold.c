// SPDX-License-Identifier: MIT
/* stackfold.c - see stackfold.h. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/stackfold.h"

/* Frames of one line: stage + user + kernel + reason. */
#define MAX_LINE_FRAMES (2 + 4 * PT_STACK_DEPTH + PT_STACK_DEPTH)

const char *pt_stackfold__reason(unsigned int part)
{
	switch (part) {
	case PT_PART_IO:
		return "[io]";
	case PT_PART_LOCK:
		return "[lock]";
	case PT_PART_SLEEP:
		return "[sleep]";
	case PT_PART_RUNQ:
		return "[runqueue]";
	default:
		return "[other]";
	}
}

struct line {
	char *frames[MAX_LINE_FRAMES];
	size_t n;
	bool last_unnamed; /* frames[n - 1] names a run of unnamed code */
};

/* Appends a copy of name; returns 0 or -ENOMEM/-E2BIG. */
static int push(struct line *l, const char *name)
{
	if (l->n >= MAX_LINE_FRAMES)
		return -E2BIG;
	l->frames[l->n] = strdup(name);
	if (!l->frames[l->n])
		return -ENOMEM;
	l->n++;
	l->last_unnamed = false;
	return 0;
}

/* Appends NAME for unnamed code unless the frame before is the same run
 * of unnamed code (consecutive frames of one object fold into one). */
static int push_unnamed(struct line *l, const char *name)
{
	int ret;

	if (l->last_unnamed && !strcmp(l->frames[l->n - 1], name))
		return 0;
	ret = push(l, name);
	l->last_unnamed = !ret;
	return ret;
}

static void line_free(struct line *l)
{
	while (l->n)
		free(l->frames[--l->n]);
	l->last_unnamed = false;
}

/* pt_uframe_fn: the frames of one address, outermost first. */
static int push_uframe(const struct pt_uframe *f, void *ctx)
{
	struct line *l = ctx;
	const char *at = strchr(f->name, '@');
	char buf[512];

	/* clock_gettime@@GLIBC_2.17: the version is noise in a flame graph. */
	if (at && at > f->name && (size_t)(at - f->name) < sizeof(buf)) {
		memcpy(buf, f->name, (size_t)(at - f->name));
		buf[at - f->name] = '\0';
		return push(l, buf);
	}
	return push(l, f->name);
}

/* One sample's user stack, leaf first, each address classified. */
struct ustack {
	uint64_t ip[PT_STACK_DEPTH]; /* as the kernel gave them */
	uint64_t addr[PT_STACK_DEPTH]; /* return addresses already - 1 */
	enum pt_ucode kind[PT_STACK_DEPTH];
	int n; /* frames kept: those before the cut */
	bool truncated; /* cut where the walk left code */
	bool own; /* the leaf is in the uprobe area: the tracer's own */
};

static bool is_code(enum pt_ucode kind)
{
	return kind != PT_UCODE_NOT_CODE && kind != PT_UCODE_UNMAPPED;
}

/*
 * Reads and classifies the user stack ID. A frame-pointer walk through
 * code built without frame pointers reads return addresses from whatever
 * the frame pointer register held: the first "return address" in memory
 * that is not executable ([heap], a stack, data) cuts the stack there.
 * Without u, nothing is classified (addresses are printed as they are).
 */
static int read_ustack(struct pt_tracer *t, struct pt_usyms *u,
		       const struct pt_ustacks *dw, int32_t id, bool leaf_is_ip,
		       struct ustack *us)
{
	uint64_t ips[PT_STACK_DEPTH];
	int n, i, ret;

	memset(us, 0, sizeof(*us));
	if (id >= 0 && (id & PT_USTACKS_ID))
		n = pt_ustacks__read(dw, id, ips);
	else
		n = pt_tracer__read_stack(t, id, ips);
	for (i = 0; i < n; i++) {
		/* Return addresses: name the call instruction before. */
		us->ip[i] = ips[i];
		us->addr[i] = ips[i] - (i == 0 && leaf_is_ip ? 0 : 1);
		us->kind[i] = PT_UCODE_SYMBOL;
		if (!u)
			continue;
		ret = pt_usyms__kind(u, us->addr[i], &us->kind[i]);
		if (!ret && i == 0 && !is_code(us->kind[0])) {
			/* an off-CPU leaf is where the thread entered the
			 * kernel, not a return address */
			us->addr[0] = ips[0];
			ret = pt_usyms__kind(u, ips[0], &us->kind[0]);
		}
		if (ret)
			return ret;
		/* Not cut at an unmapped address: that may be a library
		 * mapped after the symbolizer's last maps read. */
		if (us->kind[i] == PT_UCODE_NOT_CODE) {
			us->truncated = true;
			break;
		}
	}
	us->n = i;
	us->own = n > 0 && us->kind[0] == PT_UCODE_UPROBES;
	return 0;
}

/* Pushes unnamed code at ADDR: its object (or [jit] for anonymous
 * executable memory) merged with its unnamed neighbours, or with
 * --addresses its exact "OBJECT+0xOFF". */
static int push_nosym(struct pt_usyms *u, const struct pt_stackfold_opts *o,
		      uint64_t addr, enum pt_ucode kind, struct line *l)
{
	char buf[512];
	int ret;

	if (o->addresses) {
		ret = pt_usyms__name(u, addr, buf, sizeof(buf));
		return ret ? ret : push(l, buf);
	}
	ret = pt_usyms__object(u, addr, buf, sizeof(buf));
	if (ret)
		return ret;
	if (kind == PT_UCODE_ANON_EXEC)
		return push_unnamed(l, strcmp(buf, "[anon]") ? "[anon-exec]" :
							       "[jit]");
	return push_unnamed(l, buf);
}

/* The user frames of US, root first. A uretprobe trampoline address left
 * in the chain (the kernel replaces them since 6.12) is dropped. */
static int push_user(struct pt_usyms *u, const struct pt_stackfold_opts *o,
		     const struct ustack *us, struct line *l)
{
	char buf[64];
	int i, ret = 0;

	for (i = us->n - 1; i >= 0 && !ret; i--) {
		if (!u) {
			snprintf(buf, sizeof(buf), "0x%" PRIx64, us->ip[i]);
			ret = push(l, buf);
		} else if (us->kind[i] == PT_UCODE_SYMBOL) {
			ret = pt_usyms__frames(u, us->addr[i], push_uframe, l);
		} else if (us->kind[i] != PT_UCODE_UPROBES) {
			ret = push_nosym(u, o, us->addr[i], us->kind[i], l);
		}
	}
	return ret;
}

/* Kernel frames by whose work they are. */
enum kframe {
	KF_TARGET, /* the traced thread's */
	KF_PROBE, /* the uprobe machinery: trap, handler, trampoline */
	KF_HOOK, /* a tracepoint's or perf event's BPF glue and program */
};

static bool has_prefix(const char *name, const char *const *prefixes)
{
	for (; *prefixes; prefixes++)
		if (!strncmp(name, *prefixes, strlen(*prefixes)))
			return true;
	return false;
}

/*
 * Seen in real stacks on 6.18 (refpipe, xz): a uprobe hit enters through
 * asm_exc_int3 (uprobe_notify_resume, handler_chain, uprobe_dispatcher,
 * __uprobe_perf_func, arch_uretprobe_hijack_return_addr, ...), a return
 * probe through the uretprobe syscall (__x64/__ia32_sys_uretprobe,
 * uprobe_handle_trampoline), and the BPF programs run under
 * __traceiter_X, __bpf_trace_X, bpf_trace_run<N>, bpf_prog_<tag>_<name>.
 * try_get_uprobe (the hit's lookup) was seen once in an on-CPU stack
 * with no frame of this list on its root side (test_debian_pigz, in a
 * loaded make test).
 * The rest is listed from the kernel's sources: single-stepping
 * (asm_exc_debug, handle_singlestep), the sys_uprobe of optimized
 * probes, BPF trampolines and the perf callchain code.
 */
static enum kframe kernel_frame(const char *name)
{
	static const char *const probe[] = { "asm_exc_int3",
					     "exc_int3",
					     "asm_exc_debug",
					     "exc_debug",
					     "noist_exc_debug",
					     "uprobe_",
					     "__uprobe_",
					     "uretprobe_",
					     "arch_uprobe_",
					     "arch_uretprobe_",
					     "handle_swbp",
					     "handle_singlestep",
					     "find_active_uprobe",
					     "find_uprobe",
					     "try_get_uprobe",
					     "put_uprobe",
					     "handler_chain",
					     "handle_trampoline",
					     "__x64_sys_uretprobe",
					     "__ia32_sys_uretprobe",
					     "__do_sys_uretprobe",
					     "__x64_sys_uprobe",
					     "__ia32_sys_uprobe",
					     "__do_sys_uprobe",
					     NULL };
	static const char *const hook[] = {
		"__traceiter_",	       "__bpf_trace_",
		"bpf_trace_run",       "bpf_prog_",
		"__bpf_prog_enter",    "__bpf_prog_exit",
		"bpf_trampoline_",     "trace_call_bpf",
		"perf_trace_",	       "perf_callchain",
		"get_perf_callchain",  "bpf_get_stack",
		"__bpf_get_stack",     "bpf_overflow_handler",
		"perf_event_overflow", "__perf_event_overflow",
		"_einittext",	       NULL
	};

	if (!name)
		return KF_TARGET;
	if (has_prefix(name, probe))
		return KF_PROBE;
	return has_prefix(name, hook) ? KF_HOOK : KF_TARGET;
}

/* Whether a leaf kernel frame is the sampling's own (the perf event's
 * code, or an address kallsyms does not know: a BPF program). */
static bool leaf_tracer_frame(const char *name)
{
	return !name || !strncmp(name, "perf_", 5) ||
	       !strncmp(name, "__perf_", 7);
}

/*
 * The kernel frames of stack ID, root first, each with "_[k]". From the
 * first frame of the tracer's machinery (see kernel_frame()) down to the
 * leaf nothing is kept, and *cut says which machinery it was.
 */
static int push_kernel(struct pt_tracer *t, const struct pt_ksyms *k,
		       int32_t id, struct line *l, enum kframe *cut)
{
	uint64_t ips[PT_STACK_DEPTH];
	char buf[PT_KSYM_NAME_MAX + 8];
	const char *name;
	int n, i, first = 0, ret;

	*cut = KF_TARGET;
	n = pt_tracer__read_stack(t, id, ips);
	while (k && first < n &&
	       leaf_tracer_frame(pt_ksyms__name(k, ips[first])))
		first++;
	for (i = n - 1; i >= first; i--) {
		name = k ? pt_ksyms__name(k, ips[i]) : NULL;
		*cut = kernel_frame(name);
		if (*cut != KF_TARGET)
			break;
		if (name)
			snprintf(buf, sizeof(buf), "%s_[k]", name);
		else
			snprintf(buf, sizeof(buf), "0x%" PRIx64 "_[k]", ips[i]);
		ret = push(l, buf);
		if (ret)
			return ret;
	}
	return 0;
}

struct collect {
	struct pt_tracer *t;
	const struct pt_stage_set *st;
	struct pt_usyms *u;
	const struct pt_ksyms *k;
	const struct pt_stackfold_opts *o;
	struct pt_folded *oncpu, *offcpu;
	struct pt_stackfold_stats *stats;
	struct line *line;
	struct ustack *us;
};

/* Builds the line of one sample in c->line; *own tells whether the sample
 * is the tracer's own work (the line is then not to be added). */
static int fold_sample(struct collect *c, const struct pt_sample_key *key,
		       bool *own)
{
	bool on = key->part == PT_SAMPLE_ONCPU;
	struct line *l = c->line;
	struct pt_usyms *u = c->u;
	enum kframe cut;
	int ret = 0;

	if (key->tgid && c->o->syms_of)
		u = c->o->syms_of(c->o->procs_ctx, key->tgid);
	if (c->o->label)
		ret = push(l, c->o->label(c->o->procs_ctx, key->tgid));
	if (!ret)
		ret = read_ustack(c->t, u, c->o->ustacks, key->ustack, on,
				  c->us);
	if (!ret)
		ret = push(l, key->stage < c->st->n ?
				      c->st->v[key->stage].name :
				      PT_NO_STAGE);
	if (!ret)
		ret = push_user(u, c->o, c->us, l);
	if (!ret)
		ret = push_kernel(c->t, c->k, key->kstack, l, &cut);
	if (!ret && !on)
		ret = push(l, pt_stackfold__reason(key->part));
	*own = c->us->own || cut == KF_PROBE || (on && cut == KF_HOOK);
	return ret;
}

static int add_bucket(const struct pt_sample_key *key, uint64_t value,
		      void *arg)
{
	struct collect *c = arg;
	bool on = key->part == PT_SAMPLE_ONCPU, own = false;
	struct pt_folded *dst = on ? c->oncpu : c->offcpu;
	struct pt_stackfold_count *sc = on ? &c->stats->oncpu :
					     &c->stats->offcpu;
	uint64_t count = on ? value : (value + 500) / 1000;
	int ret;

	if (!dst || !count)
		return 0;
	ret = fold_sample(c, key, &own);
	sc->total += count;
	if (!ret && own)
		sc->own += count;
	else if (!ret && c->us->truncated)
		sc->truncated += count;
	if (!ret && !own)
		ret = pt_folded__add(dst, (const char *const *)c->line->frames,
				     c->line->n, count);
	line_free(c->line);
	return ret;
}

int pt_stackfold__collect(struct pt_tracer *t, const struct pt_stage_set *st,
			  struct pt_usyms *u, const struct pt_ksyms *k,
			  const struct pt_stackfold_opts *o,
			  struct pt_folded *oncpu, struct pt_folded *offcpu,
			  struct pt_stackfold_stats *stats)
{
	static const struct pt_stackfold_opts defaults;
	struct pt_stackfold_stats scratch;
	struct collect c = { .t = t,
			     .st = st,
			     .u = u,
			     .k = k,
			     .o = o ? o : &defaults,
			     .oncpu = oncpu,
			     .offcpu = offcpu,
			     .stats = stats ? stats : &scratch };
	int ret = -ENOMEM;

	memset(c.stats, 0, sizeof(*c.stats));
	c.line = calloc(1, sizeof(*c.line));
	c.us = calloc(1, sizeof(*c.us));
	if (c.line && c.us)
		ret = pt_tracer__for_each_sample(t, add_bucket, &c);
	if (!ret && c.o->ustacks)
		ret = pt_ustacks__for_each(c.o->ustacks, add_bucket, &c);
	if (oncpu) {
		c.stats->oncpu.prexec = pt_tracer__prexec_samples(t);
		c.stats->oncpu.total += c.stats->oncpu.prexec;
	}
	free(c.line);
	free(c.us);
	return ret;
}

struct kips {
	struct pt_tracer *t;
	uint64_t *v;
	size_t n, cap;
};

/* One sample's kernel frames appended to the kips at ARG. */
static int add_kips(const struct pt_sample_key *key, uint64_t value, void *arg)
{
	struct kips *k = arg;
	uint64_t ips[PT_STACK_DEPTH], *v;
	int n, i;

	(void)value;
	n = pt_tracer__read_stack(k->t, key->kstack, ips);
	if (n <= 0)
		return 0;
	if (k->n + (size_t)n > k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 1024;

		while (cap < k->n + (size_t)n)
			cap *= 2;
		v = realloc(k->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	for (i = 0; i < n; i++)
		k->v[k->n++] = ips[i];
	return 0;
}

int pt_stackfold__kernel_ips(struct pt_tracer *t,
			     const struct pt_stackfold_opts *o, uint64_t **ips,
			     size_t *n)
{
	struct kips k = { .t = t };
	int ret;

	ret = pt_tracer__for_each_sample(t, add_kips, &k);
	if (!ret && o && o->ustacks)
		ret = pt_ustacks__for_each(o->ustacks, add_kips, &k);
	if (ret) {
		free(k.v);
		k.v = NULL;
		k.n = 0;
	}
	*ips = k.v;
	*n = k.n;
	return ret;
}
