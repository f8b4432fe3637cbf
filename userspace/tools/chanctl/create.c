// SPDX-License-Identifier: GPL-2.0
/*
 * chanctl: the life and shape of channels: create, destroy, list, info,
 * close and capacity. list and info read sysfs (/sys/class/chan) and open
 * no channel, so that they neither show in readers/writers nor close an
 * auto-close channel; close opens the channel for writing, capacity for
 * reading.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "chanctl.h"

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "capacity", required_argument, NULL, 'c' },
		{ "msg-size", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "index", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "owner", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "autoclose", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct chan_attr attr;
	char what[64];
	uint32_t v;
	int c, index;

	chan_attr_init(&attr);
	while ((c = next_opt(argc, argv, ":c:s:n:i:m:u:g:a", opts)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_u32(optarg, 10, &v))
				return usage_error("bad capacity '%s'", optarg);
			attr.capacity = v;
			break;
		case 's':
			if (!parse_u32(optarg, 10, &v))
				return usage_error("bad message size '%s'", optarg);
			attr.msg_size = v;
			break;
		case 'n':
			attr.name = optarg;
			break;
		case 'i':
			if (!parse_u32(optarg, 10, &v) || v > INT32_MAX)
				return usage_error("bad index '%s'", optarg);
			attr.index = v;
			break;
		case 'm':
			if (!parse_u32(optarg, 8, &v))
				return usage_error("bad mode '%s' (octal)", optarg);
			attr.mode = v;
			break;
		case 'u':
			if (!parse_u32(optarg, 10, &v))
				return usage_error("bad owner '%s' (a uid)", optarg);
			attr.uid = v;
			break;
		case 'g':
			if (!parse_u32(optarg, 10, &v))
				return usage_error("bad group '%s' (a gid)", optarg);
			attr.gid = v;
			break;
		case 'a':
			attr.flags |= CHAN_CREATE_F_AUTOCLOSE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	index = chan_create_attr(&attr);
	if (index < 0) {
		if (attr.name)
			snprintf(what, sizeof(what), "%s", attr.name);
		else if (attr.index != CHAN_INDEX_ANY)
			snprintf(what, sizeof(what), "chan%d", attr.index);
		else
			snprintf(what, sizeof(what), "%s", CHAN_CONTROL_PATH);
		return op_error(what, index);
	}
	printf("chan%d %s%d", index, CHAN_DEV_PREFIX, index);
	if (attr.name && *attr.name)
		printf(" name=%s", attr.name);
	printf("\n");
	return 0;
}

/* Parse the one CHAN argument of a subcommand with no options but @opts. */
static int one_chan_arg(int argc, char **argv, const char **arg)
{
	if (optind >= argc)
		return usage_error("missing CHAN");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	*arg = argv[optind];
	return 0;
}

static int no_opts(int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	int c = next_opt(argc, argv, ":", opts);

	return c == -1 ? 0 : EXIT_USAGE;
}

int cmd_destroy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct chan_ref ref;
	unsigned int flags = 0;
	const char *arg;
	int c, ret;

	while ((c = next_opt(argc, argv, ":f", opts)) != -1) {
		if (c != 'f')
			return EXIT_USAGE;
		flags |= CHAN_DESTROY_F_FORCE;
	}
	ret = one_chan_arg(argc, argv, &arg);
	if (ret)
		return ret;
	ret = chan_resolve(arg, &ref);
	if (ret < 0)
		return op_error(arg, ret);
	ret = chan_destroy(ref.index, flags);
	if (ret < 0)
		return op_error(ref.label, ret);
	return 0;
}

/* The indexes of the channels in sysfs, sorted; returns how many or -errno. */
static int chan_indexes(int **out)
{
	DIR *dir = opendir(CHAN_SYSFS_CLASS);
	int *idx = NULL, *tmp, n = 0, cap = 0, i, j, v;
	struct dirent *de;
	uint32_t u;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "chan", 4) != 0 ||
		    !parse_u32(de->d_name + 4, 10, &u) || u > INT32_MAX)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(idx, cap * sizeof(*idx));
			if (!tmp) {
				free(idx);
				closedir(dir);
				return -ENOMEM;
			}
			idx = tmp;
		}
		idx[n++] = u;
	}
	closedir(dir);
	for (i = 1; i < n; i++) {	/* insertion sort: a few channels */
		v = idx[i];
		for (j = i; j > 0 && idx[j - 1] > v; j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
	*out = idx;
	return n;
}

#define LIST_ATTRS 7

int cmd_list(int argc, char **argv)
{
	static const char *const attrs[LIST_ATTRS] = {
		"capacity", "msg_size", "len", "waiting_senders",
		"waiting_receivers", "closed", "breaker/state",
	};
	struct row {
		int index;
		char name[CHAN_NAME_MAX + 1];
		char val[LIST_ATTRS][24];
	} *rows;
	int *idx = NULL, n, i, j, k, namew = 4;
	char label[32];

	if (no_opts(argc, argv))
		return EXIT_USAGE;
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	n = chan_indexes(&idx);
	if (n < 0)
		return op_error(CHAN_SYSFS_CLASS, n);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		free(idx);
		return op_error("list", -ENOMEM);
	}
	for (i = 0, k = 0; i < n; i++) {
		struct row *r = &rows[k];

		r->index = idx[i];
		/* No name file: a module without names. */
		if (sysfs_read(r->index, "name", r->name, sizeof(r->name)) < 0 ||
		    !r->name[0])
			strcpy(r->name, "-");
		for (j = 0; j < LIST_ATTRS; j++)
			if (sysfs_read(r->index, attrs[j], r->val[j],
				       sizeof(r->val[j])) < 0)
				break;
		if (j < LIST_ATTRS)
			continue;	/* destroyed meanwhile */
		if ((int)strlen(r->name) > namew)
			namew = strlen(r->name);
		k++;
	}
	printf("%-6s %-*s %8s %8s %6s %7s %9s %-6s %s\n", "CHAN", namew, "NAME",
	       "CAPACITY", "MSG_SIZE", "LEN", "SENDERS", "RECEIVERS", "CLOSED",
	       "BREAKER");
	for (i = 0; i < k; i++) {
		struct row *r = &rows[i];

		snprintf(label, sizeof(label), "chan%d", r->index);
		printf("%-6s %-*s %8s %8s %6s %7s %9s %-6s %s\n", label, namew,
		       r->name, r->val[0], r->val[1], r->val[2], r->val[3],
		       r->val[4], strcmp(r->val[5], "0") ? "yes" : "no",
		       r->val[6]);
	}
	free(rows);
	free(idx);
	return 0;
}

