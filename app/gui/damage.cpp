// See damage.hpp.
//
// [SECTION] Snapshots of draw lists
// [SECTION] Finding the damage
// [SECTION] Rendering the damage
#include "damage.hpp"

// clang-format off
#include <glad/gl.h>
// clang-format on
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "shaders.hpp"

namespace genlab {

//-----------------------------------------------------------------------------
// [SECTION] Snapshots of draw lists
//-----------------------------------------------------------------------------

namespace {

struct CmdSnap {
    ImVec4 clip;
    ImTextureID texture;
    ImDrawCallback callback;
    void* callback_data;
    unsigned vtx_offset, idx_offset, elem_count;
    std::uint64_t texture_version;
};

struct ListSnap {
    std::string owner;
    std::vector<ImDrawVert> vtx;
    std::vector<ImDrawIdx> idx;
    std::vector<CmdSnap> cmds;
};

// A view of one command's triangles, in either the snapshot or the live draw list.
struct Triangles {
    const ImDrawVert* vtx;
    const ImDrawIdx* idx;  // already offset to the command's first index
    unsigned vtx_offset, count;
    const ImDrawVert& vertex(unsigned tri, int corner) const {
        return vtx[vtx_offset + idx[tri * 3 + corner]];
    }
    bool same(unsigned tri, const Triangles& other, unsigned other_tri) const {
        for (int c = 0; c < 3; ++c) {
            if (std::memcmp(&vertex(tri, c), &other.vertex(other_tri, c), sizeof(ImDrawVert)))
                return false;
        }
        return true;
    }
    ImVec4 bounds(unsigned first, unsigned end) const {
        ImVec4 b(FLT_MAX, FLT_MAX, -FLT_MAX, -FLT_MAX);
        for (unsigned t = first; t < end; ++t) {
            for (int c = 0; c < 3; ++c) {
                const ImVec2 p = vertex(t, c).pos;
                b = ImVec4(std::min(b.x, p.x), std::min(b.y, p.y), std::max(b.z, p.x),
                           std::max(b.w, p.y));
            }
        }
        return b;
    }
};

std::uint64_t texture_version_of(ImTextureID id) {
    return texture_version(static_cast<GLuint>(reinterpret_cast<intptr_t>(id)));
}

CmdSnap snap_of(const ImDrawCmd& c) {
    return {c.ClipRect,  c.TextureId, c.UserCallback, c.UserCallbackData,
            c.VtxOffset, c.IdxOffset, c.ElemCount,    texture_version_of(c.TextureId)};
}

std::vector<CmdSnap> snaps_of(const ImDrawList& list) {
    std::vector<CmdSnap> cmds;
    for (const ImDrawCmd& c : list.CmdBuffer) cmds.push_back(snap_of(c));
    return cmds;
}

ImVec4 intersect(ImVec4 a, ImVec4 b) {
    return ImVec4(std::max(a.x, b.x), std::max(a.y, b.y), std::min(a.z, b.z), std::min(a.w, b.w));
}
bool empty(ImVec4 r) { return r.z <= r.x || r.w <= r.y; }
float area(ImVec4 r) { return empty(r) ? 0 : (r.z - r.x) * (r.w - r.y); }
ImVec4 unite(ImVec4 a, ImVec4 b) {
    return ImVec4(std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.z, b.z), std::max(a.w, b.w));
}

}  // namespace

struct DamageRenderer::Snapshot {
    std::vector<ListSnap> lists;
    ImVec2 display_pos, display_size, fb_scale;
};

