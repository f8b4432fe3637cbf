// SPDX-License-Identifier: GPL-2.0
/*
 * Description: named channels (chan(4), Control device): the second
 * version of struct chan_ctl_create carries a name. A valid name (1..31
 * bytes of [A-Za-z0-9._-], not starting with '.') shows in sysfs "name"
 * and in the device's uevent as CHAN_NAME; a name in use gives EEXIST and
 * creates nothing, and is free again once its channel is destroyed (also
 * by a forced destroy with an fd open); invalid names give EINVAL; an
 * unnamed channel has an empty "name" and no CHAN_NAME. A caller built
 * against the first version (32 bytes) still creates unnamed channels.
 * CHAN_ACCESS=default is in the uevent exactly when the creator asked for
 * neither mode nor owner. CHAN_CTL_GET_VERSION says 2.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#define CREATE_V0	_IOC(_IOC_READ | _IOC_WRITE, CHAN_IOC_MAGIC, 0x01, \
			     CHAN_CTL_CREATE_SIZE_VER0)

static struct chan_ctl_create req(const char *name)
{
	struct chan_ctl_create c = { .capacity = 2, .msg_size = 16,
		.uid = CHAN_ID_CALLER, .gid = CHAN_ID_CALLER,
		.index = CHAN_INDEX_ANY };

	if (name)
		memcpy(c.name, name, strnlen(name, sizeof(c.name)));
	return c;
}

/* Create a channel called @name: its index or -errno. */
static int create_named(const char *name)
{
	struct chan_ctl_create c = req(name);
	int r = t_chan_create(&c);

	return r ? r : c.index;
}

/* sysfs "name" of chan<index>, newline kept, into @buf; 0 or -errno. */
static int read_name(int index, char *buf, size_t size)
{
	char path[96];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/name", index);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/*
 * Does chan<index>'s uevent file hold the line @line (@prefix: a line
 * starting with it)? 1 or 0; -errno if unreadable.
 */
static int uevent_match(int index, const char *line, bool prefix)
{
	char path[96], l[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/uevent", index);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(l, sizeof(l), f)) {
		l[strcspn(l, "\n")] = '\0';
		found |= prefix ? !strncmp(l, line, strlen(line)) : !strcmp(l, line);
	}
	fclose(f);
	return found;
}

static int uevent_has(int index, const char *line)
{
	return uevent_match(index, line, false);
}

static int uevent_has_prefix(int index, const char *prefix)
{
	return uevent_match(index, prefix, true);
}

static int count_chans(void)
{
	char path[96];
	int i, n = 0;

	for (i = 0; i < T_DEF_MAX_CHANS; i++) {
		snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d", i);
		n += access(path, F_OK) == 0;
	}
	return n;
}

static void test_version(void)
{
	T_EQ(t_ctl_ioctl(CHAN_CTL_GET_VERSION, NULL), 2,
	     "CHAN_CTL_GET_VERSION gives 2 (names)");
}

static void test_valid_names(void)
{
	static const char *const names[] = {
		"jobs", "a", "A-z_0.9", "x.", "0", "-lead", "_",
		"abcdefghijklmnopqrstuvwxyz01234",	/* 31 bytes */
	};
	char buf[64], want[64], line[96];
	size_t i;

	for (i = 0; i < T_ARRAY_SIZE(names); i++) {
		int idx = create_named(names[i]);

		if (!T_GE(idx, 0, "create named \"%s\"", names[i]))
			continue;
		snprintf(want, sizeof(want), "%s\n", names[i]);
		T_EQ(read_name(idx, buf, sizeof(buf)), 0, "  read chan%d/name", idx);
		T_OK(!strcmp(buf, want), "  sysfs name is \"%s\" (got \"%.40s\")",
		     names[i], buf);
		snprintf(line, sizeof(line), "CHAN_NAME=%s", names[i]);
		T_EQ(uevent_has(idx, line), 1, "  uevent has %s", line);
		T_EQ(t_chan_destroy(idx, 0), 0, "  destroy it");
	}
}

static void test_invalid_names(void)
{
	static const char *const names[] = {
		".", "..", ".hidden", "a/b", "a b", "a:b", "caf\xe9", "a\n", "tab\t",
		"a*", "\x7f",
	};
	struct chan_ctl_create c;
	int before = count_chans();
	size_t i;

	for (i = 0; i < T_ARRAY_SIZE(names); i++)
		T_EQ(create_named(names[i]), -EINVAL, "name \"%s\" gives EINVAL",
		     names[i]);

	/* 32 bytes: no room for the terminating NUL. */
	c = req(NULL);
	memset(c.name, 'a', sizeof(c.name));
	T_EQ(t_chan_create(&c), -EINVAL, "a 32-byte name gives EINVAL");
	/* Bytes after the NUL must be zero. */
	c = req("ab");
	c.name[5] = 'x';
	T_EQ(t_chan_create(&c), -EINVAL, "a byte after the name's NUL gives EINVAL");
	c = req(NULL);
	c.name[1] = 'x';
	T_EQ(t_chan_create(&c), -EINVAL, "a name starting with NUL, then a byte, gives EINVAL");
	T_EQ(count_chans(), before, "no channel was created by the invalid names");
}

