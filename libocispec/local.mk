# libocispec: typed C model of the OCI JSON documents (docs/libocispec.md).
#
# oci-types.h and oci-types.c are generated from the schemas by generate.py
# into $(builddir)/libocispec.  They are distributed, so a release tarball
# builds without regenerating (make finds them in $(srcdir) through VPATH).

libocispec_schemas = \
	libocispec/schema/config.ospec \
	libocispec/schema/features.ospec \
	libocispec/schema/pith-state.ospec \
	libocispec/schema/state.ospec

libocispec_generated = libocispec/oci-types.h libocispec/oci-types.c

noinst_LTLIBRARIES += libocispec/libocispec.la
libocispec_libocispec_la_SOURCES = \
	libocispec/ocispec.c \
	libocispec/ocispec-gen.c \
	libocispec/ocispec-private.h \
	libocispec/ocispec.h \
	libocispec/oci-types.c \
	libocispec/oci-types.h
libocispec_libocispec_la_CFLAGS = $(AM_CFLAGS) $(YAJL_CFLAGS)
libocispec_libocispec_la_LIBADD = $(YAJL_LIBS)

BUILT_SOURCES += $(libocispec_generated)
EXTRA_DIST += libocispec/generate.py $(libocispec_schemas)

libocispec/oci-types.h: $(libocispec_schemas) libocispec/generate.py
	$(AM_V_GEN)$(PYTHON) $(srcdir)/libocispec/generate.py -o libocispec \
		$(addprefix $(srcdir)/,$(libocispec_schemas))

# BUILT_SOURCES only works for all/check/install; `make TARGET` needs these.
$(libocispec_libocispec_la_OBJECTS) $(tests_unit_test_ocispec_OBJECTS): libocispec/oci-types.h

# Both files come from one run; regenerate if the .c alone went missing.
libocispec/oci-types.c: libocispec/oci-types.h
	@test -f $@ || rm -f libocispec/oci-types.h
	@test -f $@ || $(MAKE) $(AM_MAKEFLAGS) libocispec/oci-types.h

# ---- unit test

check_PROGRAMS += tests/unit/test-ocispec
TESTS += tests/unit/test-ocispec
tests_unit_test_ocispec_SOURCES = tests/unit/test-ocispec.c
tests_unit_test_ocispec_CPPFLAGS = $(AM_CPPFLAGS) \
	-DOCISPEC_TEST_DATA='"$(abs_top_srcdir)/tests/unit/data"'
tests_unit_test_ocispec_LDADD = libocispec/libocispec.la

EXTRA_DIST += \
	tests/unit/data/config-full.json \
	tests/unit/data/process.json \
	tests/unit/data/state-full.json \
	tests/unit/data/saved-state-full.json \
	tests/unit/data/features-full.json \
	tests/unit/data/bad-mount-destination.json \
	tests/unit/data/bad-syntax.json

# ---- fuzzing (not part of all or check)
#
#   make fuzz
#   mkdir -p /tmp/fuzz-corpus
#   tests/fuzz/fuzz-config -max_total_time=60 -dict=$(srcdir)/tests/fuzz/config.dict \
#       /tmp/fuzz-corpus $(srcdir)/tests/fuzz/corpus
#
# builds a libFuzzer binary (clang, ASan + UBSan) from the libocispec sources
# and runs it with the seed corpus; new inputs go to the first directory.
# A crash leaves crash-* in the current directory; replay it with
# tests/fuzz/fuzz-config crash-FILE.

libocispec_fuzz_seeds = \
	tests/fuzz/corpus/config-minimal.json \
	tests/fuzz/corpus/config-small.json \
	tests/fuzz/corpus/config-linux.json \
	tests/fuzz/corpus/config-errors.json

EXTRA_DIST += tests/fuzz/fuzz-config.c tests/fuzz/config.dict $(libocispec_fuzz_seeds)
CLEANFILES += tests/fuzz/fuzz-config

if HAVE_CLANG
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

tests/fuzz/fuzz-config: tests/fuzz/fuzz-config.c libocispec/ocispec.c \
		libocispec/ocispec-gen.c libocispec/ocispec-private.h \
		libocispec/ocispec.h $(libocispec_generated)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(CLANG) -std=gnu11 $(FUZZ_CFLAGS) -DHAVE_CONFIG_H \
		-I$(top_builddir) $(AM_CPPFLAGS) $(YAJL_CFLAGS) -o $@ \
		$(filter %.c,$^) $(YAJL_LIBS)

fuzz: tests/fuzz/fuzz-config
else
fuzz:
	@echo "make fuzz needs clang (with libFuzzer); configure did not find it" >&2; exit 1
endif
.PHONY: fuzz
