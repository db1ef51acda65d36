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

enum plot_scale { PLOT_LINEAR, PLOT_LOG10 };

struct plot_axis {
	const char *label;      /* with the unit: "latency (µs)" */
	enum plot_scale scale;
	double min, max;        /* range; min >= max: from the data */
	/* Fixed ticks (values and labels); n_ticks 0: automatic ticks (decades
	 * on a log scale, 1-2-5 steps on a linear one), labelled with %g. */
	const double *ticks;
	const char *const *tick_labels;
	size_t n_ticks;
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

/* Write one <svg> element. */
void plot_svg(FILE *f, const struct plot *p);

/* Style of series i (the legend and the tables can use the same):
 * colour "#rrggbb", dash pattern ("" = solid) and marker name. */
const char *plot_colour(size_t i);
const char *plot_marker_name(size_t i);

#endif