DamageRenderer::DamageRenderer(const char* gl_renderer) {
    const char* verify = std::getenv("GENLAB_TEST_VERIFY_DAMAGE");
    verify_ = verify && *verify && std::strcmp(verify, "0") != 0;
    // Mesa's software rasterizers copy the back buffer to the window on a swap and keep it, so
    // the window's own back buffer can hold the previous frame; GPU drivers flip buffers.
    const std::string renderer = gl_renderer ? gl_renderer : "";
    const bool keeps_back_buffer = renderer.find("llvmpipe") != std::string::npos ||
                                   renderer.find("softpipe") != std::string::npos;
    mode_ = keeps_back_buffer ? Mode::Direct : Mode::Offscreen;
    const char* forced = std::getenv("GENLAB_DAMAGE");
    if (forced && std::strcmp(forced, "off") == 0) mode_ = Mode::Off;
    if (forced && std::strcmp(forced, "offscreen") == 0) mode_ = Mode::Offscreen;
    if (forced && std::strcmp(forced, "direct") == 0) mode_ = Mode::Direct;
}
DamageRenderer::~DamageRenderer() {
    if (copy_program_) glDeleteProgram(copy_program_);
    if (copy_vao_) glDeleteVertexArrays(1, &copy_vao_);
}

void DamageRenderer::remember(const ImDrawData& data) {
    if (!previous_) previous_ = std::make_unique<Snapshot>();
    Snapshot& s = *previous_;
    s.display_pos = data.DisplayPos;
    s.display_size = data.DisplaySize;
    s.fb_scale = data.FramebufferScale;
    s.lists.resize(static_cast<size_t>(data.CmdListsCount));
    for (int l = 0; l < data.CmdListsCount; ++l) {
        const ImDrawList& list = *data.CmdLists[l];
        ListSnap& snap = s.lists[static_cast<size_t>(l)];
        snap.owner = list._OwnerName ? list._OwnerName : "";
        snap.vtx.assign(list.VtxBuffer.begin(), list.VtxBuffer.end());
        snap.idx.assign(list.IdxBuffer.begin(), list.IdxBuffer.end());
        snap.cmds = snaps_of(list);
    }
}

//-----------------------------------------------------------------------------
// [SECTION] Finding the damage
//-----------------------------------------------------------------------------

namespace {

struct DamageSink {
    std::vector<ImVec4> rects;
    void add(ImVec4 r) {
        if (!empty(r)) rects.push_back(r);
    }
    void add_all(const ImDrawVert* vtx, const ImDrawIdx* idx, const std::vector<CmdSnap>& cmds) {
        for (const CmdSnap& c : cmds) add_cmd(vtx, idx, c);
    }
    void add_all(const ListSnap& l) { add_all(l.vtx.data(), l.idx.data(), l.cmds); }
    void add_cmd(const ImDrawVert* vtx, const ImDrawIdx* idx, const CmdSnap& c) {
        if (c.callback) return;
        const Triangles t{vtx, idx + c.idx_offset, c.vtx_offset, c.elem_count / 3};
        add(intersect(c.clip, t.bounds(0, t.count)));
    }
};

// The triangles of one command that differ: everything between the common prefix and suffix.
void diff_command(const ListSnap& old_list, const CmdSnap& o, const ImDrawList& list,
                  const CmdSnap& n, DamageSink& sink) {
    const bool same_kind = o.clip.x == n.clip.x && o.clip.y == n.clip.y && o.clip.z == n.clip.z &&
                           o.clip.w == n.clip.w && o.texture == n.texture &&
                           o.callback == n.callback && o.callback_data == n.callback_data &&
                           o.texture_version == n.texture_version;
    if (!same_kind) {
        sink.add_cmd(old_list.vtx.data(), old_list.idx.data(), o);
        sink.add_cmd(list.VtxBuffer.Data, list.IdxBuffer.Data, n);
        return;
    }
    if (o.callback) return;
    const Triangles a{old_list.vtx.data(), old_list.idx.data() + o.idx_offset, o.vtx_offset,
                      o.elem_count / 3};
    const Triangles b{list.VtxBuffer.Data, list.IdxBuffer.Data + n.idx_offset, n.vtx_offset,
                      n.elem_count / 3};
    const unsigned common = std::min(a.count, b.count);
    unsigned prefix = 0, suffix = 0;
    while (prefix < common && a.same(prefix, b, prefix)) ++prefix;
    while (suffix < common - prefix && a.same(a.count - 1 - suffix, b, b.count - 1 - suffix))
        ++suffix;
    if (prefix == a.count && prefix == b.count) return;
    sink.add(intersect(o.clip, a.bounds(prefix, a.count - suffix)));
    sink.add(intersect(n.clip, b.bounds(prefix, b.count - suffix)));
}

// Few rectangles: each costs a replay of the frame. Overlapping ones merge; past `most`, the
// pair whose union wastes least merges.
std::vector<ImVec4> merge_rects(std::vector<ImVec4> rects, size_t most) {
    bool merged = true;
    while (merged) {
        merged = false;
        for (size_t i = 0; i < rects.size() && !merged; ++i) {
            for (size_t j = i + 1; j < rects.size() && !merged; ++j) {
                if (!empty(intersect(rects[i], rects[j]))) {
                    rects[i] = unite(rects[i], rects[j]);
                    rects.erase(rects.begin() + static_cast<long>(j));
                    merged = true;
                }
            }
        }
    }
    while (rects.size() > most) {
        size_t bi = 0, bj = 1;
        float best = FLT_MAX;
        for (size_t i = 0; i < rects.size(); ++i) {
            for (size_t j = i + 1; j < rects.size(); ++j) {
                const float waste =
                    area(unite(rects[i], rects[j])) - area(rects[i]) - area(rects[j]);
                if (waste < best) best = waste, bi = i, bj = j;
            }
        }
        rects[bi] = unite(rects[bi], rects[bj]);
        rects.erase(rects.begin() + static_cast<long>(bj));
    }
    return rects;
}

}  // namespace

