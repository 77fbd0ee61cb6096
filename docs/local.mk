# The man page source and design notes ship with the tarball.
EXTRA_DIST += docs/pith.1.md docs/libocispec.md docs/hacking.md
