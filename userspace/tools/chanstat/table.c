// SPDX-License-Identifier: GPL-2.0
/*
 * The default view: one row per channel, columns aligned to their widest
 * cell, numbers right-aligned in human units. Rates come from two
 * snapshots; the breaker column is red when open and yellow when half
 * open, if the caller asks for colour.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chanstat.h"

#define BAR_WIDTH	10
#define COL_GAP		"  "

#define ANSI_RED	"\033[31m"
#define ANSI_YELLOW	"\033[33m"
#define ANSI_RESET	"\033[0m"

enum column {
	COL_CHAN,
	COL_CAP,
	COL_LEN,
	COL_FILL,
	COL_WAIT_S,
	COL_WAIT_R,
	COL_SEND_RATE,
	COL_RECV_RATE,
	COL_P50,
	COL_P99,
	COL_MAX,
	COL_BREAKER,
	NR_COLUMNS
};

static const struct {
	const char *title;
	bool left;
} columns[NR_COLUMNS] = {
	[COL_CHAN] = { "CHAN" },
	[COL_CAP] = { "CAP" },
	[COL_LEN] = { "LEN" },
	[COL_FILL] = { "FILL", true },
	[COL_WAIT_S] = { "WAIT-S" },
	[COL_WAIT_R] = { "WAIT-R" },
	[COL_SEND_RATE] = { "SEND/s" },
	[COL_RECV_RATE] = { "RECV/s" },
	[COL_P50] = { "P50" },
	[COL_P99] = { "P99" },
	[COL_MAX] = { "MAX" },
	[COL_BREAKER] = { "BREAKER", true },
};

typedef char row_cells[NR_COLUMNS][FMT_LEN];

/* [####......]: queued messages against capacity, "unbuf" for capacity 0. */
static char *fmt_fill_bar(char *buf, unsigned long long len,
			  unsigned long long capacity)
{
	unsigned long long filled;

	if (!capacity) {
		snprintf(buf, FMT_LEN, "unbuf");
		return buf;
	}
	filled = (len * BAR_WIDTH + capacity - 1) / capacity;
	if (filled > BAR_WIDTH)
		filled = BAR_WIDTH;
	buf[0] = '[';
	memset(buf + 1, '#', filled);
	memset(buf + 1 + filled, '.', BAR_WIDTH - filled);
	buf[BAR_WIDTH + 1] = ']';
	buf[BAR_WIDTH + 2] = '\0';
	return buf;
}

/* Per second between @prev and @cur of counter @ctr; "-" when unknown. */
static char *fmt_counter_rate(char *buf, const struct chan_sample *prev,
			      const struct chan_sample *cur, double seconds,
			      enum chan_counter ctr)
{
	/* A counter that went back: the index now names a new channel. */
	if (!prev || seconds <= 0 || cur->counter[ctr] < prev->counter[ctr]) {
		snprintf(buf, FMT_LEN, "-");
		return buf;
	}
	return fmt_rate(buf, (cur->counter[ctr] - prev->counter[ctr]) / seconds);
}

/* "off" for a disabled breaker, else its state. */
static const char *breaker_text(const struct chan_sample *c)
{
	if (!strcmp(c->breaker_mode, "disabled"))
		return "off";
	return c->breaker_state;
}

static void fill_row(row_cells cells, const struct chan_sample *prev,
		     const struct chan_sample *c, double seconds)
{
	snprintf(cells[COL_CHAN], FMT_LEN, "%u", c->index);
	fmt_count(cells[COL_CAP], c->gauge[GAUGE_CAPACITY]);
	fmt_count(cells[COL_LEN], c->gauge[GAUGE_LEN]);
	fmt_fill_bar(cells[COL_FILL], c->gauge[GAUGE_LEN],
		     c->gauge[GAUGE_CAPACITY]);
	fmt_count(cells[COL_WAIT_S], c->gauge[GAUGE_WAITING_SENDERS]);
	fmt_count(cells[COL_WAIT_R], c->gauge[GAUGE_WAITING_RECEIVERS]);
	fmt_counter_rate(cells[COL_SEND_RATE], prev, c, seconds, CTR_SENT);
	fmt_counter_rate(cells[COL_RECV_RATE], prev, c, seconds, CTR_RECEIVED);
	fmt_percentile(cells[COL_P50], c, SIDE_SEND, 50);
	fmt_percentile(cells[COL_P99], c, SIDE_SEND, 99);
	fmt_duration_ns(cells[COL_MAX], c->counter[CTR_SEND_WAIT_MAX_NS]);
	snprintf(cells[COL_BREAKER], FMT_LEN, "%s", breaker_text(c));
}

static const char *breaker_colour(const char *text)
{
	if (!strcmp(text, "open"))
		return ANSI_RED;
	if (!strcmp(text, "half_open"))
		return ANSI_YELLOW;
	return NULL;
}

static void print_cell(FILE *out, enum column col, const char *text,
		       int width, bool colour)
{
	const char *ansi = colour ? breaker_colour(text) : NULL;
	bool last = col == NR_COLUMNS - 1;

	if (col)
		fputs(COL_GAP, out);
	if (ansi)
		fputs(ansi, out);
	if (!columns[col].left)
		fprintf(out, "%*s", width, text);
	else if (last)
		fputs(text, out);
	else
		fprintf(out, "%-*s", width, text);
	if (ansi)
		fputs(ANSI_RESET, out);
}

static void print_row(FILE *out, const char *const *texts, const int *widths,
		      bool colour)
{
	int col;

	for (col = 0; col < NR_COLUMNS; col++)
		print_cell(out, col, texts[col], widths[col],
			   colour && col == COL_BREAKER);
	fputc('\n', out);
}

/**
 * table_print - the table of @cur's channels
 * @out: where to.
 * @prev: an earlier snapshot the rates are measured against, or NULL
 *	(rates show as "-").
 * @cur: the snapshot shown.
 * @colour: colour the breaker states (for a terminal).
 *
 * Return: 0 or -ENOMEM.
 */
int table_print(FILE *out, const struct snapshot *prev,
		const struct snapshot *cur, bool colour)
{
	const char *texts[NR_COLUMNS];
	int widths[NR_COLUMNS], col;
	double seconds = 0;
	row_cells *rows;
	size_t i;

	rows = calloc(cur->nr ? cur->nr : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	if (prev)
		seconds = (double)(cur->taken_ns - prev->taken_ns) / NSEC_PER_SEC;
	for (col = 0; col < NR_COLUMNS; col++)
		widths[col] = strlen(columns[col].title);
	for (i = 0; i < cur->nr; i++) {
		fill_row(rows[i], snapshot_find(prev, cur->chans[i].index),
			 &cur->chans[i], seconds);
		for (col = 0; col < NR_COLUMNS; col++)
			if ((int)strlen(rows[i][col]) > widths[col])
				widths[col] = strlen(rows[i][col]);
	}
	for (col = 0; col < NR_COLUMNS; col++)
		texts[col] = columns[col].title;
	print_row(out, texts, widths, false);
	for (i = 0; i < cur->nr; i++) {
		for (col = 0; col < NR_COLUMNS; col++)
			texts[col] = rows[i][col];
		print_row(out, texts, widths, colour);
	}
	free(rows);
	return 0;
}
