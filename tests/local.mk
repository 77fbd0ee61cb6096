# `make check` runs the unit tests (automake's harness, one summary) and
# then, in check-local, the integration suite: real containers, so root is
# needed; pytest prints its own summary line.  `make integration` runs only
# the latter.  distcheck configures with --disable-integration: it checks
# the tarball builds and passes its unit tests, not the host again.

check_PROGRAMS += tests/unit/test-libpith
TESTS += tests/unit/test-libpith
tests_unit_test_libpith_SOURCES = tests/unit/test-libpith.c tests/unit/tap.h
tests_unit_test_libpith_LDADD = src/libpith/libpith-core.la
$(tests_unit_test_libpith_OBJECTS): libocispec/oci-types.h

check_PROGRAMS += tests/unit/test-security
TESTS += tests/unit/test-security
tests_unit_test_security_SOURCES = tests/unit/test-security.c tests/unit/tap.h
tests_unit_test_security_LDADD = src/libpith/libpith-core.la
$(tests_unit_test_security_OBJECTS): libocispec/oci-types.h

# Cgroup conversions, checks and the device eBPF program (no cgroup needed).
check_PROGRAMS += tests/unit/test-cgroup
TESTS += tests/unit/test-cgroup
tests_unit_test_cgroup_SOURCES = tests/unit/test-cgroup.c tests/unit/tap.h
tests_unit_test_cgroup_LDADD = src/libpith/libpith-core.la
$(tests_unit_test_cgroup_OBJECTS): libocispec/oci-types.h

# The D-Bus client of the systemd driver (against dbus-daemon when installed).
check_PROGRAMS += tests/unit/test-dbus
TESTS += tests/unit/test-dbus
tests_unit_test_dbus_SOURCES = tests/unit/test-dbus.c tests/unit/tap.h
tests_unit_test_dbus_LDADD = src/libpith/libpith-core.la
$(tests_unit_test_dbus_OBJECTS): libocispec/oci-types.h

integration_files = \
	tests/integration/README.md \
	tests/integration/conftest.py \
	tests/integration/console_socket.py \
	tests/integration/pithtest.py \
	tests/integration/pytest.ini \
	tests/integration/run.sh \
	tests/integration/sockact.py \
	tests/integration/seccomp_helpers.py \
	tests/integration/sysprobe.c \
	tests/integration/cghost.py \
	tests/integration/test_cgroups.py \
	tests/integration/test_cgroups_commands.py \
	tests/integration/test_cgroups_resources.py \
	tests/integration/test_cgroups_systemd.py \
	tests/integration/test_checkpoint.py \
	tests/integration/test_cli.py \
	tests/integration/test_devices.py \
	tests/integration/test_errors.py \
	tests/integration/test_exec.py \
	tests/integration/test_exec_notify_socket.py \
	tests/integration/test_exec_signals.py \
	tests/integration/test_hardening.py \
	tests/integration/test_hooks.py \
	tests/integration/test_lifecycle.py \
	tests/integration/test_mounts.py \
	tests/integration/test_namespaces.py \
	tests/integration/test_process.py \
	tests/integration/test_process_fields.py \
	tests/integration/test_seccomp.py \
	tests/integration/test_security_idmap.py \
	tests/integration/test_security_lsm.py \
	tests/integration/test_security_netdev.py \
	tests/integration/test_terminal.py \
	tests/integration/test_terminal_exec.py \
	tests/integration/test_terminal_relay.py
EXTRA_DIST += $(integration_files) tests/lib.sh tests/run-all.sh .ci/run

AM_DISTCHECK_CONFIGURE_FLAGS = --disable-integration

integration: pith
	@PITH=$(abs_top_builddir)/pith $(SHELL) $(srcdir)/tests/integration/run.sh; \
	status=$$?; \
	if test $$status = 77; then echo "integration tests SKIPPED (see above)"; exit 0; fi; \
	exit $$status

if INTEGRATION
check-local: integration
endif
.PHONY: integration
