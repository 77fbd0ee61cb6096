EXTRA_DIST += contrib/install-deps.sh contrib/quickstart.sh
