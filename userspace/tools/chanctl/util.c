// SPDX-License-Identifier: GPL-2.0
/*
 * chanctl: what the subcommands share: error lines with the errno's name,
 * option parsing with usage errors, strict numbers, and turning a CHAN
 * argument (index, chan<N>, /dev/chan<N>, /dev/chan/<name> or a name)
 * into a channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chanctl.h"

#define E(x) [x] = #x

/* The errnos the chan devices and libchan return (see chan(4)). */
static const char *const errno_names[] = {
	E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(EBADF),
	E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST),
	E(ENODEV), E(ENOTDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ENOSPC), E(EPIPE), E(ERANGE), E(ENAMETOOLONG), E(EMSGSIZE),
	E(EOPNOTSUPP), E(ECONNREFUSED), E(ETIMEDOUT), E(ESTALE),
};

#undef E

const char *errno_name(int err)
{
	if (err < 0)
		err = -err;
	if (err <= 0 || (size_t)err >= ARRAY_SIZE(errno_names))
		return NULL;
	return errno_names[err];
}

static void vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "chanctl: %s: ", cur_cmd ? cur_cmd->name : "error");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int op_error(const char *what, int err)
{
	const char *name;

	if (err < 0)
		err = -err;
	name = errno_name(err);
	fprintf(stderr, "chanctl: %s: %s: %s (%s)\n",
		cur_cmd ? cur_cmd->name : "error", what, strerror(err),
		name ?: "?");
	return EXIT_OP;
}

int op_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return EXIT_OP;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	if (cur_cmd) {
		fprintf(stderr, "usage: chanctl %s %s\n", cur_cmd->name,
			cur_cmd->synopsis);
		fprintf(stderr, "Try 'chanctl help %s'.\n", cur_cmd->name);
	} else {
		fprintf(stderr, "Try 'chanctl help'.\n");
	}
	return EXIT_USAGE;
}

void reset_opts(void)
{
	optind = 0;	/* glibc: start over, permuting again */
	opterr = 0;
}

int next_opt(int argc, char **argv, const char *shortopts,
	     const struct option *longopts)
{
	int prev = optind ? optind : 1;
	int c;

	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == '?') {
		if (optopt && !(optind > prev &&
				strncmp(argv[optind - 1], "--", 2) == 0))
			usage_error("unknown option '-%c'", optopt);
		else
			usage_error("unknown option '%s'", argv[optind - 1]);
		return -EXIT_USAGE;
	}
	if (c == ':') {
		usage_error("option '%s' needs an argument", argv[optind - 1]);
		return -EXIT_USAGE;
	}
	return c;
}

bool parse_u64(const char *s, int base, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*val = v;
	return true;
}

bool parse_u32(const char *s, int base, uint32_t *val)
{
	uint64_t v;

	if (!parse_u64(s, base, &v) || v > UINT32_MAX)
		return false;
	*val = v;
	return true;
}

bool parse_timeout_ms(const char *s, int64_t *ns)
{
	uint64_t ms;

	/* Up to about 292 years; -1 is spelt without --timeout. */
	if (!parse_u64(s, 10, &ms) || ms > INT64_MAX / 1000000)
		return false;
	*ns = (int64_t)ms * 1000000;
	return true;
}

/* "123" -> 123; anything else (sign, junk, over INT_MAX) -> -1. */
static int parse_index(const char *s)
{
	uint32_t v;

	if (*s < '0' || *s > '9' || !parse_u32(s, 10, &v) || v > INT32_MAX)
		return -1;
	return v;
}

int chan_resolve(const char *arg, struct chan_ref *ref)
{
	static const char dev[] = CHAN_DEV_PREFIX;	/* "/dev/chan" */
	const char *name = arg;
	int index = parse_index(arg);

	if (index < 0 && strncmp(arg, "chan", 4) == 0)
		index = parse_index(arg + 4);
	if (index < 0 && strncmp(arg, dev, sizeof(dev) - 1) == 0) {
		index = parse_index(arg + sizeof(dev) - 1);
		/* udev's link /dev/chan/<name> */
		if (index < 0 && arg[sizeof(dev) - 1] == '/')
			name = arg + sizeof(dev);
	}
	ref->name = NULL;
	if (index < 0) {
		index = chan_lookup(name);
		if (index < 0)
			return index;
		ref->name = name;
	}
	ref->index = index;
	snprintf(ref->label, sizeof(ref->label), "chan%d", index);
	return 0;
}

int chan_open_arg(const char *arg, int flags, struct chan_ref *ref,
		  int *status)
{
	int fd, ret;

	ret = chan_resolve(arg, ref);
	if (ret < 0) {
		*status = op_error(arg, ret);
		return -1;
	}
	if (ref->name) {
		struct chan_info info;

		fd = chan_open_name(ref->name, flags);
		if (fd < 0) {
			*status = op_error(arg, fd);
			return -1;
		}
		ret = chan_get_info(fd, &info);
		if (ret < 0) {
			close(fd);
			*status = op_error(ref->label, ret);
			return -1;
		}
		ref->index = info.index;
		snprintf(ref->label, sizeof(ref->label), "chan%u", info.index);
		return fd;
	}
	fd = chan_open(ref->index, flags);
	if (fd < 0) {
		*status = op_error(ref->label, fd);
		return -1;
	}
	return fd;
}

int sysfs_read(int index, const char *attr, char *buf, size_t size)
{
	char path[512];
	ssize_t len;
	int fd, err;

	snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d/%s", index, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (len < 0)
		return -err;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	buf[len] = '\0';
	return 0;
}

int sysfs_write(int index, const char *attr, const char *val)
{
	char path[512];
	ssize_t len;
	int fd, err;

	snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d/%s", index, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = write(fd, val, strlen(val));
	err = errno;
	close(fd);
	return len < 0 ? -err : 0;
}
