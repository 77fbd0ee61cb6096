# libpith: all container logic.  libpith-core.la is the whole library as a
# convenience archive: the pith binary and the unit tests link it
# statically (tests can reach internal functions); libpith.la is the
# installed library, exporting only the pith_* API (libpith.sym).

libpith_sources = \
	src/libpith/apparmor.c src/libpith/apparmor.h \
	src/libpith/bitmask.c src/libpith/bitmask.h \
	src/libpith/bundle.c src/libpith/bundle.h \
	src/libpith/caps.c src/libpith/caps.h \
	src/libpith/cgroup.c src/libpith/cgroup.h \
	src/libpith/cgroup-v1.c src/libpith/cgroup-v2.c \
	src/libpith/cgroup-check.c src/libpith/cgroup-commands.c src/libpith/cgroup-convert.c \
	src/libpith/cgroup-devices.c src/libpith/cgroup-events.c src/libpith/cgroup-fs.c \
	src/libpith/cgroup-mount.c src/libpith/cgroup-stats.c src/libpith/cgroup-systemd.c \
	src/libpith/cgroup-none.c \
	src/libpith/checkpoint.c \
	src/libpith/container.c src/libpith/container.h \
	src/libpith/dbus.c src/libpith/dbus.h \
	src/libpith/devices.c src/libpith/devices.h \
	src/libpith/error.c src/libpith/error.h \
	src/libpith/exec.c \
	src/libpith/features.c \
	src/libpith/hooks.c src/libpith/hooks.h \
	src/libpith/idmap.c src/libpith/idmap.h \
	src/libpith/init.c \
	src/libpith/intelrdt.c src/libpith/intelrdt.h \
	src/libpith/iopriority.c src/libpith/iopriority.h \
	src/libpith/launch.c src/libpith/launch.h \
	src/libpith/log.c src/libpith/log.h \
	src/libpith/lookup.h \
	src/libpith/mempolicy.c src/libpith/mempolicy.h \
	src/libpith/mounts.c src/libpith/mounts.h \
	src/libpith/namespaces.c src/libpith/namespaces.h \
	src/libpith/netdevice.c src/libpith/netdevice.h \
	src/libpith/notify.c src/libpith/notify.h \
	src/libpith/paths.c src/libpith/paths.h \
	src/libpith/pith.h \
	src/libpith/process.c src/libpith/process.h \
	src/libpith/rootfs.c src/libpith/rootfs.h \
	src/libpith/run.c \
	src/libpith/scheduler.c src/libpith/scheduler.h \
	src/libpith/seccomp-cache.c \
	src/libpith/seccomp-filter.c src/libpith/seccomp-filter.h \
	src/libpith/seccomp-notify.c src/libpith/seccomp-notify.h \
	src/libpith/security.c src/libpith/security.h \
	src/libpith/selinux.c src/libpith/selinux.h \
	src/libpith/signals.c \
	src/libpith/spec.c \
	src/libpith/state-store.c src/libpith/state-store.h \
	src/libpith/supervise.c src/libpith/supervise.h \
	src/libpith/sync.c src/libpith/sync.h \
	src/libpith/sysctl.c src/libpith/sysctl.h \
	src/libpith/terminal.c src/libpith/terminal.h \
	src/libpith/utils.c src/libpith/utils.h \
	src/libpith/validate.c \
	src/libpith/version.c

libpith_libs = libocispec/libocispec.la $(SECCOMP_LIBS) $(CAP_LIBS) $(SELINUX_LIBS)

noinst_LTLIBRARIES += src/libpith/libpith-core.la
src_libpith_libpith_core_la_SOURCES = $(libpith_sources)
src_libpith_libpith_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(YAJL_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS) $(SELINUX_CFLAGS)
src_libpith_libpith_core_la_LIBADD = $(libpith_libs)
$(src_libpith_libpith_core_la_OBJECTS): libocispec/oci-types.h

lib_LTLIBRARIES += src/libpith/libpith.la
src_libpith_libpith_la_SOURCES =
nodist_EXTRA_src_libpith_libpith_la_SOURCES = dummy.c
src_libpith_libpith_la_LIBADD = src/libpith/libpith-core.la
src_libpith_libpith_la_LDFLAGS = -version-info $(LIBPITH_LT_VERSION) \
	-Wl,--version-script=$(srcdir)/src/libpith/libpith.sym -Wl,--as-needed
EXTRA_src_libpith_libpith_la_DEPENDENCIES = src/libpith/libpith.sym
EXTRA_DIST += src/libpith/libpith.sym

include_HEADERS = src/libpith/pith.h
