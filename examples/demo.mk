# examples/demo.mk - `make demo`: the main job on the bundled example
# (included by the top-level Makefile). Installs the Debian packages when run
# as root (scripts/install-deps), builds the toolchain, then scripts/demo
# builds the example with gcc -fcallgraph-info, captures it (live as root,
# else the recording in examples/recorded/), dedups, merges, asks --why,
# reports the conflicts and draws $(BUILD)/demo/graph.svg.

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) TM_BIN=$(BIN) sh scripts/demo
