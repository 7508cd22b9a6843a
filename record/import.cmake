# Trace import (twitter:, oracle:, cachelib:) and synthetic generation (synth:zipf, synth:etc).
# mbimport holds everything that does not touch the profile writer (input, parsers, time
# placement, distributions, generator model) so tests/import can drive it directly; import.c and
# synth.c are the commands, linked into membench-record.
add_library(mbimport STATIC
  import_input.c import_sink.c import_common.c import_cli.c import_pipe.c
  import_twitter.c import_oracle.c import_cachelib.c
  rng.c dist.c synth_gen.c)
target_include_directories(mbimport PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mbimport PUBLIC mbcommon mbprofile PkgConfig::LIBZSTD Threads::Threads
  ${MB_LIBM})

set(RECORD_IMPORT_SOURCES import.c synth.c)
set(RECORD_IMPORT_LIBS mbimport)
