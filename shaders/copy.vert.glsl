#version 330 core
// Two triangles that cover the viewport exactly, texel for pixel: an axis-aligned rectangle is
// what lets Mesa's llvmpipe copy it with its linear (memcpy-speed) path.
out vec2 uv;
void main() {
    const vec2 corners[6] = vec2[6](vec2(0, 0), vec2(1, 0), vec2(0, 1),
                                    vec2(0, 1), vec2(1, 0), vec2(1, 1));
    uv = corners[gl_VertexID];
    gl_Position = vec4(uv * 2.0 - 1.0, 0.0, 1.0);
}
