/* svg_plot.c — see svg_plot.h. */
#include "svg_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"

#define PLOT_W 760
#define PLOT_LEFT 80
#define PLOT_RIGHT 30
#define PLOT_TOP 36
#define PLOT_H 300 /* plot area */
#define LEGEND_ROW 20
#define FONT 12.0       /* svg.plot's font-size (report_html.c's CSS) */
#define FONT_TITLE 14.0 /* .ptitle, bold */
#define FONT_AXIS 13.0  /* .axis */
#define FONT_LABEL 11.0 /* .plabel */
#define MAX_TICKS 64
#define MAX_TEXTS 4096

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
	enum plot_scale kind; /* never PLOT_AUTO once resolved */
	double lo, hi;       /* range in data units */
	double px0, px1;     /* pixels of lo and hi */
};

static double axis_pos(enum plot_scale k, double v)
{
	return k == PLOT_LOG10 ? log10(v) : k == PLOT_LOG2 ? log2(v) : v;
}

static double to_px(const struct scale *s, double v)
{
	if (s->kind != PLOT_LINEAR && !(v > 0))
		v = s->lo;
	double a = axis_pos(s->kind, s->lo), b = axis_pos(s->kind, s->hi), x = axis_pos(s->kind, v);
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

bool plot_data_range(const struct plot *p, bool is_x, bool positive, double *lo, double *hi)
{
	*lo = INFINITY, *hi = -INFINITY;
	for (size_t i = 0; i < p->n_series; i++)
		for (size_t k = 0; k < p->series[i].n; k++) {
			double v = is_x ? p->series[i].pts[k].x : p->series[i].pts[k].y;
			if (!isfinite(v) || (positive && !(v > 0)))
				continue;
			*lo = fmin(*lo, v), *hi = fmax(*hi, v);
		}
	return *lo <= *hi;
}

bool plot_span_is_log(double lo, double hi)
{
	return lo > 0 && hi / lo > PLOT_LOG_SPAN;
}

/* The axis's scale: PLOT_AUTO decided over the given range, or over every
 * series' values (one decision for the whole plot). */
static enum plot_scale resolve(const struct plot *p, bool is_x)
{
	const struct plot_axis *ax = is_x ? &p->x : &p->y;
	if (ax->scale != PLOT_AUTO)
		return ax->scale;
	double lo, hi;
	if (ax->min < ax->max)
		lo = ax->min, hi = ax->max;
	else if (!plot_data_range(p, is_x, false, &lo, &hi))
		return PLOT_LINEAR;
	return plot_span_is_log(lo, hi) ? PLOT_LOG10 : PLOT_LINEAR;
}

/* The axis range: given, or from the data rounded out to decades, powers
 * of two or steps. */
static void axis_range(const struct plot *p, bool is_x, struct scale *s)
{
	const struct plot_axis *ax = is_x ? &p->x : &p->y;
	s->kind = resolve(p, is_x);
	bool given = ax->min < ax->max && (s->kind == PLOT_LINEAR || ax->min > 0);
	if (given && ax->scale != PLOT_AUTO && ax->scale != PLOT_LINEAR) {
		s->lo = ax->min, s->hi = ax->max; /* exact: the caller's ticks fit it */
		return;
	}
	/* AUTO and linear: a given range is rounded out as the data's would be */
	double lo = ax->min, hi = ax->max;
	if (!given && !plot_data_range(p, is_x, s->kind != PLOT_LINEAR, &lo, &hi)) /* no data */
		lo = s->kind != PLOT_LINEAR ? 1 : 0, hi = s->kind != PLOT_LINEAR ? 10 : 1;
	if (s->kind == PLOT_LOG10) {
		s->lo = pow(10, floor(log10(lo)));
		s->hi = pow(10, ceil(log10(hi)));
		if (s->hi <= s->lo)
			s->hi = s->lo * 10;
	} else if (s->kind == PLOT_LOG2) {
		s->lo = exp2(floor(log2(lo)));
		s->hi = exp2(ceil(log2(hi)));
		if (s->hi <= s->lo)
			s->hi = s->lo * 2;
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

/* ---- layout: estimated text boxes, kept apart ------------------------------------ */

/* Width of a character in em, on the generous side of common sans-serif
 * faces (DejaVu Sans, the widest of them, included). */
static double char_em(unsigned char c)
{
	if (strchr(".,:;!|il'I()[]fjt ", c))
		return 0.45;
	if (strchr("mwMW%@", c))
		return 1.0;
	if (c >= 'A' && c <= 'Z')
		return 0.8;
	return 0.68;
}

struct plot_box plot_text_box(const char *text, double px, double x, double y, const char *anchor)
{
	double w = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if ((*c & 0xc0) != 0x80) /* one per UTF-8 character */
			w += char_em(*c) * px;
	double x0 = strcmp(anchor, "middle") == 0 ? x - w / 2 : strcmp(anchor, "end") == 0 ? x - w : x;
	return (struct plot_box){ x0, y - 1.0 * px, x0 + w, y + 0.3 * px };
}

bool plot_boxes_overlap(const struct plot_box *a, const struct plot_box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

struct text_layout {
	struct plot_box *b;
	size_t n;
};

static bool box_free(const struct text_layout *L, const struct plot_box *b)
{
	for (size_t i = 0; i < L->n; i++)
		if (plot_boxes_overlap(&L->b[i], b))
			return false;
	return true;
}

/* Place b: always when `force`, else only where it touches no placed box.
 * Without room for its box (MAX_TEXTS) an optional text is left out. */
static bool place(struct text_layout *L, const struct plot_box *b, bool force)
{
	/* nothing optional off the left or top edge (the SVG widens to the
	 * right for what runs past PLOT_W: plot_svg) */
	if (!force && (!L->b || L->n == MAX_TEXTS || b->x0 < 0 || b->y0 < 0 || !box_free(L, b)))
		return false;
	if (L->b && L->n < MAX_TEXTS)
		L->b[L->n++] = *b;
	return true;
}

static void text_open(FILE *f, const char *cls, double x, double y, const char *anchor,
		      const struct plot_box *b)
{
	fputs("<text", f);
	if (cls)
		fprintf(f, " class=\"%s\"", cls);
	fprintf(f, " x=\"%.1f\" y=\"%.1f\"", x, y);
	if (strcmp(anchor, "start") != 0)
		fprintf(f, " text-anchor=\"%s\"", anchor);
	fprintf(f, " data-box=\"%.1f %.1f %.1f %.1f\">", b->x0, b->y0, b->x1, b->y1);
}

/* ---- ticks ----------------------------------------------------------------------- */

struct tick {
	double v;
	char label[32];
	bool text; /* its label has room */
};

static void add_tick(struct tick *t, size_t *n, double v, const char *label,
		     const struct plot_axis *ax)
{
	if (*n == MAX_TICKS)
		return;
	t[*n].v = v;
	t[*n].text = false;
	if (label)
		snprintf(t[*n].label, sizeof t[*n].label, "%s", label);
	else if (ax->tick_fmt)
		ax->tick_fmt(t[*n].label, sizeof t[*n].label, v);
	else
		snprintf(t[*n].label, sizeof t[*n].label, "%g", v);
	(*n)++;
}

static size_t make_ticks(const struct plot_axis *ax, const struct scale *s, struct tick *t)
{
	size_t n = 0;
	if (ax->n_ticks) {
		for (size_t i = 0; i < ax->n_ticks; i++)
			if (ax->ticks[i] >= s->lo && ax->ticks[i] <= s->hi)
				add_tick(t, &n, ax->ticks[i], ax->tick_labels[i], ax);
		return n;
	}
	if (s->kind == PLOT_LOG10) {
		double decades = log10(s->hi / s->lo);
		for (double d = s->lo; d <= s->hi * 1.0001; d *= 10) {
			add_tick(t, &n, d, NULL, ax);
			if (decades <= 2)
				for (int m = 2; m <= 5; m += 3)
					if (d * m < s->hi)
						add_tick(t, &n, d * m, NULL, ax);
		}
		return n;
	}
	if (s->kind == PLOT_LOG2) {
		for (double d = s->lo; d <= s->hi * 1.0001; d *= 2)
			add_tick(t, &n, d, NULL, ax);
		return n;
	}
	double st = nice_step(s->hi - s->lo);
	for (double v = s->lo; v <= s->hi + st * 1e-6; v += st)
		add_tick(t, &n, fabs(v) < st * 1e-9 ? 0 : v, NULL, ax);
	return n;
}

/* A tick label's position: under the x axis, left of the y axis. */
static void tick_xy(const struct scale *s, bool is_x, double v, double other0, double other1,
		    double *x, double *y)
{
	double px = to_px(s, v);
	if (is_x) /* low enough to clear the lowest y label's box */
		*x = px, *y = other1 + 20;
	else
		*x = other0 - 6, *y = px + 4;
}

/* Which labels get printed: the ends first (the range is read off them),
 * then the others in order where they touch nothing placed. */
static void place_ticks(struct text_layout *L, const struct scale *s, bool is_x, struct tick *t,
			size_t n, double other0, double other1)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool end = i == 0 || i == n - 1;
			if ((pass == 0) != end)
				continue;
			double x, y;
			tick_xy(s, is_x, t[i].v, other0, other1, &x, &y);
			struct plot_box b = plot_text_box(t[i].label, FONT, x, y,
							  is_x ? "middle" : "end");
			t[i].text = place(L, &b, false);
		}
}

static void print_ticks(FILE *f, const struct scale *s, bool is_x, const struct tick *t, size_t n,
			double other0, double other1)
{
	for (size_t i = 0; i < n; i++) {
		double px = to_px(s, t[i].v), x, y;
		if (is_x)
			fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
				px, other0, px, other1);
		else
			fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
				other0, px, other1, px);
		if (t[i].text) {
			const char *anchor = is_x ? "middle" : "end";
			tick_xy(s, is_x, t[i].v, other0, other1, &x, &y);
			struct plot_box b = plot_text_box(t[i].label, FONT, x, y, anchor);
			text_open(f, NULL, x, y, anchor, &b);
			report_html_escape(f, t[i].label);
			fputs("</text>", f);
		}
		fputc('\n', f);
	}
}

