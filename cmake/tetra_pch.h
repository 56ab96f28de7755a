// The one precompiled header shared by every LibTorch-using target (see CMakeLists.txt).
// Only heavy, stable third-party headers belong here; never project headers.
#pragma once
#include <torch/torch.h>
#include "absl/status/status.h"
#include "absl/status/statusor.h"
