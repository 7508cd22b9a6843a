# Generates membench/version_git.h in the build tree on every build (only rewritten when the
# `git describe` output changes, so nothing rebuilds needlessly).
set(MB_VERSION_HEADER "${CMAKE_BINARY_DIR}/generated/membench/version_git.h")
add_custom_target(mb_version_header
  COMMAND ${CMAKE_COMMAND} -DSRC_DIR=${CMAKE_SOURCE_DIR} -DOUT=${MB_VERSION_HEADER}
          -P ${CMAKE_SOURCE_DIR}/cmake/GitDescribe.cmake
  BYPRODUCTS ${MB_VERSION_HEADER}
  COMMENT "git describe -> version_git.h")
