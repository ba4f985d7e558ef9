# bpf/bpf.mk - BPF objects and their skeletons, included by the top-level Makefile.
#
# vmlinux.h comes from the running kernel's BTF; objects are always built with
# clang -target bpf, whatever CC is; skeletons go to $(BUILD)/bpf/ beside them.

# Rules here come before the Makefile's first target: keep "all" the default.
.DEFAULT_GOAL := all

BPF_CLANG  ?= clang
BPFTOOL    ?= bpftool
BTF_VMLINUX ?= /sys/kernel/btf/vmlinux
BPF_CFLAGS ?= -g -O2 -Wall -Werror

BPF_SRC    := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS   := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS  := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
VMLINUX_H  := $(BUILD)/bpf/vmlinux.h

ALL_CFLAGS += -I$(BUILD)/bpf -I.
EXTRA_DEPS_trace-capture := $(BPF_SKELS)

$(VMLINUX_H):
	@mkdir -p $(@D)
	@test -r $(BTF_VMLINUX) || { echo "bpf.mk: $(BTF_VMLINUX): kernel BTF needed to build trace-capture" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(BTF_VMLINUX) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/capture.h $(VMLINUX_H)
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -target bpf -D__TARGET_ARCH_x86 -I$(BUILD)/bpf -Ibpf -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# The C files that include a skeleton.
$(OBJ)/cmd/trace-capture.o: $(BPF_SKELS)
$(OBJ)/libcommon/capture.o: $(BPF_SKELS)

# Keep the objects: tests and benchmarks inspect them, and make would delete
# them as intermediates otherwise.
.SECONDARY: $(BPF_OBJS)

# make bench-capture: probe and sampling overhead, attach/detach times (root).
.PHONY: bench-capture
bench-capture: all
	sh bench/capture.sh $(BIN)
