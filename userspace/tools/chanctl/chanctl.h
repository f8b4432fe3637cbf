/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chanctl: the command line of the chan module. Shared declarations: the
 * subcommand table, error reporting (one line on stderr, exit 1 for a
 * failed operation, 2 for bad usage), argument parsing and naming
 * channels. See chanctl(8).
 */
#ifndef CHANCTL_H
#define CHANCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libchan.h>

#define CHANCTL_VERSION	"0.1.0"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EXIT_OP		1	/* an operation failed */
#define EXIT_USAGE	2	/* bad command line */

/**
 * struct cmd - one subcommand
 * @name: what is typed after chanctl.
 * @fn: runs it with argv[0] being @name; returns the exit status.
 * @synopsis: its arguments, for usage lines.
 * @summary: one line for `chanctl help`.
 * @help: the rest of `chanctl help NAME`: options and examples.
 */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *help;
};

extern const struct cmd *cur_cmd;

/* The subcommands, one function each (create.c, xfer.c, guard.c, chaos.c). */
int cmd_create(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_close(int argc, char **argv);
int cmd_capacity(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_breaker(int argc, char **argv);
int cmd_rate(int argc, char **argv);
int cmd_chaos(int argc, char **argv);

/* "EPIPE" for EPIPE (a positive errno), NULL when not in the table. */
const char *errno_name(int err);

/*
 * "chanctl: <subcommand>: <what>: <strerror> (<ERRNO>)" on stderr; @err
 * is a positive or negative errno. Returns EXIT_OP.
 */
int op_error(const char *what, int err);
/* "chanctl: <subcommand>: <message>" on stderr; returns EXIT_OP. */
int op_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "chanctl: <subcommand>: <message>" and a hint to `chanctl help
 * <subcommand>` on stderr; returns EXIT_USAGE.
 */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage of @cmd (synopsis, and @full: its help) on stdout. */
void print_cmd_help(const struct cmd *cmd, bool full);

/*
 * Parse options with getopt_long, reporting unknown options and missing
 * arguments as usage errors. Returns the option, -1 at the end, or
 * -EXIT_USAGE after printing the error.
 */
struct option;
int next_opt(int argc, char **argv, const char *shortopts,
	     const struct option *longopts);
/* Start parsing a new argv. */
void reset_opts(void);

/* Strict decimal (or, for base 0, C-style) numbers; false if invalid. */
bool parse_u32(const char *s, int base, uint32_t *val);
bool parse_u64(const char *s, int base, uint64_t *val);
/* A timeout in ms (--timeout) as ns; false if invalid. */
bool parse_timeout_ms(const char *s, int64_t *ns);

/**
 * struct chan_ref - a channel named on the command line
 * @index: its index.
 * @label: "chan<index>", how errors name it.
 * @name: the name it was given by, or NULL for an index.
 */
struct chan_ref {
	int index;
	char label[32];
	const char *name;
};

/*
 * Resolve @arg, one of "3", "chan3", "/dev/chan3", "/dev/chan/NAME" or
 * NAME, into @ref. Returns 0 or a negative errno (-ENOENT: no such name).
 * An index is not checked against the existing channels.
 */
int chan_resolve(const char *arg, struct chan_ref *ref);
/*
 * Resolve @arg and open the channel with @flags (a name with
 * chan_open_name(), which cannot open another channel that took the
 * index meanwhile); returns the fd, or reports the error (exit status in
 * *status) and returns -1.
 */
int chan_open_arg(const char *arg, int flags, struct chan_ref *ref,
		  int *status);

/*
 * Read sysfs file @attr ("len", "breaker/state") of channel @index into
 * @buf without its trailing newline. Returns 0 or a negative errno.
 */
int sysfs_read(int index, const char *attr, char *buf, size_t size);
/* Write @val to sysfs file @attr of channel @index: 0 or a negative errno. */
int sysfs_write(int index, const char *attr, const char *val);

#endif /* CHANCTL_H */
