/* svg_plot.h — line and scatter plots as inline SVG (no scripts, no URLs,
 * no xmlns: the page is HTML5 and nothing may name an address).
 *
 * Every series has a colour from the Okabe-Ito palette (readable with
 * colour-vision deficiencies) AND its own marker shape and dash pattern,
 * so the plot reads in grey scale too. Each marker carries a <title>
 * tooltip. All text is HTML-escaped. Output depends only on the input.
 */
#ifndef SNAPBENCH_REPORTS_SVG_PLOT_H
#define SNAPBENCH_REPORTS_SVG_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* PLOT_AUTO: logarithmic when the plot's positive values on that axis span
 * more than PLOT_LOG_SPAN (all series together: one decision per plot),
 * else linear; the axis label then gets ", log scale". PLOT_LOG2: powers
 * of two (heap sizes), ticks at each power of 2 that has room. */
enum plot_scale { PLOT_LINEAR, PLOT_LOG10, PLOT_LOG2, PLOT_AUTO };
#define PLOT_LOG_SPAN 10.0

struct plot_axis {
	const char *label;      /* with the unit: "latency (µs)" */
	enum plot_scale scale;
	double min, max;        /* range; min >= max: from the data */
	/* Fixed ticks (values and labels); n_ticks 0: automatic ticks (decades
	 * on a log scale, 1-2-5 steps on a linear one), labelled with %g. */
	const double *ticks;
	const char *const *tick_labels;
	size_t n_ticks;
	/* labels of automatic ticks (NULL: %g) */
	void (*tick_fmt)(char *buf, size_t bytes, double v);
};

struct plot_point {
	double x, y;
	const char *tip;   /* tooltip (NULL: "x, y") */
	const char *label; /* text printed next to the marker, or NULL */
};

struct plot_series {
	const char *name;
	const struct plot_point *pts;
	size_t n;
	bool lines;        /* join the points (else markers only) */
};

struct plot {
	const char *id;    /* unique in the page: ids of <title> and <desc> */
	const char *title;
	const char *desc;  /* what the plot shows, for screen readers */
	struct plot_axis x, y;
	const struct plot_series *series;
	size_t n_series;
};

/* Write one <svg> element. The layout keeps every text's box clear of
 * every other's (estimated from the font size and the text's length, on
 * the generous side): a tick label that would touch a placed text is left
 * out (its grid line stays), a point label goes above or below its
 * marker, and when point labels would still collide none is printed: the
 * legend lists the labelled points instead. Each <text> carries its
 * estimated box as data-box="x0 y0 x1 y1" (tests compare it with the
 * rendered one). */
void plot_svg(FILE *f, const struct plot *p);

/* The range of the finite values (positive only when `positive`) on one
 * axis of all of p's series; false when there is none. */
bool plot_data_range(const struct plot *p, bool is_x, bool positive, double *lo, double *hi);
/* Whether [lo, hi] asks for a log axis: lo > 0 and hi / lo > PLOT_LOG_SPAN. */
bool plot_span_is_log(double lo, double hi);

/* Estimated box of a text of `px` font size at (x, baseline y), anchored
 * "start", "middle" or "end": what the layout keeps apart. */
struct plot_box {
	double x0, y0, x1, y1;
};
struct plot_box plot_text_box(const char *text, double px, double x, double y, const char *anchor);
bool plot_boxes_overlap(const struct plot_box *a, const struct plot_box *b);

/* Style of series i (the legend and the tables can use the same):
 * colour "#rrggbb", dash pattern ("" = solid) and marker name. */
const char *plot_colour(size_t i);
const char *plot_marker_name(size_t i);

#endif
