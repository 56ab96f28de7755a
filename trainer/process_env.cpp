#include "trainer/process_env.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

namespace tetra::trainer {

void ensure_cpu_environment(int argc, char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("TETRA_NO_REEXEC") == nullptr) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("TETRA_NO_REEXEC", "1", 1);  // never loop, even if exec'ing changes nothing
    execv("/proc/self/exe", argv);
    // exec failed (no /proc): carry on with the active policy rather than not run at all.
  }
  constexpr int kThreshold = 256 << 20;
  mallopt(M_MMAP_THRESHOLD, kThreshold);
  mallopt(M_TRIM_THRESHOLD, kThreshold);
}

}  // namespace tetra::trainer
