// Small OpenGL 3.3 helpers: programs, textures, offscreen render targets, readback.
//
// Usage:
//   RenderTarget target;
//   target.resize(w, h);             // RGBA8 colour texture + FBO
//   { BoundTarget bind(target); ... draw ... }   // restores the previous FBO and viewport
//   Image img = read_framebuffer(w, h);          // rows top-first, alpha 255
#pragma once

#include <glad/gl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace genlab {

struct Image {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgba;  // width*height*4, first row is the top
};

// Compiles and links; throws std::runtime_error with the GL log on failure.
GLuint make_program(const char* vertex_src, const char* fragment_src);

class RenderTarget {
  public:
    RenderTarget() = default;
    RenderTarget(const RenderTarget&) = delete;
    RenderTarget& operator=(const RenderTarget&) = delete;
    ~RenderTarget();
    // (Re)allocates when the size changes; sides are clamped to [1, GL_MAX_TEXTURE_SIZE].
    void resize(int width, int height);
    GLuint texture() const { return texture_; }
    GLuint framebuffer() const { return fbo_; }
    int width() const { return width_; }
    int height() const { return height_; }

  private:
    GLuint fbo_ = 0, texture_ = 0;
    int width_ = 0, height_ = 0;
};

// Binds a target and its viewport for a scope, then restores what was bound.
class BoundTarget {
  public:
    explicit BoundTarget(const RenderTarget& target);
    ~BoundTarget();

  private:
    GLint previous_fbo_ = 0;
    GLint previous_viewport_[4] = {0, 0, 0, 0};
};

// Reads the bound framebuffer's colour: GL_PACK_ALIGNMENT 1, rows flipped to top-first,
// alpha forced to 255 (window alpha is meaningless in a PNG).
Image read_framebuffer(int width, int height);

int max_texture_size();

// Content versions of textures that are drawn into (render targets): bumped whenever a target
// is (re)allocated or bound for drawing, so the damage tracker (damage.hpp) knows that what
// shows the texture must be redrawn even though its draw commands did not change.
std::uint64_t texture_version(GLuint texture);
void note_texture_written(GLuint texture);

// The first GL error since the last call, as text ("" when none); for logs and tests.
std::string gl_error_text();

}  // namespace genlab
