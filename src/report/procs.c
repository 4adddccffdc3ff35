// SPDX-License-Identifier: MIT
/* procs.c - see procs.h. */
#include "report/procs.h"

int pt_proc_info__cmp(const void *a, const void *b)
{
	const struct pt_proc_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int pt_proc_stage_row__cmp(const void *a, const void *b)
{
	const struct pt_proc_stage_row *x = a, *y = b;

	if (x->stage != y->stage)
		return (x->stage > y->stage) - (x->stage < y->stage);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

const struct pt_proc_info *pt_procs__find(const struct pt_proc_info *v,
					  size_t n, uint32_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid)
			return &v[i];
	return NULL;
}
