// common/modality.h: one name per modality, and parse inverts it.
#include "common/modality.h"

#include <gtest/gtest.h>

#include "common/patch.h"

namespace tetra::common {
namespace {

TEST(Modality, NamesAndParse) {
  EXPECT_STREQ(modality_name(Modality::kImage), "image");
  EXPECT_STREQ(modality_name(Modality::kVideo), "video");
  EXPECT_STREQ(modality_name(Modality::k3d), "3d");
  for (Modality m : kAllModalities) EXPECT_EQ(parse_modality(modality_name(m)), m);
  EXPECT_FALSE(parse_modality("mesh").has_value());  // an on-disk name, not a code name
  EXPECT_FALSE(parse_modality("").has_value());
  EXPECT_FALSE(parse_modality("Image").has_value());
}

TEST(PatchSize, FeaturesPerToken) {
  EXPECT_EQ(PatchSize{}.features(), 4 * 16 * 16 * 3);
  EXPECT_EQ((PatchSize{1, 16, 16, 3}.features()), 768);
}

}  // namespace
}  // namespace tetra::common
