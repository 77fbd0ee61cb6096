# The pith command: flag parsing and printing only; libpith does the work.
bin_PROGRAMS += pith
pith_SOURCES = \
	src/cli.c src/cli.h src/main.c \
	src/create.c src/delete.c src/features.c src/kill.c src/list.c \
	src/run.c src/spec.c src/start.c src/state.c \
	src/update.c src/pause.c src/resume.c src/ps.c src/events.c \
	src/exec.c
pith_LDADD = src/libpith/libpith-core.la
pith_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed
