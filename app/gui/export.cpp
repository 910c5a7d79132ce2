#include "export.hpp"

#include <stb_image_write.h>

#include "errors.hpp"
#include "files.hpp"

namespace genlab {

std::string encode_png(const Image& image) {
    std::string bytes;
    if (image.width <= 0 || image.height <= 0) return bytes;
    stbi_write_png_to_func(
        [](void* context, void* data, int size) {
            static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                                       static_cast<size_t>(size));
        },
        &bytes, image.width, image.height, 4, image.rgba.data(), image.width * 4);
    return bytes;
}

std::string write_png(const std::string& path, const Image& image, bool overwrite) {
    const std::string bytes = encode_png(image);
    if (bytes.empty())
        return "could not encode a " + std::to_string(image.width) + "x" +
               std::to_string(image.height) + " PNG";
    try {
        if (overwrite) {  // --screenshot: may be /dev/stdout or a FIFO
            write_output(path, bytes);
        } else {
            write_file_exclusive(path, bytes);
        }
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace genlab