/* Attributes shown first by info, in this order; the rest alphabetically. */
static const char *const info_first[] = {
	"name", "capacity", "msg_size", "len", "closed", "waiting_senders",
	"waiting_receivers", "readers", "writers", "oldest_wait_ms",
};

#define NR_INFO_FIRST ARRAY_SIZE(info_first)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_first(const char *name)
{
	size_t i;

	for (i = 0; i < NR_INFO_FIRST; i++)
		if (!strcmp(info_first[i], name))
			return true;
	return false;
}

/*
 * Print "<prefix><file>: <value>" for every readable regular file of
 * @dir (relative to the channel's sysfs directory, "" for itself), but
 * those of info_first at the top level; with @subdirs, then every
 * subdirectory's the same way. Returns 0 or a negative errno.
 */
static int info_dir(int index, const char *dir, bool subdirs)
{
	char path[512], attr[256], val[4096];
	char **names = NULL, **tmp;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d/%s", index, dir);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "uevent") ||
		    !strcmp(de->d_name, "dev") || !strcmp(de->d_name, "power"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			tmp = realloc(names, cap * sizeof(*names));
			if (!tmp) {
				ret = -ENOMEM;
				goto out;
			}
			names = tmp;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			snprintf(attr, sizeof(attr), "%s%s%s", dir, *dir ? "/" : "",
				 names[i]);
			snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d/%s",
				 index, attr);
			if (lstat(path, &st) < 0)
				continue;
			if (pass == 0 && S_ISREG(st.st_mode) &&
			    (st.st_mode & 0444) && !(!*dir && is_first(names[i]))) {
				if (sysfs_read(index, attr, val, sizeof(val)) == 0)
					printf("%s: %s\n", attr, val);
			} else if (pass == 1 && subdirs && S_ISDIR(st.st_mode)) {
				ret = info_dir(index, attr, false);
				if (ret < 0)
					goto out;
			}
		}
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

int cmd_info(int argc, char **argv)
{
	struct chan_ref ref;
	char val[4096];
	const char *arg;
	size_t i;
	int ret;

	if (no_opts(argc, argv))
		return EXIT_USAGE;
	ret = one_chan_arg(argc, argv, &arg);
	if (ret)
		return ret;
	ret = chan_resolve(arg, &ref);
	if (ret < 0)
		return op_error(arg, ret);
	/* The channel's directory first: ENOENT for a missing channel. */
	ret = sysfs_read(ref.index, "capacity", val, sizeof(val));
	if (ret < 0)
		return op_error(ref.label, ret);
	printf("index: %d\n", ref.index);
	for (i = 0; i < NR_INFO_FIRST; i++) {
		ret = sysfs_read(ref.index, info_first[i], val, sizeof(val));
		if (ret == -ENOENT && !strcmp(info_first[i], "name")) {
			printf("name: \n");	/* a module without names */
			continue;
		}
		if (ret < 0)
			return op_error(ref.label, ret);
		printf("%s: %s\n", info_first[i], val);
	}
	ret = info_dir(ref.index, "", true);
	if (ret < 0)
		return op_error(ref.label, ret);
	return 0;
}

int cmd_close(int argc, char **argv)
{
	struct chan_ref ref;
	const char *arg;
	int fd, ret, status;

	if (no_opts(argc, argv))
		return EXIT_USAGE;
	ret = one_chan_arg(argc, argv, &arg);
	if (ret)
		return ret;
	fd = chan_open_arg(arg, O_WRONLY, &ref, &status);
	if (fd < 0)
		return status;
	ret = chan_close(fd);
	close(fd);
	if (ret < 0)
		return op_error(ref.label, ret);
	return 0;
}

int cmd_capacity(int argc, char **argv)
{
	struct chan_info info;
	struct chan_ref ref;
	uint32_t cap = 0;
	bool set;
	int fd, ret, status;

	if (no_opts(argc, argv))
		return EXIT_USAGE;
	if (optind >= argc)
		return usage_error("missing CHAN");
	if (argc - optind > 2)
		return usage_error("unexpected argument '%s'", argv[optind + 2]);
	set = argc - optind == 2;
	if (set && !parse_u32(argv[optind + 1], 10, &cap))
		return usage_error("bad capacity '%s'", argv[optind + 1]);
	fd = chan_open_arg(argv[optind], O_RDONLY, &ref, &status);
	if (fd < 0)
		return status;
	if (set)
		ret = chan_set_capacity(fd, cap);
	else
		ret = chan_get_info(fd, &info);
	close(fd);
	if (ret < 0)
		return op_error(ref.label, ret);
	if (!set)
		printf("%u\n", info.capacity);
	return 0;
}
