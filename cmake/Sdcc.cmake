# 8051 firmware built with SDCC (Debian `sdcc`): dmasim_add_firmware(<target> OUTPUT <name>.ihx
# SOURCES <c files> [INCLUDES <dirs>] [DEFINES <NAME[=VALUE]>...]) compiles each source for the
# MCS-51 (small model, code at 0, XDATA below the MFD's windows at 0x8000) and links an Intel HEX
# image, `${DMASIM_FIRMWARE_DIR}/<name>.ihx`, which the MFD's driver loads at run time.
find_program(SDCC_PROGRAM sdcc REQUIRED)
set(DMASIM_FIRMWARE_DIR ${PROJECT_BINARY_DIR}/firmware)
set(DMASIM_SDCC_FLAGS -mmcs51 --std-c11 --opt-code-speed --iram-size 256 --xram-loc 0x0000 --xram-size 0x8000
    --code-size 0x4000)

function(dmasim_add_firmware target)
  cmake_parse_arguments(FW "" "OUTPUT" "SOURCES;INCLUDES;DEFINES" ${ARGN})
  set(object_dir ${CMAKE_CURRENT_BINARY_DIR}/${target}.dir)
  set(flags ${DMASIM_SDCC_FLAGS} -I${PROJECT_SOURCE_DIR})
  foreach(dir IN LISTS FW_INCLUDES)
    list(APPEND flags -I${dir})
  endforeach()
  foreach(define IN LISTS FW_DEFINES)
    list(APPEND flags -D${define})
  endforeach()
  set(objects)
  foreach(source IN LISTS FW_SOURCES)
    get_filename_component(stem ${source} NAME_WE)
    get_filename_component(absolute ${source} ABSOLUTE)
    set(object ${object_dir}/${stem}.rel)
    # SDCC reads the headers a source includes; list the project's so a change rebuilds it.
    file(GLOB_RECURSE firmware_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sw/firmware/*.h
         ${PROJECT_SOURCE_DIR}/models/mfd/*_regs.h)
    add_custom_command(OUTPUT ${object}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${object_dir}
      COMMAND ${SDCC_PROGRAM} ${flags} -c ${absolute} -o ${object}
      DEPENDS ${absolute} ${firmware_headers}
      COMMENT "SDCC ${source}"
      VERBATIM)
    list(APPEND objects ${object})
  endforeach()
  set(image ${DMASIM_FIRMWARE_DIR}/${FW_OUTPUT})
  get_filename_component(image_stem ${FW_OUTPUT} NAME_WE)
  add_custom_command(OUTPUT ${image}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${object_dir}/link ${DMASIM_FIRMWARE_DIR}
    COMMAND ${SDCC_PROGRAM} ${DMASIM_SDCC_FLAGS} ${objects} -o ${object_dir}/link/${image_stem}.ihx
    COMMAND ${CMAKE_COMMAND} -E copy ${object_dir}/link/${image_stem}.ihx ${image}
    DEPENDS ${objects}
    COMMENT "SDCC link ${FW_OUTPUT}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${image})
endfunction()
