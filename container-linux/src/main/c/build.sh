#!/bin/sh
# Compiles the launcher: build.sh SOURCE_DIR OUTPUT, every unit of SOURCE_DIR in one program.
# Static where the C library allows it, so that the launcher starts without the dynamic loader
# and costs little memory per container.
set -eu
src=$1
out=$2
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "isola: no C compiler ('$cc'): the launcher of container-linux is C; install one (Debian: apt-get install gcc libc6-dev)" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
flags="-std=gnu11 -O2 -s -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing -D_FORTIFY_SOURCE=2"
if ! "$cc" $flags -static -o "$out" "$src"/*.c 2>/dev/null; then
  "$cc" $flags -o "$out" "$src"/*.c
fi
