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
#   make stress [DURATION=600] [FLAVOUR=debug|6.1|6.12]
#                                         tests/stress alone in one VM for
#                                         DURATION s of traffic (default on
#                                         the debug kernel)
#   make fuzz [DURATION=600] [FLAVOUR=debug|6.1|6.12]
#                                         the same for tests/fuzz
#   make install                          chan.ko (updates/), depmod, headers,
#                                         libchan, tools, man pages, the udev
#                                         rule, a modprobe.d example, group chan
#                                         (DESTDIR, PREFIX=/usr/local, KDIR,
#                                         UDEVDIR=/lib/udev/rules.d)
#   make uninstall                        remove what install put

KVER_RUNNING := $(shell uname -r)
RUNNING_KDIR := /lib/modules/$(KVER_RUNNING)/build
# The running kernel's build dir, else the newest installed one.
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)),$(RUNNING_KDIR),$(lastword $(sort $(wildcard /lib/modules/*/build))))

FLAVOUR ?= 6.1
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module module-clean userspace check demo bench shell stress fuzz install uninstall clean

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

# FLAVOUR given (command line or environment) or the debug kernel.
DURATION ?= 600
stress fuzz:
	@scripts/long-run.sh --test $@ --seconds $(DURATION) \
		--flavour $(if $(filter file,$(origin FLAVOUR)),debug,$(FLAVOUR))

# Installed: chan.ko, built from module/ alone (never the KUnit module), by
# the kernel's modules_install into /lib/modules/<release>/updates/ (signed
# and compressed as the kernel's config says); what `make -C userspace
# install` installs; the udev rule, in UDEVDIR whatever PREFIX is; the
# modprobe.d example, which never replaces a file already there. Only on the
# real system (no DESTDIR): depmod, the system group chan that the udev rule
# gives channels to, and a udev reload (best effort). With DESTDIR: no
# depmod (a package runs it when installed) and no root needed. Uninstall
# removes the same files, the modprobe.d one only while it is the shipped
# file, and keeps the group: files elsewhere may still belong to it.
UDEVDIR ?= /lib/udev/rules.d
MODPROBEDIR := /etc/modprobe.d
# The release modules are installed for: UTS_RELEASE (Debian's header
# packages override KERNELRELEASE, their include/config/kernel.release is
# the upstream version).
KREL ?= $(shell sed -n 's/^[#]define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# Absolute: the sub-makes run in other directories.
INSTALL_ROOT = $(abspath $(DESTDIR))
KMOD_INSTALLED = $(INSTALL_ROOT)/lib/modules/$(KREL)/updates/chan.ko

install:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "kchan: no kernel build dir;" \
		"install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	@test -n "$(KREL)" || \
		{ echo "kchan: no UTS_RELEASE in $(KDIR)/include/generated/utsrelease.h" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module INSTALL_MOD_PATH=$(INSTALL_ROOT) \
		INSTALL_MOD_DIR=updates $(if $(DESTDIR),DEPMOD=true) modules_install
	$(if $(DESTDIR),,depmod -a $(KREL))
	$(MAKE) -C userspace install DESTDIR=$(INSTALL_ROOT) PREFIX=$(PREFIX)
	install -D -m 0644 userspace/udev/60-chan.rules \
		$(INSTALL_ROOT)$(UDEVDIR)/60-chan.rules
	@f=$(INSTALL_ROOT)$(MODPROBEDIR)/chan.conf; \
	if [ -e $$f ]; then \
		echo "kchan: keeping $$f"; \
	else \
		echo "install -D -m 0644 userspace/modprobe.d/chan.conf $$f"; \
		install -D -m 0644 userspace/modprobe.d/chan.conf $$f; \
	fi
ifeq ($(DESTDIR),)
	getent group chan >/dev/null || groupadd -r chan
	@if command -v udevadm >/dev/null; then \
		echo "udevadm control --reload; udevadm trigger --subsystem-match=chan"; \
		udevadm control --reload || true; \
		udevadm trigger --subsystem-match=chan --action=change || true; \
	fi
endif

uninstall:
	@test -n "$(KREL)" || \
		{ echo "kchan: which kernel? pass KDIR= or KREL=<release>" >&2; exit 1; }
	rm -f $(KMOD_INSTALLED) $(addprefix $(KMOD_INSTALLED),.gz .xz .zst)
	$(if $(DESTDIR),,depmod -a $(KREL))
	$(MAKE) -C userspace uninstall DESTDIR=$(INSTALL_ROOT) PREFIX=$(PREFIX)
	rm -f $(INSTALL_ROOT)$(UDEVDIR)/60-chan.rules
	@f=$(INSTALL_ROOT)$(MODPROBEDIR)/chan.conf; \
	if [ ! -e $$f ]; then :; \
	elif cmp -s userspace/modprobe.d/chan.conf $$f; then \
		echo "rm -f $$f"; rm -f $$f; \
	else \
		echo "kchan: keeping $$f (edited)"; \
	fi
ifeq ($(DESTDIR),)
	@if command -v udevadm >/dev/null; then \
		echo "udevadm control --reload"; udevadm control --reload || true; \
	fi
endif

clean: module-clean
	$(MAKE) -C userspace clean
	rm -rf build
