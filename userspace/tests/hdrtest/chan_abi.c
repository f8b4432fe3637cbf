// SPDX-License-Identifier: GPL-2.0
/*
 * Compile-time check of the kchan ABI (uapi/linux/chan.h): every struct
 * size and field offset, sizes multiple of 8, pointers carried as __u64,
 * the *_SIZE_VER0 values, and the ioctl numbers (type, number, direction,
 * size, all distinct). Built with -fsyntax-only by `make hdrtest`, natively
 * and with -m32 where available, so the layout is the same on both ABIs.
 */
#include <stddef.h>
#include <linux/ioctl.h>
#include <linux/chan.h>

#define FIELD(s, f)		(((struct s *)0)->f)
#define OFF(s, f, o)		_Static_assert(offsetof(struct s, f) == (o), \
					       #s "." #f " at offset " #o)
#define FSIZE(s, f, n)		_Static_assert(sizeof(FIELD(s, f)) == (n), \
					       #s "." #f " is " #n " bytes")
#define SIZE(s, n)		_Static_assert(sizeof(struct s) == (n) && \
					       (n) % 8 == 0, \
					       "struct " #s " is " #n " bytes")
#define TYPE(s, f, t)		_Static_assert(_Generic(FIELD(s, f), t: 1, \
					       default: 0), \
					       #s "." #f " is " #t)

/* struct chan_ctl_create */
SIZE(chan_ctl_create, 32);
_Static_assert(CHAN_CTL_CREATE_SIZE_VER0 == 32, "CHAN_CTL_CREATE_SIZE_VER0");
_Static_assert(sizeof(struct chan_ctl_create) == CHAN_CTL_CREATE_SIZE_VER0,
	       "chan_ctl_create VER0 is the current size");
OFF(chan_ctl_create, capacity, 0);	TYPE(chan_ctl_create, capacity, __u32);
OFF(chan_ctl_create, msg_size, 4);	TYPE(chan_ctl_create, msg_size, __u32);
OFF(chan_ctl_create, flags, 8);		TYPE(chan_ctl_create, flags, __u32);
OFF(chan_ctl_create, mode, 12);		TYPE(chan_ctl_create, mode, __u32);
OFF(chan_ctl_create, uid, 16);		TYPE(chan_ctl_create, uid, __u32);
OFF(chan_ctl_create, gid, 20);		TYPE(chan_ctl_create, gid, __u32);
OFF(chan_ctl_create, index, 24);	TYPE(chan_ctl_create, index, __s32);
OFF(chan_ctl_create, __reserved, 28);	TYPE(chan_ctl_create, __reserved, __u32);

/* struct chan_ctl_destroy */
SIZE(chan_ctl_destroy, 8);
_Static_assert(CHAN_CTL_DESTROY_SIZE_VER0 == 8, "CHAN_CTL_DESTROY_SIZE_VER0");
_Static_assert(sizeof(struct chan_ctl_destroy) == CHAN_CTL_DESTROY_SIZE_VER0,
	       "chan_ctl_destroy VER0 is the current size");
OFF(chan_ctl_destroy, index, 0);	TYPE(chan_ctl_destroy, index, __s32);
OFF(chan_ctl_destroy, flags, 4);	TYPE(chan_ctl_destroy, flags, __u32);

/* struct chan_xfer: the buffer pointer travels as __u64 */
SIZE(chan_xfer, 24);
_Static_assert(CHAN_XFER_SIZE_VER0 == 24, "CHAN_XFER_SIZE_VER0");
_Static_assert(sizeof(struct chan_xfer) == CHAN_XFER_SIZE_VER0,
	       "chan_xfer VER0 is the current size");
OFF(chan_xfer, buf, 0);		TYPE(chan_xfer, buf, __u64);	FSIZE(chan_xfer, buf, 8);
OFF(chan_xfer, len, 8);		TYPE(chan_xfer, len, __u32);
OFF(chan_xfer, flags, 12);	TYPE(chan_xfer, flags, __u32);
OFF(chan_xfer, timeout_ns, 16);	TYPE(chan_xfer, timeout_ns, __s64);

