// The `loss:` section of the training config (SPEC section 3), as typed structs in the visit()
// style of trainer/config.h: each struct lists its keys once, and the trainer's visitors parse,
// validate, write and document them. Weights are strings holding a number or a step schedule
// (losses/schedule.h); validate() checks them and everything that spans several keys.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config_fields.h"
#include "common/modality.h"

namespace tetra::losses {

using common::Choices;
using common::IntRange;
using common::RealRange;
// The modality of a weights group; common::modality_name gives its config section and log prefix.
using common::Modality;

// The per-modality weights inside each group. Only the terms that make sense for the modality are
// keys: the perceptual ones need pixels (images, video frames), distillation needs the image teacher.
struct TermWeights {
  Modality modality = Modality::kImage;
  std::string l1 = "1";
  std::string lpips = "0";
  std::string gram = "0";
  std::string clip = "0";
  std::string distill = "0";
  std::string siglip = "0";

  bool has_pixels() const { return modality != Modality::k3d; }
  template <class V> void visit(V& v) {
    v.field("l1", l1, "weight of L1 inside L_rec (number or 'step:value, ...' schedule)");
    if (has_pixels()) {
      v.field("lpips", lpips, "weight of LPIPS inside L_rec (video: every real frame)");
      v.field("gram", gram, "weight of the VGG Gram loss inside L_rec");
      v.field("clip", clip, "weight of the CLIP-perceptual cosine distance inside L_rec");
    }
    if (modality == Modality::kImage) v.field("distill", distill, "weight of teacher distillation inside L_sem");
    v.field("siglip", siglip, "weight of the SigLIP sigmoid loss inside L_sem");
  }
};

// VGG16 trunk and LPIPS heads, shared by the LPIPS and Gram terms.
struct VggNetworkOptions {
  std::string source = "file";  // "random": seeded random weights, for smoke runs only
  std::string weights;          // safetensors, torchvision keys features.N.weight / features.N.bias
  std::string heads;            // safetensors, lpips keys lin0.model.1.weight ... lin4.model.1.weight
  int64_t width_divisor = 1;    // channels = VGG16's (64..512) / this
  int64_t resolution = 224;     // LPIPS and Gram inputs are resized to resolution x resolution
  int64_t seed = 0;

  template <class V> void visit(V& v) {
    v.field("source", source, Choices{{"file", "random"}}, "file: load weights/heads; random: seeded random network (smoke only)");
    v.field("weights", weights, "VGG16 features safetensors (scripts/export_vgg16.py)");
    v.field("heads", heads, "LPIPS linear heads safetensors (scripts/export_lpips_heads.py)");
    v.field("width_divisor", width_divisor, IntRange{1, 64}, "VGG16 channel widths divided by this (1: VGG16)");
    v.field("resolution", resolution, IntRange{16, 1024}, "side of the resized LPIPS/Gram inputs (SPEC: 224)");
    v.field("seed", seed, IntRange{0, INT64_MAX}, "seed of the random network (source: random)");
  }
};

// A frozen image encoder: the CLIP-perceptual encoder or the distillation teacher.
struct EncoderNetworkOptions {
  bool teacher = false;         // the distillation teacher may also come precomputed with the batch
  std::string source = "file";  // "random": small seeded conv net; "batch" (teacher only): embeddings come with the batch
  std::string path;             // TorchScript: [B,3,R,R] in [-1,1] -> [B,D]
  int64_t resolution = 224;     // inputs are resized to resolution x resolution
  int64_t embed_dim = 64;       // random encoder only: output width D
  int64_t seed = 0;

  template <class V> void visit(V& v) {
    v.field("source", source, teacher ? Choices{{"file", "random", "batch"}} : Choices{{"file", "random"}},
            teacher ? "file: TorchScript; random: seeded small conv net (smoke only); batch: precomputed embeddings"
                    : "file: TorchScript; random: seeded small conv net (smoke only)");
    v.field("path", path, "TorchScript image encoder (scripts/export_image_encoder.py)");
    v.field("resolution", resolution, IntRange{16, 1024}, "side of the encoder's resized input");
    v.field("embed_dim", embed_dim, IntRange{1, 65536}, "output width of the random encoder (teacher: the text width)");
    v.field("seed", seed, IntRange{0, INT64_MAX}, "seed of the random encoder (source: random)");
  }
};

struct LossOptions {
  // L = rec_weight * L_rec + sem_weight * L_sem + kl_weight * L_KL (SPEC section 3).
  std::string rec_weight = "0.2";
  std::string sem_weight = "1";
  std::string kl_weight = "1e-8";
  // SPEC defaults, in the order l1, lpips, gram, clip, distill, siglip.
  TermWeights image{Modality::kImage, "1", "10", "1000", "1", "1", "0"};
  TermWeights video{Modality::kVideo, "1", "0", "0", "0", "0", "1"};
  TermWeights m3d{Modality::k3d, "1", "0", "0", "0", "0", "1"};
  VggNetworkOptions vgg;
  EncoderNetworkOptions clip;
  EncoderNetworkOptions teacher{true};
  double distill_temperature = 2.0;
  double distill_scale = 1.0;       // s = distill_scale * cosine(image, text)
  double siglip_logit_scale = std::log(10.0);  // initial log of the logit scale (open_clip's default)
  double siglip_logit_bias = -10.0;

  template <class V> void visit(V& v) {
    v.field("rec_weight", rec_weight, "weight of L_rec (number or 'step:value, ...' schedule)");
    v.field("sem_weight", sem_weight, "weight of L_sem (number or schedule)");
    v.field("kl_weight", kl_weight, "weight of the mean KL of the latent (number or schedule)");
    v.section("image", image);
    v.section("video", video);
    v.section("3d", m3d);  // the 3d modality (an identifier cannot start with a digit)
    v.section("vgg", vgg);
    v.section("clip", clip);
    v.section("teacher", teacher);
    v.field("distill_temperature", distill_temperature, RealRange{1e-3, 1e3}, "tau of KL(softmax(s_t/tau) || softmax(s_s/tau))");
    v.field("distill_scale", distill_scale, RealRange{1e-3, 1e4}, "similarity s = distill_scale * cosine(image, text)");
    v.field("siglip_logit_scale", siglip_logit_scale, RealRange{-10.0, 10.0}, "initial log logit scale of the SigLIP loss (learned)");
    v.field("siglip_logit_bias", siglip_logit_bias, RealRange{-100.0, 100.0}, "initial logit bias of the SigLIP loss (learned)");
  }
};

// Checks what the visitors cannot: the syntax of every weight and schedule. Errors name the key
// ("loss.image.lpips"). Missing network files are reported by LossComposer::create, which reads them.
absl::Status validate(const LossOptions& options);

const TermWeights& weights_of(const LossOptions& options, Modality modality);
// Keys ("loss.image.lpips") of one term's weights that are not zero at every step, across the
// modalities: the terms that will run and need their networks. Call on validated options.
std::vector<std::string> term_keys_in_use(const LossOptions& options, std::string TermWeights::*term, const char* name);

}  // namespace tetra::losses
