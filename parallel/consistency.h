// "Do all ranks hold the same X?" without hanging and with an answer a person can act on.
//
// Every rank passes its own description of X as "key: value" lines (the resolved config, the model's
// parameter shapes, ...). A 64-bit hash is compared first (one small all-gather); only when hashes
// differ are the texts gathered and compared line by line, and then every rank returns the same
// error naming the first differing keys per rank.
#pragma once
#include <string>

#include "absl/status/status.h"
#include "parallel/communicator.h"

namespace tetra::parallel {

// what: e.g. "config" or "model"; fix: one sentence telling the user what to change.
absl::Status check_identical(Communicator& comm, const std::string& what, const std::string& text,
                             const std::string& fix);

uint64_t fnv1a64(const std::string& bytes);

// Errors that every rank of the job returns together (a failed consistency check, a checkpoint
// that no rank could commit) carry this mark: the program can then exit normally on every rank
// instead of aborting the job, and print the message once.
absl::Status mark_collective(absl::Status status);
bool is_collective(const absl::Status& status);

}  // namespace tetra::parallel
