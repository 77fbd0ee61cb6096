# `make check-cgroupv2`: the cgroup integration tests in a VM (Debian's
# kernel under qemu; see tests/vm/run.sh) on pure cgroup v2, pure cgroup v1,
# and cgroup v2 with systemd as PID 1.  Exits 0 with a loud SKIPPED when the
# VM cannot run on this machine.
EXTRA_DIST += tests/vm/run.sh tests/vm/init tests/vm/stage2.sh

check-cgroupv2: pith
	@$(SHELL) $(srcdir)/tests/vm/run.sh $(abs_top_builddir); \
	status=$$?; \
	if test $$status = 77; then echo "cgroup v2 VM tests SKIPPED (see above)"; exit 0; fi; \
	exit $$status
.PHONY: check-cgroupv2
