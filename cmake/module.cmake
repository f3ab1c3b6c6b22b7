# erc20_warnings(target): the project's warning set (intx's), -Werror with ERC20_WERROR.
function(erc20_warnings target)
  # -Wno-restrict and -Wno-maybe-uninitialized: GCC 12 reports false
  # positives inside libstdc++'s std::string operator+ and std::variant at -O3
  # (GCC bugs 105329 and 105562). -Wno-missing-field-initializers: aggregates
  # with defaulted trailing members are initialised on purpose.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wno-restrict -Wno-maybe-uninitialized
    -Wno-missing-field-initializers)
  if(ERC20_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ERC20_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# erc20_module(NAME SOURCES ... TESTS ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
# One static library `erc20_<NAME>` per folder, and one Catch2 test binary
# `erc20_<NAME>_test` built from the folder's *_test.cpp files.
function(erc20_module name)
  cmake_parse_arguments(M "" "" "SOURCES;TESTS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(lib erc20_${name})
  add_library(${lib} STATIC ${M_SOURCES})
  target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${lib} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  erc20_warnings(${lib})
  if(M_TESTS AND BUILD_TESTING)
    add_executable(${lib}_test ${M_TESTS})
    target_link_libraries(${lib}_test PRIVATE ${lib} ${M_PRIVATE_DEPS} Catch2::Catch2WithMain)
    erc20_warnings(${lib}_test)
    catch_discover_tests(${lib}_test TEST_PREFIX "${name}: ")
  endif()
endfunction()