static void test_unique(void)
{
	struct chan_ctl_create c;
	int a, b, before, fd;
	char buf[64];

	a = create_named("dup");
	if (!T_GE(a, 0, "create \"dup\""))
		return;
	before = count_chans();
	T_EQ(create_named("dup"), -EEXIST, "a second \"dup\" gives EEXIST");
	c = req("dup");
	c.index = a + 1;
	T_EQ(t_chan_create(&c), -EEXIST, "  ... also at another free index");
	T_EQ(count_chans(), before, "  ... and creates nothing");
	b = create_named("dup2");
	T_GE(b, 0, "a different name works");
	T_GE(create_named("Dup"), 0, "names are case-sensitive: \"Dup\" is another");

	/* Destroyed: the name is free again. */
	T_EQ(t_chan_destroy(a, 0), 0, "destroy \"dup\"");
	a = create_named("dup");
	T_GE(a, 0, "\"dup\" is free again after destroy");

	/* A forced destroy with an fd open frees the name at once. */
	fd = t_chan_open(a, O_RDWR);
	T_GE(fd, 0, "open \"dup\"");
	T_EQ(t_chan_destroy(a, CHAN_DESTROY_F_FORCE), 0, "force-destroy it with the fd open");
	b = create_named("dup");
	T_GE(b, 0, "\"dup\" is free again while the old fd is still open");
	if (b >= 0) {
		T_EQ(read_name(b, buf, sizeof(buf)), 0, "read the new one's name");
		T_OK(!strcmp(buf, "dup\n"), "  it is \"dup\"");
	}
	if (fd >= 0)
		close(fd);
}

static void test_unnamed(void)
{
	struct chan_ctl_create c = req(NULL);
	char buf[64];
	int idx, r;

	idx = create_named(NULL);
	if (T_GE(idx, 0, "create an unnamed channel")) {
		T_EQ(read_name(idx, buf, sizeof(buf)), 0, "read its name");
		T_OK(!strcmp(buf, "\n"), "  sysfs name is an empty line");
		T_EQ(uevent_has_prefix(idx, "CHAN_NAME="), 0, "  no CHAN_NAME in its uevent");
	}
	/* Two unnamed channels never clash. */
	T_GE(create_named(NULL), 0, "a second unnamed channel");

	/* First version: 32 bytes, no name; the index comes back. */
	r = t_ctl_ioctl(CREATE_V0, &c);
	if (T_EQ(r, 0, "CREATE with the first version's 32 bytes works")) {
		T_GE(c.index, 0, "  and gives an index");
		T_OK(t_chan_exists(c.index), "  chan%d exists", c.index);
		T_EQ(read_name(c.index, buf, sizeof(buf)), 0, "  read its name");
		T_OK(!strcmp(buf, "\n"), "  it has none");
		T_EQ(t_chan_destroy(c.index, 0), 0, "  destroy it");
	}
	/* The first version never reads the name field. */
	c = req("ignored");
	c.index = CHAN_INDEX_ANY;
	r = t_ctl_ioctl(CREATE_V0, &c);
	if (T_EQ(r, 0, "first-version CREATE ignores bytes past its 32")) {
		T_EQ(read_name(c.index, buf, sizeof(buf)), 0, "  read its name");
		T_OK(!strcmp(buf, "\n"), "  it has none");
		T_EQ(t_chan_destroy(c.index, 0), 0, "  destroy it");
	}
}

static void test_default_access(void)
{
	struct chan_ctl_create c;
	int idx;

	T_EQ(uevent_has(0, "CHAN_ACCESS=default"), 1,
	     "chan0, made at load, has CHAN_ACCESS=default");
	idx = create_named(NULL);
	if (T_GE(idx, 0, "create with mode 0 and the caller's ids"))
		T_EQ(uevent_has(idx, "CHAN_ACCESS=default"), 1, "  CHAN_ACCESS=default");

	c = req(NULL);
	c.mode = 0600;
	if (T_EQ(t_chan_create(&c), 0, "create with mode 0600"))
		T_EQ(uevent_has_prefix(c.index, "CHAN_ACCESS="), 0, "  no CHAN_ACCESS");
	c = req(NULL);
	c.uid = 0;
	if (T_EQ(t_chan_create(&c), 0, "create with uid 0"))
		T_EQ(uevent_has_prefix(c.index, "CHAN_ACCESS="), 0, "  no CHAN_ACCESS");
	c = req(NULL);
	c.gid = 0;
	if (T_EQ(t_chan_create(&c), 0, "create with gid 0"))
		T_EQ(uevent_has_prefix(c.index, "CHAN_ACCESS="), 0, "  no CHAN_ACCESS");
}

int main(void)
{
	t_init("ctl_names");
	test_version();
	test_valid_names();
	test_invalid_names();
	test_unique();
	test_unnamed();
	test_default_access();
	return t_done();
}