/* struct chan_timeouts */
SIZE(chan_timeouts, 16);
_Static_assert(CHAN_TIMEOUTS_SIZE_VER0 == 16, "CHAN_TIMEOUTS_SIZE_VER0");
_Static_assert(sizeof(struct chan_timeouts) == CHAN_TIMEOUTS_SIZE_VER0,
	       "chan_timeouts VER0 is the current size");
OFF(chan_timeouts, send_ns, 0);	TYPE(chan_timeouts, send_ns, __s64);
OFF(chan_timeouts, recv_ns, 8);	TYPE(chan_timeouts, recv_ns, __s64);

/* constants */
_Static_assert(CHAN_IOC_MAGIC == 0xBC, "ioctl magic");
_Static_assert(CHAN_TIMEOUT_INFINITE == -1, "CHAN_TIMEOUT_INFINITE is -1");
_Static_assert(CHAN_INDEX_ANY == -1, "CHAN_INDEX_ANY is -1");
_Static_assert(CHAN_ID_CALLER == 0xffffffffu, "CHAN_ID_CALLER is (__u32)-1");
_Static_assert(CHAN_CREATE_F_ALL == CHAN_CREATE_F_AUTOCLOSE, "create flags");
_Static_assert(CHAN_DESTROY_F_ALL == CHAN_DESTROY_F_FORCE, "destroy flags");
_Static_assert(CHAN_ABI_VERSION >= 1, "ABI version");

/* ioctl numbers: magic, number, direction and size of each */
#define IOC(cmd, dir, nr, size) \
	_Static_assert(_IOC_TYPE(cmd) == CHAN_IOC_MAGIC && \
		       _IOC_NR(cmd) == (nr) && _IOC_DIR(cmd) == (dir) && \
		       _IOC_SIZE(cmd) == (size), #cmd)
IOC(CHAN_CTL_GET_VERSION, _IOC_NONE, 0x00, 0);
IOC(CHAN_CTL_CREATE, _IOC_READ | _IOC_WRITE, 0x01, CHAN_CTL_CREATE_SIZE_VER0);
IOC(CHAN_CTL_DESTROY, _IOC_WRITE, 0x02, CHAN_CTL_DESTROY_SIZE_VER0);
IOC(CHAN_IOC_SEND, _IOC_WRITE, 0x10, CHAN_XFER_SIZE_VER0);
IOC(CHAN_IOC_RECV, _IOC_WRITE, 0x11, CHAN_XFER_SIZE_VER0);
IOC(CHAN_IOC_CLOSE, _IOC_NONE, 0x12, 0);
IOC(CHAN_IOC_SET_TIMEOUTS, _IOC_WRITE, 0x13, CHAN_TIMEOUTS_SIZE_VER0);
IOC(CHAN_IOC_GET_TIMEOUTS, _IOC_READ, 0x14, CHAN_TIMEOUTS_SIZE_VER0);
IOC(CHAN_IOC_SET_CAPACITY, _IOC_WRITE, 0x15, 4);

/* Control numbers 0x00-0x0f, channel numbers from 0x10 (header comment). */
_Static_assert(_IOC_NR(CHAN_CTL_DESTROY) < 0x10 && _IOC_NR(CHAN_IOC_SEND) >= 0x10,
	       "control/channel number ranges");

/* A duplicate case label is a compile error: all numbers are distinct. */
int chan_abi_distinct(unsigned int cmd);
int chan_abi_distinct(unsigned int cmd)
{
	switch (cmd) {
	case CHAN_CTL_GET_VERSION:
	case CHAN_CTL_CREATE:
	case CHAN_CTL_DESTROY:
	case CHAN_IOC_SEND:
	case CHAN_IOC_RECV:
	case CHAN_IOC_CLOSE:
	case CHAN_IOC_SET_TIMEOUTS:
	case CHAN_IOC_GET_TIMEOUTS:
	case CHAN_IOC_SET_CAPACITY:
		return 1;
	}
	return 0;
}
