// SPDX-License-Identifier: GPL-2.0
/*
 * --waiters: who is parked where, from debugfs. Each channel's
 * /sys/kernel/debug/chan/chan<N>/waiters has one line per parked waiter,
 * "pid<TAB>comm<TAB>op<TAB>waited_ms" (op: send, recv, select-send or
 * select-recv); they are shown together, the longest wait first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>

#include "chanstat.h"

#define DEBUGFS_MAGIC	0x64626720

struct waiter {
	long pid;
	char comm[64];
	char op[16];
	unsigned long long waited_ms;
	unsigned int chan;
};

struct waiter_list {
	struct waiter *w;
	size_t nr, room;
};

static int waiter_add(struct waiter_list *list, const struct waiter *w)
{
	struct waiter *n;

	if (list->nr == list->room) {
		list->room = list->room ? list->room * 2 : 16;
		n = realloc(list->w, list->room * sizeof(*n));
		if (!n)
			return -ENOMEM;
		list->w = n;
	}
	list->w[list->nr++] = *w;
	return 0;
}

/*
 * One line of a waiters file into @w: false for anything else. comm may
 * hold anything but a NUL, so the op and the time are taken from the end.
 */
static bool parse_waiter(char *line, struct waiter *w)
{
	char *first_tab, *op_tab, *ms_tab, *end;

	line[strcspn(line, "\n")] = '\0';
	first_tab = strchr(line, '\t');
	ms_tab = strrchr(line, '\t');
	if (!first_tab || ms_tab == first_tab)
		return false;
	*ms_tab = '\0';
	op_tab = strrchr(line, '\t');
	if (op_tab == first_tab)
		return false;
	*first_tab = *op_tab = '\0';
	w->pid = strtol(line, &end, 10);
	if (end == line || *end || w->pid <= 0)
		return false;
	w->waited_ms = strtoull(ms_tab + 1, &end, 10);
	if (end == ms_tab + 1 || *end)
		return false;
	snprintf(w->comm, sizeof(w->comm), "%s", first_tab + 1);
	snprintf(w->op, sizeof(w->op), "%s", op_tab + 1);
	return true;
}

/* Why debugfs has no chan/ directory, on stderr. */
static void explain_no_debugfs(int err)
{
	char dir[256], chan_dir[256];
	struct statfs fs;

	root_path(dir, sizeof(dir), DEBUGFS_DIR);
	root_path(chan_dir, sizeof(chan_dir), DEBUGFS_CHAN_DIR);
	if (err == -EACCES)
		warn("%s: permission denied (debugfs is for root)", chan_dir);
	else if (err != -ENOENT)
		warn("%s: %s", chan_dir, strerror(-err));
	else if (!getenv("CHANSTAT_ROOT") &&
		 (statfs(dir, &fs) || fs.f_type != DEBUGFS_MAGIC))
		warn("debugfs is not mounted on %s (mount -t debugfs none %s)",
		     dir, dir);
	else
		warn("%s is missing: this chan module does not list its waiters",
		     chan_dir);
}

/* Channel @index was destroyed since the snapshot. */
static bool chan_gone(unsigned int index)
{
	char path[256];

	root_path(path, sizeof(path), SYSFS_CLASS_DIR "/chan%u", index);
	return access(path, F_OK) && errno == ENOENT;
}

static int read_waiters(struct waiter_list *list, unsigned int index)
{
	struct waiter w = { .chan = index };
	char path[256], line[512];
	int err = 0;
	FILE *f;

	root_path(path, sizeof(path), DEBUGFS_CHAN_DIR "/chan%u/waiters",
		  index);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		if (err == -ENOENT && chan_gone(index))
			return 0;
		warn("%s: %s", path, strerror(-err));
		return err;
	}
	while (!err && fgets(line, sizeof(line), f))
		if (parse_waiter(line, &w))
			err = waiter_add(list, &w);
	fclose(f);
	if (err)
		warn("out of memory");
	return err;
}

static int cmp_longest_first(const void *a, const void *b)
{
	const struct waiter *x = a, *y = b;

	if (x->waited_ms != y->waited_ms)
		return x->waited_ms < y->waited_ms ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void print_waiters(FILE *out, const struct waiter_list *list)
{
	char waited[FMT_LEN];
	int comm_width = 4, w;
	size_t i;

	for (i = 0; i < list->nr; i++) {
		w = strlen(list->w[i].comm);
		if (w > comm_width)
			comm_width = w;
	}
	fprintf(out, "%7s  %-*s  %-11s  %7s  %5s\n", "PID", comm_width, "COMM",
		"OP", "WAITED", "CHAN");
	for (i = 0; i < list->nr; i++) {
		const struct waiter *p = &list->w[i];

		fmt_duration_ns(waited, p->waited_ms * NSEC_PER_MSEC);
		fprintf(out, "%7ld  %-*s  %-11s  %7s  %5u\n", p->pid, comm_width,
			p->comm, p->op, waited, p->chan);
	}
}

/**
 * waiters_print - the parked waiters of @snap's channels, longest first
 * @out: where to.
 * @snap: the channels whose waiters files are read.
 *
 * Return: 0, or -errno when debugfs or a waiters file cannot be read
 * (explained on stderr).
 */
int waiters_print(FILE *out, const struct snapshot *snap)
{
	struct waiter_list list = { 0 };
	char chan_dir[256];
	size_t i;
	int err = 0;

	root_path(chan_dir, sizeof(chan_dir), DEBUGFS_CHAN_DIR);
	if (access(chan_dir, R_OK | X_OK)) {
		err = -errno;
		explain_no_debugfs(err);
		return err;
	}
	for (i = 0; !err && i < snap->nr; i++)
		err = read_waiters(&list, snap->chans[i].index);
	if (!err) {
		qsort(list.w, list.nr, sizeof(*list.w), cmp_longest_first);
		print_waiters(out, &list);
	}
	free(list.w);
	return err;
}
