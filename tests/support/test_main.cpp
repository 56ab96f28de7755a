// Shared GoogleTest main: CPU runs use few threads so tests on a 2-core machine do not oversubscribe.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
