#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "support/run_command.h"
#include "trainer/report/tensorboard.h"

namespace tetra::trainer {
namespace {
namespace fs = std::filesystem;

TEST(TensorBoard, Crc32cKnownVector) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(check.data()), check.size()), 0xE3069283u);
}

// The real check: TensorBoard's own event reader must parse our file and see our values.
TEST(TensorBoard, OwnReaderSeesScalarsAndImages) {
  const char* python = std::getenv("TETRA_PYTHON");
  if (python == nullptr) GTEST_SKIP() << "TETRA_PYTHON unset: run through ctest to check with TensorBoard's reader";
  const fs::path dir = fs::temp_directory_path() / ("tetra_tb_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto writer = TensorBoardWriter::Create(dir.string());
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int step = 1; step <= 3; ++step) (*writer)->scalar("loss/total", 1.0 / step, step);
    (*writer)->scalar("lr", 3e-4, 3);
    std::vector<uint8_t> rgb(5 * 7 * 3);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 7);
    ASSERT_TRUE((*writer)->image("reconstruction/image", rgb.data(), 5, 7, 3).ok());
    (*writer)->flush();
  }
  const std::string script =
      "import sys\n"
      "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
      "acc = EventAccumulator(sys.argv[1], size_guidance={'images': 0, 'scalars': 0})\n"
      "acc.Reload()\n"
      "for e in acc.Scalars('loss/total'): print('scalar', e.step, round(e.value, 6))\n"
      "print('lr', acc.Scalars('lr')[0].value)\n"
      "img = acc.Images('reconstruction/image')[0]\n"
      "print('image', img.step, img.width, img.height, img.encoded_image_string[:4] == b'\\x89PNG')\n";
  const fs::path script_path = dir / "read.py";
  FILE* f = fopen(script_path.c_str(), "w");
  fputs(script.c_str(), f);
  fclose(f);
  const std::string out =
      test_support::run_command(std::string(python) + " " + script_path.string() + " " + dir.string()).output;
  EXPECT_NE(out.find("scalar 1 1.0"), std::string::npos) << out;
  EXPECT_NE(out.find("scalar 2 0.5"), std::string::npos) << out;
  EXPECT_NE(out.find("scalar 3 0.333333"), std::string::npos) << out;
  EXPECT_NE(out.find("lr 0.0003"), std::string::npos) << out;
  EXPECT_NE(out.find("image 3 7 5 True"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tetra::trainer