/* ---- point labels ------------------------------------------------------------------ */

struct plabel {
	double x, y;
	const char *anchor;
	struct plot_box b;
};

/* Above the marker, else below, on the side toward the middle first;
 * inside the frame and clear of everything placed. */
static bool place_plabel(struct text_layout *L, const char *text, double px, double py, double x0,
			 double x1, double y0, double y1, struct plabel *out)
{
	bool right = px > (x0 + x1) / 2;
	for (int k = 0; k < 4; k++) {
		bool left = (k < 2) == right;
		double x = left ? px - 7 : px + 7, y = k % 2 ? py + 16 : py - 7;
		const char *anchor = left ? "end" : "start";
		struct plot_box b = plot_text_box(text, FONT_LABEL, x, y, anchor);
		if (b.x0 < x0 || b.x1 > x1 || b.y0 < y0 || b.y1 > y1)
			continue;
		if (place(L, &b, false)) {
			*out = (struct plabel){ x, y, anchor, b };
			return true;
		}
	}
	return false;
}

/* ---- the plot ---------------------------------------------------------------------- */

static void legend_line(FILE *f, size_t i, double x0, double ly)
{
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		   "stroke-width=\"1.8\"",
		x0, ly, x0 + 36, ly, plot_colour(i));
	if (dashes[i % N_STYLES][0])
		fprintf(f, " stroke-dasharray=\"%s\"", dashes[i % N_STYLES]);
	fputs("/>", f);
}

