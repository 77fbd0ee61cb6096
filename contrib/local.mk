EXTRA_DIST += contrib/install-deps.sh contrib/quickstart.sh \
	contrib/bench/bench.py contrib/bench/floor.c contrib/bench/measure.c
