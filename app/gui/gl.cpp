#include "gl.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace genlab {

namespace {

GLuint compile(GLenum type, const char* src) {
    const GLuint shader = glCreateShader(type);
    glShaderSource(shader, 1, &src, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048] = {0};
        glGetShaderInfoLog(shader, sizeof log, nullptr, log);
        glDeleteShader(shader);
        throw std::runtime_error(std::string("shader compile failed: ") + log);
    }
    return shader;
}

}  // namespace

GLuint make_program(const char* vertex_src, const char* fragment_src) {
    const GLuint vs = compile(GL_VERTEX_SHADER, vertex_src);
    const GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_src);
    const GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048] = {0};
        glGetProgramInfoLog(program, sizeof log, nullptr, log);
        glDeleteProgram(program);
        throw std::runtime_error(std::string("shader link failed: ") + log);
    }
    return program;
}

int max_texture_size() {
    GLint size = 4096;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &size);
    return std::max(1, static_cast<int>(size));
}

RenderTarget::~RenderTarget() {
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
    if (texture_) glDeleteTextures(1, &texture_);
}

void RenderTarget::resize(int width, int height) {
    const int limit = max_texture_size();
    width = std::clamp(width, 1, limit);
    height = std::clamp(height, 1, limit);
    if (fbo_ && width == width_ && height == height_) return;
    if (!fbo_) {
        glGenFramebuffers(1, &fbo_);
        glGenTextures(1, &texture_);
    }
    width_ = width;
    height_ = height;
    glBindTexture(GL_TEXTURE_2D, texture_);
    // BGRA order: the layout of a window's pixels, so blits to the window can be plain copies.
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_BGRA, GL_UNSIGNED_BYTE, nullptr);
    note_texture_written(texture_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    GLint previous = 0;
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture_, 0);
    const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(previous));
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        throw std::runtime_error("offscreen framebuffer of " + std::to_string(width) + "x" +
                                 std::to_string(height) + " is incomplete");
    }
}

namespace {
std::unordered_map<GLuint, std::uint64_t>& texture_versions() {
    static std::unordered_map<GLuint, std::uint64_t> versions;
    return versions;
}
std::uint64_t g_texture_writes = 0;
}  // namespace

std::uint64_t texture_version(GLuint texture) {
    const auto it = texture_versions().find(texture);
    return it == texture_versions().end() ? 0 : it->second;
}

void note_texture_written(GLuint texture) { texture_versions()[texture] = ++g_texture_writes; }

BoundTarget::BoundTarget(const RenderTarget& target) {
    note_texture_written(target.texture());
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous_fbo_);
    glGetIntegerv(GL_VIEWPORT, previous_viewport_);
    glBindFramebuffer(GL_FRAMEBUFFER, target.framebuffer());
    glViewport(0, 0, target.width(), target.height());
}

BoundTarget::~BoundTarget() {
    glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(previous_fbo_));
    glViewport(previous_viewport_[0], previous_viewport_[1], previous_viewport_[2],
               previous_viewport_[3]);
}

Image read_framebuffer(int width, int height) {
    Image img;
    img.width = std::max(width, 0);
    img.height = std::max(height, 0);
    img.rgba.resize(static_cast<size_t>(img.width) * img.height * 4);
    if (img.rgba.empty()) return img;
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    std::vector<std::uint8_t> bottom_up(img.rgba.size());
    glReadPixels(0, 0, img.width, img.height, GL_RGBA, GL_UNSIGNED_BYTE, bottom_up.data());
    const size_t stride = static_cast<size_t>(img.width) * 4;
    for (int y = 0; y < img.height; ++y) {
        std::copy_n(bottom_up.data() + (img.height - 1 - y) * stride, stride,
                    img.rgba.data() + y * stride);
    }
    for (size_t i = 3; i < img.rgba.size(); i += 4) img.rgba[i] = 255;
    return img;
}

std::string gl_error_text() {
    const GLenum e = glGetError();
    if (e == GL_NO_ERROR) return "";
    // Drain the rest so the next call reports something new.
    for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; ++i) {
    }
    return "GL error 0x" + [&] {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04X", e);
        return std::string(buf);
    }();
}

}  // namespace genlab
