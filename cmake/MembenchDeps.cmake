# Finds every external dependency through pkg-config or find_program and stops at configure
# time with the name of the Debian package that provides a missing one.
# scripts/install-deps.sh installs all of them.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run scripts/install-deps.sh)")
endif()

# mb_require_pkg(<target-name> <pkg-config module> <debian package>)
# Creates the imported target PkgConfig::<target-name>.
function(mb_require_pkg name module debpkg)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debpkg} (or run scripts/install-deps.sh)")
  endif()
  message(STATUS "Found ${module} ${${name}_VERSION}")
endfunction()

# mb_require_program(<var> <program> <debian package>)
function(mb_require_program var prog debpkg)
  find_program(${var} NAMES ${prog} PATHS /usr/sbin /sbin)
  if(NOT ${var})
    message(FATAL_ERROR "${prog} not found: apt-get install ${debpkg} (or run scripts/install-deps.sh)")
  endif()
endfunction()

mb_require_pkg(LIBBPF libbpf libbpf-dev)
mb_require_pkg(LIBELF libelf libelf-dev)
mb_require_pkg(LIBEVENT libevent libevent-dev)
mb_require_pkg(LIBEVENT_PTHREADS libevent_pthreads libevent-dev)
mb_require_pkg(LIBMEMCACHED libmemcached libmemcached-dev)
mb_require_pkg(OPENSSL openssl libssl-dev)
mb_require_pkg(LIBZSTD libzstd libzstd-dev)
mb_require_pkg(CMOCKA cmocka libcmocka-dev)
mb_require_pkg(LIBXXHASH libxxhash libxxhash-dev)
mb_require_pkg(ZLIB zlib zlib1g-dev)
mb_require_pkg(JANSSON jansson libjansson-dev)

mb_require_program(MB_CLANG clang clang)
mb_require_program(MB_BPFTOOL bpftool bpftool)
mb_require_program(MB_LLVM_STRIP llvm-strip llvm)

find_package(Threads REQUIRED)
find_library(MB_LIBM m)
