# tests/extra.mk: further test suites, included by the Makefile.
#
#   make test-tsan           tests/unit/test_stress.c and the library built
#                            with -fsanitize=thread into $(BUILD)/tsan and
#                            run: any ThreadSanitizer report fails it (part
#                            of make test)
#   make test-stress-schema  the stress test's phase 3, schema replacement
#                            while other handles write and read
#                            (STRESS_SCHEMA=1; part of make test)
#   make test-valgrind       tests/valgrind.sh: a CLI session, every command
#                            under valgrind memcheck (part of make test)
#
# STRESS_SECONDS (default 2) sets the stress test's running time.

TSAN_BUILD    := $(BUILD)/tsan
TSAN_FLAGS    := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
TSAN_LIB_OBJ  := $(LIB_SRC:%.c=$(TSAN_BUILD)/obj/%.o)

.PHONY: test-tsan test-stress-schema test-valgrind

$(TSAN_BUILD)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -c $< -o $@

$(TSAN_BUILD)/test_stress: tests/unit/test_stress.c tests/unit/test.h \
                           tests/unit/testdb.h $(TSAN_LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -Isrc -o $@ $< $(TSAN_LIB_OBJ) $(LIBS)

# Suppressions (librocksdb is not instrumented) are compiled into the test:
# __tsan_default_suppressions in test_stress.c.
test-tsan: $(TSAN_BUILD)/test_stress
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
	  $(TSAN_BUILD)/test_stress

test-stress-schema: $(BUILD)/tests/test_stress
	@STRESS_SCHEMA=1 $(BUILD)/tests/test_stress

# About 75 s of CPU (18 commands, 4 s each under memcheck).
test-valgrind: $(BUILD)/remdb
	@tests/valgrind.sh $(BUILD)/remdb

EXTRA_TESTS += test-tsan test-valgrind test-stress-schema
