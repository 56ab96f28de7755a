#include "data/media/mesh_io.h"

#include <assimp/material.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <algorithm>
#include <assimp/Importer.hpp>
#include <cmath>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

constexpr float kShadedGrey = 0.8f;

absl::StatusOr<Image> load_texture(const aiScene& scene, const aiString& name,
                                  const std::string& mesh_path) {
  if (const aiTexture* embedded = scene.GetEmbeddedTexture(name.C_Str())) {
    if (embedded->mHeight == 0) {  // a compressed file (PNG/JPEG) held in memory
      return decode_image(reinterpret_cast<const uint8_t*>(embedded->pcData), embedded->mWidth,
                         absl::StrCat(mesh_path, " texture ", name.C_Str()));
    }
    Image image{embedded->mHeight, embedded->mWidth, {}};
    image.rgb.reserve(static_cast<size_t>(image.height * image.width * 3));
    for (unsigned i = 0; i < embedded->mWidth * embedded->mHeight; ++i) {
      const aiTexel& t = embedded->pcData[i];
      image.rgb.insert(image.rgb.end(), {t.r, t.g, t.b});
    }
    return image;
  }
  const std::filesystem::path file =
      std::filesystem::path(mesh_path).parent_path() / std::string(name.C_Str());
  return read_image_file(file.string());
}

// The texture (index into mesh->textures, -1 for none) and flat colour of one assimp material.
struct MaterialLook {
  int32_t texture = -1;
  Vec3 colour{kShadedGrey, kShadedGrey, kShadedGrey};
  bool has_colour = false;
};

MaterialLook read_material(const aiScene& scene, const aiMaterial& material,
                          const std::string& path, TriangleMesh* mesh) {
  MaterialLook look;
  aiString name;
  for (aiTextureType type : {aiTextureType_BASE_COLOR, aiTextureType_DIFFUSE}) {
    if (material.GetTexture(type, 0, &name) != AI_SUCCESS) continue;
    absl::StatusOr<Image> texture = load_texture(scene, name, path);
    if (!texture.ok()) continue;  // a missing texture file leaves the flat colour
    mesh->textures.push_back(std::move(*texture));
    look.texture = static_cast<int32_t>(mesh->textures.size() - 1);
    break;
  }
  aiColor4D diffuse;
  aiString material_name;
  material.Get(AI_MATKEY_NAME, material_name);
  // assimp invents "DefaultMaterial" (OBJ) or an unnamed material (OFF), grey 0.6, for files
  // without one: that is no colour.
  const std::string material_label = material_name.C_Str();
  if (!material_label.empty() && material_label != AI_DEFAULT_MATERIAL_NAME &&
      (material.Get(AI_MATKEY_BASE_COLOR, diffuse) == AI_SUCCESS ||
       material.Get(AI_MATKEY_COLOR_DIFFUSE, diffuse) == AI_SUCCESS)) {
    look.colour = {std::clamp(diffuse.r, 0.0f, 1.0f), std::clamp(diffuse.g, 0.0f, 1.0f),
                   std::clamp(diffuse.b, 0.0f, 1.0f)};
    look.has_colour = true;
  }
  return look;
}

