// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libchan: the control device (create, destroy, ABI version) and finding
 * channels: opening /dev/chan<N> by index or by name, and the names of
 * channels as sysfs shows them (/sys/class/chan/chan<N>/name).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* How often chan_open_name() looks a name up again after losing a race. */
#define OPEN_NAME_TRIES	8

LIBCHAN_API void chan_attr_init(struct chan_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->capacity = 16;
	attr->msg_size = 4096;
	attr->uid = CHAN_ID_CALLER;
	attr->gid = CHAN_ID_CALLER;
	attr->index = CHAN_INDEX_ANY;
	attr->name = NULL;
}

/* One ioctl on a fresh control fd: its result or -errno. */
static int ctl_ioctl(unsigned long cmd, void *arg)
{
	int fd, r;

	fd = (int)libchan_sys(open(CHAN_CONTROL_PATH, O_RDWR | O_CLOEXEC));
	if (fd < 0)
		return fd;
	r = libchan_ioctl(fd, cmd, arg);
	close(fd);
	return r;
}

/* 0 when @name is 1..CHAN_NAME_MAX-1 bytes of [A-Za-z0-9._-], not '.'-led. */
static int name_check(const char *name)
{
	size_t i, len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, CHAN_NAME_MAX);
	if (len == 0 || len >= CHAN_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

LIBCHAN_API int chan_create_attr(const struct chan_attr *attr)
{
	struct chan_ctl_create req;
	unsigned long cmd;
	size_t len;
	int r;

	if (!attr)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.capacity = attr->capacity;
	req.msg_size = attr->msg_size;
	req.flags = attr->flags;
	req.mode = attr->mode;
	req.uid = attr->uid;
	req.gid = attr->gid;
	req.index = attr->index;
	if (attr->name && attr->name[0]) {
		/* The kernel judges the characters; the length must fit. */
		len = strnlen(attr->name, CHAN_NAME_MAX);
		if (len >= CHAN_NAME_MAX)
			return -EINVAL;
		memcpy(req.name, attr->name, len);
		cmd = CHAN_CTL_CREATE;
	} else {
		/* The first version's size: a module of ABI 1 takes it too. */
		cmd = _IOC(_IOC_READ | _IOC_WRITE, CHAN_IOC_MAGIC, 0x01,
			   CHAN_CTL_CREATE_SIZE_VER0);
	}
	r = ctl_ioctl(cmd, &req);
	return r < 0 ? r : req.index;
}

LIBCHAN_API int chan_create(unsigned int capacity, unsigned int msg_size)
{
	struct chan_attr attr;

	chan_attr_init(&attr);
	attr.capacity = capacity;
	attr.msg_size = msg_size;
	return chan_create_attr(&attr);
}

LIBCHAN_API int chan_create_named(const char *name, unsigned int capacity,
				  unsigned int msg_size)
{
	struct chan_attr attr;

	if (!name || !name[0])
		return -EINVAL;
	chan_attr_init(&attr);
	attr.capacity = capacity;
	attr.msg_size = msg_size;
	attr.name = name;
	return chan_create_attr(&attr);
}

LIBCHAN_API int chan_destroy(int index, unsigned int flags)
{
	struct chan_ctl_destroy req = { .index = index, .flags = flags };

	return ctl_ioctl(CHAN_CTL_DESTROY, &req);
}

LIBCHAN_API int chan_abi_version(void)
{
	return ctl_ioctl(CHAN_CTL_GET_VERSION, NULL);
}

LIBCHAN_API int chan_open(int index, int flags)
{
	char path[32];

	if (index < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), CHAN_DEV_PREFIX "%d", index);
	return (int)libchan_sys(open(path, flags | O_CLOEXEC));
}

/*
 * Read /sys/class/chan/chan<index>/name into @buf (@size bytes), without
 * its newline: the name's length, -ENOENT (no such channel), -ERANGE. A
 * module without names (ABI 1) has no such file: every name is empty.
 */
static int read_name(int index, char *buf, size_t size)
{
	char path[64], tmp[CHAN_NAME_MAX + 2];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d/name", index);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		snprintf(path, sizeof(path), CHAN_SYSFS_CLASS "/chan%d", index);
		if (access(path, F_OK))
			return -ENOENT;
		n = 0;
	} else {
		n = read(fd, tmp, sizeof(tmp) - 1);
		if (n < 0)
			n = -errno;
		close(fd);
		if (n < 0)
			return (int)n;
	}
	if (n > 0 && tmp[n - 1] == '\n')
		n--;
	if ((size_t)n >= size)
		return -ERANGE;
	memcpy(buf, tmp, (size_t)n);
	buf[n] = '\0';
	return (int)n;
}

LIBCHAN_API int chan_name(int index, char *buf, size_t size)
{
	if (index < 0)
		return -ENOENT;
	if (!buf || !size)
		return -ERANGE;
	return read_name(index, buf, size);
}

/* The index of a directory entry "chan<N>", or -1. */
static int entry_index(const char *d_name)
{
	unsigned long v;
	char *end;

	if (strncmp(d_name, "chan", 4) || d_name[4] < '0' || d_name[4] > '9')
		return -1;
	v = strtoul(d_name + 4, &end, 10);
	if (*end || v > INT32_MAX)
		return -1;
	return (int)v;
}

LIBCHAN_API int chan_lookup(const char *name)
{
	char cur[CHAN_NAME_MAX];
	struct dirent *e;
	int r, index, found = -ENOENT;
	DIR *d;

	r = name_check(name);
	if (r)
		return r;
	d = opendir(CHAN_SYSFS_CLASS);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		index = entry_index(e->d_name);
		if (index < 0)
			continue;
		/* A channel going away meanwhile is simply not it. */
		if (read_name(index, cur, sizeof(cur)) > 0 && !strcmp(cur, name)) {
			found = index;
			break;
		}
	}
	closedir(d);
	return found;
}

LIBCHAN_API int chan_open_name(const char *name, int flags)
{
	char cur[CHAN_NAME_MAX];
	struct chan_info info;
	int i, index, fd, r;

	for (i = 0; i < OPEN_NAME_TRIES; i++) {
		index = chan_lookup(name);
		if (index < 0)
			return index;
		fd = chan_open(index, flags);
		if (fd == -ENOENT || fd == -ENODEV)
			continue;	/* destroyed since the lookup */
		if (fd < 0)
			return fd;
		/*
		 * The index may have been destroyed and given to another
		 * channel between the lookup and the open: the fd is the
		 * channel called @name only if it is alive and that index is
		 * still called so.
		 */
		r = chan_get_info(fd, &info);
		if (r == 0 && info.index == (__u32)index &&
		    read_name(index, cur, sizeof(cur)) > 0 && !strcmp(cur, name))
			return fd;
		close(fd);
		if (r < 0 && r != -ENODEV)
			return r;
	}
	return -ENOENT;
}
