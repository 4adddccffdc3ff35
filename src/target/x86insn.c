// SPDX-License-Identifier: MIT
/*
 * x86insn.c - x86-64 instruction decoding for the probe-site choice: pushes,
 * endbr64 and direct branch targets (see x86insn.h).
 */
#include <string.h>

#include "target/x86insn.h"

static const uint8_t endbr64[PT_X86_ENDBR64_LEN] = { 0xf3, 0x0f, 0x1e, 0xfa };

size_t pt_x86__push_len(const uint8_t *code, size_t len)
{
	if (len >= 1 && code[0] >= 0x50 && code[0] <= 0x57)
		return 1; /* push %rax..%rdi */
	if (len >= 2 && code[0] == 0x41 && code[1] >= 0x50 && code[1] <= 0x57)
		return 2; /* push %r8..%r15 */
	return 0;
}

bool pt_x86__is_endbr64(const uint8_t *code, size_t len)
{
	return len >= sizeof(endbr64) &&
	       !memcmp(code, endbr64, sizeof(endbr64));
}

bool pt_x86__is_nop5(const uint8_t *code, size_t len)
{
	static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

	return len >= sizeof(nop5) && !memcmp(code, nop5, sizeof(nop5));
}

bool pt_x86__is_nop(const uint8_t *code, size_t len)
{
	size_t i = 0;

	while (i < len && code[i] == 0x66)
		i++;
	if (i < len && code[i] == 0x90)
		return true;
	return i + 1 < len && code[i] == 0x0f && code[i + 1] == 0x1f;
}

/* The target of a direct branch starting at code[i], or INT64_MIN. */
static int64_t branch_target(const uint8_t *code, size_t len, size_t i)
{
	uint8_t op = code[i];
	int32_t rel;

	if ((op == 0xeb || (op >= 0x70 && op <= 0x7f) ||
	     (op >= 0xe0 && op <= 0xe3)) &&
	    i + 2 <= len)
		return (int64_t)i + 2 + (int8_t)code[i + 1];
	if ((op == 0xe8 || op == 0xe9) && i + 5 <= len) {
		memcpy(&rel, code + i + 1, sizeof(rel));
		return (int64_t)i + 5 + rel;
	}
	if (op == 0x0f && i + 6 <= len && code[i + 1] >= 0x80 &&
	    code[i + 1] <= 0x8f) {
		memcpy(&rel, code + i + 2, sizeof(rel));
		return (int64_t)i + 6 + rel;
	}
	return INT64_MIN;
}

bool pt_x86__may_branch_to(const uint8_t *code, size_t len, size_t target)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (branch_target(code, len, i) == (int64_t)target)
			return true;
	return false;
}
