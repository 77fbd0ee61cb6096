# The runtime-spec conformance suite: `make check-conformance`.
# pith-check runs inside containers with a busybox root filesystem, so it is
# linked fully static (-all-static: libtool's word for gcc's -static) and
# built without the sanitizers (they do not link statically).

check_PROGRAMS += tests/conformance/pith-check
tests_conformance_pith_check_SOURCES = \
	tests/conformance/pith-check.c tests/conformance/json.c tests/conformance/json.h
tests_conformance_pith_check_CPPFLAGS =
tests_conformance_pith_check_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_conformance_pith_check_LDFLAGS = -all-static

EXTRA_DIST += \
	tests/conformance/README.md \
	tests/conformance/conformance.py \
	tests/conformance/run.sh

check-conformance: pith tests/conformance/pith-check$(EXEEXT)
	@PITH=$(abs_top_builddir)/pith PITH_CHECK=$(abs_top_builddir)/tests/conformance/pith-check \
	  $(SHELL) $(srcdir)/tests/conformance/run.sh; \
	status=$$?; \
	if test $$status = 77; then echo "conformance suite SKIPPED (see above)"; exit 0; fi; \
	exit $$status

.PHONY: check-conformance
