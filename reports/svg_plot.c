/* svg_plot.c — see svg_plot.h. */
#include "svg_plot.h"

#include <math.h>
#include <string.h>

#include "report_util.h"

#define PLOT_W 760
#define PLOT_LEFT 80
#define PLOT_RIGHT 30
#define PLOT_TOP 36
#define PLOT_H 300 /* plot area */
#define LEGEND_ROW 20

/* Okabe & Ito, "Color Universal Design" (yellow left out: too light on white). */
static const char *const colours[] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7",
				       "#E69F00", "#56B4E9", "#000000" };
static const char *const dashes[] = { "", "8 4", "2 3", "10 3 2 3", "4 4", "12 6", "1 2" };
static const char *const markers[] = { "circle", "square", "triangle", "diamond", "cross", "x",
				       "bar" };
#define N_STYLES (sizeof colours / sizeof colours[0])

const char *plot_colour(size_t i)
{
	return colours[i % N_STYLES];
}

const char *plot_marker_name(size_t i)
{
	return markers[i % N_STYLES];
}

static void marker(FILE *f, size_t style, double x, double y)
{
	const char *c = plot_colour(style);
	switch (style % N_STYLES) {
	case 0:
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"", x, y, c);
		break;
	case 1:
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"", x - 3.5,
			y - 3.5, c);
		break;
	case 2:
		fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"", x, y - 4.5,
			x + 4, y + 3, x - 4, y + 3, c);
		break;
	case 3:
		fprintf(f, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"", x,
			y - 4.5, x + 4.5, y, x, y + 4.5, x - 4.5, y, c);
		break;
	case 4:
		fprintf(f,
			"<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1f\" stroke=\"%s\" stroke-width=\"2\"",
			x - 4.5, y, x + 4.5, x, y - 4.5, y + 4.5, c);
		break;
	case 5:
		fprintf(f,
			"<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"%s\" "
			"stroke-width=\"2\"",
			x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4, c);
		break;
	default:
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"9\" fill=\"%s\"", x - 1.5,
			y - 4.5, c);
		break;
	}
}

struct scale {
	enum plot_scale kind;
	double lo, hi;       /* range in data units */
	double px0, px1;     /* pixels of lo and hi */
};

static double to_px(const struct scale *s, double v)
{
	double a, b, x;
	if (s->kind == PLOT_LOG10) {
		if (!(v > 0))
			v = s->lo;
		a = log10(s->lo), b = log10(s->hi), x = log10(v);
	} else {
		a = s->lo, b = s->hi, x = v;
	}
	if (x < a)
		x = a;
	if (x > b)
		x = b;
	return s->px0 + (s->px1 - s->px0) * (b > a ? (x - a) / (b - a) : 0.5);
}

/* A 1-2-5 step giving about 5 intervals over span. */
static double nice_step(double span)
{
	double raw = span / 5, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* The axis range: given, or from the data rounded out to decades / steps. */
static void axis_range(const struct plot *p, bool is_x, struct scale *s)
{
	const struct plot_axis *ax = is_x ? &p->x : &p->y;
	s->kind = ax->scale;
	if (ax->min < ax->max) {
		s->lo = ax->min, s->hi = ax->max;
		return;
	}
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < p->n_series; i++)
		for (size_t k = 0; k < p->series[i].n; k++) {
			double v = is_x ? p->series[i].pts[k].x : p->series[i].pts[k].y;
			if (!isfinite(v) || (ax->scale == PLOT_LOG10 && !(v > 0)))
				continue;
			lo = fmin(lo, v), hi = fmax(hi, v);
		}
	if (!(lo <= hi)) /* no data */
		lo = ax->scale == PLOT_LOG10 ? 1 : 0, hi = ax->scale == PLOT_LOG10 ? 10 : 1;
	if (ax->scale == PLOT_LOG10) {
		s->lo = pow(10, floor(log10(lo)));
		s->hi = pow(10, ceil(log10(hi)));
		if (s->hi <= s->lo)
			s->hi = s->lo * 10;
	} else {
		if (lo > 0)
			lo = 0; /* linear axes start at 0: no exaggerated differences */
		if (hi <= lo)
			hi = lo + 1;
		double st = nice_step(hi - lo);
		s->lo = floor(lo / st) * st;
		s->hi = ceil(hi / st) * st;
	}
}

static void tick(FILE *f, const struct scale *s, bool is_x, double v, const char *label,
		 double other0, double other1)
{
	double px = to_px(s, v);
	char buf[32];
	if (!label) {
		snprintf(buf, sizeof buf, "%g", v);
		label = buf;
	}
	if (is_x) {
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", px,
			other0, px, other1);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px, other1 + 16);
	} else {
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			other0, px, other1, px);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", other0 - 6, px + 4);
	}
	report_html_escape(f, label);
	fputs("</text>\n", f);
}

