# The `docs` target: Doxygen HTML reference from the headers' /// comments, README.md as its first page,
# into <build>/docs/html. Every public name must be documented: MPIXX_DOCS_WERROR (default ON) makes
# Doxygen's warnings (an undocumented name among them) errors. Without Doxygen there is no docs target.
include_guard(GLOBAL)

find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()

option(MPIXX_DOCS_WERROR "Doxygen warnings (undocumented public names) fail the docs target" ON)
set(MPIXX_DOCS_OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/docs)
if(MPIXX_DOCS_WERROR)
  set(MPIXX_DOCS_WARN_AS_ERROR FAIL_ON_WARNINGS)
else()
  set(MPIXX_DOCS_WARN_AS_ERROR NO)
endif()
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${MPIXX_DOCS_OUTPUT}/Doxyfile @ONLY)
file(GLOB_RECURSE mpixx_doc_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/mpixx/*.hpp)
add_custom_command(OUTPUT ${MPIXX_DOCS_OUTPUT}/html/index.html
                   COMMAND ${DOXYGEN_EXECUTABLE} ${MPIXX_DOCS_OUTPUT}/Doxyfile
                   DEPENDS ${MPIXX_DOCS_OUTPUT}/Doxyfile ${mpixx_doc_headers} ${PROJECT_SOURCE_DIR}/README.md
                   WORKING_DIRECTORY ${MPIXX_DOCS_OUTPUT}
                   COMMENT "Doxygen: reference documentation in ${MPIXX_DOCS_OUTPUT}/html")
add_custom_target(docs DEPENDS ${MPIXX_DOCS_OUTPUT}/html/index.html)
