# vigil_embed_files(TARGET NAME NAMESPACE FILES...) generates a .cpp that holds each file's text
# as a std::string_view, in the order given, so SQL migrations and similar assets ship inside the
# binary and cannot go missing at run time. The header declares:
#   namespace NAMESPACE { struct EmbeddedFile { std::string_view name; std::string_view text; };
#                         std::span<const EmbeddedFile> NAME(); }
function(vigil_embed_files target name ns)
  # Generated under <build>/generated/<this source dir>/embedded, so sources include it with a
  # full path from the repository root, e.g. "client/embedded/client_migrations.hpp". A project
  # that compiles another folder's sources (tests/fuzz) names that folder in VIGIL_EMBED_FOR.
  if(DEFINED VIGIL_EMBED_FOR)
    set(rel ${VIGIL_EMBED_FOR})
  else()
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  set(out_dir ${CMAKE_BINARY_DIR}/generated/${rel}/embedded)
  set(hpp ${out_dir}/${name}.hpp)
  set(cpp ${out_dir}/${name}.cpp)
  set(body "")
  set(entries "")
  set(i 0)
  foreach(f IN LISTS ARGN)
    get_filename_component(abs ${f} ABSOLUTE)
    get_filename_component(base ${f} NAME)
    file(READ ${abs} text)
    # A raw string literal with a delimiter no SQL file of ours contains.
    string(APPEND body "static constexpr char k_file_${i}[] = R\"vigil_embed(${text})vigil_embed\";\n")
    string(APPEND entries "  {\"${base}\", {k_file_${i}, sizeof(k_file_${i}) - 1}},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${abs})
    math(EXPR i "${i} + 1")
  endforeach()
  file(WRITE ${hpp}.tmp "#pragma once\n#include <span>\n#include <string_view>\nnamespace ${ns} {\nstruct EmbeddedFile { std::string_view name; std::string_view text; };\nstd::span<const EmbeddedFile> ${name}();\n}\n")
  if(i EQUAL 0)
    # No files (yet): an empty list rather than a zero-length array.
    file(WRITE ${cpp}.tmp "#include \"${rel}/embedded/${name}.hpp\"\nnamespace ${ns} {\nstd::span<const EmbeddedFile> ${name}() { return {}; }\n}\n")
  else()
    file(WRITE ${cpp}.tmp "#include \"${rel}/embedded/${name}.hpp\"\nnamespace ${ns} {\nnamespace {\n${body}constexpr EmbeddedFile k_files[] = {\n${entries}};\n}\nstd::span<const EmbeddedFile> ${name}() { return k_files; }\n}\n")
  endif()
  configure_file(${hpp}.tmp ${hpp} COPYONLY)
  configure_file(${cpp}.tmp ${cpp} COPYONLY)
  target_sources(${target} PRIVATE ${cpp})
endfunction()
