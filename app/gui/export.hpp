// PNG encoding and writing (stb_image_write from libstb-dev).
//
// Usage:
//   Image img = read_framebuffer(w, h);
//   std::string err = write_png(path, img, /*overwrite=*/false);  // "" on success
#pragma once

#include <string>

#include "gl.hpp"

namespace genlab {

std::string encode_png(const Image& image);

// Writes atomically. Without `overwrite` an existing file is an error (GUI exports); the CLI
// passes true for a path the user named explicitly. Returns "" or the error for the UI.
std::string write_png(const std::string& path, const Image& image, bool overwrite);

}  // namespace genlab
