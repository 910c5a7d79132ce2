#include "heatmap.hpp"

#include "shaders.hpp"

namespace genlab {

Heatmap::~Heatmap() {
    if (values_tex_) glDeleteTextures(1, &values_tex_);
    if (colormap_tex_) glDeleteTextures(1, &colormap_tex_);
    if (program_) glDeleteProgram(program_);
    if (vao_) glDeleteVertexArrays(1, &vao_);
}

void Heatmap::set_values(int width, int height, const std::vector<float>& values) {
    if (width <= 0 || height <= 0 || values.size() != static_cast<size_t>(width) * height) return;
    width_ = width;
    height_ = height;
    pending_ = values;
    values_dirty_ = true;
}

void Heatmap::set_range(double vmin, double vmax, Colormap map) {
    const float lo = static_cast<float>(vmin), hi = static_cast<float>(vmax);
    if (lo == vmin_ && hi == vmax_ && map == map_) return;
    if (map != map_) colormap_dirty_ = true;
    vmin_ = lo;
    vmax_ = hi;
    map_ = map;
    shade_dirty_ = true;
}

void Heatmap::set_smooth(bool smooth) {
    if (smooth == smooth_) return;
    smooth_ = smooth;
    values_dirty_ = true;  // the filter is a texture parameter of both textures
}

void Heatmap::ensure_gl() {
    if (program_) return;
    program_ = make_program(shaders::fullscreen_vert, shaders::heatmap_frag);
    glGenVertexArrays(1, &vao_);
    glGenTextures(1, &values_tex_);
    glGenTextures(1, &colormap_tex_);
}

GLuint Heatmap::texture() {
    if (width_ == 0) return 0;
    ensure_gl();
    if (colormap_dirty_) {
        glBindTexture(GL_TEXTURE_2D, colormap_tex_);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 256, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                     colormap_table(map_).data());
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        colormap_dirty_ = false;
        shade_dirty_ = true;
    }
    if (values_dirty_) {
        glBindTexture(GL_TEXTURE_2D, values_tex_);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
        // Row 0 of `pending_` is the top; GL's row 0 is the bottom, so the shaded texture is
        // stored flipped, and canvases draw it with v running top to bottom (ImGui's UVs).
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, width_, height_, 0, GL_RED, GL_FLOAT,
                     pending_.data());
        const GLint filter = smooth_ ? GL_LINEAR : GL_NEAREST;
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        shaded_.resize(width_, height_);
        glBindTexture(GL_TEXTURE_2D, shaded_.texture());
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
        values_dirty_ = false;
        shade_dirty_ = true;
    }
    if (shade_dirty_) {
        BoundTarget bind(shaded_);
        GLint previous_program = 0, previous_vao = 0, previous_active = 0;
        glGetIntegerv(GL_CURRENT_PROGRAM, &previous_program);
        glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &previous_vao);
        glGetIntegerv(GL_ACTIVE_TEXTURE, &previous_active);
        const GLboolean blend = glIsEnabled(GL_BLEND), scissor = glIsEnabled(GL_SCISSOR_TEST);
        glDisable(GL_BLEND);
        glDisable(GL_SCISSOR_TEST);
        glUseProgram(program_);
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, values_tex_);
        glActiveTexture(GL_TEXTURE1);
        glBindTexture(GL_TEXTURE_2D, colormap_tex_);
        glUniform1i(glGetUniformLocation(program_, "values"), 0);
        glUniform1i(glGetUniformLocation(program_, "colormap"), 1);
        glUniform1f(glGetUniformLocation(program_, "vmin"), vmin_);
        glUniform1f(glGetUniformLocation(program_, "vmax"), vmax_);
        glUniform1f(glGetUniformLocation(program_, "opacity"), 1.0f);
        glBindVertexArray(vao_);
        glDrawArrays(GL_TRIANGLES, 0, 3);
        glBindVertexArray(static_cast<GLuint>(previous_vao));
        glUseProgram(static_cast<GLuint>(previous_program));
        glActiveTexture(static_cast<GLenum>(previous_active));
        if (blend) glEnable(GL_BLEND);
        if (scissor) glEnable(GL_SCISSOR_TEST);
        shade_dirty_ = false;
    }
    return shaded_.texture();
}

}  // namespace genlab
