/* SPDX-License-Identifier: MIT */
/*
 * flamegraph.h - interactive SVG flame graphs from folded stacks.
 *
 * The stacks are merged into a tree drawn bottom-up: a root "all" frame,
 * then the stage (the first frame of every stack), then its callees. A
 * frame's width is proportional to its count; siblings are in alphabetical
 * order. Each frame is a <g> with a <title> "name (N unit, P%)", a rect and
 * a label cut to fit. The embedded script zooms on click, resets the zoom
 * and searches by regular expression (matches highlighted, the matched
 * share shown). The file is self-contained: no external resource.
 *
 * Colours, deterministic from a hash of the name: the stage frames one hue
 * (purple), kernel frames ("..._[k]") another (teal), the off-CPU reason
 * frames ([io], [lock], [sleep], [runqueue], [other]) another (blue), user
 * code a warm one (red to yellow).
 *
 * The differential graph takes its widths from AFTER and colours each
 * frame by the change of its share of the total from BEFORE: red where it
 * grew, blue where it shrank, deeper for larger changes.
 */
#ifndef PT_FLAMEGRAPH_H
#define PT_FLAMEGRAPH_H

#include <stdio.h>

#include "output/folded.h"

#define PT_FLAMEGRAPH_TITLE "pipetrace flame graph"

struct pt_flamegraph_opts {
	const char *title; /* NULL: PT_FLAMEGRAPH_TITLE */
	const char *unit; /* counts' unit in tooltips; NULL: "samples" (on
			   * CPU); "us" for off-CPU microseconds */
	unsigned int width; /* image width in pixels; 0: 1200 */
};

/*
 * Write the flame graph of F as an SVG document to OUT; O may be NULL.
 * Returns 0, -EINVAL for a width below 100 or above 100000, -ENOMEM, or
 * -EIO when writing to OUT failed (OUT is not flushed).
 */
int pt_flamegraph__write_svg(FILE *out, const struct pt_folded *f,
			     const struct pt_flamegraph_opts *o);

/*
 * Write the differential flame graph from BEFORE to AFTER to OUT: widths
 * from AFTER; red for a frame whose share of its total grew, blue for one
 * that shrank; tooltips with both counts and the change. Returns as
 * pt_flamegraph__write_svg.
 */
int pt_flamegraph__write_diff(FILE *out, const struct pt_folded *before,
			      const struct pt_folded *after,
			      const struct pt_flamegraph_opts *o);

#endif /* PT_FLAMEGRAPH_H */
