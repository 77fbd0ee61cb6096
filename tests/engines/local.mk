# Engine tests: Podman and containerd driving pith (`make check-engines`).
# They use the conformance checker (as /bin/pith-check in the test image) to
# send sd_notify messages.

EXTRA_DIST += \
	tests/engines/README.md \
	tests/engines/conftest.py \
	tests/engines/engines.py \
	tests/engines/images.py \
	tests/engines/pytest.ini \
	tests/engines/run.sh \
	tests/engines/test_bad_input.py \
	tests/engines/test_containerd.py \
	tests/engines/test_contrib.py \
	tests/engines/test_podman.py \
	contrib/podman/containers.conf \
	contrib/containerd/config.toml \
	contrib/cri-o/pith.conf

check-engines: pith tests/conformance/pith-check$(EXEEXT)
	@PITH=$(abs_top_builddir)/pith PITH_CHECK=$(abs_top_builddir)/tests/conformance/pith-check \
	  $(SHELL) $(srcdir)/tests/engines/run.sh; \
	status=$$?; \
	if test $$status = 77; then echo "engine tests SKIPPED (see above)"; exit 0; fi; \
	exit $$status

.PHONY: check-engines