std::vector<ImVec4> DamageRenderer::find_damage(const ImDrawData& data) const {
    const ImVec4 everything(data.DisplayPos.x, data.DisplayPos.y,
                            data.DisplayPos.x + data.DisplaySize.x,
                            data.DisplayPos.y + data.DisplaySize.y);
    const Snapshot* prev = previous_.get();
    if (full_ || !prev || prev->display_pos.x != data.DisplayPos.x ||
        prev->display_pos.y != data.DisplayPos.y || prev->display_size.x != data.DisplaySize.x ||
        prev->display_size.y != data.DisplaySize.y || prev->fb_scale.x != data.FramebufferScale.x) {
        return {everything};
    }
    std::map<std::string, size_t> old_index;
    for (size_t i = 0; i < prev->lists.size(); ++i) old_index[prev->lists[i].owner] = i;
    if (old_index.size() != prev->lists.size()) return {everything};  // ambiguous owners
    DamageSink sink;
    std::vector<bool> matched(prev->lists.size(), false);
    long last_matched = -1;
    for (int l = 0; l < data.CmdListsCount; ++l) {
        const ImDrawList& list = *data.CmdLists[l];
        const auto it = old_index.find(list._OwnerName ? list._OwnerName : "");
        const std::vector<CmdSnap> cmds = snaps_of(list);
        if (it == old_index.end() || matched[it->second]) {  // a new window
            sink.add_all(list.VtxBuffer.Data, list.IdxBuffer.Data, cmds);
            continue;
        }
        // Windows that swapped places in the z-order change what covers what.
        if (static_cast<long>(it->second) < last_matched) return {everything};
        last_matched = static_cast<long>(it->second);
        matched[it->second] = true;
        const ListSnap& old_list = prev->lists[it->second];
        if (old_list.cmds.size() != cmds.size()) {
            sink.add_all(old_list);
            sink.add_all(list.VtxBuffer.Data, list.IdxBuffer.Data, cmds);
            continue;
        }
        for (size_t c = 0; c < cmds.size(); ++c)
            diff_command(old_list, old_list.cmds[c], list, cmds[c], sink);
    }
    for (size_t i = 0; i < prev->lists.size(); ++i) {  // windows that closed
        if (!matched[i]) sink.add_all(prev->lists[i]);
    }
    // Whole pixels, one pixel of margin for rounding, inside the display.
    for (ImVec4& r : sink.rects) {
        r = intersect(ImVec4(std::floor(r.x) - 1, std::floor(r.y) - 1, std::ceil(r.z) + 1,
                             std::ceil(r.w) + 1),
                      everything);
    }
    sink.rects.erase(std::remove_if(sink.rects.begin(), sink.rects.end(), empty), sink.rects.end());
    std::vector<ImVec4> rects = merge_rects(sink.rects, 8);
    float total = 0;
    for (const ImVec4& r : rects) total += area(r);
    if (total > 0.6f * area(everything)) return {everything};  // one pass is cheaper
    return rects;
}

