// SPDX-License-Identifier: MIT
/*
 * test_probesite.c - return sites: every ret and tail jmp of a function is
 * found by decoding it whole, jump tables are not exits, undecodable code
 * and exits the kernel would not probe are refused; and the language evidence that chooses return sites.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "target/probesite.h"

/* Decodes code and checks that its exits are want[0..nwant). */
static void expect_exits(const uint8_t *code, size_t len,
			 const struct pt_ret_at *want, size_t nwant)
{
	struct pt_rets r;
	size_t i;

	assert_int_equal(pt_probe_rets__find(code, len, &r), 0);
	assert_int_equal(r.n, nwant);
	for (i = 0; i < nwant; i++) {
		assert_int_equal(r.v[i].off, want[i].off);
		assert_int_equal(r.v[i].flags, want[i].flags);
	}
	free(r.v);
}

static void test_rets(void **state)
{
	/* push %rbp; mov %rsp,%rbp; pop %rbp; ret; repz ret; ret $8 */
	static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3,
					0xf3, 0xc3, 0xc2, 0x08, 0x00 };
	static const struct pt_ret_at want[] = {
		{ 5, PT_COOKIE_RET },
		{ 6, PT_COOKIE_RET },
		{ 8, PT_COOKIE_RET },
	};

	expect_exits(code, sizeof(code), want, 3);
}

static void test_direct_jmps(void **state)
{
	/* jmp +0 (inside); jmp rel32 past the end (a tail call); jmp back
	 * before the start (a tail call); ret */
	static const uint8_t code[] = { 0xeb, 0x00, 0xe9, 0x10, 0x00,
					0x00, 0x00, 0xe9, 0xf0, 0xff,
					0xff, 0xff, 0xc3 };
	static const struct pt_ret_at want[] = {
		{ 2, PT_COOKIE_TAIL },
		{ 7, PT_COOKIE_TAIL },
		{ 12, PT_COOKIE_RET },
	};

	expect_exits(code, sizeof(code), want, 3);
}

static void test_indirect_jmps(void **state)
{
	/* jmp *%rax; jmp *%r11; jmp *0x10(%rax) (a vtable slot);
	 * jmp *0x0(,%rax,8) (a jump table); jmp *0x0(%rip) (a GOT slot) */
	static const uint8_t code[] = { 0xff, 0xe0, 0x41, 0xff, 0xe3, 0xff,
					0x60, 0x10, 0xff, 0x24, 0xc5, 0x00,
					0x00, 0x00, 0x00, 0xff, 0x25, 0x00,
					0x00, 0x00, 0x00 };
	const uint32_t ind = PT_COOKIE_TAIL | PT_COOKIE_IND;
	const struct pt_ret_at want[] = {
		{ 0, ind | 0u << PT_COOKIE_REG_SHIFT },
		{ 2, ind | 11u << PT_COOKIE_REG_SHIFT },
		{ 5, PT_COOKIE_TAIL },
		{ 15, PT_COOKIE_TAIL },
	};

	expect_exits(code, sizeof(code), want, 4);
}

static void test_prefixes(void **state)
{
	/* notrack jmp *%rax (a CET jump table): no exit; ret */
	static const uint8_t notrack[] = { 0x3e, 0xff, 0xe0, 0xc3 };
	static const struct pt_ret_at want[] = { { 3, PT_COOKIE_RET } };
	/* cs ret: the kernel refuses segment-prefixed instructions */
	static const uint8_t cs_ret[] = { 0x2e, 0xc3 };
	struct pt_rets r;

	expect_exits(notrack, sizeof(notrack), want, 1);
	assert_int_equal(pt_probe_rets__find(cs_ret, sizeof(cs_ret), &r),
			 -EOPNOTSUPP);
	assert_null(r.v);
}

static void test_undecodable_refused(void **state)
{
	/* ret, then 0x06 (push %es: invalid in 64-bit mode), then ret */
	static const uint8_t code[] = { 0xc3, 0x06, 0xc3 };
	/* an instruction cut off at the end */
	static const uint8_t cut[] = { 0xc3, 0xe9, 0x00 };
	struct pt_rets r;

	assert_int_equal(pt_probe_rets__find(code, sizeof(code), &r), -EILSEQ);
	assert_null(r.v);
	assert_int_equal(r.n, 0);
	assert_int_equal(pt_probe_rets__find(cut, sizeof(cut), &r), -EILSEQ);
}

static void test_go_exits(void **state)
{
	/* Go's shape: cmp 0x10(%r14),%rsp; jbe 0x10; sub $8,%rsp;
	 * add $8,%rsp; ret; morestack at 0x10: call out; mov 0x8(%rsp),%rax;
	 * jmp 0 (back to the start); then jmp out (a tail call) and
	 * jmp *%rax (a jump table's in Go: no exit). */
	static const uint8_t code[] = {
		0x49, 0x3b, 0x66, 0x10, 0x76, 0x0a, 0x48, 0x83, 0xec,
		0x08, 0x48, 0x83, 0xc4, 0x08, 0xc3, 0x90, 0xe8, 0x00,
		0x01, 0x00, 0x00, 0x48, 0x8b, 0x44, 0x24, 0x08, 0xeb,
		0xe4, 0xe9, 0x00, 0x01, 0x00, 0x00, 0xff, 0xe0,
	};
	/* The same call with a branch before the jmp 0: no morestack. */
	static const uint8_t other[] = { 0xe8, 0x00, 0x01, 0x00, 0x00,
					 0x74, 0x00, 0xeb, 0xf7 };
	struct pt_rets r;

	assert_int_equal(pt_probe_gorets__find(code, sizeof(code), &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0].off, 0x0e);
	assert_int_equal(r.v[0].flags, PT_COOKIE_RET);
	assert_int_equal(r.v[1].off, 0x10);
	assert_int_equal(r.v[1].flags, PT_COOKIE_GROW);
	assert_int_equal(r.v[2].off, 0x1c);
	assert_int_equal(r.v[2].flags, PT_COOKIE_RET | PT_COOKIE_TAIL);
	free(r.v);
	assert_int_equal(pt_probe_gorets__find(other, sizeof(other), &r), 0);
	assert_int_equal(r.n, 0);
	free(r.v);
	/* Hostile bytes: refused as C's are. */
	assert_int_equal(pt_probe_gorets__find(code, 2, &r), -EILSEQ);
	assert_null(r.v);
}

static void test_lang(void **state)
{
	const char *libstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
	char path[] = "/tmp/test_probesite-XXXXXX";
	int fd;

	/* This test is C, without exception tables or libstdc++. */
	assert_int_equal(pt_probe_lang__of("/proc/self/exe"), PT_LANG_PLAIN);
	assert_int_equal(pt_probe_lang__of("/nonexistent/x"), -ENOENT);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	assert_int_equal(pt_probe_lang__of(path), -ENOEXEC);
	unlink(path);
	if (!access(libstdcxx, R_OK))
		assert_int_equal(pt_probe_lang__of(libstdcxx), PT_LANG_UNWIND);
	else
		print_message("  %s absent: not checked\n", libstdcxx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rets),
		cmocka_unit_test(test_direct_jmps),
		cmocka_unit_test(test_indirect_jmps),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_undecodable_refused),
		cmocka_unit_test(test_go_exits),
		cmocka_unit_test(test_lang),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
