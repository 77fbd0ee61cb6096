# The pith command: flag parsing and printing only; libpith does the work.
bin_PROGRAMS += pith
pith_SOURCES = \
	src/cli.c src/cli.h src/main.c \
	src/create.c src/delete.c src/features.c src/kill.c src/list.c \
	src/run.c src/spec.c src/start.c src/state.c \
	src/update.c src/pause.c src/resume.c src/ps.c src/events.c \
	src/exec.c \
	src/checkpoint.c src/restore.c
# libpith's objects rather than libpith-core.la, whose shared dependencies
# would come first on the link line: the binary links what configure chose
# in PITH_BIN_LIBS (static archives where installed, see --disable-static-deps)
# and, when all of them are static, is itself static-pie (PITH_BIN_LDFLAGS).
pith_LDADD = $(src_libpith_libpith_core_la_OBJECTS) $(libocispec_libocispec_la_OBJECTS) $(PITH_BIN_LIBS)
pith_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed $(PITH_BIN_LDFLAGS)