//-----------------------------------------------------------------------------
// [SECTION] Rendering the damage
//-----------------------------------------------------------------------------

namespace {

// The clip rectangle that makes ImGui's GL backend scissor exactly the pixels that `clip`
// scissors, within the damaged rectangle `damage` (whole pixels). The backend truncates the
// origin and the size separately, so a clip rectangle cannot simply be intersected in floats:
// that can move a scissor edge by a pixel. Framebuffer scale 1 (see render()).
ImVec4 clip_to_damage(ImVec4 clip, ImVec4 damage, ImVec2 display_pos, int fb_h) {
    const ImVec2 lo(clip.x - display_pos.x, clip.y - display_pos.y);
    const ImVec2 hi(clip.z - display_pos.x, clip.w - display_pos.y);
    if (hi.x <= lo.x || hi.y <= lo.y) return clip;  // the backend skips it anyway
    // The backend: glScissor((int)lo.x, (int)(fb_h - hi.y), (int)(hi.x - lo.x), (int)(hi.y -
    // lo.y)).
    const int x0 = static_cast<int>(lo.x), x1 = x0 + static_cast<int>(hi.x - lo.x);
    const int bottom = fb_h - static_cast<int>(static_cast<float>(fb_h) - hi.y);
    const int top = bottom - static_cast<int>(hi.y - lo.y);
    const int dx0 = static_cast<int>(damage.x - display_pos.x);
    const int dx1 = static_cast<int>(damage.z - display_pos.x);
    const int dy0 = static_cast<int>(damage.y - display_pos.y);
    const int dy1 = static_cast<int>(damage.w - display_pos.y);
    const int cx0 = std::max(x0, dx0), cx1 = std::min(x1, dx1);
    const int cy0 = std::max(top, dy0), cy1 = std::min(bottom, dy1);
    if (cx1 <= cx0 || cy1 <= cy0) return ImVec4(0, 0, 0, 0);
    return ImVec4(cx0 + display_pos.x, cy0 + display_pos.y, cx1 + display_pos.x,
                  cy1 + display_pos.y);
}

}  // namespace

