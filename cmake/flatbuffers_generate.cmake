# hypertide_flatbuffers(TARGET name SCHEMAS a.fbs b.fbs)
# Runs flatc at build time and exposes the generated headers (as system
# headers, so -Werror does not apply to them) through an INTERFACE target.
function(hypertide_flatbuffers)
  cmake_parse_arguments(ARG "" "TARGET" "SCHEMAS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  set(outputs)
  foreach(schema IN LISTS ARG_SCHEMAS)
    get_filename_component(stem ${schema} NAME_WE)
    set(header ${out_dir}/${stem}_generated.h)
    add_custom_command(
      OUTPUT ${header}
      COMMAND flatbuffers::flatc --cpp --scoped-enums
              -I ${CMAKE_CURRENT_SOURCE_DIR} -o ${out_dir}
              ${CMAKE_CURRENT_SOURCE_DIR}/${schema}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${schema} ${ARG_SCHEMAS} flatbuffers::flatc
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      COMMENT "flatc ${schema}"
      VERBATIM)
    list(APPEND outputs ${header})
  endforeach()
  add_custom_target(${ARG_TARGET}_gen DEPENDS ${outputs})
  add_library(${ARG_TARGET} INTERFACE)
  add_dependencies(${ARG_TARGET} ${ARG_TARGET}_gen)
  target_include_directories(${ARG_TARGET} SYSTEM INTERFACE ${out_dir})
  target_link_libraries(${ARG_TARGET} INTERFACE flatbuffers::flatbuffers)
endfunction()