static void ticks(FILE *f, const struct plot_axis *ax, const struct scale *s, bool is_x,
		  double other0, double other1)
{
	if (ax->n_ticks) {
		for (size_t i = 0; i < ax->n_ticks; i++)
			if (ax->ticks[i] >= s->lo && ax->ticks[i] <= s->hi)
				tick(f, s, is_x, ax->ticks[i], ax->tick_labels[i], other0, other1);
		return;
	}
	if (s->kind == PLOT_LOG10) {
		double decades = log10(s->hi / s->lo);
		for (double d = s->lo; d <= s->hi * 1.0001; d *= 10) {
			tick(f, s, is_x, d, NULL, other0, other1);
			if (decades <= 2)
				for (int m = 2; m <= 5; m += 3)
					if (d * m < s->hi)
						tick(f, s, is_x, d * m, NULL, other0, other1);
		}
		return;
	}
	double st = nice_step(s->hi - s->lo);
	for (double v = s->lo; v <= s->hi + st * 1e-6; v += st)
		tick(f, s, is_x, fabs(v) < st * 1e-9 ? 0 : v, NULL, other0, other1);
}

void plot_svg(FILE *f, const struct plot *p)
{
	size_t legend_rows = p->n_series;
	int height = PLOT_TOP + PLOT_H + 56 + (int)legend_rows * LEGEND_ROW + 8;
	double x0 = PLOT_LEFT, x1 = PLOT_W - PLOT_RIGHT, y0 = PLOT_TOP, y1 = PLOT_TOP + PLOT_H;
	struct scale sx = { .px0 = x0, .px1 = x1 }, sy = { .px0 = y1, .px1 = y0 };
	axis_range(p, true, &sx);
	axis_range(p, false, &sy);

	fprintf(f,
		"<svg class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-labelledby=\"%s-t %s-d\">\n<title id=\"%s-t\">",
		PLOT_W, height, PLOT_W, height, p->id, p->id, p->id);
	report_html_escape(f, p->title);
	fprintf(f, "</title>\n<desc id=\"%s-d\">", p->id);
	report_html_escape(f, p->desc);
	fputs("</desc>\n", f);
	fprintf(f, "<text class=\"ptitle\" x=\"%.1f\" y=\"20\" text-anchor=\"middle\">",
		(x0 + x1) / 2);
	report_html_escape(f, p->title);
	fputs("</text>\n", f);

	ticks(f, &p->x, &sx, true, y0, y1);
	ticks(f, &p->y, &sy, false, x0, x1);
	fprintf(f,
		"<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", x0,
		y0, x1 - x0, y1 - y0);
	fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		(x0 + x1) / 2, y1 + 38);
	report_html_escape(f, p->x.label);
	fprintf(f,
		"</text>\n<text class=\"axis\" transform=\"translate(18 %.1f) rotate(-90)\" "
		"text-anchor=\"middle\">",
		(y0 + y1) / 2);
	report_html_escape(f, p->y.label);
	fputs("</text>\n", f);

	for (size_t i = 0; i < p->n_series; i++) {
		const struct plot_series *se = &p->series[i];
		fprintf(f, "<g class=\"series\">\n");
		if (se->lines && se->n > 1) {
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"",
				plot_colour(i));
			if (dashes[i % N_STYLES][0])
				fprintf(f, " stroke-dasharray=\"%s\"", dashes[i % N_STYLES]);
			fputs(" points=\"", f);
			for (size_t k = 0; k < se->n; k++)
				fprintf(f, "%s%.1f,%.1f", k ? " " : "", to_px(&sx, se->pts[k].x),
					to_px(&sy, se->pts[k].y));
			fputs("\"/>\n", f);
		}
		for (size_t k = 0; k < se->n; k++) {
			const struct plot_point *pt = &se->pts[k];
			double px = to_px(&sx, pt->x), py = to_px(&sy, pt->y);
			marker(f, i, px, py);
			fputs("><title>", f);
			report_html_escape(f, se->name);
			fputs(": ", f);
			if (pt->tip) {
				report_html_escape(f, pt->tip);
			} else {
				fprintf(f, "%g, %g", pt->x, pt->y);
			}
			fputs("</title></", f);
			/* the element name of the marker just opened */
			switch (i % N_STYLES) {
			case 0: fputs("circle>", f); break;
			case 1: case 6: fputs("rect>", f); break;
			default: fputs("path>", f); break;
			}
			if (pt->label) {
				/* right half: text to the left of the marker, so it stays inside */
				bool left = px > (x0 + x1) / 2;
				fprintf(f, "<text class=\"plabel\" x=\"%.1f\" y=\"%.1f\"%s>",
					left ? px - 7 : px + 7, py - 6, left ? " text-anchor=\"end\"" : "");
				report_html_escape(f, pt->label);
				fputs("</text>", f);
			}
			fputc('\n', f);
		}
		fputs("</g>\n", f);
	}

	/* legend: sample line with the marker, then the name */
	for (size_t i = 0; i < p->n_series; i++) {
		double ly = y1 + 58 + (double)i * LEGEND_ROW;
		fprintf(f, "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			   "stroke=\"%s\" stroke-width=\"1.8\"",
			x0, ly, x0 + 36, ly, plot_colour(i));
		if (dashes[i % N_STYLES][0])
			fprintf(f, " stroke-dasharray=\"%s\"", dashes[i % N_STYLES]);
		fputs("/>", f);
		marker(f, i, x0 + 18, ly);
		fputs("/>", f);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x0 + 46, ly + 4);
		report_html_escape(f, p->series[i].name);
		fprintf(f, " (%s)</text></g>\n", plot_marker_name(i));
	}
	fputs("</svg>\n", f);
}