void DamageRenderer::draw_clipped(ImDrawData* data, const std::vector<ImVec4>& rects,
                                  ImVec4 clear) {
    const ImVec2 pos = data->DisplayPos, scale = data->FramebufferScale;
    const int fb_h = fb_height_;
    glEnable(GL_SCISSOR_TEST);
    glClearColor(clear.x, clear.y, clear.z, clear.w);
    for (const ImVec4& r : rects) {
        const int x0 = static_cast<int>((r.x - pos.x) * scale.x);
        const int y0 = static_cast<int>((r.y - pos.y) * scale.y);
        const int x1 = static_cast<int>(std::ceil((r.z - pos.x) * scale.x));
        const int y1 = static_cast<int>(std::ceil((r.w - pos.y) * scale.y));
        glScissor(x0, fb_h - y1, x1 - x0, y1 - y0);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glDisable(GL_SCISSOR_TEST);
    std::vector<ImVec4> saved;
    for (int l = 0; l < data->CmdListsCount; ++l) {
        for (const ImDrawCmd& c : data->CmdLists[l]->CmdBuffer) saved.push_back(c.ClipRect);
    }
    const bool whole =
        rects.size() == 1 && area(rects[0]) >= data->DisplaySize.x * data->DisplaySize.y;
    for (const ImVec4& r : rects) {
        size_t k = 0;
        for (int l = 0; l < data->CmdListsCount && !whole; ++l) {
            for (ImDrawCmd& c : data->CmdLists[l]->CmdBuffer)
                c.ClipRect = clip_to_damage(saved[k++], r, pos, fb_h);
        }
        ImGui_ImplOpenGL3_RenderDrawData(data);
    }
    size_t k = 0;
    for (int l = 0; l < data->CmdListsCount; ++l) {
        for (ImDrawCmd& c : data->CmdLists[l]->CmdBuffer) c.ClipRect = saved[k++];
    }
}

// Verify mode: the frame as drawn, against the same frame drawn whole into the same kind of
// target (a window and a texture may round a few blended pixels differently).
void DamageRenderer::verify(ImDrawData* data, ImVec4 clear) {
    const auto draw_whole = [&] {
        glClearColor(clear.x, clear.y, clear.z, clear.w);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(data);
        return read_framebuffer(fb_width_, fb_height_);
    };
    Image partial, full;
    if (mode_ == Mode::Offscreen) {
        if (!reference_) reference_ = std::make_unique<RenderTarget>();
        reference_->resize(fb_width_, fb_height_);
        {
            BoundTarget bind(image_);
            partial = read_framebuffer(fb_width_, fb_height_);
        }
        BoundTarget bind(*reference_);
        full = draw_whole();
    } else {  // the whole frame replaces the partial one in the back buffer: same pixels if right
        partial = read_framebuffer(fb_width_, fb_height_);
        full = draw_whole();
    }
    long differ = 0;
    for (size_t i = 0; i + 3 < full.rgba.size(); i += 4) {
        differ += std::memcmp(&full.rgba[i], &partial.rgba[i], 3) != 0;
    }
    stats_.verify_mismatches += differ;
}

void DamageRenderer::render(ImDrawData* data, int fb_width, int fb_height, ImVec4 clear) {
    if (fb_width_ != fb_width || fb_height_ != fb_height || mode_ == Mode::Off) full_ = true;
    fb_width_ = fb_width;
    fb_height_ = fb_height;
    const std::vector<ImVec4> rects = find_damage(*data);
    if (mode_ == Mode::Offscreen) {
        image_.resize(fb_width, fb_height);
        BoundTarget bind(image_);
        draw_clipped(data, rects, clear);
    } else {
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        glViewport(0, 0, fb_width, fb_height);
        draw_clipped(data, rects, clear);
    }
    if (verify_) verify(data, clear);
    remember(*data);
    full_ = false;
    float damaged = 0;
    for (const ImVec4& r : rects) damaged += area(r);
    stats_.fraction = damaged / std::max(1.0f, data->DisplaySize.x * data->DisplaySize.y);
    stats_.rects = static_cast<int>(rects.size());
    if (mode_ == Mode::Offscreen) present(fb_width, fb_height);
}

// Copies the image to the window. Not glBlitFramebuffer: Mesa's software rasterizer runs that
// through a general shader (~14 ms of CPU at 1600x1000), while a textured rectangle with a bare
// fetch, no blending and nearest sampling takes its copy path (~1 ms).
void DamageRenderer::present(int fb_width, int fb_height) {
    if (!copy_program_) {
        copy_program_ = make_program(shaders::copy_vert, shaders::copy_frag);
        glGenVertexArrays(1, &copy_vao_);
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, fb_width, fb_height);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(copy_program_);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, image_.texture());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glUniform1i(glGetUniformLocation(copy_program_, "image"), 0);
    glBindVertexArray(copy_vao_);
    glDrawArrays(GL_TRIANGLES, 0, 6);
    glBindVertexArray(0);
    glUseProgram(0);
}

}  // namespace genlab
