# GENLAB_SANITIZE: every target (C and C++, the app and its tests) is built with
# AddressSanitizer and UndefinedBehaviorSanitizer, and the first finding aborts the process
# (-fno-sanitize-recover=all), so a test that triggers one fails instead of printing a
# warning nobody reads. float-cast-overflow (a double too large for the int it is cast to)
# is named explicitly: the "undefined" group has it in clang 14, but not in every compiler.
if(NOT GENLAB_SANITIZE)
  return()
endif()
include(CheckCXXSourceCompiles)

set(GENLAB_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                          -fno-omit-frame-pointer)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=float-cast-overflow")
set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=float-cast-overflow")
check_cxx_source_compiles("int main() { return 0; }" GENLAB_HAVE_FLOAT_CAST_OVERFLOW)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(GENLAB_HAVE_FLOAT_CAST_OVERFLOW)
  list(APPEND GENLAB_SANITIZE_FLAGS -fsanitize=float-cast-overflow)
endif()
message(STATUS "GenLab sanitizers: ${GENLAB_SANITIZE_FLAGS}")
add_compile_options(${GENLAB_SANITIZE_FLAGS})
add_link_options(${GENLAB_SANITIZE_FLAGS})
