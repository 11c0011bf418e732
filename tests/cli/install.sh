#!/bin/sh
# `make install` installs the program, the library, the header, the
# pkg-config file and the man page, and a consumer builds against them.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

dest="$T_TMP/inst"
prefix=$(sed -n 's/^prefix = //p' "$HVO_TOP_BUILDDIR/Makefile")
run make -s -C "$HVO_TOP_BUILDDIR" install DESTDIR="$dest"
expect_rc 0 "make install"
root="$dest$prefix"
for f in bin/hvoffline include/hvoffline.h lib/libhvoffline.so \
    lib/pkgconfig/libhvoffline.pc share/man/man1/hvoffline.1; do
    T_COUNT=$((T_COUNT + 1))
    if [ -e "$root/$f" ]; then t_pass "installed $f"; else t_fail "missing $f"; fi
done

# A consumer compiles and links through the installed .pc file.
cat >"$T_TMP/consumer.c" <<'EOC'
#include <stdio.h>
#include <string.h>
#include <hvoffline.h>
int main(void)
{
	printf("%s %s\n", hvo_version(), hvo_exit_describe(HVO_EXIT_CORRUPT));
	return hvo_exit_max(HVO_EXIT_REFUSED, HVO_EXIT_OK) == HVO_EXIT_REFUSED ? 0 : 1;
}
EOC
pc="$root/lib/pkgconfig"
cflags=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags libhvoffline)
libs=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --libs libhvoffline)
# A sanitizer build's library needs the sanitizer runtime in the consumer.
san=$(sed -n 's/^SANITIZER_LDFLAGS = //p' "$HVO_TOP_BUILDDIR/Makefile")
cc=$(sed -n 's/^CC = //p' "$HVO_TOP_BUILDDIR/Makefile")
run ${cc:-cc} $san -o "$T_TMP/consumer" "$T_TMP/consumer.c" $cflags $libs
expect_rc 0 "a consumer builds with pkg-config --cflags/--libs libhvoffline"
run env LD_LIBRARY_PATH="$root/lib" "$T_TMP/consumer"
expect_rc 0 "the consumer runs against the installed library"
expect_grep "$T_TMP/out" "corrupt input" "the consumer calls into the library"

t_finish
