# local_executors.cmake — the local executors on Debian's C libraries (OCR,
# speech, images...), each built when its library is found.
#
# They never go into libbaton, so programs using the library start in
# milliseconds and stay small; the library runs them in baton-worker
# processes. Each executor is also built as a module of its own
# (build/executors/<name>.so, installed beside baton-worker), and a worker
# loads only the module of the executor it serves: an OCR worker maps
# tesseract's libraries, not the 150 behind OpenCV and libvips. The static
# library baton_local holds them all for the tests that run executors in
# their own process.

file(GLOB BATON_LOCAL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/executors/*.c)
list(REMOVE_ITEM BATON_LOCAL_SOURCES ${BATON_LIB_EXECUTOR_SOURCES}
     ${CMAKE_SOURCE_DIR}/executors/module.c)
add_library(baton_local STATIC ${BATON_LOCAL_SOURCES})
target_include_directories(baton_local PRIVATE ${BATON_GEN_DIR})

# Which executors this build has: BATON_LOCAL_<symbol> is set where the
# libraries of baton__executor_<symbol> were found (baton_local_found), and
# BATON_HAVE_<...> tells the code. apertium runs Debian's apertium programs
# and needs no library; passage, entities and sentiment need nothing.
set(BATON_LOCAL_apertium ON)
set(BATON_LOCAL_passage ON)
set(BATON_LOCAL_similarity ON) # no library either: word overlap
set(BATON_LOCAL_entities ON)
set(BATON_LOCAL_sentiment ON)
set(BATON_LOCAL_DEPS)
macro(baton_local_found symbol define)
  set(BATON_LOCAL_${symbol} ON)
  target_compile_definitions(baton_local PUBLIC ${define}=1)
  list(APPEND BATON_LOCAL_DEPS ${ARGN})
endmacro()
if(TESSERACT_FOUND)
  baton_local_found(tesseract BATON_HAVE_TESSERACT PkgConfig::TESSERACT)
endif()
if(ESPEAK_FOUND)
  baton_local_found(espeak BATON_HAVE_ESPEAK PkgConfig::ESPEAK)
endif()
if(OTS_FOUND)
  baton_local_found(ots BATON_HAVE_OTS PkgConfig::OTS)
endif()
if(SNDFILE_FOUND)
  baton_local_found(sndfile BATON_HAVE_SNDFILE PkgConfig::SNDFILE)
endif()
if(POCKETSPHINX_FOUND AND SNDFILE_FOUND)
  baton_local_found(pocketsphinx BATON_HAVE_POCKETSPHINX ${POCKETSPHINX_LINK_LIBRARIES})
  # Debian's pocketsphinx.pc names /usr/include/sphinxbase, which does not exist.
  foreach(dir ${POCKETSPHINX_INCLUDE_DIRS})
    if(EXISTS ${dir})
      target_include_directories(baton_local PRIVATE ${dir})
    endif()
  endforeach()
endif()
if(TEXTCAT_FOUND)
  baton_local_found(textcat BATON_HAVE_TEXTCAT PkgConfig::TEXTCAT)
endif()
if(VIPS_FOUND)
  baton_local_found(vips BATON_HAVE_VIPS PkgConfig::VIPS)
endif()
if(OpenCV_FOUND)
  baton_local_found(opencv BATON_HAVE_OPENCV
                    opencv_core opencv_imgproc opencv_imgcodecs opencv_objdetect)
  # OpenCV 4 has only a C++ API: one C++ file wraps it behind a C function.
  enable_language(CXX)
  set(CMAKE_CXX_STANDARD 17)
  target_sources(baton_local PRIVATE ${CMAKE_SOURCE_DIR}/executors/opencv_detect.cpp)
endif()
target_link_libraries(baton_local PUBLIC baton_internal ${BATON_LOCAL_DEPS})

# Every local executor as <symbol>:<name>:<its task kinds>, in the order
# `baton executors` lists them. The executors this build has become one
# module each and the X-macro list in gen/local_executors.h: executors/local.c's
# table, and what baton-worker knows before it loads a module (a queue worker
# serving other tasks loads none; a module serving other tasks is refused).
set(BATON_LOCAL_ORDER
    tesseract:tesseract:image-to-text
    espeak:espeak-ng:text-to-speech
    ots:ots:summarization
    apertium:apertium:translation
    passage:passage:question-answering
    similarity:similarity:sentence-similarity
    entities:entities:token-classification
    pocketsphinx:pocketsphinx:automatic-speech-recognition
    textcat:textcat:text-classification
    sentiment:sentiment:text-classification
    vips:vips:image-to-image,canny-control,image-information
    opencv:opencv:object-detection
    sndfile:sndfile:audio-to-audio,audio-information)
set(BATON_LOCAL_MODULES)
set(BATON_LOCAL_XLIST "")
foreach(entry ${BATON_LOCAL_ORDER})
  string(REPLACE ":" ";" parts ${entry})
  list(GET parts 0 symbol)
  list(GET parts 1 name)
  list(GET parts 2 tasks)
  if(NOT BATON_LOCAL_${symbol})
    continue()
  endif()
  string(APPEND BATON_LOCAL_XLIST " \\\n  X(${symbol}, \"${name}\", \"${tasks}\")")
  set(module baton_module_${symbol})
  list(APPEND BATON_LOCAL_MODULES ${module})
  add_library(${module} MODULE ${CMAKE_SOURCE_DIR}/executors/module.c)
  target_compile_definitions(${module} PRIVATE BATON_MODULE_EXECUTOR=baton__executor_${symbol}
                             BATON_VERSION_STRING="${PROJECT_VERSION}")
  # The executor's objects and their libraries, nothing else (--as-needed);
  # the module exports its entry point only (--exclude-libs hides the copy
  # of libbaton's insides it carries).
  target_link_options(${module} PRIVATE "LINKER:--as-needed" "LINKER:--exclude-libs,ALL"
                      "LINKER:--gc-sections")
  target_link_libraries(${module} PRIVATE baton_local baton_internal)
  set_target_properties(${module} PROPERTIES PREFIX "" OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/executors C_VISIBILITY_PRESET hidden)
  install(TARGETS ${module} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/baton/executors)
endforeach()
file(CONFIGURE OUTPUT ${BATON_GEN_DIR}/local_executors.h CONTENT
"/* local_executors.h — generated by cmake/local_executors.cmake: the local
 * executors this build has, as X(symbol, \"name\", \"task,task\"), in
 * listing order. */
#define BATON__LOCAL_EXECUTORS(X)${BATON_LOCAL_XLIST}
")
