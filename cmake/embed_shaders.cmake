# Embeds each shaders/*.glsl as a C++ raw string constant: shaders/heatmap.frag.glsl ->
# genlab::shaders::heatmap_frag. Run with -DOUT=<header> -DSOURCES="<a;b;...>".
string(REPLACE " " ";" SOURCES "${SOURCES}")
set(text "// Generated from shaders/*.glsl by cmake/embed_shaders.cmake. Do not edit.\n#pragma once\nnamespace genlab::shaders {\n")
foreach(src IN LISTS SOURCES)
  get_filename_component(name "${src}" NAME)
  string(REGEX REPLACE "\\.glsl$" "" name "${name}")
  string(REPLACE "." "_" name "${name}")
  file(READ "${src}" body)
  string(APPEND text "inline constexpr const char* ${name} = R\"glsl(${body})glsl\";\n")
endforeach()
string(APPEND text "}  // namespace genlab::shaders\n")
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
