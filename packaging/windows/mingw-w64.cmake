# CMake toolchain for the Windows client: Debian 12's MinGW-w64 (GCC 12, posix threads, so that
# std::thread and std::mutex work) targeting x86-64 Windows 10/11.
#
# Libraries come only from the cache that packaging/windows/deps.sh fills (VIGIL_WINDOWS_DEPS
# names the prefixes it wrote) and from MinGW's own sysroot. Nothing under /usr/include or
# /usr/lib is searched: glibc's headers break a MinGW build. Header-only libraries (Boost,
# nlohmann-json, CLI11, tl-expected, fmt, spdlog) come from the same Debian packages as the Linux
# build, through a folder of links to them alone that deps.sh makes.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSTEM_VERSION 10.0)

set(VIGIL_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${VIGIL_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${VIGIL_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${VIGIL_MINGW_TRIPLE}-windres)
set(CMAKE_AR ${VIGIL_MINGW_TRIPLE}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${VIGIL_MINGW_TRIPLE}-gcc-ranlib-posix CACHE FILEPATH "")

# Windows 10 is the oldest target (QueryInterruptTimePrecise, GetSystemTimePreciseAsFileTime).
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 NOMINMAX WIN32_LEAN_AND_MEAN)

# try_compile projects see this variable too, so the dependency prefixes are found there as well.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VIGIL_WINDOWS_DEPS)
set(_vigil_roots /usr/${VIGIL_MINGW_TRIPLE})
if(VIGIL_WINDOWS_DEPS AND EXISTS "${VIGIL_WINDOWS_DEPS}")
  include("${VIGIL_WINDOWS_DEPS}")  # sets VIGIL_WINDOWS_PREFIXES
  list(APPEND _vigil_roots ${VIGIL_WINDOWS_PREFIXES})
  set(CMAKE_PREFIX_PATH ${VIGIL_WINDOWS_PREFIXES})
endif()
set(CMAKE_FIND_ROOT_PATH ${_vigil_roots})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # host tools (protoc, node) run on Linux
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Wine runs the tests (tests/run-windows.sh); CTest uses it when the suite is run from the build.
set(CMAKE_CROSSCOMPILING_EMULATOR wine CACHE STRING "")
