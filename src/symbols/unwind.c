// SPDX-License-Identifier: MIT
/*
 * unwind.c - see unwind.h. libdw's unwinder asks for the thread (one: the
 * sample's), its registers and the words of its memory through callbacks,
 * which serve the sample being unwound (struct pt_unwinder.cur).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>

#include "symbols/unwind.h"
#include "util/log.h"

/* The sample being unwound, and where its frames go. */
struct sample {
	const struct pt_usample_hdr *h;
	const uint8_t *stack;
	uint64_t *ips;
	int max, n;
	bool past_end; /* the last read failed just past the copy */
};

struct pt_unwinder {
	struct pt_usyms *u;
	Dwfl *dwfl;
	struct sample cur;
	bool cut; /* the last unwind's */
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct pt_unwinder *w = arg;

	if (*thread_argp || !w->cur.h)
		return 0;
	*thread_argp = w;
	return (pid_t)w->cur.h->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

/* The return address a uretprobe replaced at SLOT, else WORD. */
static uint64_t restore_ret(const struct pt_usample_hdr *h, uint64_t slot,
			    uint64_t word)
{
	uint32_t i;

	for (i = 0; i < h->nuret && i < PT_URET_MAX; i++)
		if (h->uret[i].slot == slot)
			return h->uret[i].orig;
	return word;
}

/* A word of the copied stack; anything outside it is unavailable. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			void *arg)
{
	struct sample *c = &((struct pt_unwinder *)arg)->cur;
	uint64_t sp = c->h->regs[PT_UREG_SP], word;

	c->past_end = addr >= sp && addr - sp >= c->h->size &&
		      addr - sp - c->h->size < PT_USTACK_MAX;
	if (addr < sp || c->h->size < sizeof(word) ||
	    addr - sp > c->h->size - sizeof(word))
		return false;
	c->past_end = false;
	memcpy(&word, c->stack + (addr - sp), sizeof(word));
	*result = restore_ret(c->h, addr, word);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct sample *c = &((struct pt_unwinder *)arg)->cur;
	Dwarf_Word regs[PT_UREGS_NR];
	int i;

	for (i = 0; i < PT_UREGS_NR; i++)
		regs[i] = c->h->regs[i];
	return dwfl_thread_state_registers(thread, 0, PT_UREGS_NR, regs);
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

int pt_unwinder__new(struct pt_usyms *u, struct pt_unwinder **out, char *err,
		     size_t errlen)
{
	struct pt_unwinder *w;

	*out = NULL;
	if (!pt_usyms__dwfl(u))
		return pt_errf(err, errlen, -EINVAL,
			       "no symbolizer to unwind with");
	w = calloc(1, sizeof(*w));
	if (!w)
		return pt_errf(err, errlen, -ENOMEM, "out of memory");
	w->u = u;
	w->dwfl = pt_usyms__dwfl(u);
	if (!dwfl_attach_state(w->dwfl, NULL, 1, &callbacks, w)) {
		free(w);
		return pt_errf(
			err, errlen, -ENOEXEC,
			"cannot unwind with libdw: %s; stacks are walked by frame pointers",
			dwfl_errmsg(-1));
	}
	*out = w;
	return 0;
}

static int on_frame(Dwfl_Frame *f, void *arg)
{
	struct sample *c = &((struct pt_unwinder *)arg)->cur;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(f, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	c->ips[c->n++] = pc;
	return c->n < c->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int walk(struct pt_unwinder *w, const struct pt_usample_hdr *h,
		const uint8_t *stack, uint64_t *ips, int max)
{
	int n;

	w->cur = (struct sample){
		.h = h, .stack = stack, .ips = ips, .max = max
	};
	/* -1 where the walk ends (no CFI, nor a frame in the copy): the
	 * frames before it stand. */
	dwfl_getthread_frames(w->dwfl, (pid_t)h->tid, on_frame, w);
	n = w->cur.n;
	/* Ended reading what lies just past the copy: the stack went on. */
	w->cut = n > 0 && n < max && w->cur.past_end;
	w->cur = (struct sample){ 0 };
	return n;
}

/* Whether the walk ended in code of no module the Dwfl knows, which the
 * symbolizer finds mapped since its last read of the maps (a library
 * mapped late, dlopen): it re-reads them on such a miss, once per
 * address, and reports the new objects to the Dwfl. */
static bool reported_since(struct pt_unwinder *w, const uint64_t *ips, int n,
			   int max)
{
	uint64_t pc = n > 0 ? ips[n - 1] - (n > 1) : 0;
	enum pt_ucode kind;

	if (n <= 0 || n >= max || dwfl_addrmodule(w->dwfl, pc))
		return false;
	if (pt_usyms__kind(w->u, pc, &kind) ||
	    (kind != PT_UCODE_SYMBOL && kind != PT_UCODE_NOSYM))
		return false;
	return dwfl_addrmodule(w->dwfl, pc) != NULL;
}

int pt_unwinder__unwind(struct pt_unwinder *w, const struct pt_usample_hdr *h,
			const uint8_t *stack, uint64_t *ips, int max)
{
	int n;

	w->cut = false;
	if (h->size > PT_USTACK_MAX || max <= 0)
		return -EINVAL;
	n = walk(w, h, stack, ips, max);
	if (reported_since(w, ips, n, max))
		n = walk(w, h, stack, ips, max);
	return n;
}

bool pt_unwinder__cut(const struct pt_unwinder *w)
{
	return w->cut;
}

void pt_unwinder__free(struct pt_unwinder *w)
{
	free(w);
}
