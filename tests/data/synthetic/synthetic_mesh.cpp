// write_box_mesh: tiny text meshes (and a glTF with an embedded PNG) for the mesh packer's tests.
#include <array>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "data/media/image_encode.h"
#include "data/synthetic/synthetic_media.h"

namespace tetra::data {
namespace {

struct Box {
  std::vector<std::array<float, 3>> corners;
  std::vector<std::array<int, 3>> triangles;
};

Box MakeBox(float hx, float hy, float hz) {
  Box box;
  for (int i = 0; i < 8; ++i) {
    box.corners.push_back({i & 1 ? hx : -hx, i & 2 ? hy : -hy, i & 4 ? hz : -hz});
  }
  // Two triangles per face, corner index bits (x=1, y=2, z=4).
  const int faces[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                           {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  for (const auto& f : faces) {
    box.triangles.push_back({f[0], f[1], f[2]});
    box.triangles.push_back({f[0], f[2], f[3]});
  }
  return box;
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string Obj(const Box& box) {
  std::ostringstream s;
  for (const auto& c : box.corners) s << "v " << c[0] << " " << c[1] << " " << c[2] << "\n";
  for (const auto& t : box.triangles) s << "f " << t[0] + 1 << " " << t[1] + 1 << " " << t[2] + 1 << "\n";
  return s.str();
}

std::string Off(const Box& box) {
  std::ostringstream s;
  s << "OFF\n" << box.corners.size() << " " << box.triangles.size() << " 0\n";
  for (const auto& c : box.corners) s << c[0] << " " << c[1] << " " << c[2] << "\n";
  for (const auto& t : box.triangles) s << "3 " << t[0] << " " << t[1] << " " << t[2] << "\n";
  return s.str();
}

std::string Ply(const Box& box, const uint8_t rgb[3]) {
  std::ostringstream s;
  s << "ply\nformat ascii 1.0\nelement vertex " << box.corners.size()
    << "\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\n"
       "property uchar green\nproperty uchar blue\nelement face "
    << box.triangles.size() << "\nproperty list uchar int vertex_indices\nend_header\n";
  for (const auto& c : box.corners) {
    s << c[0] << " " << c[1] << " " << c[2] << " " << int{rgb[0]} << " " << int{rgb[1]} << " "
      << int{rgb[2]} << "\n";
  }
  for (const auto& t : box.triangles) s << "3 " << t[0] << " " << t[1] << " " << t[2] << "\n";
  return s.str();
}

// Non-indexed triangles (3 vertices each) with positions and UVs in one base64 buffer.
absl::StatusOr<std::string> Gltf(const Box& box, const uint8_t rgb[3]) {
  std::vector<float> values;
  for (const auto& t : box.triangles) {
    for (int k = 0; k < 3; ++k) {
      const auto& c = box.corners[t[k]];
      values.insert(values.end(), {c[0], c[1], c[2]});
    }
  }
  const size_t positions_bytes = values.size() * sizeof(float);
  for (size_t v = 0; v < box.triangles.size() * 3; ++v) values.insert(values.end(), {0.5f, 0.5f});
  const size_t uv_bytes = values.size() * sizeof(float) - positions_bytes;
  const std::string buffer(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  const Image texture{4, 4, std::vector<uint8_t>{}};
  Image pixels = texture;
  for (int i = 0; i < 16; ++i) pixels.rgb.insert(pixels.rgb.end(), {rgb[0], rgb[1], rgb[2]});
  absl::StatusOr<std::vector<uint8_t>> png = encode_png_bytes(pixels);
  if (!png.ok()) return png.status();
  const size_t count = box.triangles.size() * 3;
  return absl::StrCat(
      R"({"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],)",
      R"("meshes":[{"primitives":[{"attributes":{"POSITION":0,"TEXCOORD_0":1},"material":0}]}],)",
      R"("materials":[{"name":"painted","pbrMetallicRoughness":{"baseColorTexture":{"index":0}}}],)",
      R"("textures":[{"source":0}],"images":[{"uri":"data:image/png;base64,)",
      absl::Base64Escape(std::string(png->begin(), png->end())), R"("}],)",
      R"("buffers":[{"byteLength":)", buffer.size(),
      R"(,"uri":"data:application/octet-stream;base64,)", absl::Base64Escape(buffer), R"("}],)",
      R"("bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":)", positions_bytes,
      R"(},{"buffer":0,"byteOffset":)", positions_bytes, R"(,"byteLength":)", uv_bytes, R"(}],)",
      R"("accessors":[{"bufferView":0,"componentType":5126,"count":)", count,
      R"(,"type":"VEC3","min":[)", -box.corners[7][0], ",", -box.corners[7][1], ",",
      -box.corners[7][2], "],\"max\":[", box.corners[7][0], ",", box.corners[7][1], ",",
      box.corners[7][2], R"(]},{"bufferView":1,"componentType":5126,"count":)", count,
      R"(,"type":"VEC2"}]})");
}

}  // namespace

absl::Status write_box_mesh(const std::string& path, BoxFile format, float half_x, float half_y,
                          float half_z, const uint8_t rgb[3]) {
  const Box box = MakeBox(half_x, half_y, half_z);
  switch (format) {
    case BoxFile::kObj:
      return WriteText(path, Obj(box));
    case BoxFile::kOff:
      return WriteText(path, Off(box));
    case BoxFile::kPlyColoured:
      return WriteText(path, Ply(box, rgb));
    case BoxFile::kGltfTextured: {
      absl::StatusOr<std::string> text = Gltf(box, rgb);
      if (!text.ok()) return text.status();
      return WriteText(path, *text);
    }
  }
  return absl::InvalidArgumentError("unknown box format");
}

}  // namespace tetra::data
