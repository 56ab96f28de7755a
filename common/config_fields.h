// Bounds and choices that a typed config struct attaches to its fields in visit() (see
// trainer/config.h for the visitors that parse, validate, write and document them). They live in
// the base library so that every folder (model/options.h, losses/loss_options.h) can describe its
// own keys without depending on the trainer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tetra::common {

struct IntRange { int64_t lo, hi; };
struct RealRange { double lo, hi; };
struct Choices { std::vector<std::string> values; };

}  // namespace tetra::common
