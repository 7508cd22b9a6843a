# Warning and sanitizer flags for all membench C code (not for BPF objects, which have their own).
set(MB_WARNINGS
  -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2 -Wundef -Wvla -Wwrite-strings -Wnull-dereference
  -Wimplicit-fallthrough)
if(MEMBENCH_WERROR)
  list(APPEND MB_WARNINGS -Werror)
endif()
add_compile_options(${MB_WARNINGS})
add_compile_definitions(_GNU_SOURCE)

# Fuzzing instruments every library the targets link (coverage feedback must reach the parsers,
# not just the target file), so it implies the sanitizer build whose runtime provides the
# coverage callbacks for the non-fuzzer executables. It also defines libFuzzer's
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, under which the profile reader accepts checksum
# mismatches (profile/format.h FMT_SUM_BAD) so mutated profiles reach the decoders behind the
# checksums. Such a build is for fuzzing only: tests that expect a checksum error skip there.
if(MEMBENCH_FUZZ)
  set(MEMBENCH_SANITIZE ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
endif()

if(MEMBENCH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
