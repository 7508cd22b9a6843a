# Test helpers. Every test is registered through one of these so labels and the skip code stay
# uniform. Labels: unit, integration, fuzz-regress, root-bpf. A test that cannot run here (not
# root, no BPF, no memcached) exits 77 and ctest reports it as skipped.

# mb_add_test(<name> SOURCES src... [LIBS lib...] [LABELS label...] [TIMEOUT s] [ARGS arg...])
# Builds one cmocka executable and registers it with ctest (default label: unit).
function(mb_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE PkgConfig::CMOCKA mbtestutil ${ARG_LIBS})
  add_test(NAME ${name} COMMAND ${name} ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES
    LABELS "${ARG_LABELS}" SKIP_RETURN_CODE 77 TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR};MB_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# mb_add_script_test(<name> <script> [LABELS label...] [TIMEOUT s] [ARGS arg...])
# Registers a shell script test; it gets MB_BIN (the build's bin dir) and MB_SOURCE_DIR.
function(mb_add_script_test name script)
  cmake_parse_arguments(ARG "" "TIMEOUT" "LABELS;ARGS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS integration)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  get_filename_component(path "${script}" ABSOLUTE)
  add_test(NAME ${name} COMMAND bash "${path}" ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES
    LABELS "${ARG_LABELS}" SKIP_RETURN_CODE 77 TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "MB_BIN=${CMAKE_BINARY_DIR}/bin;MB_SOURCE_DIR=${CMAKE_SOURCE_DIR};MB_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# mb_add_fuzz_target(<name> SOURCES src... CORPUS dir [LIBS lib...])
# Always builds <name>_regress: the target linked with tests/fuzz/fuzz_driver.c, which feeds every
# file of CORPUS to LLVMFuzzerTestOneInput; registered as a ctest with label fuzz-regress.
# With MEMBENCH_FUZZ=ON (clang), also builds <name> as a libFuzzer binary.
function(mb_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  get_filename_component(corpus "${ARG_CORPUS}" ABSOLUTE)
  add_executable(${name}_regress ${ARG_SOURCES} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_driver.c)
  target_link_libraries(${name}_regress PRIVATE ${ARG_LIBS})
  add_test(NAME ${name}_regress COMMAND ${name}_regress "${corpus}")
  set_tests_properties(${name}_regress PROPERTIES LABELS fuzz-regress SKIP_RETURN_CODE 77 TIMEOUT 300)
  if(MEMBENCH_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "MEMBENCH_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  endif()
endfunction()
