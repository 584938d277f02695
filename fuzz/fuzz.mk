# fuzz/fuzz.mk: libFuzzer targets, included by the Makefile.
#
#   make fuzz        build every target, fuzz each for FUZZ_SECONDS (default
#                    60) from its seeds; new inputs go to
#                    $(BUILD)/fuzz/corpus-NAME, crashes to
#                    $(BUILD)/fuzz/artifacts/NAME/; fails on any crash
#   make test-fuzz   (part of make test) every seed and every saved crash
#                    (fuzz/regress/NAME) once, then FUZZ_TEST_SECONDS
#                    (default 10) of fuzzing per target
#   make fuzz-seeds  rewrite the generated binary seeds (records, keys,
#                    built-in schemas) after a format change
#
# Targets (fuzz/fuzz_NAME.c): entity (entity JSON -> validate -> record ->
# JSON), schema (schema documents), sql (REM dialect + SQL prepare/step),
# record (record decoder), okey (index key encoding).  The library sources
# are compiled again with clang, instrumented for libFuzzer, into
# $(BUILD)/fuzz/obj; FUZZ_JOBS targets run at a time (default 2).
# A crash is replayed with:  $(BUILD)/fuzz/fuzz_NAME FILE

FUZZ_CC           ?= clang
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 10
FUZZ_NAMES        := entity schema sql record okey
FUZZ_BUILD        := $(BUILD)/fuzz
FUZZ_SAN          := -g -O1 -fno-omit-frame-pointer \
                     -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS        = -std=c11 -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS) \
                     $(FUZZ_SAN)
FUZZ_LIB_OBJ      := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS         := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: test-fuzz fuzz-seeds

# the library, as clang sees it: warnings shown, not fatal (gcc's -Werror
# build is the one that guards them)
$(FUZZ_BUILD)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h) | deps
	@mkdir -p $(dir $@)
	@echo "  $(FUZZ_CC) (fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter-out -Werror,$(WARN)) \
	  -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_LIB_OBJ)
	@echo "  $(FUZZ_CC) (fuzz) $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer -o $@ $< \
	  $(FUZZ_LIB_OBJ) $(LIBS)

fuzz: $(FUZZ_BINS)
	@sh fuzz/run.sh fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

test-fuzz: $(FUZZ_BINS)
	@sh fuzz/run.sh test $(FUZZ_BUILD) $(FUZZ_TEST_SECONDS) $(FUZZ_NAMES)

$(FUZZ_BUILD)/gen_seeds: fuzz/gen_seeds.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer-no-link -o $@ $< \
	  $(FUZZ_LIB_OBJ) $(LIBS)

fuzz-seeds: $(FUZZ_BUILD)/gen_seeds
	$(FUZZ_BUILD)/gen_seeds fuzz/corpus

EXTRA_TESTS += test-fuzz
