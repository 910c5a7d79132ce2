#version 330 core
// Colormaps a scalar field: values (R32F, one texel per sample) -> RGBA through a 256-entry
// colormap texture. Non-finite samples are transparent, so a NaN never paints a colour.
in vec2 uv;
out vec4 color;
uniform sampler2D values;
uniform sampler2D colormap;
uniform float vmin;
uniform float vmax;
uniform float opacity;
void main() {
    float v = texture(values, uv).r;
    if (isnan(v) || isinf(v)) { color = vec4(0.0); return; }
    float t = clamp((v - vmin) / max(vmax - vmin, 1e-30), 0.0, 1.0);
    color = vec4(texture(colormap, vec2(t * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb, opacity);
}
