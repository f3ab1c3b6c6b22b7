# Sanitizers and fuzzing instrumentation apply to every target of the build
# (libraries, tests, executables), so that no translation unit is left out:
# TSan reports false races on code it did not instrument, and libFuzzer needs
# coverage from the libraries it drives.
#   ERC20_SANITIZE=address,undefined (or ON): ASan + UBSan, UB aborts.
#   ERC20_SANITIZE=thread: TSan.
#   ERC20_FUZZ=ON: clang only; libraries get -fsanitize=fuzzer-no-link,address,undefined
#   and the targets of fuzz/ link -fsanitize=fuzzer.
if(ERC20_SANITIZE STREQUAL "ON" OR ERC20_SANITIZE STREQUAL "TRUE" OR ERC20_SANITIZE STREQUAL "1")
  set(ERC20_SANITIZE "address,undefined")
elseif(ERC20_SANITIZE STREQUAL "OFF" OR ERC20_SANITIZE STREQUAL "FALSE" OR ERC20_SANITIZE STREQUAL "0")
  set(ERC20_SANITIZE "")
endif()
if(ERC20_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ERC20_FUZZ needs clang (libFuzzer): configure with the fuzz preset")
  endif()
  set(ERC20_SANITIZE "address,undefined")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(ERC20_SANITIZE STREQUAL "address,undefined")
  # -fno-sanitize-recover: undefined behaviour fails the test instead of printing a line.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(ERC20_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT ERC20_SANITIZE STREQUAL "")
  message(FATAL_ERROR "ERC20_SANITIZE='${ERC20_SANITIZE}': expected address,undefined, thread or empty")
endif()

# erc20_warnings(target): the project's warning set (intx's), -Werror with ERC20_WERROR.
function(erc20_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
                                           -Wno-missing-field-initializers)
  # -Wconversion -Wsign-conversion: an implicit narrowing or sign change (a
  # size_t length into an int, a uint64_t block number into a uint32_t) is a
  # cast the reader can see and check. Third-party headers are system headers
  # (/usr/include), so these apply to our code only.
  # -Wno-missing-field-initializers: aggregates with defaulted trailing
  # members are initialised on purpose.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # -Wno-restrict and -Wno-maybe-uninitialized: GCC 12 reports false
    # positives inside libstdc++'s std::string operator+ and std::variant at -O3
    # (GCC bugs 105329 and 105562). Clang has neither warning.
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized)
  endif()
  if(ERC20_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# erc20_module(NAME SOURCES ... TESTS ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
# One static library `erc20_<NAME>` per folder, and one Catch2 test binary
# `erc20_<NAME>_test` built from the folder's *_test.cpp files (with ERC20_BUILD_TESTS).
function(erc20_module name)
  cmake_parse_arguments(M "" "" "SOURCES;TESTS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(lib erc20_${name})
  add_library(${lib} STATIC ${M_SOURCES})
  target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${lib} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  erc20_warnings(${lib})
  if(M_TESTS AND ERC20_BUILD_TESTS AND BUILD_TESTING)
    add_executable(${lib}_test ${M_TESTS})
    target_link_libraries(${lib}_test PRIVATE ${lib} ${M_PRIVATE_DEPS} Catch2::Catch2WithMain)
    erc20_warnings(${lib}_test)
    catch_discover_tests(${lib}_test TEST_PREFIX "${name}: ")
    # `unit_tests` builds every unit test binary (the asan preset builds only these).
    if(NOT TARGET unit_tests)
      add_custom_target(unit_tests)
    endif()
    add_dependencies(unit_tests ${lib}_test)
  endif()
endfunction()
