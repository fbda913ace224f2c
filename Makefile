# slog: one build for everything.
#
#   make              build bin/* (the programs) and build/ (objects, tests)
#   make check        install missing Debian packages, build, run every test:
#                     unit tests (plain and ASan+UBSan) and the bats suite
#                     (each file once, dealt between the two builds);
#                     ends with "N passed, M failed"
#   make asan         unit tests and bats suite on an ASan+UBSan build
#   make bench        benchmarks under bench/, each prints a table
#   make fuzz         short libFuzzer runs of every target in tests/fuzz/
#                     (FUZZ_SECONDS= per target, or FUZZ_RUNS= inputs each)
#   make torture      a long schedule of random faults (SEED=, DURATION=,
#                     default 300 s) under a recorded workload, then 200
#                     single-broker and 50 whole-cluster power cuts; prints
#                     the figures tables (tests/fault/schedule and
#                     power-loop; needs root)
#   make install      PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR=: programs,
#                     slog-cluster, man pages, completions, the systemd units
#                     (slog-broker and slog-broker@ID), the example config
#   make run          a broker in the foreground on the embedded defaults
#
# Variant builds live side by side: O=build (default, binaries in bin/) and
# O=build/asan (binaries in build/asan/bin/).

PREFIX  ?= /usr/local
DESTDIR ?=
# The broker's config goes to $(SYSCONFDIR)/slog, the unit to $(UNITDIR)
# (systemd looks in /usr/local/lib/systemd/system too).
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
O       ?= build
SANITIZE ?=

ifeq ($(O),build)
B := bin
else
B := $(O)/bin
endif

CC      ?= cc
PKGS    := libcurl jansson libzstd libmicrohttpd raft libuv
# Recursive (=) on purpose: pkg-config runs only when a compile needs it, so
# `make check` can install the packages first and then build in a sub-make.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
        -Wshadow -Wvla -Wwrite-strings -Wformat=2 -fno-common
OPT  ?= -O2 -g
ifneq ($(SANITIZE),)
OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
        -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
endif
# FUZZ=1 (with CC=clang): every object carries libFuzzer's coverage
# instrumentation and ASan+UBSan; `make fuzz` builds this way in build/fuzz.
# gcc's -Werror judges the code; clang's own extra warnings are shown here,
# not fatal, so that a fuzz run never waits on them.
ifneq ($(FUZZ),)
OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
        -fno-sanitize-recover=undefined
WARN := $(filter-out -Werror,$(WARN))
LDSAN := -fsanitize=address,undefined
endif
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CPPFLAGS += -Ilibcommon -include libcommon/banned.h -D_GNU_SOURCE \
            -DSLOG_VERSION='"$(VERSION)"'
CFLAGS   += -std=c11 $(OPT) $(WARN) -pthread -MMD -MP
LDFLAGS  += -pthread $(LDSAN)
LDLIBS   += $(PKG_LIBS) -lm

COMMON_SRC := $(wildcard libcommon/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(O)/%.o)
COMMON_LIB := $(O)/libcommon.a

