/* SPDX-License-Identifier: MIT */
/*
 * pipeline_out.h - the pipeline of processes (report/pipeline.h) in the
 * report's sinks.
 */
#ifndef PT_PIPELINE_OUT_H
#define PT_PIPELINE_OUT_H

#include <stdio.h>

struct json_object;
struct pt_report;

/* The table's lines: the pipes, the stages' pipe waits, the verdict. */
void pt_pipeline__print(FILE *f, const struct pt_report *r);
/* JSON's "pipes" and "pipeline" members of root. 0 or -ENOMEM. */
int pt_pipeline__json(struct json_object *root, const struct pt_report *r);

#endif /* PT_PIPELINE_OUT_H */
