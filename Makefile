# SPDX-License-Identifier: MIT
# pipetrace build. Everything built goes under $(OUTPUT); `make V=1` shows
# the commands. Targets: all (default), demo, test, unit, integration, bench,
# fuzz, format, clean, install, uninstall, soak.

OUTPUT ?= .output
CC ?= cc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

JSONC_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null || echo -I/usr/include/json-c)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
CFLAGS ?= -g -O2
ALL_CFLAGS := $(CFLAGS) -std=gnu11 $(WARN) -fno-omit-frame-pointer -MMD -MP \
	-D_GNU_SOURCE -Iinclude -Isrc -I$(OUTPUT) $(JSONC_CFLAGS)
LDLIBS := -lbpf -ldw -lelf -lz -ljson-c -liberty -lcapstone -lm -lpthread

# ------------------------------------------------------------------ sources
# The BPF side, one bpf/*.bpf.c per concern (bpf/*.bpf.h shared): compiled
# one object each under $(OUTPUT)/bpf/, linked into one object,
# $(OUTPUT)/pipetrace.bpf.o, whose skeleton is pipetrace.skel.h.
# bpf/floor.bpf.c belongs to the bench's floor loader only: not in SKELS,
# which the objects including a pipetrace skeleton wait for.
# bpf/pipetrace.bpf.c, which defines the shared maps, comes first: libbpf
# 1.1's linker leaves an extern map seen before its definition at offset 0
# of the .maps section (scripts/check-bpf-link.sh catches it); so does
# bpf/pipes.bpf.c, next, whose maps libcio.bpf.c uses too.
BPF_SRCS := bpf/pipetrace.bpf.c bpf/pipes.bpf.c $(filter-out \
	bpf/floor.bpf.c bpf/pipetrace.bpf.c bpf/pipes.bpf.c,$(sort \
	$(wildcard bpf/*.bpf.c)))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.bpf.h)
SKELS := $(OUTPUT)/pipetrace.skel.h
VMLINUX_H := $(OUTPUT)/vmlinux.h

# src/<concern>/*.c: cli (main and subcommands), session (one trace in
# phases), target, symbols, collect
# (the BPF side's loader), report (the model), output (one file per format),
# util. Only collect/tracer.c includes the skeleton, so only it waits for
# clang (see SKEL_USER_SRCS).
SRC_DIRS := cli session target symbols collect report output util
LIB_SRCS := $(filter-out src/cli/main.c,$(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c)))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/src/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/libpipetrace.a
# The objects whose source includes a BPF skeleton (tracer.c) wait for it;
# the rest, in libpipetrace-core.a, need neither clang nor bpftool, and the
# unit tests link against that alone (`make unit` works without them). Its
# cmd_trace, memreport and stackfold call the tracer: a test that needs them
# links $(LIB).
SKEL_USER_SRCS := $(shell grep -l '^\#include ".*\.skel\.h"' $(LIB_SRCS))
SKEL_USER_OBJS := $(patsubst src/%.c,$(OUTPUT)/src/%.o,$(SKEL_USER_SRCS))
CORE_LIB := $(OUTPUT)/libpipetrace-core.a
CORE_OBJS := $(filter-out $(SKEL_USER_OBJS),$(LIB_OBJS))
PIPETRACE := $(OUTPUT)/pipetrace

REFPIPE_SRCS := $(wildcard tests/refpipe/*.c)
REFPIPE_OBJS := $(patsubst tests/%.c,$(OUTPUT)/tests/%.o,$(REFPIPE_SRCS))
REFPIPE := $(OUTPUT)/refpipe

# The bench's kernel-floor loader (empty uprobes, no pipetrace library) and
# its micro-benchmark target, -O2 and -pg (for uftrace).
FLOOR := $(OUTPUT)/bench/floor
MICRO := $(OUTPUT)/bench/micro
MICRO_PG := $(OUTPUT)/bench/micro-pg
ALLOC_PROG := $(OUTPUT)/tests/integration/prog_alloc

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))
ITEST_SRCS := $(wildcard tests/integration/test_*.c)
ITEST_BINS := $(patsubst tests/integration/%.c,$(OUTPUT)/tests/integration/%,$(ITEST_SRCS))
ITEST_PROG_SRCS := $(wildcard tests/integration/prog_*.c)
ITEST_PROGS := $(patsubst tests/integration/%.c,$(OUTPUT)/tests/integration/%,$(ITEST_PROG_SRCS))
# prog_cmatrix built as distributions build C programs (test_cmatrix.c).
CMATRIX_DIR := $(OUTPUT)/tests/integration/cmatrix
CMATRIX_pie := -O2 -fPIE -pie
CMATRIX_static := -O2 -static
CMATRIX_stripped := -O2 -rdynamic -s
CMATRIX_cet := -O2 -fcf-protection=full
CMATRIX := $(addprefix $(CMATRIX_DIR)/,pie static stripped cet debuglink stale)
OBJCOPY ?= objcopy
ITEST_PROGS += $(CMATRIX)
TEST_HELPER_SRCS := $(wildcard tests/lib/*.c)
TEST_HELPER_OBJS := $(patsubst tests/%.c,$(OUTPUT)/tests/%.o,$(TEST_HELPER_SRCS))

# Fixture programs and libraries the tests run or read (PIE, shared, ...).
FIXTURES :=
-include tests/fixtures/fixtures.mk

.PHONY: all demo test unit integration bench fuzz format clean deps \
	install uninstall FORCE soak
.DELETE_ON_ERROR:
.SECONDARY:

all: $(PIPETRACE) $(REFPIPE)

deps:
	$(Q)scripts/install-deps.sh

# ------------------------------------------------------------------ BPF side
$(VMLINUX_H): scripts/gen-vmlinux.sh | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)scripts/gen-vmlinux.sh $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX_H) $(wildcard include/pipetrace_*.h) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
		-Wall -Werror -Iinclude -I$(OUTPUT) -c $< -o $@

# libbpf's static linker: every extern map or variable (bpf/pipetrace.bpf.h)
# resolves to its one definition, and each section is merged across objects.
$(OUTPUT)/pipetrace.bpf.o: $(BPF_OBJS) scripts/check-bpf-link.sh
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $(BPF_OBJS)
	$(Q)scripts/check-bpf-link.sh $@

$(OUTPUT)/floor.bpf.o: $(OUTPUT)/bpf/floor.bpf.o
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# ---------------------------------------------------------------- userspace
$(OUTPUT)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(SKEL_USER_OBJS): | $(SKELS)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CORE_LIB): $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(PIPETRACE): $(OUTPUT)/src/cli/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

# refpipe: the reference pipeline, frame pointers on, no pipetrace library.
$(REFPIPE): $(REFPIPE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -ljson-c -lm -lpthread -o $@

# A stripped refpipe whose symbols live only in a .gnu_debuglink file beside
# it (-rdynamic keeps the stage functions in .dynsym, so that they can still
# be probed; static functions are named only through the debug file).
REFPIPE_STRIPPED := $(OUTPUT)/fixtures/refpipe-stripped
$(REFPIPE_STRIPPED): $(REFPIPE_OBJS)
	@mkdir -p $(@D)
	$(call msg,STRIP,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -rdynamic $^ -ljson-c -lm -lpthread -o $@.full
	$(Q)objcopy --only-keep-debug $@.full $@.debug
	$(Q)strip --strip-all -o $@.tmp $@.full
	$(Q)cd $(@D) && objcopy --add-gnu-debuglink=$(@F).debug $(@F).tmp
	$(Q)mv $@.tmp $@ && rm -f $@.full
FIXTURES += $(REFPIPE_STRIPPED)

# -------------------------------------------------------------------- bench
$(OUTPUT)/bench/floor.o: tests/bench/floor.c $(OUTPUT)/floor.skel.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(FLOOR): $(OUTPUT)/bench/floor.o $(OUTPUT)/src/target/launch.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -lbpf -lelf -lz -o $@

# Fixed flags, not CFLAGS: every run of the bench times the same code.
$(MICRO): tests/bench/micro.c include/pipetrace/stage.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer $(WARN) -Iinclude $< -o $@

# The same code linked with libstdc++: evidence of C++, so pipetrace times
# its stages at their return instructions (scripts/bench-retsite.sh).
$(MICRO)-cxx: tests/bench/micro.c include/pipetrace/stage.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer $(WARN) -Iinclude $< -o $@ \
		-Wl,--no-as-needed -lstdc++

# prog_nestcost linked with libstdc++: its stages probed at their return
# instructions (retsite), for scripts/bench-nest.sh.
$(OUTPUT)/bench/nestcost-cxx: tests/integration/prog_nestcost.c include/pipetrace/stage.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O0 -fno-omit-frame-pointer $(WARN) -Iinclude $< -o $@ \
		-Wl,--no-as-needed -lstdc++

# malloc/free pairs timed in batches (scripts/bench-alloc.sh's in-process A/B).
ALLOCLOOP := $(OUTPUT)/bench/allocloop
$(ALLOCLOOP): tests/bench/allocloop.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer $(WARN) $< -o $@

# Per libc I/O call: the wrapper against a raw syscall (bench-libcio.sh).
$(OUTPUT)/bench/iocall: tests/bench/iocall.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) $< -o $@

$(MICRO_PG): tests/bench/micro.c include/pipetrace/stage.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -pg -fno-omit-frame-pointer $(WARN) -Iinclude $< -o $@

# -------------------------------------------------------------------- tests
$(OUTPUT)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -DPT_BUILD_DIR=\"$(abspath $(OUTPUT))\" \
		-DPT_SOURCE_DIR=\"$(CURDIR)\" -c $< -o $@

$(OUTPUT)/tests/unit/%: $(OUTPUT)/tests/unit/%.o $(TEST_HELPER_OBJS) $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lcmocka -lexpat -o $@

$(OUTPUT)/tests/integration/%: $(OUTPUT)/tests/integration/%.o $(TEST_HELPER_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# Sample programs the integration tests trace: frame pointers, -O0 so that
# recursion stays recursion and every call is a call.
$(OUTPUT)/tests/integration/prog_%: tests/integration/prog_%.c include/pipetrace/stage.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O0 -fno-omit-frame-pointer $(WARN) -Iinclude $< -lpthread -o $@

$(CMATRIX_DIR)/%: tests/integration/prog_cmatrix.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CMATRIX_$*) $(WARN) $< -o $@

# Stripped, its symbols in a separate debug file as distributions ship them
# (the .debug/ directory beside it, named by .gnu_debuglink); stale: the
# same, but its debug file is another build's (-O1), which must be refused.
$(CMATRIX_DIR)/debuglink: tests/integration/prog_cmatrix.c
	@mkdir -p $(@D)/.debug
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) $< -o $@
	$(Q)$(OBJCOPY) --only-keep-debug $@ $(@D)/.debug/$(@F).debug
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$(@D)/.debug/$(@F).debug $@

$(CMATRIX_DIR)/stale: tests/integration/prog_cmatrix.c
	@mkdir -p $(@D)/.debug
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) $< -o $@.o1
	$(Q)$(OBJCOPY) --only-keep-debug $@.o1 $(@D)/.debug/$(@F).debug
	$(Q)rm -f $@.o1
	$(Q)$(CC) -O2 -g $(WARN) $< -o $@
	$(Q)$(OBJCOPY) --strip-all --add-gnu-debuglink=$(@D)/.debug/$(@F).debug $@

# The differential test (tests/gen/README.md): gen writes a program from a
# seed, gendiff runs it under pipetrace and holds the report to its books.
GEN := $(OUTPUT)/tests/gen/gen
GENDIFF := $(OUTPUT)/tests/gen/gendiff
$(GEN): tests/gen/gen.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

$(GENDIFF): $(OUTPUT)/tests/gen/gendiff.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -ljson-c -lz -o $@

$(OUTPUT)/tests/integration/test_gen: | $(GEN) $(GENDIFF)

# SOAK_N seeds from SOAK_FIRST (default 1000 from 1).
SOAK_N ?= 1000
SOAK_FIRST ?= 1
soak: all $(GEN) $(GENDIFF)
	$(Q)$(GENDIFF) $(SOAK_FIRST) $(SOAK_N)

unit: $(UNIT_BINS) $(FIXTURES)
	$(Q)scripts/run-tests.sh $(UNIT_BINS)

integration: all $(ITEST_BINS) $(ITEST_PROGS) $(FIXTURES)
	$(Q)scripts/run-tests.sh $(ITEST_BINS)

test: all $(UNIT_BINS) $(ITEST_BINS) $(ITEST_PROGS) $(FIXTURES)
	$(Q)scripts/run-tests.sh $(UNIT_BINS) $(ITEST_BINS)

# ------------------------------------------------------------------ install
# `make install [PREFIX=/usr/local] [DESTDIR=/staging]`: the binary, its man
# page, <pipetrace/stage.h> and its pkg-config file. pipetrace.pc goes under
# share/pkgconfig, not lib/pkgconfig: the header is header-only and the same
# on every architecture (no library, no libdir), which is what share/ is
# for; pkg-config searches both. `make uninstall` (same PREFIX and DESTDIR)
# removes those four files and include/pipetrace/ if that leaves it empty.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(PREFIX)/share/pkgconfig
VERSION = $(shell sed -n 's/^\#define PIPETRACE_VERSION "\(.*\)"$$/\1/p' src/cli/*.[ch])
MAN_PAGE := $(OUTPUT)/pipetrace.1
PC_FILE := $(OUTPUT)/pipetrace.pc
INSTALL_FILES := $(BINDIR)/pipetrace $(MANDIR)/man1/pipetrace.1 \
	$(INCLUDEDIR)/pipetrace/stage.h $(PKGCONFIGDIR)/pipetrace.pc
# $${prefix} in the .pc where INCLUDEDIR is under PREFIX.
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

# Remade on every run (PREFIX and the version are inputs), replaced only
# when they change.
$(PC_FILE): include/pipetrace.pc.in FORCE | $(OUTPUT)
	$(Q)test -n "$(VERSION)" || { echo "no PIPETRACE_VERSION in src/cli/*.[ch]" >&2; exit 1; }
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' $< > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(MAN_PAGE): src/cli/pipetrace.1 FORCE | $(OUTPUT)
	$(Q)test -n "$(VERSION)" || { echo "no PIPETRACE_VERSION in src/cli/*.[ch]" >&2; exit 1; }
	$(Q)sed -e 's|@VERSION@|$(VERSION)|' $< > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

install: $(PIPETRACE) $(MAN_PAGE) $(PC_FILE)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 755 $(PIPETRACE) "$(DESTDIR)$(BINDIR)/pipetrace"
	$(Q)install -D -m 644 $(MAN_PAGE) "$(DESTDIR)$(MANDIR)/man1/pipetrace.1"
	$(Q)install -D -m 644 include/pipetrace/stage.h \
		"$(DESTDIR)$(INCLUDEDIR)/pipetrace/stage.h"
	$(Q)install -D -m 644 $(PC_FILE) "$(DESTDIR)$(PKGCONFIGDIR)/pipetrace.pc"

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(foreach f,$(INSTALL_FILES),"$(DESTDIR)$(f)")
	$(Q)if [ -d "$(DESTDIR)$(INCLUDEDIR)/pipetrace" ]; then \
		rmdir --ignore-fail-on-non-empty "$(DESTDIR)$(INCLUDEDIR)/pipetrace"; fi

FORCE:

# --------------------------------------------------------------------- demo
# The demo: a threaded refpipe whose features stage burns 900 us a batch.
demo: all
	$(Q)$(PIPETRACE) -- $(REFPIPE) --records 300000 --batch 1000 --threads \
		--cpu-burn features=900

# Every case into $(OUTPUT)/bench/results.json (scripts/bench.sh runs the parts and
# merges them), then its table.
bench: all $(FLOOR) $(MICRO) $(MICRO_PG) $(ALLOC_PROG) $(ALLOCLOOP) \
	$(OUTPUT)/bench/iocall
	$(Q)scripts/bench.sh
	$(Q)scripts/bench-table.sh

# Coverage-guided fuzzing of the hostile-input parsers (needs clang).
fuzz:
	$(Q)scripts/fuzz.sh

# include/pipetrace/stage.h is left out: clang-format breaks its assembler
# string macros apart.
format:
	$(Q)clang-format -i $(wildcard src/*/*.c src/*/*.h bpf/*.c bpf/*.h \
		include/*.h tests/*/*.c tests/*/*.h)

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

$(OUTPUT) $(OUTPUT)/bpf:
	$(Q)mkdir -p $@

-include $(wildcard $(OUTPUT)/src/*/*.d $(OUTPUT)/tests/*/*.d $(OUTPUT)/bench/*.d)
