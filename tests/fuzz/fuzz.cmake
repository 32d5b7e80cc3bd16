# libFuzzer targets (scripts/fuzz; each also runs for a bounded time in ./scripts/test). Built on
# their own with clang (-DHUB_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++): the parsers a client's bytes
# reach, compiled with the fuzzer's coverage and AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer, without the server around them.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "HUB_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
endif()

set(hub_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                   -fno-omit-frame-pointer -g -O1)
set(hub_fuzz_core_sources
    core/caller.cpp core/config.cpp core/dates.cpp core/error.cpp core/json.cpp core/principal.cpp
    core/text.cpp core/xlsx_reader.cpp core/csv_table.cpp
    compute/program.cpp
    exchange/filter.cpp exchange/lines.cpp exchange/refs.cpp exchange/schema.cpp
    http/message.cpp http/problem.cpp http/purpose.cpp
    ledger/merkle.cpp ledger/note.cpp
    catalog/code_lists.cpp catalog/item_rules.cpp catalog/openapi_import.cpp
    catalog/service_names.cpp catalog/spreadsheet.cpp
    coordination/return_list.cpp
    members/credentials.cpp
    net/proxy_protocol.cpp
    gateway/breaker.cpp gateway/call.cpp gateway/upstream_policy.cpp
    indicators/period.cpp indicators/upload.cpp
    sharing/calendar.cpp sharing/purpose.cpp)
list(TRANSFORM hub_fuzz_core_sources PREPEND ${CMAKE_SOURCE_DIR}/src/)
add_library(hub_fuzz_core STATIC ${hub_fuzz_core_sources} ${hub_embedded_cpp})
# The compiled-in files are long string literals (clang warns past 65,536 characters).
set_source_files_properties(${hub_embedded_cpp} PROPERTIES COMPILE_OPTIONS -Wno-overlength-strings)
target_include_directories(hub_fuzz_core PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_include_directories(hub_fuzz_core SYSTEM PUBLIC ${PostgreSQL_INCLUDE_DIRS})
target_compile_options(hub_fuzz_core PUBLIC ${hub_fuzz_flags})
target_compile_options(hub_fuzz_core PRIVATE ${hub_warnings})
target_compile_definitions(hub_fuzz_core PUBLIC BOOST_ASIO_NO_DEPRECATED HUB_VERSION="${PROJECT_VERSION}")
target_link_libraries(hub_fuzz_core PUBLIC Boost::headers OpenSSL::Crypto nlohmann_json::nlohmann_json
                                           spdlog::spdlog PkgConfig::ARGON2 Threads::Threads
                                           PkgConfig::LIBZIP PkgConfig::EXPAT ${RE2_LIBRARY})

set(hub_fuzz_seconds 20 CACHE STRING "How long each fuzz target runs in ctest (./scripts/test)")
file(GLOB hub_fuzz_targets CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/fuzz_*.cpp)
foreach(source ${hub_fuzz_targets})
  get_filename_component(name ${source} NAME_WE)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE hub_fuzz_core)
  target_compile_options(${name} PRIVATE ${hub_warnings})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  # A fresh working corpus from the seeds each run; crashes are kept in the build dir.
  add_test(NAME fuzz.${name}
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/fuzz --run-only --time ${hub_fuzz_seconds}
                   --build ${CMAKE_BINARY_DIR} ${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz
                       TIMEOUT 300 ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endforeach()
