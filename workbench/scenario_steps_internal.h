/* scenario_steps_internal.h — what scenario_steps.c (the step list) and
 * scenario_call.c (lexing, call literals) share. Not for other users. */
#ifndef SNAPBENCH_WORKBENCH_SCENARIO_STEPS_INTERNAL_H
#define SNAPBENCH_WORKBENCH_SCENARIO_STEPS_INTERNAL_H

#include "scenario.h"

struct level {
	struct scenario_step *steps;
	size_t n, cap;
	/* the repeat this level is the body of (unused at depth 0) */
	unsigned line;
	uint64_t count;
	char *text;
	bool live_at_entry;
	unsigned poisoned_at_entry;
};

struct scenario_steps_builder {
	struct level lv[SCENARIO_REPEAT_DEPTH + 1];
	unsigned depth;
	bool seen_create; /* a create happened earlier in the list */
	bool live;        /* a sandbox exists at this point of the list */
	bool any_snap;    /* a snapshot was taken or loaded earlier */
	char **snaps;     /* names taken or loaded earlier */
	size_t n_snaps, cap_snaps;
	unsigned cancel_line;   /* a cancel step waits for its call (its line) */
	unsigned poisoned_line; /* a cancelled call poisoned the sandbox (the cancel's line) */
	/* current step, for messages */
	const char *text;
};

/* Messages: "step 'TEXT': what"; returns -1. */
int step_errf(struct scenario_steps_builder *b, struct sb_err *err, enum sb_errcode code,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Lexing (scenario_call.c). Names: [A-Za-z0-9_.-]+; paths: quoted or bare;
 * keywords whole words; expect_end: nothing but space is left. */
const char *skip_ws(const char *p);
int lex_name(struct scenario_steps_builder *b, const char **pp, const char *what, char **out,
	     struct sb_err *err);
int lex_path(struct scenario_steps_builder *b, const char **pp, char **out, struct sb_err *err);
bool lex_keyword(const char **pp, const char *kw);
int expect_end(struct scenario_steps_builder *b, const char *p, struct sb_err *err);

/* "NAME(ARG, ...) [as LABEL]" into the call step s; *label: LABEL
 * (malloc'd) or left NULL. */
int parse_call(struct scenario_steps_builder *b, const char *p, struct scenario_step *s,
	       char **label, struct sb_err *err);
/* "FILE at GPA" into the map step s. */
int parse_map(struct scenario_steps_builder *b, const char *p, struct scenario_step *s,
	      struct sb_err *err);

#endif
