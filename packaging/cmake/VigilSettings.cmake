# vigil_settings: compile options every Vigil target uses (language level, warnings, sanitizers,
# debug assertions). Link it PRIVATE into each library and executable of ours.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(vigil_settings INTERFACE)
target_compile_features(vigil_settings INTERFACE cxx_std_20)
target_compile_options(vigil_settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wconversion -Wno-sign-conversion
  $<$<BOOL:${VIGIL_WERROR}>:-Werror>)
# GCC 12 (Debian 12's compiler) reports false -Wrestrict overlaps in std::string concatenation
# once inlined at -O2/-O3 (GCC bug 105329, fixed in GCC 13); with -Werror that breaks release
# builds of correct code such as `"a" + std::to_string(i)`. Kept as a warning, never an error.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(vigil_settings INTERFACE -Wno-error=restrict)
endif()
target_compile_definitions(vigil_settings INTERFACE
  $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
target_include_directories(vigil_settings INTERFACE
  ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)

if(VIGIL_SANITIZE)
  target_compile_options(vigil_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(vigil_settings INTERFACE -fsanitize=address,undefined)
endif()
