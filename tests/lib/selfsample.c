// SPDX-License-Identifier: MIT
/* selfsample.c - see selfsample.h. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/selfsample.h"

/* The highest address of this thread's stack. */
static uintptr_t stack_top(void)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t size = 0;

	if (pthread_getattr_np(pthread_self(), &a))
		return 0;
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	return (uintptr_t)addr + size;
}

__attribute__((noinline, optimize("omit-frame-pointer"))) void
ptest_capture_self(struct pt_usample_hdr *h, uint8_t *stack, size_t size)
{
	__u64 *r = h->regs;
	uintptr_t top = stack_top();
	size_t n;

	__asm__ volatile("movq %%rbx, 24(%0)\n\t"
			 "movq %%rbp, 48(%0)\n\t"
			 "movq %%rsp, 56(%0)\n\t"
			 "movq %%r12, 96(%0)\n\t"
			 "movq %%r13, 104(%0)\n\t"
			 "movq %%r14, 112(%0)\n\t"
			 "movq %%r15, 120(%0)\n\t"
			 "leaq 0(%%rip), %%rax\n\t"
			 "movq %%rax, 128(%0)\n\t"
			 :
			 : "r"(r)
			 : "rax", "memory");
	n = top - r[PT_UREG_SP];
	if (n > size)
		n = size;
	memcpy(stack, (const void *)(uintptr_t)r[PT_UREG_SP], n);
	h->size = (uint32_t)n;
	h->tid = (uint32_t)gettid();
}
