# tracemerge — top-level build.
#
#   make                 binaries into build/bin/
#   make check           unit tests, then the bats suites
#   make SANITIZE=1 ...  everything with ASan+UBSan, into build/san/
#   make CC=clang        any C11 compiler; flags changes force a rebuild
#   make bench           benchmarks (bench/run)
#   make install         PREFIX=/usr/local DESTDIR=
#   make demo            the main job on the bundled example

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man

CC        ?= cc
ifeq ($(origin CC),default)
CC        := cc
endif
AR        ?= ar
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),1)
BUILD     ?= build/san
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
BUILD     ?= build
SANFLAGS  :=
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DTM_VERSION=\"$(VERSION)\" \
             -Ilibcommon -Ietw $(WARN) $(CFLAGS) $(SANFLAGS) -MMD -MP
LDLIBS_COMMON := -lzstd -lmsgpackc -lpthread -lm
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

OBJ       := $(BUILD)/obj
BIN       := $(BUILD)/bin

LIB_SRC   := $(sort $(wildcard libcommon/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(OBJ)/%.o)
LIB       := $(BUILD)/libcommon.a

# etw/: the portable .etl decoder; files ending in _win.c are Windows-only.
ETW_SRC   := $(sort $(filter-out %_win.c,$(wildcard etw/*.c)))
ETW_OBJ   := $(ETW_SRC:%.c=$(OBJ)/%.o)
ETWLIB    := $(BUILD)/libetw.a

# Every cmd/NAME.c is one binary; per-binary extra libraries below.
CMD_SRC   := $(sort $(wildcard cmd/*.c))
CMDS      := $(CMD_SRC:cmd/%.c=%)
BINS      := $(CMDS:%=$(BIN)/%)
LDLIBS_trace-capture := -lbpf -lelf -lz
LDLIBS_trace-merge   := -lelf
LDLIBS_trace-conflicts := -lelf

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCHES   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# BPF programs and their skeletons (bpf/bpf.mk defines EXTRA_DEPS_trace-capture).
-include bpf/bpf.mk
# The Windows build of etw-capture (make windows).
-include etw/windows.mk
# make demo: the main job on the bundled example.
-include examples/demo.mk

MAN1      := $(sort $(wildcard man/*.1))
MAN5      := $(sort $(wildcard man/*.5))

.PHONY: all check unit bats bench install uninstall clean demo fuzz windows deps
all: $(BINS) $(BENCHES)

# Installs the Debian packages when run as root; otherwise says what is missing.
deps:
	@scripts/install-deps

# Rebuild everything when the compiler or flags change.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(FLAGS_NOW)' ]; then echo '$(FLAGS_NOW)' > $@; fi
FORCE:

$(OBJ)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(ETWLIB): $(ETW_OBJ) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $(ETW_OBJ)

.SECONDEXPANSION:
$(BIN)/%: $(OBJ)/cmd/%.o $(LIB) $(ETWLIB) $$(EXTRA_DEPS_$$*)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ETWLIB) $(LIB) $(LDLIBS_$*) $(LDLIBS_COMMON) $(LDLIBS)

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(LIB) $(ETWLIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ETWLIB) $(LIB) -lelf $(LDLIBS_COMMON) $(LDLIBS)

$(BUILD)/bench/%: $(OBJ)/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_COMMON) $(LDLIBS)

unit: $(UNITS)
	@fail=0; for t in $(UNITS); do \
		echo "== $$t"; \
		TM_SHARED=$(abspath ../shared) $$t || fail=1; \
	done; exit $$fail

# Test files run in parallel when GNU parallel is there (tests within a file
# stay in order: some share fixtures built in setup_file).
BATS_JOBS ?= $(shell command -v parallel >/dev/null 2>&1 && nproc || echo 1)
bats: all
	TM_BIN=$(abspath $(BIN)) TM_BUILD=$(abspath $(BUILD)) TM_SHARED=$(abspath ../shared) \
		bats --tap $(if $(filter-out 1,$(BATS_JOBS)),--jobs $(BATS_JOBS) --no-parallelize-within-files) tests/

# `make check` is the README's test command: set-up included.
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory bats

bench: all
	BUILD=$(BUILD) sh bench/run

# Fuzzing (clang's libFuzzer): one binary per tests/fuzz/fuzz_*.c, linked with
# the library sources compiled once for fuzzing; seed corpora are built from
# the test inputs.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS      := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJ     := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) $(ETW_SRC))
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -DTM_VERSION=\"$(VERSION)\" -g -O1 \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-Ilibcommon -Ietw -I. -I$(BUILD)/bpf -MMD -MP

build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/libfuzz.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libfuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libfuzz.a \
		-lbpf -lelf -lz $(LDLIBS_COMMON)

fuzz: all $(FUZZERS)
	sh tests/fuzz/seeds.sh $(BUILD) build/fuzz/corpus
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(CMDS:%=$(DESTDIR)$(BINDIR)/%) \
	      $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj build/fuzz -name '*.d' 2>/dev/null)