static void marker_close(FILE *f, size_t i)
{
	switch (i % N_STYLES) {
	case 0: fputs("circle>", f); break;
	case 1: case 6: fputs("rect>", f); break;
	default: fputs("path>", f); break;
	}
}

static void print_text(FILE *f, const char *cls, double x, double y, const char *anchor,
		       const struct plot_box *b, const char *text)
{
	text_open(f, cls, x, y, anchor, b);
	report_html_escape(f, text);
	fputs("</text>\n", f);
}

void plot_svg(FILE *f, const struct plot *p)
{
	double x0 = PLOT_LEFT, x1 = PLOT_W - PLOT_RIGHT, y0 = PLOT_TOP, y1 = PLOT_TOP + PLOT_H;
	struct scale sx = { .px0 = x0, .px1 = x1 }, sy = { .px0 = y1, .px1 = y0 };
	axis_range(p, true, &sx);
	axis_range(p, false, &sy);
	struct text_layout L = { .b = calloc(MAX_TEXTS, sizeof *L.b) };
	struct tick *tx = calloc(MAX_TICKS, sizeof *tx), *ty = calloc(MAX_TICKS, sizeof *ty);
	size_t n_labels = 0;
	for (size_t i = 0; i < p->n_series; i++)
		for (size_t k = 0; k < p->series[i].n; k++)
			n_labels += p->series[i].pts[k].label != NULL;
	struct plabel *pl = calloc(n_labels + 1, sizeof *pl);
	if (!tx || !ty || !pl) {
		/* out of memory: a plot without ticks or point labels, still readable */
		free(tx), free(ty), free(pl);
		tx = ty = NULL, pl = NULL;
	}

	/* the fixed texts: title and axis labels (an AUTO axis says when it is log) */
	char xl[160], yl[160];
	snprintf(xl, sizeof xl, "%s%s", p->x.label,
		 p->x.scale == PLOT_AUTO && sx.kind != PLOT_LINEAR ? ", log scale" : "");
	snprintf(yl, sizeof yl, "%s%s", p->y.label,
		 p->y.scale == PLOT_AUTO && sy.kind != PLOT_LINEAR ? ", log scale" : "");
	struct plot_box bt = plot_text_box(p->title, FONT_TITLE * 1.1, (x0 + x1) / 2, 20, "middle");
	struct plot_box bx = plot_text_box(xl, FONT_AXIS, (x0 + x1) / 2, y1 + 38, "middle");
	struct plot_box byr = plot_text_box(yl, FONT_AXIS, 0, 0, "middle");
	double yw = byr.x1 - byr.x0; /* rotated: its width runs down the page */
	/* centred on the plot area, or lower when it is longer than that
	 * (it may run down past the frame: nothing else is at its x) */
	double ymid = fmax((y0 + y1) / 2, yw / 2 + 2);
	struct plot_box by = { 18 - FONT_AXIS, ymid - yw / 2, 18 + 0.3 * FONT_AXIS, ymid + yw / 2 };
	place(&L, &bt, true);
	place(&L, &bx, true);
	place(&L, &by, true);

	size_t ntx = tx ? make_ticks(&p->x, &sx, tx) : 0, nty = ty ? make_ticks(&p->y, &sy, ty) : 0;
	place_ticks(&L, &sx, true, tx, ntx, y0, y1);
	place_ticks(&L, &sy, false, ty, nty, x0, x1);

	/* point labels: all of them, or none and the legend names the points */
	size_t placed = 0, before = L.n;
	bool labels_ok = pl != NULL;
	for (size_t i = 0; labels_ok && i < p->n_series; i++)
		for (size_t k = 0; labels_ok && k < p->series[i].n; k++) {
			const struct plot_point *pt = &p->series[i].pts[k];
			if (pt->label)
				labels_ok = place_plabel(&L, pt->label, to_px(&sx, pt->x),
							 to_px(&sy, pt->y), x0, x1, y0, y1,
							 &pl[placed++]);
		}
	if (!labels_ok)
		L.n = before;
	size_t legend_rows = p->n_series + (labels_ok ? 0 : n_labels);
	int height = PLOT_TOP + PLOT_H + 56 + (int)legend_rows * LEGEND_ROW + 8;
	/* wide enough for every text: tick labels at the right end, long
	 * legend rows */
	double right = PLOT_W;
	for (size_t i = 0; i < L.n; i++)
		right = fmax(right, L.b[i].x1 + 4);
	for (size_t i = 0; i < p->n_series; i++) {
		char name[200];
		snprintf(name, sizeof name, "%s (%s)", p->series[i].name, plot_marker_name(i));
		right = fmax(right, plot_text_box(name, FONT, x0 + 46, 0, "start").x1 + 4);
		for (size_t k = 0; !labels_ok && k < p->series[i].n; k++) {
			const struct plot_point *pt = &p->series[i].pts[k];
			if (pt->label)
				right = fmax(right, plot_text_box(pt->tip ? pt->tip : pt->label, FONT,
								  x0 + 46, 0, "start").x1 + 4);
		}
	}
	int width = (int)ceil(right);

	fprintf(f,
		"<svg class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-labelledby=\"%s-t %s-d\">\n<title id=\"%s-t\">",
		width, height, width, height, p->id, p->id, p->id);
	report_html_escape(f, p->title);
	fprintf(f, "</title>\n<desc id=\"%s-d\">", p->id);
	report_html_escape(f, p->desc);
	fputs("</desc>\n", f);
	print_text(f, "ptitle", (x0 + x1) / 2, 20, "middle", &bt, p->title);

	print_ticks(f, &sx, true, tx, ntx, y0, y1);
	print_ticks(f, &sy, false, ty, nty, x0, x1);
	fprintf(f,
		"<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", x0,
		y0, x1 - x0, y1 - y0);
	print_text(f, "axis", (x0 + x1) / 2, y1 + 38, "middle", &bx, xl);
	fprintf(f,
		"<text class=\"axis\" transform=\"translate(18 %.1f) rotate(-90)\" "
		"text-anchor=\"middle\" data-box=\"%.1f %.1f %.1f %.1f\">",
		ymid, by.x0, by.y0, by.x1, by.y1);
	report_html_escape(f, yl);
	fputs("</text>\n", f);

	size_t li = 0;
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
			if (pt->tip)
				report_html_escape(f, pt->tip);
			else
				fprintf(f, "%g, %g", pt->x, pt->y);
			fputs("</title></", f);
			marker_close(f, i);
			if (pt->label && labels_ok) {
				const struct plabel *q = &pl[li++];
				text_open(f, "plabel", q->x, q->y, q->anchor, &q->b);
				report_html_escape(f, pt->label);
				fputs("</text>", f);
			}
			fputc('\n', f);
		}
		fputs("</g>\n", f);
	}

	/* legend: sample line with the marker, then the name; then, when the
	 * point labels had no room, one row per labelled point */
	size_t row = 0;
	for (size_t i = 0; i < p->n_series; i++, row++) {
		double ly = y1 + 58 + (double)row * LEGEND_ROW;
		fputs("<g class=\"legend\">", f);
		legend_line(f, i, x0, ly);
		marker(f, i, x0 + 18, ly);
		fputs("/>", f);
		char name[200];
		snprintf(name, sizeof name, "%s (%s)", p->series[i].name, plot_marker_name(i));
		struct plot_box b = plot_text_box(name, FONT, x0 + 46, ly + 4, "start");
		text_open(f, NULL, x0 + 46, ly + 4, "start", &b);
		report_html_escape(f, name);
		fputs("</text></g>\n", f);
	}
	for (size_t i = 0; !labels_ok && i < p->n_series; i++)
		for (size_t k = 0; k < p->series[i].n; k++) {
			const struct plot_point *pt = &p->series[i].pts[k];
			if (!pt->label)
				continue;
			double ly = y1 + 58 + (double)row++ * LEGEND_ROW;
			fputs("<g class=\"legend point\">", f);
			marker(f, i, x0 + 18, ly);
			fputs("/>", f);
			/* the tip, which names the point, or the label */
			const char *name = pt->tip ? pt->tip : pt->label;
			struct plot_box b = plot_text_box(name, FONT, x0 + 46, ly + 4, "start");
			text_open(f, NULL, x0 + 46, ly + 4, "start", &b);
			report_html_escape(f, name);
			fputs("</text></g>\n", f);
		}
	fputs("</svg>\n", f);
	free(L.b);
	free(tx);
	free(ty);
	free(pl);
}
