# python/python.mk: the Python package (included by the Makefile).
#
#   make python         build the extension module remdb._remdb in place
#                       (python/remdb/_remdb<EXT_SUFFIX>) for $(PYTHON)
#   make test-python    its unittest suite under `python -X dev`, the
#                       example, and an offline `pip install` into a venv
#                       (part of make test)
#
# PYTHON defaults to the python3 on PATH.  The module links build/libremdb.a
# (built with -fPIC) statically and the Debian libraries remdb needs
# dynamically, so no installed libremdb.so is needed.

PYTHON ?= python3
PY_SO  := $(BUILD)/python/$(subst /,_,$(PYTHON))/_remdb.so

.PHONY: python test-python clean-python print-libs bench-python

# the flags are asked of $(PYTHON) when the recipe runs, not on every make
$(PY_SO): python/src/_remdb.c include/remdb.h $(BUILD)/libremdb.a | deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -shared -Iinclude \
	  -I"$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" \
	  $(CFLAGS) -o $@ python/src/_remdb.c $(BUILD)/libremdb.a $(LIBS) \
	  -Wl,--exclude-libs,ALL

python: $(PY_SO)
	@suffix=$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))') && \
	  cmp -s $(PY_SO) python/remdb/_remdb$$suffix || cp $(PY_SO) python/remdb/_remdb$$suffix

test-python: python
	@PYTHONPATH=$(abspath python) REMDB_BIN=$(abspath $(BUILD)/remdb) \
	  $(PYTHON) -X dev -m unittest discover -s python/tests -t python
	@PYTHON=$(PYTHON) python/tests/test_pip_install.sh

# the link flags, for python/setup.py
print-libs:
	@echo $(LIBS)

clean: clean-python
clean-python:
	rm -rf python/remdb/_remdb*.so python/build python/*.egg-info \
	  python/remdb/__pycache__ python/tests/__pycache__

EXTRA_TESTS += test-python

# Python against C on the same work (not part of test: it is timed).
# BENCH_PY_N entities (default 100000).
BENCH_PY_N ?= 100000
$(BUILD)/python/bench: python/bench/bench.c $(BUILD)/libremdb.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 -o $@ $< $(BUILD)/libremdb.a $(LIBS)

bench-python: python $(BUILD)/python/bench
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  echo "C API ($(BENCH_PY_N) entities): phase seconds ops/s" && \
	  $(BUILD)/python/bench $$tmp/c $(BENCH_PY_N) && \
	  echo "Python ($(BENCH_PY_N) entities): phase seconds ops/s" && \
	  PYTHONPATH=$(abspath python) $(PYTHON) python/bench/bench.py $$tmp/py $(BENCH_PY_N)
