// SPDX-License-Identifier: GPL-2.0
/*
 * chanctl: the chaos knobs of a channel (sysfs chaos/): show them with the
 * effects injected so far, set them by name, or turn them all off. They
 * have no ioctl: this writes the sysfs files, so it needs what writing
 * them needs (root, or owning the channel).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "chanctl.h"

/* The knobs, as sysfs names them, in the order they are shown. */
static const char * const knobs[] = {
	"send_delay_us", "recv_delay_us", "send_fail_ppm", "pause_recv",
};

#define NR_KNOBS ARRAY_SIZE(knobs)

/* The knob @key names ("send-delay-us" as well), or -1. */
static int find_knob(const char *key, size_t len)
{
	size_t i, j;

	for (i = 0; i < NR_KNOBS; i++) {
		if (strlen(knobs[i]) != len)
			continue;
		for (j = 0; j < len; j++)
			if ((key[j] == '-' ? '_' : key[j]) != knobs[i][j])
				break;
		if (j == len)
			return i;
	}
	return -1;
}

static int show(const struct chan_ref *ref)
{
	char val[32], attr[64];
	size_t i;
	int ret;

	for (i = 0; i < NR_KNOBS; i++) {
		snprintf(attr, sizeof(attr), "chaos/%s", knobs[i]);
		ret = sysfs_read(ref->index, attr, val, sizeof(val));
		if (ret < 0)
			return op_error(ref->label, ret);
		printf("%s: %s\n", knobs[i], val);
	}
	ret = sysfs_read(ref->index, "stats/chaos_injected", val, sizeof(val));
	if (ret < 0)
		return op_error(ref->label, ret);
	printf("injected: %s\n", val);
	return 0;
}

static int set_knob(const struct chan_ref *ref, size_t knob, uint32_t val)
{
	char attr[64], num[16], what[96];
	int ret;

	snprintf(attr, sizeof(attr), "chaos/%s", knobs[knob]);
	snprintf(num, sizeof(num), "%u", val);
	ret = sysfs_write(ref->index, attr, num);
	if (ret < 0) {
		snprintf(what, sizeof(what), "%s: %s=%u", ref->label,
			 knobs[knob], val);
		return op_error(what, ret);
	}
	return 0;
}

int cmd_chaos(int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	uint32_t vals[NR_KNOBS];
	bool given[NR_KNOBS] = { false };
	struct chan_ref ref;
	const char *eq;
	int c, i, k, n, ret;

	while ((c = next_opt(argc, argv, ":", opts)) != -1)
		return EXIT_USAGE;
	n = argc - optind;
	if (n < 1)
		return usage_error("missing CHAN");
	if (n >= 2 && strcmp(argv[optind + 1], "set") &&
	    strcmp(argv[optind + 1], "off"))
		return usage_error("unknown action '%s' (set or off)",
				   argv[optind + 1]);
	if (n > 2 && !strcmp(argv[optind + 1], "off"))
		return usage_error("unexpected argument '%s'", argv[optind + 2]);
	if (n == 2 && !strcmp(argv[optind + 1], "set"))
		return usage_error("set needs KEY=VALUE");
	/* Check every KEY=VALUE before writing any. */
	for (i = optind + 2; i < argc; i++) {
		eq = strchr(argv[i], '=');
		k = eq ? find_knob(argv[i], eq - argv[i]) : -1;
		if (!eq)
			return usage_error("expected KEY=VALUE, not '%s'",
					   argv[i]);
		if (k < 0)
			return usage_error("unknown key '%.*s'",
					   (int)(eq - argv[i]), argv[i]);
		if (!parse_u32(eq + 1, 10, &vals[k]))
			return usage_error("bad value '%s' for %s", eq + 1,
					   knobs[k]);
		given[k] = true;
	}
	if (n >= 2 && !strcmp(argv[optind + 1], "off"))
		for (k = 0; k < (int)NR_KNOBS; k++) {
			vals[k] = 0;
			given[k] = true;
		}
	ret = chan_resolve(argv[optind], &ref);
	if (ret < 0)
		return op_error(argv[optind], ret);
	if (n == 1)
		return show(&ref);
	for (k = 0; k < (int)NR_KNOBS; k++)
		if (given[k] && (ret = set_knob(&ref, k, vals[k])))
			return ret;
	return 0;
}
