/* SPDX-License-Identifier: MIT */
/*
 * x86insn.h - the little x86-64 instruction decoding the probe-site choice
 * needs: a register push, endbr64, and whether a direct branch may land on
 * an offset. Pure functions over a byte buffer; nothing is read or printed.
 */
#ifndef PT_X86INSN_H
#define PT_X86INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of endbr64 (f3 0f 1e fa). */
#define PT_X86_ENDBR64_LEN 4

/* The length of a push of a 64-bit register at code[0..len), or 0. */
size_t pt_x86__push_len(const uint8_t *code, size_t len);

/* Whether code[0..len) starts with endbr64. */
bool pt_x86__is_endbr64(const uint8_t *code, size_t len);

/* Whether code[0..len) starts with the 5-byte nop 0f 1f 44 00 00, the one
 * the kernel turns a uprobe on into a call (x86-64, Linux 6.18). */
bool pt_x86__is_nop5(const uint8_t *code, size_t len);

/* Whether code[0..len) starts with a nop: 90 (not f3 90, pause), or
 * 0f 1f /0 (the multi-byte nops), after any 66 prefixes. */
bool pt_x86__is_nop(const uint8_t *code, size_t len);

/*
 * Whether any direct jump or call in code[0..len) could land on offset
 * target. Every byte is tried as the start of an instruction, so data and
 * the middle of other instructions give false alarms, never a miss of a
 * direct branch.
 */
bool pt_x86__may_branch_to(const uint8_t *code, size_t len, size_t target);

#endif /* PT_X86INSN_H */
