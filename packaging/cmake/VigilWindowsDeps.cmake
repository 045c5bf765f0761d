# The Windows client's libraries (issue 15), as the same target names the Linux build gets from
# Debian's packages, so nothing below the top level knows which platform it is built for.
# The compiled ones (OpenSSL, SQLCipher, OpenCV, Catch2) are in packaging/windows/deps.sh's
# prefixes, which the toolchain file puts on CMAKE_PREFIX_PATH; the header-only ones (Boost,
# nlohmann-json, CLI11, tl-expected, fmt, spdlog) are Debian's own headers, reached through a
# folder that links to them alone (never /usr/include itself: glibc's headers break MinGW).
if(NOT VIGIL_WINDOWS_PREFIXES)
  message(FATAL_ERROR "Windows builds need packaging/windows/build.sh (it runs deps.sh and passes "
                      "-DVIGIL_WINDOWS_DEPS=... with the toolchain file)")
endif()
find_path(VIGIL_HEADER_ROOT nlohmann/json.hpp REQUIRED NO_DEFAULT_PATH
          PATHS ${VIGIL_WINDOWS_PREFIXES} PATH_SUFFIXES include)

foreach(name nlohmann_json::nlohmann_json tl::expected CLI11::CLI11 Boost::headers fmt::fmt spdlog::spdlog)
  add_library(${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${VIGIL_HEADER_ROOT}")
endforeach()
# Asio on Windows: Winsock and its extensions (AcceptEx, ConnectEx).
set_property(TARGET Boost::headers PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 mswsock)
# fmt and spdlog header-only: Debian ships them built for Linux only.
set_property(TARGET fmt::fmt PROPERTY INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
set_property(TARGET spdlog::spdlog PROPERTY INTERFACE_LINK_LIBRARIES fmt::fmt)
set_property(TARGET spdlog::spdlog PROPERTY INTERFACE_COMPILE_DEFINITIONS SPDLOG_FMT_EXTERNAL=1)

set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3.0 REQUIRED)
# Static libcrypto needs these on Windows (CryptoAPI for the system store, BCrypt for entropy).
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32 bcrypt)

find_library(VIGIL_SQLCIPHER_LIBRARY libsqlcipher.a REQUIRED)
find_path(VIGIL_SQLCIPHER_INCLUDE sqlcipher/sqlite3.h REQUIRED)
# A static imported library, so the linker sees libcrypto after it (SQLCipher's OpenSSL provider).
add_library(PkgConfig::SQLCIPHER STATIC IMPORTED GLOBAL)
set_target_properties(PkgConfig::SQLCIPHER PROPERTIES
  IMPORTED_LOCATION "${VIGIL_SQLCIPHER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${VIGIL_SQLCIPHER_INCLUDE}"
  INTERFACE_LINK_LIBRARIES OpenSSL::Crypto)

# OpenCV's static dnn module links protobuf's runtime by its CMake target name.
find_package(protobuf CONFIG REQUIRED)
find_package(Threads REQUIRED)
# Everything static, the C and C++ runtimes included: the installer then carries one .exe and no
# MinGW DLLs (libstdc++-6, libgcc_s_seh-1, libwinpthread-1).
add_link_options(-static -static-libgcc -static-libstdc++)