PROGRAMS := $(patsubst cmd/%/main.c,%,$(wildcard cmd/*/main.c))
BINS     := $(PROGRAMS:%=$(B)/%)
# A program's sources: its folder, and one level of subfolders (the
# broker's layers: storage/, replica/, meta/, groups/, http/).
prog_src = $(wildcard cmd/$(1)/*.c cmd/$(1)/*/*.c)

# The broker's modules other than main.c, as a library the unit tests link.
BROKER_SRC := $(filter-out cmd/slog-broker/main.c,$(call prog_src,slog-broker))
BROKER_LIB := $(O)/libbroker.a
# slog-connect's modules, likewise, for its unit tests.
CONNECT_SRC := $(filter-out cmd/slog-connect/main.c,$(call prog_src,slog-connect))
CONNECT_LIB := $(O)/libconnect.a

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
UNIT_HARN  := $(O)/tests/unit/unit.o
# Helpers several unit tests share (tests/unit/*_fixture.c), as a library:
# a test links only what it calls.
UNIT_FIX_SRC := $(wildcard tests/unit/*_fixture.c)
UNIT_FIX   := $(O)/tests/libfixture.a

# Fuzz targets: tests/fuzz/fuzz_<name>.c each define LLVMFuzzerTestOneInput.
# With libFuzzer they become $(O)/fuzz_<name> (make fuzz); with a main that
# feeds every file of tests/fuzz/corpus/<name>/ they become unit tests,
# $(O)/tests/test_fuzz_<name>, that need no clang.
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/%)
FUZZ_REGRESS := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(O)/tests/test_fuzz_%)
FUZZ_MAIN    := $(O)/tests/fuzz/corpus_main.o
FUZZ_SEEDS   := $(O)/tests/fuzz/seeds

BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

ALL_OBJ := $(COMMON_OBJ) $(foreach p,$(PROGRAMS),$(patsubst %.c,$(O)/%.o,$(call prog_src,$(p)))) \
           $(UNIT_SRC:%.c=$(O)/%.o) $(UNIT_HARN) $(UNIT_FIX_SRC:%.c=$(O)/%.o) $(BENCH_SRC:%.c=$(O)/%.o) \
           $(O)/tests/tool/slog-test-tool.o $(O)/tests/tool/connect-test-tool.o $(O)/tests/tool/sink-test-tool.o $(FUZZ_SRC:%.c=$(O)/%.o) $(FUZZ_MAIN) \
           $(FUZZ_SEEDS).o $(patsubst %.c,$(O)/%.o,$(wildcard tests/tool/lossyfs*.c))

# The objects of tests, benches and fuzz targets are made only through
# pattern rules, so make would take them for intermediates and delete them
# after linking, and a second `make` would rebuild them all.  Keep them.
.SECONDARY: $(ALL_OBJ)

.PHONY: all check asan bench bench-peers fuzz torture fuzz-bins fuzz-seeds install uninstall clean run deps unit-bins \
        bench-bins test-unit test-bats
.DEFAULT_GOAL := all

all: $(BINS) unit-bins bench-bins

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @echo
endif

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(say) "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# The broker's headers are included by path from its folder
# ("storage/segment.h"); tests and benchmarks reach into its modules too.
$(O)/cmd/slog-broker/%.o: CPPFLAGS += -Icmd/slog-broker
$(O)/cmd/slog-connect/%.o: CPPFLAGS += -Icmd/slog-connect
$(O)/tests/%.o: CPPFLAGS += -Icmd/slog-broker -Icmd/slog-connect -Itests/unit
$(O)/bench/%.o: CPPFLAGS += -Icmd/slog-broker

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	$(say) "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(BROKER_LIB): $(BROKER_SRC:%.c=$(O)/%.o)
	@rm -f $@
	$(say) "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(CONNECT_LIB): $(CONNECT_SRC:%.c=$(O)/%.o)
	@rm -f $@
	$(say) "  AR      $@"
	$(Q)$(AR) rcs $@ $^

# One link rule per program: its own folder's objects, then libcommon.
define program_rule
$(B)/$(1): $(patsubst %.c,$(O)/%.o,$(call prog_src,$(1))) $(COMMON_LIB)
	@mkdir -p $$(@D)
	$$(say) "  LINK    $$@"
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(UNIT_FIX): $(UNIT_FIX_SRC:%.c=$(O)/%.o)
	@rm -f $@
	$(say) "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(UNIT_HARN) $(UNIT_FIX) $(CONNECT_LIB) $(BROKER_LIB) \
		   $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)

$(O)/bench/%: $(O)/bench/%.o $(BROKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_TOOL := $(O)/tests/slog-test-tool
$(TEST_TOOL): $(O)/tests/tool/slog-test-tool.o $(BROKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# slog-connect's runtime driven from the shell (tests/71-connect-delivery.bats).
CONNECT_TEST_TOOL := $(O)/tests/connect-test-tool
$(CONNECT_TEST_TOOL): $(O)/tests/tool/connect-test-tool.o $(CONNECT_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The sink loop with a test class of its own (tests/74-connect-sink-runner.bats).
SINK_TEST_TOOL := $(O)/tests/sink-test-tool
$(SINK_TEST_TOOL): $(O)/tests/tool/sink-test-tool.o $(CONNECT_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/test_fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(FUZZ_MAIN) $(BROKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(BROKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# lossyfs: the FUSE file system of the power-loss tests (tests/fault/),
# built where libfuse3 is installed; those tests skip without it.
LOSSYFS     := $(O)/tests/lossyfs
LOSSYFS_SRC := $(wildcard tests/tool/lossyfs*.c)
HAVE_FUSE3  := $(shell pkg-config --exists fuse3 2>/dev/null && echo yes)
$(LOSSYFS_SRC:%.c=$(O)/%.o): CPPFLAGS += $(shell pkg-config --cflags fuse3 2>/dev/null)
$(LOSSYFS): $(LOSSYFS_SRC:%.c=$(O)/%.o)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs fuse3)

# The seeds of the formats the broker writes, made by its own encoders.
$(FUZZ_SEEDS): $(FUZZ_SEEDS).o $(BROKER_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(say) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-seeds: $(FUZZ_SEEDS)
	@$(FUZZ_SEEDS) tests/fuzz/corpus

unit-bins: $(UNIT_BINS) $(TEST_TOOL) $(CONNECT_TEST_TOOL) $(SINK_TEST_TOOL) $(FUZZ_REGRESS) $(if $(HAVE_FUSE3),$(LOSSYFS))
fuzz-bins: $(FUZZ_BINS)
bench-bins: $(BENCH_BINS)

# The peers' own C clients, for bench/compare; built where their libraries
# are installed (share/install-deps --bench), skipped by bench/compare
# where not.
PEER_BINS := $(O)/bench/redis_read $(O)/bench/nats_bench
bench-peers: $(PEER_BINS)
$(O)/bench/redis_read: PEER_PKG := hiredis
$(O)/bench/nats_bench: PEER_PKG := libnats
$(PEER_BINS): $(O)/bench/%: bench/peers/%.c
	@mkdir -p $(@D)
	$(say) "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $$(pkg-config --cflags $(PEER_PKG)) -o $@ $< \
	    $(LDFLAGS) $$(pkg-config --libs $(PEER_PKG))

deps:
	@share/install-deps

# The sub-makes parse this file again after install-deps, so pkg-config
# sees the packages it just installed.
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory O=build/asan SANITIZE=1 all unit-bins
	@tests/run --unit build/tests --unit build/asan/tests --bats bin --bats build/asan/bin --parallel

asan: deps
	@$(MAKE) --no-print-directory O=build/asan SANITIZE=1 all
	@tests/run --unit build/asan/tests --bats build/asan/bin

test-unit: all
	@tests/run --unit $(O)/tests

test-bats: all
	@tests/run --bats $(B)

bench: all
	@share/install-deps --bench || \
	    echo "make bench: the peers could not be installed; bench/compare skips them" >&2
	@$(MAKE) --no-print-directory -k bench-peers || true
	@bench/run $(O) $(B)

# FUZZ_SECONDS per target (default 30); a crash fails the run and leaves
# its input under build/fuzz/crashes/.
fuzz:
	@share/install-deps --fuzz
	@$(MAKE) --no-print-directory O=build/fuzz CC=clang FUZZ=1 fuzz-bins
	@tests/fuzz/run build/fuzz

# SEED= replays a run (the seed is printed); DURATION= seconds of faults.
# Then the power cuts: POWER_CUTS= of one broker at a time (default 200)
# and CLUSTER_CUTS= of the whole cluster (default 50), about 20 minutes.
torture: all unit-bins
	@tests/fault/schedule $(if $(SEED),--seed $(SEED)) --duration $(or $(DURATION),300)
	@tests/fault/power-loop --single $(or $(POWER_CUTS),200) --whole $(or $(CLUSTER_CUTS),50)

run: all
	@if [ -x $(B)/slog-broker ]; then exec $(B)/slog-broker; \
	 else echo "make run: there is no slog-broker program in this tree yet" >&2; exit 1; fi

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 share/cluster/slog-cluster $(DESTDIR)$(PREFIX)/bin/slog-cluster
	for f in man/*.[157]; do \
	    [ -e "$$f" ] || continue; \
	    s=$${f##*.}; install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done
	for f in completions/*.bash; do \
	    [ -e "$$f" ] || continue; b=$$(basename "$$f" .bash); \
	    install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$b; \
	done
	for f in completions/_*; do \
	    [ -e "$$f" ] || continue; \
	    install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/zsh/site-functions/; \
	done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/slog $(DESTDIR)$(SYSCONFDIR)/slog
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    share/systemd/slog-broker.service.in >$(DESTDIR)$(UNITDIR)/slog-broker.service
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    share/systemd/slog-broker@.service.in >$(DESTDIR)$(UNITDIR)/slog-broker@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/slog-broker.service $(DESTDIR)$(UNITDIR)/slog-broker@.service
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    share/systemd/slog-connect.service.in >$(DESTDIR)$(UNITDIR)/slog-connect.service
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    share/systemd/slog-connect@.service.in >$(DESTDIR)$(UNITDIR)/slog-connect@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/slog-connect.service $(DESTDIR)$(UNITDIR)/slog-connect@.service
	install -d $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(SYSCONFDIR)/slog/connect.d
	install -m 644 share/systemd/slog-connect.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/slog-connect.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/slog/connect.conf ] || \
	    install -m 644 share/slog-connect.conf $(DESTDIR)$(SYSCONFDIR)/slog/connect.conf
	install -m 644 share/slog-broker.conf $(DESTDIR)$(PREFIX)/share/slog/slog-broker.conf
	@# The operator's config is theirs: only a missing one is installed.
	[ -e $(DESTDIR)$(SYSCONFDIR)/slog/slog-broker.conf ] || \
	    install -m 644 share/slog-broker.conf $(DESTDIR)$(SYSCONFDIR)/slog/slog-broker.conf

# Leaves $(SYSCONFDIR)/slog/slog-broker.conf and connect.conf, which the operator may
# have changed.
uninstall:
	rm -f $(PROGRAMS:%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/bin/slog-cluster \
	    $(DESTDIR)$(UNITDIR)/slog-broker.service $(DESTDIR)$(UNITDIR)/slog-broker@.service \
	    $(DESTDIR)$(UNITDIR)/slog-connect.service $(DESTDIR)$(UNITDIR)/slog-connect@.service \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d/slog-connect.conf \
	    $(DESTDIR)$(PREFIX)/share/slog/slog-broker.conf

clean:
	rm -rf build bin

-include $(ALL_OBJ:.o=.d) $(BROKER_SRC:%.c=$(O)/%.d) $(CONNECT_SRC:%.c=$(O)/%.d)
