// SPDX-License-Identifier: GPL-2.0
/*
 * chanctl: the send side's guards: the circuit breaker (show its
 * configuration and status, set fields of its configuration by name,
 * reset it) and the rate limiter (show, set). Both open the channel for
 * reading only, so that they never count as a writer (and never close an
 * auto-close channel).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chanctl.h"

#define BRK_FIELD(f) { #f, offsetof(struct chan_breaker_config, f) }

/* The numeric fields of struct chan_breaker_config, by name. */
static const struct {
	const char *name;
	size_t offset;
} brk_fields[] = {
	BRK_FIELD(window_ms),
	BRK_FIELD(min_calls),
	BRK_FIELD(failure_pct),
	BRK_FIELD(consecutive_failures),
	BRK_FIELD(slow_ms),
	BRK_FIELD(slow_pct),
	BRK_FIELD(open_ms),
	BRK_FIELD(open_min_ms),
	BRK_FIELD(open_max_ms),
	BRK_FIELD(half_open_probes),
	BRK_FIELD(half_open_max_ms),
};

#define NR_BRK_FIELDS ARRAY_SIZE(brk_fields)

static __u32 *brk_field(struct chan_breaker_config *cfg, size_t i)
{
	return (__u32 *)((char *)cfg + brk_fields[i].offset);
}

/* @s with every @from replaced by @to, into @buf; false if too long. */
static bool swap_char(const char *s, char from, char to, char *buf, size_t size)
{
	size_t i;

	if (strlen(s) >= size)
		return false;
	for (i = 0; s[i]; i++)
		buf[i] = s[i] == from ? to : s[i];
	buf[i] = '\0';
	return true;
}

/* A mode by name as sysfs spells it, "forced_open"; "forced-open" too. */
static int parse_mode(const char *val)
{
	char name[32];

	if (!swap_char(val, '-', '_', name, sizeof(name)))
		return -EINVAL;
	return chan_breaker_mode_parse(name);
}

/* A mode's or a state's name as sysfs and chanstat show it: "half_open". */
static void print_name(const char *key, const char *name, unsigned int val)
{
	if (name)
		printf("%s: %s\n", key, name);
	else
		printf("%s: %u\n", key, val);
}

static int breaker_show(int fd, const struct chan_ref *ref)
{
	struct chan_breaker_config cfg;
	struct chan_breaker_status st;
	size_t i;
	int ret;

	ret = chan_breaker_get(fd, &cfg);
	if (ret >= 0)
		ret = chan_breaker_status(fd, &st);
	if (ret < 0)
		return op_error(ref->label, ret);
	print_name("mode", chan_breaker_mode_name(cfg.mode), cfg.mode);
	for (i = 0; i < NR_BRK_FIELDS; i++)
		printf("%s: %u\n", brk_fields[i].name, *brk_field(&cfg, i));
	printf("flags: 0x%x%s\n", cfg.flags,
	       cfg.flags & CHAN_BREAKER_F_ADAPTIVE_THRESHOLD ?
	       " (adaptive-threshold)" : "");
	print_name("state", chan_breaker_state_name(st.state), st.state);
	printf("generation: %llu\n", (unsigned long long)st.generation);
	printf("calls: %llu\n", (unsigned long long)st.calls);
	printf("failures: %llu\n", (unsigned long long)st.failures);
	printf("slow_calls: %llu\n", (unsigned long long)st.slow_calls);
	printf("rejected: %llu\n", (unsigned long long)st.rejected);
	printf("trips: %llu\n", (unsigned long long)st.trips);
	printf("current_open_ms: %u\n", st.current_open_ms);
	return 0;
}

