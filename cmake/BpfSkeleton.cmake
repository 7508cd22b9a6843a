# bpf_skeleton(<name> <source.bpf.c> [DEPENDS headers...])
#
# Compiles <source.bpf.c> with clang -target bpf into <name>.bpf.o and generates the libbpf
# skeleton <name>.skel.h with `bpftool gen skeleton`, both in the build tree. Creates the
# INTERFACE library <name>_skel: link it to get the include path and the build dependency.
#
# The BPF code uses CO-RE against bpf/mb_vmlinux.h, a small hand-written set of kernel type
# definitions, so the build never reads the build host's /sys/kernel/btf/vmlinux.
function(bpf_skeleton name source)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(src "${source}" ABSOLUTE)
  set(obj "${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o")
  set(skel "${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h")
  set(arch_define -D__TARGET_ARCH_x86)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(arch_define -D__TARGET_ARCH_arm64)
  endif()

  add_custom_command(
    OUTPUT "${obj}"
    COMMAND "${MB_CLANG}" -g -O2 -target bpf ${arch_define} -Wall -Werror
            -I "${CMAKE_SOURCE_DIR}/bpf" -I "${CMAKE_SOURCE_DIR}/common/include"
            -I "${CMAKE_CURRENT_SOURCE_DIR}"
            -c "${src}" -o "${obj}"
    COMMAND "${MB_LLVM_STRIP}" -g "${obj}"
    DEPENDS "${src}" ${ARG_DEPENDS}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT "${skel}"
    COMMAND "${MB_BPFTOOL}" gen skeleton "${obj}" name "${name}" > "${skel}"
    DEPENDS "${obj}"
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS "${skel}")
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  # SYSTEM: the generated skeleton is not ours to warn about (it casts away const).
  target_include_directories(${name}_skel SYSTEM INTERFACE "${CMAKE_CURRENT_BINARY_DIR}")
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF PkgConfig::LIBELF)
endfunction()
