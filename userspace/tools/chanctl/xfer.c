// SPDX-License-Identifier: GPL-2.0
/*
 * chanctl: moving messages: send (each argument, or each line of stdin,
 * is one message; text or hex) and recv (a count of messages, or all of
 * them until the channel is closed and drained, one per line). Both wait
 * as long as --timeout says (ETIMEDOUT), not at all with --nonblock
 * (EAGAIN), or for ever.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chanctl.h"

/* The value of hex digit @c. */
static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/*
 * Hex digits into bytes: pairs of digits, with spaces, ':' and '-' allowed
 * between pairs. Returns the length, or -1 if @s is not hex. The bytes go
 * in place into @s when @decode, else @s is only checked.
 */
static ssize_t unhex(char *s, bool decode)
{
	const char *p = s;
	size_t n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ':' || *p == '-')
			p++;
		if (!*p)
			return n;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -1;
		if (decode)
			s[n] = hexval(p[0]) << 4 | hexval(p[1]);
		n++;
		p += 2;
	}
}

static const struct option xfer_opts[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "nonblock", no_argument, NULL, 'N' },
	{ "hex", no_argument, NULL, 'x' },
	{ "count", required_argument, NULL, 'c' },
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

struct xfer_args {
	int64_t timeout_ns;
	bool timeout_set;
	bool hex;
	bool all;
	bool count_set;
	uint32_t count;
};

/* Options common to send and recv; @recv allows --count and --all. */
static int xfer_parse(int argc, char **argv, bool recv, struct xfer_args *a)
{
	const char *shortopts = recv ? ":t:Nxc:a" : ":t:Nx";
	int c;

	a->timeout_ns = CHAN_TIMEOUT_INFINITE;
	a->timeout_set = a->hex = a->all = a->count_set = false;
	a->count = 1;
	while ((c = next_opt(argc, argv, shortopts, xfer_opts)) != -1) {
		switch (c) {
		case 't':
			if (a->timeout_set)
				return usage_error("--timeout and --nonblock exclude each other");
			if (!parse_timeout_ms(optarg, &a->timeout_ns))
				return usage_error("bad timeout '%s' (ms)", optarg);
			a->timeout_set = true;
			break;
		case 'N':
			if (a->timeout_set)
				return usage_error("--timeout and --nonblock exclude each other");
			a->timeout_ns = 0;
			a->timeout_set = true;
			break;
		case 'x':
			a->hex = true;
			break;
		case 'c':
			if (!recv)
				return usage_error("unknown option '%s'", argv[optind - 1]);
			if (!parse_u32(optarg, 10, &a->count) || !a->count)
				return usage_error("bad count '%s'", optarg);
			a->count_set = true;
			break;
		case 'a':
			if (!recv)
				return usage_error("unknown option '%s'", argv[optind - 1]);
			a->all = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (a->all && a->count_set)
		return usage_error("--count and --all exclude each other");
	if (optind >= argc)
		return usage_error("missing CHAN");
	return 0;
}

static int send_one(int fd, const struct chan_ref *ref, const void *buf,
		    size_t len, int64_t timeout_ns)
{
	int ret = chan_send_timeout(fd, buf, len, timeout_ns);

	return ret < 0 ? op_error(ref->label, ret) : 0;
}

int cmd_send(int argc, char **argv)
{
	struct xfer_args a;
	struct chan_ref ref;
	ssize_t len, *lens = NULL;
	unsigned long lineno = 0;
	char *line = NULL, **msgs;
	size_t cap = 0;
	int fd, i, n, ret, status;

	ret = xfer_parse(argc, argv, false, &a);
	if (ret)
		return ret;
	/* Every MESSAGE is checked before anything is sent. */
	n = argc - optind - 1;
	msgs = argv + optind + 1;
	if (n > 0) {
		lens = calloc(n, sizeof(*lens));
		if (!lens)
			return op_error("send", -ENOMEM);
		for (i = 0; i < n; i++) {
			lens[i] = a.hex ? unhex(msgs[i], false) : (ssize_t)strlen(msgs[i]);
			if (lens[i] < 0) {
				free(lens);
				return usage_error("not hex: '%s'", msgs[i]);
			}
		}
		for (i = 0; a.hex && i < n; i++)
			unhex(msgs[i], true);
	}
	fd = chan_open_arg(argv[optind], O_WRONLY, &ref, &status);
	if (fd < 0) {
		free(lens);
		return status;
	}
	if (n > 0) {
		for (i = 0; i < n && !ret; i++)
			ret = send_one(fd, &ref, msgs[i], lens[i], a.timeout_ns);
		free(lens);
		close(fd);
		return ret;
	}
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (a.hex) {
			len = unhex(line, true);
			if (len < 0) {
				ret = op_fail("stdin line %lu: not hex", lineno);
				break;
			}
		}
		ret = send_one(fd, &ref, line, len, a.timeout_ns);
		if (ret)
			break;
	}
	if (!ret && ferror(stdin))
		ret = op_error("stdin", errno);
	free(line);
	close(fd);
	return ret;
}

static void print_msg(const unsigned char *buf, size_t len, bool hex)
{
	size_t i;

	if (hex) {
		for (i = 0; i < len; i++)
			printf("%02x", buf[i]);
	} else {
		fwrite(buf, 1, len, stdout);
	}
	putchar('\n');
	fflush(stdout);
}

int cmd_recv(int argc, char **argv)
{
	struct chan_info info;
	struct xfer_args a;
	struct chan_ref ref;
	unsigned char *buf;
	uint32_t got = 0;
	ssize_t len;
	int fd, ret, status;

	ret = xfer_parse(argc, argv, true, &a);
	if (ret)
		return ret;
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	fd = chan_open_arg(argv[optind], O_RDONLY, &ref, &status);
	if (fd < 0)
		return status;
	ret = chan_get_info(fd, &info);
	if (ret < 0) {
		close(fd);
		return op_error(ref.label, ret);
	}
	buf = malloc(info.msg_size ? info.msg_size : 1);
	if (!buf) {
		close(fd);
		return op_error(ref.label, -ENOMEM);
	}
	ret = 0;
	while (a.all || got < a.count) {
		len = chan_recv_timeout(fd, buf, info.msg_size, a.timeout_ns);
		if (len > 0) {
			print_msg(buf, len, a.hex);
			got++;
			continue;
		}
		if (len == 0) {		/* closed and drained */
			if (!a.all)
				ret = op_fail("%s: closed after %u of %u messages",
					      ref.label, got, a.count);
			break;
		}
		/* --all with a timeout: nothing came within it, done. */
		if (a.all && a.timeout_set && (len == -ETIMEDOUT || len == -EAGAIN))
			break;
		ret = op_error(ref.label, len);
		break;
	}
	free(buf);
	close(fd);
	return ret;
}
