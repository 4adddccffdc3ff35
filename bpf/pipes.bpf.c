// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * pipes.bpf.c - the maps of the pipe waits; the helpers that fill them are
 * in pipes.bpf.h, called from sched.bpf.c (switch out and in, wakeup) and
 * syscall.bpf.c (sys_exit: the bytes).
 */
#include "pipes.bpf.h"

/* Set before load (src/collect/pipewait.c). */
const volatile __s32 pipes_splice_nr = -1;

pipe_waits_map_t pipe_waits SEC(".maps");
pipe_blocked_map_t pipe_blocked SEC(".maps");
pipe_stage_map_t pipe_stage SEC(".maps");
pipe_lost_map_t pipe_lost SEC(".maps");
