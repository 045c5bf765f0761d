# FindVigilOpenCV: the OpenCV modules of client/vision, found without OpenCV's own CMake package.
#
# Debian ships OpenCVConfig.cmake only in libopencv-dev, a meta package that depends on every
# OpenCV -dev package including libopencv-contrib-dev (and through it VTK, Qt5, GDAL, ...). The
# per-module packages Vigil needs (libopencv-core-dev, -imgproc-, -imgcodecs-, -videoio-, -dnn-,
# -objdetect-dev) have the headers and libraries but no CMake files, so client/CMakeLists.txt
# falls back to this module when find_package(OpenCV) finds no package.
#
#   find_package(VigilOpenCV 4.6 REQUIRED COMPONENTS core imgproc ...)
#
# Sets, as OpenCV's package does: OpenCV_FOUND, OpenCV_VERSION, OpenCV_INCLUDE_DIRS and
# OpenCV_LIBS (imported targets named opencv_<module>, like the package's). When REQUIRED, a
# missing module stops the configuration with the name of the Debian package that provides it.
# The cache variables OpenCV_INCLUDE_DIR and OpenCV_<module>_LIBRARY may be set by hand.

set(_vigil_cv_modules core ${VigilOpenCV_FIND_COMPONENTS})
list(REMOVE_DUPLICATES _vigil_cv_modules)

find_path(OpenCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4
          DOC "directory holding opencv2/core.hpp (Debian: /usr/include/opencv4)")
mark_as_advanced(OpenCV_INCLUDE_DIR)

set(OpenCV_VERSION "")
if(OpenCV_INCLUDE_DIR AND EXISTS "${OpenCV_INCLUDE_DIR}/opencv2/core/version.hpp")
  file(STRINGS "${OpenCV_INCLUDE_DIR}/opencv2/core/version.hpp" _vigil_cv_defines
       REGEX "^#define CV_VERSION_(MAJOR|MINOR|REVISION)[ \t]+[0-9]+")
  foreach(part MAJOR MINOR REVISION)
    string(REGEX REPLACE ".*#define CV_VERSION_${part}[ \t]+([0-9]+).*" "\\1" _vigil_cv_${part} "${_vigil_cv_defines}")
  endforeach()
  set(OpenCV_VERSION "${_vigil_cv_MAJOR}.${_vigil_cv_MINOR}.${_vigil_cv_REVISION}")
  if(NOT OpenCV_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
    set(OpenCV_VERSION "")
  endif()
endif()

# A module is there when both its header and its library are.
set(_vigil_cv_missing "")
set(_vigil_cv_packages "")
foreach(m IN LISTS _vigil_cv_modules)
  find_library(OpenCV_${m}_LIBRARY NAMES opencv_${m} DOC "the OpenCV ${m} library (Debian: libopencv-${m}-dev)")
  mark_as_advanced(OpenCV_${m}_LIBRARY)
  if(NOT OpenCV_${m}_LIBRARY OR NOT OpenCV_INCLUDE_DIR OR NOT EXISTS "${OpenCV_INCLUDE_DIR}/opencv2/${m}.hpp")
    list(APPEND _vigil_cv_missing ${m})
    string(APPEND _vigil_cv_packages " libopencv-${m}-dev")
  endif()
endforeach()

set(_vigil_cv_want "any version")
if(VigilOpenCV_FIND_VERSION)
  set(_vigil_cv_want "${VigilOpenCV_FIND_VERSION} or newer")
endif()
set(_vigil_cv_problem "")
if(_vigil_cv_missing)
  list(JOIN _vigil_cv_missing ", " _vigil_cv_missing)
  set(_vigil_cv_problem "OpenCV module(s) not found (header or library): ${_vigil_cv_missing}. "
                        "On Debian: apt-get install${_vigil_cv_packages}. "
                        "Elsewhere: point OpenCV_DIR at an OpenCV build (${_vigil_cv_want}).")
elseif(NOT OpenCV_VERSION)
  set(_vigil_cv_problem "cannot read OpenCV's version from ${OpenCV_INCLUDE_DIR}/opencv2/core/version.hpp")
elseif(VigilOpenCV_FIND_VERSION AND OpenCV_VERSION VERSION_LESS VigilOpenCV_FIND_VERSION)
  set(_vigil_cv_problem "OpenCV ${OpenCV_VERSION} in ${OpenCV_INCLUDE_DIR} is too old: "
                        "Vigil needs ${VigilOpenCV_FIND_VERSION} or newer (Debian 12 ships 4.6)")
endif()

if(_vigil_cv_problem)
  string(CONCAT _vigil_cv_problem ${_vigil_cv_problem})
  set(VigilOpenCV_FOUND FALSE)
  set(OpenCV_FOUND FALSE)
  if(VigilOpenCV_FIND_REQUIRED)
    message(FATAL_ERROR "${_vigil_cv_problem}")
  elseif(NOT VigilOpenCV_FIND_QUIETLY)
    message(STATUS "${_vigil_cv_problem}")
  endif()
  return()
endif()

set(VigilOpenCV_FOUND TRUE)
set(OpenCV_FOUND TRUE)
set(OpenCV_INCLUDE_DIRS "${OpenCV_INCLUDE_DIR}")
set(OpenCV_LIBS "")
foreach(m IN LISTS _vigil_cv_modules)
  if(NOT TARGET opencv_${m})
    add_library(opencv_${m} UNKNOWN IMPORTED)
    set_target_properties(opencv_${m} PROPERTIES
      IMPORTED_LOCATION "${OpenCV_${m}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${OpenCV_INCLUDE_DIR}")
  endif()
  list(APPEND OpenCV_LIBS opencv_${m})
endforeach()
if(NOT VigilOpenCV_FIND_QUIETLY)
  list(JOIN _vigil_cv_modules " " _vigil_cv_list)
  message(STATUS "Found OpenCV ${OpenCV_VERSION} without its CMake package (${_vigil_cv_list}): ${OpenCV_INCLUDE_DIR}")
endif()
