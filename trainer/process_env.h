// CPU-speed environment for every Tetra binary (README "CPU speed"): passive OpenMP waiting and
// glibc malloc thresholds that stop torch's large temporaries from being mmapped and trimmed every
// step (together worth about 2.5x on a small transformer step on 2 cores).
#pragma once

namespace tetra::trainer {

// libgomp reads OMP_WAIT_POLICY when it loads, before main(); so when it is unset we set it and
// re-execute this binary once. The malloc thresholds are applied in-process with mallopt().
void ensure_cpu_environment(int argc, char** argv);

}  // namespace tetra::trainer
