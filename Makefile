# SPDX-License-Identifier: GPL-2.0
#
# kchan: the user entry point. Kernel-side objects are described in Kbuild
# (module/, and kunit/ when the target kernel has CONFIG_KUNIT).
#
#   make module KDIR=<kernel build dir>   build module/chan.ko
#   make userspace                        library, tools and tests
#   make check                            every build, static check and test
#   make demo                             walk through the main job in a VM
#   make bench                            chan vs pipe, mq, SEQPACKET, eventfd in
#                                         a VM; writes bench/results.md
#                                         (KCHAN_BENCH_ARGS, KCHAN_BENCH_MODULE)
#   make shell [FLAVOUR=6.1|6.12|debug]   a VM with the module loaded
#   make install                          module, header, library, tools

KVER_RUNNING := $(shell uname -r)
RUNNING_KDIR := /lib/modules/$(KVER_RUNNING)/build
# The running kernel's build dir, else the newest installed one.
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)),$(RUNNING_KDIR),$(lastword $(sort $(wildcard /lib/modules/*/build))))

FLAVOUR ?= 6.1
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module module-clean userspace check demo bench shell install clean

all: module userspace

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "kchan: no kernel build dir; install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	@test "$(origin KDIR)" != file -o -d "$(RUNNING_KDIR)" || \
		echo "kchan: no build dir for the running kernel $(KVER_RUNNING); using $(KDIR)"
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean

userspace:
	$(MAKE) -C userspace

check:
	@scripts/check.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

shell:
	@scripts/shell.sh $(FLAVOUR)

install: module userspace
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	install -D -m 0644 uapi/linux/chan.h $(DESTDIR)$(PREFIX)/include/linux/chan.h
	depmod -a $$(basename $$(dirname $(KDIR))) 2>/dev/null || true

clean: module-clean
	$(MAKE) -C userspace clean
	rm -rf build
