# rshm: build, test, install. `make demo` and `make test` are all a fresh
# machine with Rust and a C compiler needs: a test whose tool is missing is
# skipped with its install command (tests/run.sh); .ci/run installs them all.

.DELETE_ON_ERROR:
.PHONY: all header man demo test test-cxx test-san test-san-cxx bench bench-experiments conformance fuzz install install-debug uninstall clean rshm.pc reliability-table

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CARGO ?= cargo
CC ?= cc
CXX ?= g++
INSTALL ?= install
STRIP ?= strip
# 1: install stripped libraries and CLI (the release build keeps line tables
# for backtraces: 4.5 MB .so, 22 MB .a); 0: as built (`make install-debug`).
INSTALL_STRIP ?= 1

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
MAJOR := $(word 1,$(subst ., ,$(VERSION)))

REL := target/release
SO := $(REL)/librshm.so
SONAME_LINK := $(REL)/librshm.so.$(MAJOR)
A := $(REL)/librshm.a
OUT := target/c
# The C++ headers: rshm.hpp and any later group's header beside it.
HPP := $(wildcard include/*.hpp)

CWARN := -Wall -Wextra -Werror
CFLAGS_C := -std=c11 $(CWARN) -O2 -g -D_GNU_SOURCE -Iinclude
CFLAGS_CXX := -std=c++17 $(CWARN) -O2 -g -Iinclude
LDLIBS_SO := -L$(REL) -Wl,-rpath,$(abspath $(REL)) -lrshm -pthread

RUST_SRC := $(shell find src -name '*.rs') Cargo.toml Cargo.lock build.rs
C_TESTS := $(patsubst c_tests/%.c,$(OUT)/%,$(wildcard c_tests/test_*.c))
CXX_TESTS := $(patsubst c_tests/%.cpp,$(OUT)/%,$(wildcard c_tests/test_*.cpp))
EXAMPLES := $(OUT)/writer $(OUT)/reader $(OUT)/memfd_sender $(OUT)/memfd_receiver \
            $(OUT)/segment_writer $(OUT)/segment_reader $(OUT)/channel_sender $(OUT)/channel_receiver \
            $(OUT)/value_writer $(OUT)/value_reader \
            $(OUT)/topic_publisher $(OUT)/topic_subscriber
BENCHES := $(patsubst benches/%.c,$(OUT)/bench_%,$(wildcard benches/*.c))
# The experiments behind benches/README.md's findings: run on demand
# (`make bench-experiments`), not by `make bench`.
EXPERIMENTS := $(patsubst benches/experiments/%.c,$(OUT)/experiment_%,$(wildcard benches/experiments/*.c))

# The C tests again, under AddressSanitizer + UndefinedBehaviorSanitizer
# (gcc's runtimes), linked with the same librshm.so.
SAN_OUT := target/c-asan
SANCC ?= gcc
SANCXX ?= g++
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_TESTS := $(patsubst $(OUT)/%,$(SAN_OUT)/%,$(C_TESTS) $(CXX_TESTS))

CLI := $(REL)/rshm

all: $(SO) $(A) $(SONAME_LINK) $(CLI)

$(SO) $(A) &: $(RUST_SRC)
	$(CARGO) build --release --locked

$(CLI): $(RUST_SRC) $(shell find cli -name '*.rs') cli/Cargo.toml
	$(CARGO) build --release --locked -p rshm-cli

# Programs linked in-tree ask for the soname: give it to them.
$(SONAME_LINK): $(SO)
	ln -sf librshm.so $@

header:
	RSHM_BLESS=1 $(CARGO) test --locked --test header

# rshm(1) and a page per subcommand, rshm-NAME(1), rendered by the built
# command from its own clap definition (clap_mangen).
MAN1 := $(OUT)/man1
$(MAN1)/rshm.1: $(CLI)
	mkdir -p $(MAN1)
	$(CLI) man-page > $@.tmp && mv $@.tmp $@
	for s in $$($(CLI) --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on && $$1 != "help" { print $$1 }'); do \
	    $(CLI) man-page $$s > $(MAN1)/rshm-$$s.1 || exit 1; done

# man/man3: a page per group of C functions, from the header's doc comments.
man: header
	RSHM_BLESS=1 $(CARGO) test --locked --test man

$(OUT)/%: c_tests/%.c $(wildcard c_tests/*.h) include/rshm.h $(SO) $(SONAME_LINK) | $(OUT)
	$(CC) $(CFLAGS_C) -o $@ $< $(LDLIBS_SO)

$(OUT)/%: c_tests/%.cpp $(wildcard c_tests/*.h) include/rshm.h $(HPP) $(SO) $(SONAME_LINK) | $(OUT)
	$(CXX) $(CFLAGS_CXX) -o $@ $< $(LDLIBS_SO)

$(SAN_OUT)/%: c_tests/%.c $(wildcard c_tests/*.h) include/rshm.h $(SO) $(SONAME_LINK) | $(SAN_OUT)
	$(SANCC) $(CFLAGS_C) -O1 $(SANFLAGS) -o $@ $< $(LDLIBS_SO)

$(SAN_OUT)/%: c_tests/%.cpp $(wildcard c_tests/*.h) include/rshm.h $(HPP) $(SO) $(SONAME_LINK) | $(SAN_OUT)
	$(SANCXX) $(CFLAGS_CXX) -O1 $(SANFLAGS) -o $@ $< $(LDLIBS_SO)

$(OUT)/bench_%: benches/%.c benches/bench.h include/rshm.h $(SO) $(SONAME_LINK) | $(OUT)
	$(CC) $(CFLAGS_C) -O3 -o $@ $< $(LDLIBS_SO)

$(OUT) $(SAN_OUT):
	mkdir -p $@

demo: $(EXAMPLES)
	$(OUT)/writer && $(OUT)/reader

# Every test, run by prove (tests/run.sh: names, skips, report under
# target/test-report/). One test or a group by name: make test T=test_channel.
# The C++ tests and the sanitized builds are made where their compiler and
# runtimes are; elsewhere the runner reports them as skipped.
test: all $(C_TESTS) $(EXAMPLES)
	@cxx=no san=no; \
	 if $(CXX) --version >/dev/null 2>&1; then $(MAKE) --no-print-directory test-cxx || exit 1; cxx=yes; fi; \
	 mkdir -p $(SAN_OUT) && printf 'int main(void) { return 0; }\n' >$(SAN_OUT)/probe.c && \
	 if $(SANCC) $(SANFLAGS) -o $(SAN_OUT)/probe $(SAN_OUT)/probe.c 2>/dev/null && $(SAN_OUT)/probe; then \
	     $(MAKE) --no-print-directory test-san || exit 1; san=yes; fi; \
	 echo "T=\"$(T)\" sh tests/run.sh ..."; \
	 T="$(T)" RSHM_CXX=$$cxx RSHM_SAN=$$san SANCC="$(SANCC)" sh tests/run.sh $(C_TESTS) $(CXX_TESTS)

test-cxx: $(CXX_TESTS)

# The sanitized C tests, and the C++ ones where there is a C++ compiler.
SAN_CXX_TESTS := $(patsubst $(OUT)/%,$(SAN_OUT)/%,$(CXX_TESTS))
test-san: $(filter-out $(SAN_CXX_TESTS),$(SAN_TESTS))
	@if $(SANCXX) --version >/dev/null 2>&1; then $(MAKE) --no-print-directory test-san-cxx; fi
test-san-cxx: $(SAN_CXX_TESTS)

# The Open POSIX Test Suite against libc and against rshm (needs Debian's
# source archive once; see tests/conformance.sh).
conformance: all
	sh tests/conformance.sh

# docs/reliability.md's bad-input table, from the bad-input test's own output.
reliability-table: $(OUT)/test_bad_input
	$(OUT)/test_bad_input --table > $(OUT)/reliability-table.md
	sed -i -e '/^<!-- reliability-table/,/^<!-- end reliability-table/{/^<!--/!d}' \
	    -e '/^<!-- reliability-table/r $(OUT)/reliability-table.md' docs/reliability.md

# Every fuzz target in turn for FUZZ_SECONDS (default 60), bounded in
# memory and time (fuzz/run.sh); needs cargo-fuzz. One target: FUZZ_TARGETS=names.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh $(FUZZ_TARGETS)

bench: $(BENCHES)
	@for b in $(BENCHES); do $$b || exit 1; done

$(OUT)/experiment_%: benches/experiments/%.c benches/bench.h include/rshm.h $(SO) $(SONAME_LINK) | $(OUT)
	$(CC) $(CFLAGS_C) -O3 -o $@ $< $(LDLIBS_SO)

bench-experiments: $(EXPERIMENTS)
	@for b in $(EXPERIMENTS); do $$b || exit 1; done

# Rebuilt on every use: its paths come from PREFIX, which make cannot track.
rshm.pc: rshm.pc.in Cargo.toml
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

install: $(SO) $(A) $(CLI) $(MAN1)/rshm.1 rshm.pc include/rshm.h $(HPP)
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 0755 $(SO) $(DESTDIR)$(LIBDIR)/librshm.so.$(VERSION)
	ln -sf librshm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/librshm.so.$(MAJOR)
	ln -sf librshm.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/librshm.so
	$(INSTALL) -m 0644 $(A) $(DESTDIR)$(LIBDIR)/librshm.a
	$(INSTALL) -m 0644 include/rshm.h $(DESTDIR)$(INCLUDEDIR)/rshm.h
	$(INSTALL) -m 0644 $(HPP) $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 0644 rshm.pc $(DESTDIR)$(PKGCONFIGDIR)/rshm.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/rshm
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 0644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 0644 $(MAN1)/*.1 $(DESTDIR)$(MANDIR)/man1/
ifeq ($(INSTALL_STRIP),1)
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/librshm.so.$(VERSION)
	$(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/librshm.a
	$(STRIP) $(DESTDIR)$(BINDIR)/rshm
endif

# The same with the debug information kept.
install-debug:
	$(MAKE) install INSTALL_STRIP=0

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/librshm.so.$(VERSION) $(DESTDIR)$(LIBDIR)/librshm.so.$(MAJOR) \
	      $(DESTDIR)$(LIBDIR)/librshm.so $(DESTDIR)$(LIBDIR)/librshm.a \
	      $(DESTDIR)$(INCLUDEDIR)/rshm.h $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(HPP))) \
	      $(DESTDIR)$(PKGCONFIGDIR)/rshm.pc \
	      $(DESTDIR)$(BINDIR)/rshm
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(wildcard man/man3/*.3)))
	rm -f $(DESTDIR)$(MANDIR)/man1/rshm.1 $(DESTDIR)$(MANDIR)/man1/rshm-*.1

clean:
	$(CARGO) clean
	rm -f rshm.pc
