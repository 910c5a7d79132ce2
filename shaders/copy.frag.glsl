#version 330 core
// A plain texture fetch and nothing else (see copy.vert.glsl).
in vec2 uv;
out vec4 colour;
uniform sampler2D image;
void main() { colour = texture(image, uv); }