/* Apply "key=value" @kv to @cfg; returns 0 or EXIT_USAGE (reported). */
static int breaker_apply(struct chan_breaker_config *cfg, char *kv)
{
	char *eq = strchr(kv, '=');
	const char *key = kv, *val;
	uint32_t v;
	size_t i;
	int mode;

	if (!eq)
		return usage_error("'%s' is not KEY=VALUE", kv);
	*eq = '\0';
	val = eq + 1;
	if (!strcmp(key, "mode")) {
		mode = parse_mode(val);
		if (mode < 0)
			return usage_error("bad mode '%s' (disabled, auto, %s)",
					   val, "forced_open, metrics_only");
		cfg->mode = mode;
		return 0;
	}
	if (!strcmp(key, "flags")) {
		if (!strcmp(val, "adaptive-threshold") ||
		    !strcmp(val, "adaptive_threshold"))
			v = CHAN_BREAKER_F_ADAPTIVE_THRESHOLD;
		else if (!parse_u32(val, 0, &v))
			return usage_error("bad flags '%s'", val);
		cfg->flags = v;
		return 0;
	}
	for (i = 0; i < NR_BRK_FIELDS; i++) {
		if (strcmp(key, brk_fields[i].name))
			continue;
		if (!parse_u32(val, 10, &v))
			return usage_error("bad value '%s' for %s", val, key);
		*brk_field(cfg, i) = v;
		return 0;
	}
	return usage_error("unknown breaker key '%s'", key);
}

int cmd_breaker(int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	struct chan_breaker_config cfg;
	struct chan_ref ref;
	const char *verb;
	int c, fd, i, ret, status;

	/* "+": KEY=VALUE arguments are never options. */
	while ((c = next_opt(argc, argv, "+:", opts)) != -1)
		return EXIT_USAGE;
	if (optind >= argc)
		return usage_error("missing CHAN");
	verb = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (verb && strcmp(verb, "set") && strcmp(verb, "reset"))
		return usage_error("unknown breaker action '%s' (set, reset)", verb);
	if (verb && !strcmp(verb, "reset") && optind + 2 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 2]);
	if (verb && !strcmp(verb, "set") && optind + 2 >= argc)
		return usage_error("set needs KEY=VALUE");
	/* Check every KEY=VALUE before opening the channel. */
	memset(&cfg, 0, sizeof(cfg));
	for (i = optind + 2; verb && i < argc; i++) {
		char *kv = strdup(argv[i]);

		if (!kv)
			return op_error("breaker", -ENOMEM);
		ret = breaker_apply(&cfg, kv);
		free(kv);
		if (ret)
			return ret;
	}
	fd = chan_open_arg(argv[optind], O_RDONLY, &ref, &status);
	if (fd < 0)
		return status;
	if (!verb) {
		ret = breaker_show(fd, &ref);
	} else if (!strcmp(verb, "reset")) {
		ret = chan_breaker_reset(fd);
		ret = ret < 0 ? op_error(ref.label, ret) : 0;
	} else {
		ret = chan_breaker_get(fd, &cfg);
		for (i = optind + 2; ret >= 0 && i < argc; i++)
			breaker_apply(&cfg, argv[i]);	/* checked above */
		if (ret >= 0)
			ret = chan_breaker_set(fd, &cfg);
		ret = ret < 0 ? op_error(ref.label, ret) : 0;
	}
	close(fd);
	return ret;
}

int cmd_rate(int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	struct chan_ref ref;
	uint32_t rate = 0, burst = 0;
	char tokens[32];
	int c, fd, n, ret, status;

	while ((c = next_opt(argc, argv, ":", opts)) != -1)
		return EXIT_USAGE;
	n = argc - optind;
	if (n < 1)
		return usage_error("missing CHAN");
	if (n > 3)
		return usage_error("unexpected argument '%s'", argv[optind + 3]);
	if (n >= 2 && !parse_u32(argv[optind + 1], 10, &rate))
		return usage_error("bad rate '%s'", argv[optind + 1]);
	if (n == 3 && !parse_u32(argv[optind + 2], 10, &burst))
		return usage_error("bad burst '%s'", argv[optind + 2]);
	if (n == 2)
		burst = rate ? rate : 1;
	fd = chan_open_arg(argv[optind], O_RDONLY, &ref, &status);
	if (fd < 0)
		return status;
	if (n >= 2)
		ret = chan_set_rate(fd, rate, burst);
	else
		ret = chan_get_rate(fd, &rate, &burst);
	close(fd);
	if (ret < 0)
		return op_error(ref.label, ret);
	if (n == 1) {
		printf("rate: %u\nburst: %u\n", rate, burst);
		if (sysfs_read(ref.index, "rate/tokens", tokens, sizeof(tokens)) == 0)
			printf("tokens: %s\n", tokens);
	}
	return 0;
}
