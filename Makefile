# remdb: plain make.  Targets: all demo test bench fuzz install clean.
# `make` first runs scripts/install-deps.sh, which installs missing Debian
# packages and is a quick no-op when everything is present.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   := build
# libcurl's headers only: src/embed/http.c loads the library with dlopen
# when the http embedding provider is first used (its dependencies cost
# every process milliseconds at start)
PKGS    := rocksdb jansson libxxhash sqlite3 libutf8proc libzstd snappy
VERSION := 0.1.0

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) libcurl 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -Iinclude $(PKG_CFLAGS) $(CFLAGS)
# libstemmer (Snowball) ships no pkg-config file on Debian
LIBS    = $(PKG_LIBS) -lstemmer -lpthread -lm

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

LIB_SRC := $(wildcard src/*/*.c)
CLI_SRC := $(wildcard cli/*.c server/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/obj/%.o)
SAN_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/asan/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
SAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/tests/%)

.PHONY: stress all deps demo test test-unit test-cli test-install test-asan bench fuzz install \
        uninstall clean

all: $(BUILD)/libremdb.a $(BUILD)/libremdb.so $(BUILD)/remdb $(BUILD)/remdb.pc

# Dependencies: checked on every make run (a few dpkg queries), installed
# when something is missing.  Objects wait for it without depending on it.
deps:
	@scripts/install-deps.sh

# Header dependencies: every compile writes a .d file beside its output
# (-MMD) naming the headers it read, included at the end, so a header
# change rebuilds exactly what includes it.
DEPFLAGS := -MMD -MP

# libremdb.so exports only the remdb_* functions of remdb.h (REMDB_API):
# the library's objects hide everything else (programs keep the default,
# so the sanitizer runtimes still find the hooks a test defines)
$(LIB_OBJ) $(SAN_LIB_OBJ): VIS := -fvisibility=hidden

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VIS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(VIS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libremdb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libremdb.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libremdb.so.0 -o $@ $^ $(LIBS)

# libedit is loaded by the interactive shell with dlopen (cli/shell.c)
CLI_CFLAGS = $(shell pkg-config --cflags libedit 2>/dev/null)
CLI_LIBS   =

# The CLI links RocksDB statically when librocksdb.a is there (Debian's
# librocksdb-dev ships it, and depends on the compression libraries it
# needs): the dynamic loader resolving librocksdb.so's C++ symbols against
# libstdc++ at every start costs a CLI read about 2 ms, most of its time.
# The other libraries go in statically too when all their archives are
# there (the -dev packages ship them): each shared library costs the
# loader its mapping and relocations, and libstdc++.so's symbol lookups
# were a fifth of a CLI read's CPU.  libc, libm and the libraries the CLI
# loads with dlopen stay shared.
ROCKSDB_LIBDIR = $(shell pkg-config --variable=libdir rocksdb 2>/dev/null)
ROCKSDB_A = $(wildcard $(ROCKSDB_LIBDIR)/librocksdb.a)
CLI_STATIC = snappy z bz2 lz4 zstd jansson xxhash sqlite3 utf8proc stemmer
CLI_STATIC_A = $(wildcard $(CLI_STATIC:%=$(ROCKSDB_LIBDIR)/lib%.a))
CLI_LINK_STATIC = -static-libstdc++ -static-libgcc $(ROCKSDB_A) -Wl,-Bstatic \
  -lstdc++ $(CLI_STATIC:%=-l%) -Wl,-Bdynamic -lpthread -lm
CLI_LINK_ROCKSDB = $(ROCKSDB_A) -lstdc++ -lsnappy -lz -lbz2 -llz4 -lzstd \
  $(filter-out -lrocksdb,$(LIBS))
CLI_LINK = $(if $(ROCKSDB_A),$(if $(filter $(words $(CLI_STATIC)),\
  $(words $(CLI_STATIC_A))),$(CLI_LINK_STATIC),$(CLI_LINK_ROCKSDB)),$(LIBS))

# server/ (remdb serve, remdb mcp) is part of the CLI; it loads
# libmicrohttpd with dlopen when `serve` starts, so it is not linked
$(CLI_OBJ) $(SAN_CLI_OBJ): $(wildcard server/*.h)

$(BUILD)/remdb: $(CLI_OBJ) $(BUILD)/libremdb.a
	$(CC) -o $@ $(CLI_OBJ) $(BUILD)/libremdb.a $(CLI_LINK) $(CLI_LIBS)

# pkg-config file for a prefix: $(call pcfile,PREFIX)
pcfile = printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: remdb\nDescription: embedded database for AI-agent memory (REM) on RocksDB\nVersion: %s\nRequires.private: %s\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lremdb\nLibs.private: -lstemmer -lpthread -lm\n' '$(1)' '$(VERSION)' '$(PKGS)'

$(BUILD)/remdb.pc: Makefile
	@mkdir -p $(BUILD)
	@$(call pcfile,$(PREFIX)) > $@

# ---- sanitizer build (ASan + UBSan + LeakSanitizer) ----
$(BUILD)/asan/libremdb.a: $(SAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/remdb: $(SAN_CLI_OBJ) $(BUILD)/asan/libremdb.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_CLI_OBJ) $(BUILD)/asan/libremdb.a $(LIBS) $(CLI_LIBS)

# ---- tests ----
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libremdb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Isrc -o $@ $< $(BUILD)/libremdb.a $(LIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c $(BUILD)/asan/libremdb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -Isrc -o $@ $< \
	  $(BUILD)/asan/libremdb.a $(LIBS)

# fuzz/fuzz.mk (libFuzzer targets) adds its short corpus runs to EXTRA_TESTS
# and defines `make fuzz`; tests/extra.mk may add further suites.
EXTRA_TESTS :=
-include fuzz/fuzz.mk
-include tests/extra.mk
-include python/python.mk
-include tests/oracle.mk

test: test-unit test-cli test-install test-asan $(EXTRA_TESTS)
	@echo "make test: all suites passed"

test-install: all
	@tests/test-install.sh $(BUILD)

test-unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

test-cli: $(BUILD)/remdb
	@REMDB_BIN=$(abspath $(BUILD)/remdb) tests/cli/run.sh

# The sanitizer build runs every unit and CLI test again.
test-asan: $(SAN_UNIT_BIN) $(BUILD)/asan/remdb
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	  tests/run-unit.sh $(SAN_UNIT_BIN)
	@ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	  REMDB_BIN=$(abspath $(BUILD)/asan/remdb) tests/cli/run.sh

# ---- stress: the crash test for many rounds (CRASH_ROUNDS, default 200) ----
CRASH_ROUNDS ?= 200
stress: $(BUILD)/tests/test_crash
	CRASH_ROUNDS=$(CRASH_ROUNDS) $(BUILD)/tests/test_crash

# ---- demo: build, create a database from the bundled sample, query it ----
demo: all
	@sample/demo.sh $(BUILD)/remdb

# ---- benchmarks (not part of test: they are timed) ----
BENCH_NAMES := core sql graph vector fts ftsdb cli colwrite
BENCH_BIN := $(BENCH_NAMES:%=$(BUILD)/bench/bench_%)

$(BUILD)/bench/bench_%: bench/bench_%.c $(BUILD)/libremdb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -O2 -Isrc -o $@ $< $(BUILD)/libremdb.a \
	  $(LIBS)

# bench_fts (and bench_ftsload, a measuring tool not run by bench) read
# the gzipped manual pages
$(BUILD)/bench/bench_fts $(BUILD)/bench/bench_ftsdb $(BUILD)/bench/bench_ftsload: LIBS += -lz

bench: $(BENCH_BIN) $(BUILD)/remdb
	@scripts/install-deps.sh --bench
	@bench/run.sh $(BUILD)/bench/bench_core
	@bench/run_sql.sh $(BUILD)/bench/bench_sql
	@bench/run_colwrite.sh $(BUILD)/bench/bench_colwrite
	@bench/run_graph.sh $(BUILD)/bench/bench_graph
	@bench/run_vector.sh $(BUILD)/bench/bench_vector
	@bench/run_fts.sh $(BUILD)/bench/bench_fts $(BUILD)/bench/bench_ftsdb
	@bench/run_cli.sh $(BUILD)/remdb $(BUILD)/bench/bench_cli
	@bench/run_clisql.sh $(BUILD)/remdb
	@bench/run_parquet.sh $(BUILD)/remdb
	@bench/run_serve.sh $(BUILD)/remdb

# the HTTP load test alone (wrk over loopback; see bench/run_serve.sh)
.PHONY: bench-serve
bench-serve: $(BUILD)/remdb
	@scripts/install-deps.sh --bench
	@bench/run_serve.sh $(BUILD)/remdb

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/remdb.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libremdb.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libremdb.so $(DESTDIR)$(PREFIX)/lib/libremdb.so.0
	ln -sf libremdb.so.0 $(DESTDIR)$(PREFIX)/lib/libremdb.so
	install -m 755 $(BUILD)/remdb $(DESTDIR)$(PREFIX)/bin/
	$(call pcfile,$(PREFIX)) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/remdb.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/remdb.h \
	  $(DESTDIR)$(PREFIX)/lib/libremdb.a $(DESTDIR)$(PREFIX)/lib/libremdb.so \
	  $(DESTDIR)$(PREFIX)/lib/libremdb.so.0 $(DESTDIR)$(PREFIX)/bin/remdb \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/remdb.pc

clean:
	rm -rf $(BUILD)

# the .d files of the builds that have run (none before the first)
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
