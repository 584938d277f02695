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
PY_SO  := $(BUILD)/python/_remdb.so

.PHONY: python test-python clean-python print-libs

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
