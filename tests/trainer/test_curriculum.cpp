// The curriculum's pieces on one process: task batches from loader batches, the stage shape, and
// the stage transition (latent widening with optimizer state and EMA, FSQ switch).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "data/embedded/embedded.h"
#include "parallel/self_communicator.h"
#include "trainer/config/config.h"
#include "trainer/eval/evaluate.h"
#include "trainer/state/training_state.h"
#include "trainer/loop/task_cycle.h"
#include "trainer/loop/step.h"
#include "trainer/loop/tasks.h"
#include "trainer/state/training_state.h"

namespace tetra::trainer {
namespace {

TEST(ConfigKeyValues, OneLinePerKeyWithItsSection) {
  auto c = parse_config("optim: {lr: 0.002}\n", "x.yaml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string text = to_key_values(*c);
  EXPECT_NE(text.find("optim.lr: 0.002\n"), std::string::npos) << text;
  EXPECT_NE(text.find("parallel.zero1: false\n"), std::string::npos) << text;
  EXPECT_NE(text.find("stages.0.optim.lr: 0.002\n"), std::string::npos) << text;
}

TEST(Tasks, MixFollowsTheSharesAndNamesMatchTheConfigKeys) {
  StageConfig stage;
  stage.tasks.image_rec.share = 2;
  stage.tasks.video_und.share = 1;
  stage.tasks.m3d_rec.share = 1;
  auto mix = task_mix(stage);
  ASSERT_EQ(mix.size(), 3u);
  EXPECT_EQ(mix[0].task, Task::kImageReconstruction);
  EXPECT_STREQ(task_name(mix[2].task), "3d_rec");
  EXPECT_TRUE(is_understanding(Task::kVideoUnderstanding));
  EXPECT_FALSE(is_understanding(Task::k3dReconstruction));
  EXPECT_EQ(task_modality(Task::k3dUnderstanding), common::Modality::k3d);
}

TEST(Tasks, LoaderBatchBecomesPackedTokensAndTextEmbeddings) {
  data::Batch batch;
  const int64_t f = 4 * 16 * 16 * 3;
  batch.num_tokens = 5;
  batch.cu_seqlens = {0, 2, 5};
  batch.features.assign(static_cast<size_t>(5 * f), 0.5f);
  batch.coords.assign(20, 0);
  batch.samples.resize(2);
  batch.samples[0].grid = data::TokenGrid{1, 1, 2, 1, 2};  // an image of 1 x 2 patches
  batch.samples[1].grid = data::TokenGrid{0, 0, 0, 0, 3};  // a mesh of 3 voxels
  batch.samples[0].text_embedding = {1, 0};
  batch.samples[1].text_embedding = {0, 1};
  TaskBatch out = to_task_batch(Task::kImageUnderstanding, std::move(batch));
  EXPECT_EQ(out.tokens.num_tokens(), 5);
  EXPECT_EQ(out.tokens.features.sizes(), (std::vector<int64_t>{5, f}));
  EXPECT_EQ(out.tokens.max_seqlen, 3);
  EXPECT_EQ(out.tokens.grids[1].h, data::kVoxelGrid);  // voxels index the position table by (x, y)
  EXPECT_EQ(out.tokens.grids[1].frames, 1);            // only the frame-0 slot is real
  ASSERT_TRUE(out.text_embeddings.defined());
  EXPECT_TRUE(torch::equal(out.text_embeddings, torch::eye(2)));
  data::Batch no_text;
  no_text.num_tokens = 1;
  no_text.cu_seqlens = {0, 1};
  no_text.features.assign(static_cast<size_t>(f), 0.f);
  no_text.coords.assign(4, 0);
  no_text.samples.resize(1);
  no_text.samples[0].grid = data::TokenGrid{1, 1, 1, 1, 1};
  EXPECT_FALSE(to_task_batch(Task::kImageReconstruction, std::move(no_text)).text_embeddings.defined());
}

Config two_stage_config() {
  auto c = parse_config(R"(
model: {preset: tiny, latent_channels: 32, embed_dim: 8, fsq_groups: 8, fsq_dims: 6}
stages:
  - {name: a, steps: 2}
  - {name: b, steps: 2, latent_channels: 48}
  - {name: c, steps: 2, discrete: true}
)", "test.yaml", {});
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(Stages, ShapeIsTheWidestLatentSoFarAndTheStagesDiscreteFlag) {
  const Config c = two_stage_config();
  EXPECT_EQ(stage_shape(c, 0).latent_channels, 32);
  EXPECT_EQ(stage_shape(c, 1).latent_channels, 48);
  EXPECT_EQ(stage_shape(c, 2).latent_channels, 48);
  EXPECT_FALSE(stage_shape(c, 1).discrete);
  EXPECT_TRUE(stage_shape(c, 2).discrete);
}

model::PackedTokens random_image_tokens(int64_t seed) {
  torch::manual_seed(static_cast<uint64_t>(seed));
  auto frames = torch::rand({1, 32, 48, 3}) * 2 - 1;
  return model::pack({model::patchify(frames, model::PatchSize{})});
}

// One AdamW step on the reconstruction L1 so that the optimizer holds state to be widened.
void one_step(TrainingState& s, const model::PackedTokens& tokens) {
  auto& dp = *s.dp;
  dp.reducer().begin_step(1);
  dp.reducer().begin_micro_step();
  model::ForwardOptions run;
  run.sample_latent = false;
  auto out = s.model->forward(tokens, run);
  dp.reducer().backward((out.reconstruction - tokens.features).abs().mean() + out.kl_per_token.mean() * 1e-3);
  dp.reducer().finish();
  s.optimizer.adamw->step(dp.owned_shards(), [&](int64_t p) { return !dp.reducer().used(p); });
  dp.gather_parameters();
  s.ema->update();
}

TEST(Stages, WideningKeepsOutputsOptimizerStateAndEma) {
  const Config config = two_stage_config();
  auto comm = std::make_shared<parallel::SelfCommunicator>();
  auto created = TrainingState::create(config, parallel::Group{"dp", comm, comm}, torch::kCPU);
  ASSERT_TRUE(created.ok()) << created.status();
  TrainingState& s = **created;
  const auto tokens = random_image_tokens(1);
  one_step(s, tokens);
  model::ForwardOptions run;
  run.sample_latent = false;
  torch::NoGradGuard no_grad;
  const auto before = s.model->forward(tokens, run).reconstruction.clone();
  const auto index_of = [&](const std::string& name) {
    const auto& names = s.dp->names();
    return static_cast<int64_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  const int64_t latent_in = index_of("model.decoder.latent_in.weight");
  const auto old_moment = s.optimizer.adamw->moments(latent_in, 0).first.clone();  // [d * 32] flattened
  ASSERT_TRUE(old_moment.defined());

  std::ostringstream log;
  ASSERT_TRUE(s.enter_stage(1, log).ok());
  EXPECT_NE(log.str().find("from 32 to 48"), std::string::npos) << log.str();
  EXPECT_EQ(s.model->options.latent_channels, 48);
  EXPECT_TRUE(torch::equal(s.model->forward(tokens, run).reconstruction, before)) << "widening changed the outputs";
  const int64_t width = s.model->options.width;
  auto widened = s.optimizer.adamw->moments(index_of("model.decoder.latent_in.weight"), 0).first.view({width, 48});
  EXPECT_TRUE(torch::equal(widened.narrow(1, 0, 32), old_moment.view({width, 32})));
  EXPECT_EQ(widened.narrow(1, 32, 16).abs().max().item<float>(), 0.f);
  // The EMA shadow was widened too: swapping it in keeps the outputs of the EMA weights defined.
  s.ema->swap_into_model();
  EXPECT_EQ(s.model->decoder->latent_in->weight.size(1), 48);
  s.ema->swap_into_model();
  torch::GradMode::set_enabled(true);
  one_step(s, tokens);  // trains on after the rebuild, with the widened state

  ASSERT_TRUE(s.enter_stage(2, log).ok());
  EXPECT_TRUE(s.model->options.discrete);
  torch::GradMode::set_enabled(false);
  auto out = s.model->forward(tokens, run);
  ASSERT_TRUE(out.fsq_indices.defined());
  EXPECT_EQ(out.fsq_indices.size(1), 8);
  ASSERT_TRUE(s.enter_stage(2, log).ok());  // again: nothing to do
}

TEST(TrainStep, FrozenPartsKeepTheirWeightsWhileTheRestTrains) {
  const auto dir = std::filesystem::temp_directory_path() / ("tetra-trainstep-" + std::to_string(::getpid()));
  data::EmbeddedDatasetOptions small;
  small.num_train = 16;
  small.num_heldout = 4;
  small.video_train = small.mesh_train = 4;
  small.video_heldout = small.mesh_heldout = 2;
  ASSERT_TRUE(data::ensure_embedded_dataset(dir.string(), small).ok());
  auto config = parse_config(R"(
model: {preset: tiny, embed_dim: 64}
loss: {sem_weight: "1", image: {lpips: "0", gram: "0", clip: "0", distill: "0", siglip: "1"}}
stages:
  - steps: 2
    freeze: "encoder, siglip"
    image_min_side: 32
    image_max_side: 64
    tasks: {image_rec: {share: 1, max_tokens: 64}, image_und: {share: 1, max_tokens: 64}}
)", "test.yaml", {"data.embedded_dir=" + dir.string()});
  ASSERT_TRUE(config.ok()) << config.status();
  auto comm = std::make_shared<parallel::SelfCommunicator>();
  auto created = TrainingState::create(*config, parallel::Group{"dp", comm, comm}, torch::kCPU);
  ASSERT_TRUE(created.ok()) << created.status();
  TrainingState& s = **created;
  std::ostringstream log;
  auto composer = losses::LossComposer::create(config->stages[0].loss, torch::kCPU, log, s.trainable->siglip);
  ASSERT_TRUE(composer.ok()) << composer.status();
  s.losses = std::move(*composer);
  auto feeds = TaskFeeds::Create(*config, 0, {}, 0, 1);
  ASSERT_TRUE(feeds.ok()) << feeds.status();
  auto cycle = make_task_cycle(task_mix(config->stages[0]));
  ASSERT_TRUE(cycle.ok());

  std::map<std::string, torch::Tensor> before;
  for (const auto& p : s.trainable->named_parameters()) before[p.key()] = p.value().detach().clone();
  for (int i = 0; i < 2; ++i) {
    auto step = train_step(s, **feeds, *cycle, *config);
    ASSERT_TRUE(step.ok()) << step.status();
    const auto values = step->global_values(*comm);
    ASSERT_EQ(values.size(), step->names.size());
    EXPECT_NE(std::find(step->names.begin(), step->names.end(), "image/siglip"), step->names.end());
    for (double v : values) EXPECT_TRUE(std::isfinite(v));
  }
  EXPECT_EQ(s.step, 2);
  EXPECT_EQ(s.cursors.size(), 2u);  // one cursor per task
  int frozen_checked = 0, trained = 0;
  for (const auto& p : s.trainable->named_parameters()) {
    const std::string part = part_of(p.key());
    const bool same = torch::equal(p.value(), before[p.key()]);
    if (part == "encoder" || part == "siglip") {
      EXPECT_TRUE(same) << p.key() << " is frozen but changed";
      ++frozen_checked;
    } else if (part == "decoder" && !same) {
      ++trained;
    }
  }
  EXPECT_GT(frozen_checked, 4);
  EXPECT_GT(trained, 4) << "the decoder did not train";
  std::filesystem::remove_all(dir);
}

TEST(TrainStep, FreezeNamesAreValidated) {
  auto bad = parse_config("stages:\n  - freeze: encoder,decodr\n", "x.yaml", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bad.status().message()).find("'decodr'"), std::string::npos) << bad.status();
  const auto frozen = frozen_parameters({"model.encoder.x", "model.decoder.y", "siglip.logit_bias"}, " siglip ,encoder");
  EXPECT_EQ(frozen, (std::vector<bool>{true, false, true}));
}

TEST(EvalTable, OneRowPerModalityAndPrefixWithoutPerGroupDetail) {
  const std::string table = format_eval_table({{"eval/image/psnr", 15.5},
                                               {"eval/image/fsq_group0/perplexity", 3.0},
                                               {"eval/3d/psnr", 12.25},
                                               {"eval/3d/t2v_r1", 0.5},
                                               {"eval_ema/image/psnr", 14.0}});
  EXPECT_NE(table.find("psnr"), std::string::npos) << table;
  EXPECT_NE(table.find("t2v_r1"), std::string::npos) << table;
  EXPECT_NE(table.find("15.5000"), std::string::npos) << table;
  EXPECT_NE(table.find("eval_ema/image"), std::string::npos) << table;
  EXPECT_EQ(table.find("fsq_group"), std::string::npos) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 4) << table;  // header + 3 rows
  // eval/image has no t2v_r1: its cell is a dash
  const auto image_row = table.substr(table.find("eval/image"), table.find('\n', table.find("eval/image")) - table.find("eval/image"));
  EXPECT_NE(image_row.find(" -"), std::string::npos) << image_row;
}

}  // namespace
}  // namespace tetra::trainer