void append_mesh(const aiMesh& m, const MaterialLook& look, TriangleMesh* out, bool* textured,
                bool* vertex_coloured) {
  const uint32_t base = static_cast<uint32_t>(out->positions.size());
  const bool use_texture = look.texture >= 0 && m.HasTextureCoords(0);
  const bool use_colours = !use_texture && m.HasVertexColors(0);
  *textured = *textured || use_texture;
  *vertex_coloured = *vertex_coloured || use_colours;
  for (unsigned i = 0; i < m.mNumVertices; ++i) {
    out->positions.push_back({m.mVertices[i].x, m.mVertices[i].y, m.mVertices[i].z});
    const aiVector3D n = m.HasNormals() ? m.mNormals[i] : aiVector3D(0, 0, 1);
    out->normals.push_back({n.x, n.y, n.z});
    if (use_colours) {
      const aiColor4D& c = m.mColors[0][i];
      out->colours.push_back({std::clamp(c.r, 0.f, 1.f), std::clamp(c.g, 0.f, 1.f),
                              std::clamp(c.b, 0.f, 1.f)});
    } else {
      out->colours.push_back(look.colour);
    }
    out->uvs.push_back(use_texture ? std::array<float, 2>{m.mTextureCoords[0][i].x,
                                                          m.mTextureCoords[0][i].y}
                                   : std::array<float, 2>{0, 0});
  }
  for (unsigned f = 0; f < m.mNumFaces; ++f) {
    const aiFace& face = m.mFaces[f];
    if (face.mNumIndices != 3) continue;  // points and lines left over after triangulation
    out->faces.push_back({base + face.mIndices[0], base + face.mIndices[1], base + face.mIndices[2]});
    out->face_texture.push_back(use_texture ? look.texture : -1);
  }
}

absl::Status normalise(TriangleMesh* mesh, const std::string& path) {
  Vec3 lo{std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
          std::numeric_limits<float>::max()};
  Vec3 hi{-lo[0], -lo[1], -lo[2]};
  for (const Vec3& p : mesh->positions) {
    for (int a = 0; a < 3; ++a) {
      if (!std::isfinite(p[a])) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": has a non-finite vertex"));
      }
      lo[a] = std::min(lo[a], p[a]);
      hi[a] = std::max(hi[a], p[a]);
    }
  }
  const float extent = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]});
  if (!(extent > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": geometry has zero size"));
  }
  for (Vec3& p : mesh->positions) {
    for (int a = 0; a < 3; ++a) p[a] = (p[a] - 0.5f * (lo[a] + hi[a])) / extent;
  }
  for (Vec3& n : mesh->normals) {
    const float len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (len > 0) n = {n[0] / len, n[1] / len, n[2] / len};
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& mesh_extensions() {
  static const std::vector<std::string> extensions = {".obj", ".ply", ".off", ".gltf",
                                                      ".glb", ".3ds", ".stl", ".fbx",
                                                      ".dae"};
  return extensions;
}

absl::StatusOr<TriangleMesh> load_mesh_file(const std::string& path) {
  Assimp::Importer importer;
  const aiScene* scene = importer.ReadFile(
      path, aiProcess_Triangulate | aiProcess_JoinIdenticalVertices | aiProcess_GenSmoothNormals |
                aiProcess_PreTransformVertices | aiProcess_FlipUVs |
                aiProcess_SortByPType | aiProcess_ValidateDataStructure);
  if (scene == nullptr || scene->mRootNode == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot import mesh (", importer.GetErrorString(), ")"));
  }
  TriangleMesh mesh;
  std::vector<MaterialLook> looks;
  for (unsigned i = 0; i < scene->mNumMaterials; ++i) {
    looks.push_back(read_material(*scene, *scene->mMaterials[i], path, &mesh));
  }
  bool textured = false, vertex_coloured = false;
  for (unsigned i = 0; i < scene->mNumMeshes; ++i) {
    const aiMesh& m = *scene->mMeshes[i];
    const MaterialLook look = m.mMaterialIndex < looks.size() ? looks[m.mMaterialIndex] : MaterialLook{};
    append_mesh(m, look, &mesh, &textured, &vertex_coloured);
  }
  if (mesh.faces.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": has no triangles"));
  }
  const bool material_coloured =
      std::any_of(looks.begin(), looks.end(), [](const MaterialLook& l) { return l.has_colour; });
  mesh.colour = textured          ? MeshColour::kTexture
                : vertex_coloured ? MeshColour::kVertexColours
                : material_coloured ? MeshColour::kMaterial
                                    : MeshColour::kShaded;
  mesh.lit = !textured && !vertex_coloured;
  if (!textured) mesh.uvs.clear();
  if (absl::Status s = normalise(&mesh, path); !s.ok()) return s;
  return mesh;
}

}  // namespace tetra::data
