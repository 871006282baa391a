#!/bin/sh
# Compiles the launcher: build.sh SOURCE_DIR OUTPUT_DIR HOST_ARCH, every unit of SOURCE_DIR in one
# program, as OUTPUT_DIR/launcher-<arch> for the host (HOST_ARCH is Java's os.arch: amd64 or
# aarch64) and, where a cross compiler is installed, for the other architecture Isola supports.
# Static where the C library allows it, so that the launcher starts without the dynamic loader
# and costs little memory per container.
set -eu
src=$1
out=$2
host=$3
flags="-std=gnu11 -O2 -s -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing -D_FORTIFY_SOURCE=2"

# compile CC OUTPUT: static if the C library can, else dynamic
compile() {
  if ! "$1" $flags -static -o "$2" "$src"/*.c 2>/dev/null; then
    "$1" $flags -o "$2" "$src"/*.c
  fi
}

cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "isola: no C compiler ('$cc'): the launcher of container-linux is C; install one (Debian: apt-get install gcc libc6-dev)" >&2
  exit 1
fi
mkdir -p "$out"
compile "$cc" "$out/launcher-$host"

case $host in
  amd64) other=aarch64 cross=aarch64-linux-gnu-gcc package=gcc-aarch64-linux-gnu ;;
  aarch64) other=amd64 cross=x86_64-linux-gnu-gcc package=gcc-x86-64-linux-gnu ;;
  *) echo "isola: built the launcher for $host only: Isola supports amd64 and aarch64"; exit 0 ;;
esac
if command -v "$cross" >/dev/null 2>&1; then
  compile "$cross" "$out/launcher-$other"
  echo "isola: built the launcher for $host and $other ($cross)"
else
  rm -f "$out/launcher-$other"
  echo "isola: built the launcher for $host only: no cross compiler $cross for $other (Debian: apt-get install $package)"
fi
