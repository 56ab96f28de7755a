#include "trainer/eval/evaluate.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/numbers.h"
#include "data/loader/loader.h"
#include "data/shards/mesh_shard.h"
#include "losses/reconstruction.h"
#include "model/fsq.h"
#include "trainer/eval/eval_metrics.h"
#include "trainer/loop/tasks.h"

namespace tetra::trainer {
namespace {

// Keeps the first `keep` samples of a loader batch (a held-out set takes each sample once).
void trim_batch(data::Batch* batch, size_t keep, int64_t features) {
  if (batch->samples.size() <= keep) return;
  const int64_t tokens = batch->cu_seqlens[keep];
  batch->samples.resize(keep);
  batch->cu_seqlens.resize(keep + 1);
  batch->features.resize(static_cast<size_t>(tokens * features));
  batch->coords.resize(static_cast<size_t>(tokens * 4));
  batch->num_tokens = tokens;
}

absl::StatusOr<HeldoutSet> load_set(const Config& config, size_t stage, common::Modality modality, torch::Device device) {
  data::LoaderOptions options = heldout_loader_options(config, stage, modality);
  auto loader = data::Loader::create(options);
  if (!loader.ok()) return loader.status();
  HeldoutSet set;
  set.modality = modality;
  const int64_t target = std::min(config.data.heldout_samples, (*loader)->total_samples());
  while (set.samples < target) {
    auto batch = (*loader)->next();
    if (!batch.ok()) return batch.status();
    trim_batch(&*batch, static_cast<size_t>(target - set.samples), options.patch.features());
    set.samples += static_cast<int64_t>(batch->samples.size());
    for (const auto& sample : batch->samples) set.labels.push_back(sample.label);
    TaskBatch converted = to_task_batch(Task::kImageReconstruction, std::move(*batch));
    set.batches.push_back({converted.tokens.to(device), converted.text_embeddings.defined()
                                                             ? converted.text_embeddings.to(device)
                                                             : torch::Tensor()});
  }
  return set;
}

// [frames, H, W, 3] of sample i: its real frames, or for a mesh the voxels' frame-0 patches.
torch::Tensor sample_pixels(const torch::Tensor& features, const model::PackedTokens& tokens, size_t i,
                            const model::PatchSize& patch, bool mesh) {
  auto part = features.narrow(0, tokens.offsets[i], tokens.offsets[i + 1] - tokens.offsets[i]);
  if (mesh) return part.view({part.size(0), patch.t, patch.h, patch.w, patch.c}).select(1, 0);
  const auto& grid = tokens.grids[i];
  auto frames = model::unpatchify(part, grid, patch);
  const int64_t real = grid.frames > 0 ? grid.frames : frames.size(0);
  return frames.narrow(0, 0, real);
}

struct Sums {
  double l1 = 0, tokens = 0, psnr = 0, ssim = 0, samples = 0;
};

void add_reconstruction(const HeldoutBatch& b, const model::TokenizerOutput& out, const model::PatchSize& patch,
                        bool mesh, Sums* sums, Comparison* shown, int64_t show) {
  const double n = static_cast<double>(b.tokens.num_tokens());
  sums->l1 += losses::l1_reconstruction(out.reconstruction, b.tokens.features, b.tokens, patch).item<double>() * n;
  sums->tokens += n;
  // One copy to the host per batch; every sample is then a slice of it.
  const auto recon = out.reconstruction.to(torch::kFloat).clamp(-1, 1).cpu();
  const auto targets = b.tokens.features.cpu();
  for (size_t i = 0; i < b.tokens.grids.size(); ++i) {
    auto target = sample_pixels(targets, b.tokens, i, patch, mesh);
    auto decoded = sample_pixels(recon, b.tokens, i, patch, mesh);
    sums->psnr += psnr(decoded, target);
    if (!mesh) {
      double s = 0;
      for (int64_t f = 0; f < target.size(0); ++f) s += ssim(decoded[f], target[f]);
      sums->ssim += s / static_cast<double>(target.size(0));
    }
    sums->samples += 1;
    if (shown && static_cast<int64_t>(shown->inputs.size()) < show) {
      // A mesh's first voxel patches, tiled 8 to a row, stand in for its views until the splat decoder exists.
      auto tile = [&](const torch::Tensor& t) {
        if (!mesh) return t;
        const int64_t cells = std::min<int64_t>(64, t.size(0) / 8 * 8);
        if (cells == 0) return t.narrow(0, 0, 1);
        return t.narrow(0, 0, cells).view({cells / 8, 8, patch.h, patch.w, 3}).permute({0, 2, 1, 3, 4})
            .reshape({1, cells / 8 * patch.h, 8 * patch.w, 3});
      };
      shown->inputs.push_back(tile(target));
      shown->reconstructions.push_back(tile(decoded));
    }
  }
}

// A mesh's stored views (the packer's renders) as [V, R, R, 3] in [-1, 1]; undefined when the
// label does not lead to a readable record (the grid then shows fewer rows).
torch::Tensor stored_views(const std::string& label) {
  const size_t hash = label.rfind('#');
  int64_t index = 0;
  if (hash == std::string::npos || !absl::SimpleAtoi(label.substr(hash + 1), &index)) return {};
  auto shard = data::MeshShardReader::open(label.substr(0, hash));
  if (!shard.ok()) return {};
  auto views = (*shard)->read_views(index);
  if (!views.ok() || views->count == 0) return {};
  auto rgb = torch::from_blob(views->rgb.data(), {views->count, views->resolution, views->resolution, 3}, torch::kUInt8);
  return rgb.to(torch::kFloat).div(127.5).sub(1.0);
}

}  // namespace

std::vector<common::Modality> stage_modalities(const Config& config, size_t stage) {
  std::vector<common::Modality> out;
  for (common::Modality m : common::kAllModalities)
    for (const TaskShare& share : task_mix(config.stages[stage]))
      if (task_modality(share.task) == m && std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  return out;
}

absl::StatusOr<std::vector<HeldoutSet>> load_heldout(const Config& config, size_t stage,
                                                     const std::vector<common::Modality>& modalities, torch::Device device) {
  std::vector<HeldoutSet> sets;
  for (common::Modality m : modalities) {
    if (modality_dir(config, m, /*heldout=*/true).empty() || config.data.heldout_samples == 0) continue;
    auto set = load_set(config, stage, m, device);
    if (!set.ok())
      return absl::Status(set.status().code(), absl::StrCat("held-out ", common::modality_name(m), " data: ", set.status().message()));
    sets.push_back(std::move(*set));
  }
  return sets;
}

EvalResult evaluate(model::Tokenizer& model, const std::vector<HeldoutSet>& sets, const model::PatchSize& patch,
                    parallel::Communicator& host, const std::string& prefix, int64_t comparisons,
                    losses::SigLipLoss siglip) {
  EvalResult result;
  torch::NoGradGuard no_grad;
  model->eval();
  const auto& fsq = model->options.fsq;
  for (const HeldoutSet& set : sets) {
    const bool mesh = set.modality == common::Modality::k3d;
    const bool text = !set.batches.empty() && set.batches[0].text_embeddings.defined();
    const std::string name = common::modality_name(set.modality);
    Sums sums;
    torch::Tensor pooled, texts;
    auto counts = torch::zeros({fsq.groups, model->options.discrete ? fsq.codebook_size() : 1}, torch::kDouble);
    Comparison* shown = host.rank() == 0 && comparisons > 0 ? &result.comparisons[name] : nullptr;
    int64_t first = 0;
    for (size_t b = 0; b < set.batches.size(); ++b) {
      const HeldoutBatch& batch = set.batches[b];
      const int64_t count = batch.tokens.num_samples();
      if (text && !pooled.defined()) {
        pooled = torch::zeros({set.samples, batch.text_embeddings.size(1)}, torch::kDouble);
        texts = torch::zeros({set.samples, batch.text_embeddings.size(1)}, torch::kDouble);
      }
      if (text) texts.narrow(0, first, count).copy_(batch.text_embeddings.cpu());
      if (static_cast<int>(b % static_cast<size_t>(host.size())) == host.rank()) {
        model::ForwardOptions run;
        run.sample_latent = false;
        run.pooled = text;
        auto out = model->forward(batch.tokens, run);
        add_reconstruction(batch, out, patch, mesh, &sums, b == 0 ? shown : nullptr, comparisons);
        if (text) pooled.narrow(0, first, count).copy_(out.pooled.cpu());
        if (model->options.discrete) counts += model::codebook_counts(out.fsq_indices, fsq).cpu();
      }
      first += count;
    }
    if (shown && mesh)
      for (size_t i = 0; i < set.labels.size() && static_cast<int64_t>(shown->views.size()) < comparisons; ++i)
        if (auto views = stored_views(set.labels[i]); views.defined()) shown->views.push_back(views);
    auto totals = torch::tensor({sums.l1, sums.tokens, sums.psnr, sums.ssim, sums.samples}, torch::kDouble);
    host.all_reduce(totals, parallel::ReduceOp::kSum)->wait();
    const double samples = std::max(1.0, totals[4].item<double>());
    const std::string at = prefix + "/" + name + "/";
    result.metrics.push_back({at + "l1", totals[0].item<double>() / std::max(1.0, totals[1].item<double>())});
    result.metrics.push_back({at + "psnr", totals[2].item<double>() / samples});
    if (!mesh) result.metrics.push_back({at + "ssim", totals[3].item<double>() / samples});
    if (text) {
      host.all_reduce(pooled, parallel::ReduceOp::kSum)->wait();
      const RetrievalScores r = retrieval_recall(pooled.to(torch::kFloat), texts.to(torch::kFloat));
      result.metrics.push_back({at + "t2v_r1", r.text_to_visual_r1});
      result.metrics.push_back({at + "t2v_r5", r.text_to_visual_r5});
      result.metrics.push_back({at + "v2t_r1", r.visual_to_text_r1});
      result.metrics.push_back({at + "v2t_r5", r.visual_to_text_r5});
      result.metrics.push_back({at + "chance_r1", 1.0 / static_cast<double>(set.samples)});
      if (siglip)  // the whole held-out set as one batch: comparable across steps, not with training's
        result.metrics.push_back({at + "siglip", losses::siglip_loss(pooled.to(torch::kFloat), texts.to(torch::kFloat),
                                                                     siglip->logit_scale.detach().cpu(),
                                                                     siglip->logit_bias.detach().cpu())
                                                     .item<double>()});
    }
    if (model->options.discrete) {
      host.all_reduce(counts, parallel::ReduceOp::kSum)->wait();
      const auto groups = model::codebook_stats(counts);
      double usage = 0, perplexity = 0;
      for (const auto& g : groups) {
        usage += g.usage / static_cast<double>(groups.size());
        perplexity += g.perplexity / static_cast<double>(groups.size());
      }
      result.metrics.push_back({at + "fsq_usage", usage});
      result.metrics.push_back({at + "fsq_perplexity", perplexity});
      for (size_t g = 0; g < groups.size(); ++g) {  // per group: metrics.jsonl and TensorBoard only
        result.metrics.push_back({absl::StrCat(at, "fsq_group", g, "/usage"), groups[g].usage});
        result.metrics.push_back({absl::StrCat(at, "fsq_group", g, "/perplexity"), groups[g].perplexity});
      }
    }
  }
  model->train();
  return result;
}

std::string format_eval_table(const std::vector<std::pair<std::string, double>>& metrics) {
  // Rows: "<prefix>/<modality>"; columns: the metric names in first-seen order.
  std::vector<std::string> rows, columns;
  std::map<std::pair<std::string, std::string>, double> cells;
  for (const auto& [key, value] : metrics) {
    if (key.find("/fsq_group") != std::string::npos) continue;  // the per-group detail stays in the files
    const size_t cut = key.rfind('/');
    const std::string row = key.substr(0, cut), column = key.substr(cut + 1);
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) columns.push_back(column);
    cells[{row, column}] = value;
  }
  std::ostringstream out;
  out << absl::StrFormat("%-18s", "");
  for (const auto& c : columns) out << absl::StrFormat(" %10s", c);
  out << "\n";
  for (const auto& r : rows) {
    out << absl::StrFormat("%-18s", r);
    for (const auto& c : columns) {
      auto it = cells.find({r, c});
      out << (it == cells.end() ? absl::StrFormat(" %10s", "-") : absl::StrFormat(" %10.4f", it->second));
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace tetra::trainer
