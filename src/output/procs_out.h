/* SPDX-License-Identifier: MIT */
/*
 * procs_out.h - what the table and JSON sinks add when several processes
 * were traced (snap->nprocs > 0): each stage's calls per process, threads
 * grouped by process, the `processes` array. Nothing with one process.
 */
#ifndef PT_PROCS_OUT_H
#define PT_PROCS_OUT_H

#include <stdio.h>
#include <json.h>

#include "report/report.h"

/* Table: under stage row i, one row per process that called it (label
 * width w). */
void pt_table__proc_rows(FILE *f, int w, const struct pt_report *r, size_t i);
/* Table: the processes, one line each. */
void pt_table__procs(FILE *f, const struct pt_report *r);
/* Table: "process PID (COMM)" before the threads of pid (0: the rest). */
void pt_table__proc_heading(FILE *f, const struct pt_report *r, uint32_t pid);

/* JSON: the `processes` array. NULL when out of memory. */
json_object *pt_json__procs(const struct pt_report *r);
/* JSON: stage i's `pid`, the one process that called it, or NULL (JSON
 * null) when several or none did. */
json_object *pt_json__stage_pid(const struct pt_report *r, size_t i);

#endif /* PT_PROCS_OUT_H */
