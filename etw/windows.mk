# etw/windows.mk - the Windows build of etw-capture, included by the top-level
# Makefile.
#
#   make windows   scripts/build-windows: fetch the Debian source packages of
#                  zstd and msgpack-c into build/win/src/ (apt-get source),
#                  then `make win-exe`
#   make win-exe   cross-compile both libraries and the program with mingw-w64
#                  into one static build/win/etw-capture.exe
#
# The .exe has the same sources as the Linux etw-capture, except that
# etw/live_win.c (live capture through ETW) replaces etw/live_stub.c.

# Rules here come before the Makefile's first target: keep "all" the default.
.DEFAULT_GOAL := all

WIN_CC      ?= x86_64-w64-mingw32-gcc
WIN_AR      ?= x86_64-w64-mingw32-ar
WIN         := build/win
WIN_SRCDIR  := $(WIN)/src
WIN_OBJ     := $(WIN)/obj
WIN_EXE     := $(WIN)/etw-capture.exe

# The fetched sources (empty until scripts/build-windows ran apt-get source).
WIN_ZSTD    := $(firstword $(wildcard $(WIN_SRCDIR)/libzstd-*/lib))
WIN_MSGPACK := $(firstword $(wildcard $(WIN_SRCDIR)/msgpack-c-*))

# Our code: the warnings of the Linux build, C99 stdio (%zu), Windows 8 APIs.
WIN_CFLAGS  := -std=c11 -O2 -g -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0602 \
               -DTM_VERSION=\"$(VERSION)\" -Ilibcommon -Ietw -I$(WIN)/include \
               -I$(WIN)/include/msgpack -I$(WIN_MSGPACK)/include -I$(WIN_ZSTD) $(WARN)
# Third-party code: their own defaults, no -Werror.
WIN_ZSTD_CFLAGS    := -O2 -DXXH_NAMESPACE=ZSTD_ -DZSTD_LEGACY_SUPPORT=0 -DZSTD_DISABLE_ASM \
                      -I$(WIN_ZSTD) -I$(WIN_ZSTD)/common
WIN_MSGPACK_CFLAGS := -O2 -I$(WIN)/include -I$(WIN)/include/msgpack -I$(WIN_MSGPACK)/include

WIN_TM_SRC  := cmd/etw-capture.c \
               $(sort $(filter-out etw/live_stub.c,$(wildcard etw/*.c))) \
               $(addprefix libcommon/,cli.c esformat.c eswriter.c idmap.c mem.c outfile.c \
                   progress.c strtab.c tmerr.c)
WIN_TM_OBJ  := $(WIN_TM_SRC:%.c=$(WIN_OBJ)/tm/%.o)

WIN_ZSTD_SRC := $(if $(WIN_ZSTD),$(sort $(wildcard $(WIN_ZSTD)/common/*.c \
                    $(WIN_ZSTD)/compress/*.c $(WIN_ZSTD)/decompress/*.c)))
WIN_ZSTD_OBJ := $(WIN_ZSTD_SRC:$(WIN_ZSTD)/%.c=$(WIN_OBJ)/zstd/%.o)
WIN_MSGPACK_SRC := $(if $(WIN_MSGPACK),$(sort $(wildcard $(WIN_MSGPACK)/src/*.c)))
WIN_MSGPACK_OBJ := $(WIN_MSGPACK_SRC:$(WIN_MSGPACK)/src/%.c=$(WIN_OBJ)/msgpack/%.o)

# msgpack-c's two CMake templates, configured for a little-endian target.
WIN_MSGPACK_HDR := $(WIN)/include/msgpack/sysdep.h $(WIN)/include/msgpack/pack_template.h
.SECONDARY: $(WIN_MSGPACK_HDR)

WIN_LIBS    := $(WIN)/lib/libmsgpackc.a $(WIN)/lib/libzstd.a
WIN_LDLIBS  := -ldbghelp -ladvapi32 -lole32 -lwinpthread

.PHONY: windows win-exe win-check-sources

windows:
	MAKE="$(MAKE)" scripts/build-windows

win-exe: win-check-sources $(WIN_EXE)

win-check-sources:
	@if [ -z "$(WIN_ZSTD)" ] || [ -z "$(WIN_MSGPACK)" ]; then \
		echo "windows.mk: no zstd/msgpack-c sources in $(WIN_SRCDIR): run make windows" >&2; \
		exit 4; \
	fi

$(WIN)/include/msgpack/%.h: $(WIN_MSGPACK)/cmake/%.h.in
	@mkdir -p $(@D)
	sed -e 's/@MSGPACK_ENDIAN_BIG_BYTE@/0/' -e 's/@MSGPACK_ENDIAN_LITTLE_BYTE@/1/' $< > $@.tmp
	mv $@.tmp $@

$(WIN_OBJ)/zstd/%.o: $(WIN_ZSTD)/%.c
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_ZSTD_CFLAGS) -c $< -o $@

$(WIN_OBJ)/msgpack/%.o: $(WIN_MSGPACK)/src/%.c $(WIN_MSGPACK_HDR)
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_MSGPACK_CFLAGS) -c $< -o $@

$(WIN)/lib/libzstd.a: $(WIN_ZSTD_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(WIN_AR) rcs $@ $^

$(WIN)/lib/libmsgpackc.a: $(WIN_MSGPACK_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(WIN_AR) rcs $@ $^

$(WIN_OBJ)/tm/%.o: %.c $(WIN_MSGPACK_HDR) etw/windows.mk
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -MMD -MP -c $< -o $@

$(WIN_EXE): $(WIN_TM_OBJ) $(WIN_LIBS)
	$(WIN_CC) -static -o $@ $(WIN_TM_OBJ) $(WIN_LIBS) $(WIN_LDLIBS)

-include $(shell find $(WIN_OBJ)/tm -name '*.d' 2>/dev/null)
