#include "parallel/world.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "parallel/launch_env.h"
#include "parallel/mpi_runtime.h"
#include "parallel/self_communicator.h"

namespace tetra::parallel {
namespace {

std::string hostname() {
  char name[256] = {0};
  gethostname(name, sizeof(name) - 1);
  return name;
}

}  // namespace

absl::StatusOr<World*> World::Get() {
  static World* world = new World();  // never destroyed: MPI finalises at exit (mpi_runtime.cpp)
  static const absl::Status status = world->init();
  if (!status.ok()) return status;
  return world;
}

absl::Status World::init() {
  const LaunchEnvironment env = detect_launch_environment();
  launcher_ = env.launcher;
  if (env.launcher == "none") {
    host_ = hostname();
    communicator_ = std::make_shared<SelfCommunicator>();
    return absl::OkStatus();
  }
  if (auto s = mpi::start(); !s.ok())
    return absl::Status(s.code(), absl::StrCat("started by ", env.launcher, " as rank ", env.rank, " of ",
                                               env.world_size, ", but MPI did not start: ", s.message()));
  const mpi::Placement p = mpi::placement();
  if (p.size != env.world_size)
    return absl::FailedPreconditionError(absl::StrCat(
        env.launcher, " started ", env.world_size, " ranks but MPI sees a world of ", p.size,
        ": the launcher and the MPI library Tetra was built with do not talk to each other (with srun use "
        "--mpi=pmix; with mpirun use the one of the Open MPI that CMake found)"));
  rank_ = p.rank;
  size_ = p.size;
  local_rank_ = p.local_rank;
  local_size_ = p.local_size;
  host_ = p.host;
  communicator_ = mpi::world();
  return absl::OkStatus();
}

std::string World::label() const { return size_ > 1 ? absl::StrCat("rank ", rank_, "/", size_) : ""; }

std::shared_ptr<Communicator> World::split(int color, int key, const std::string& name) const {
  if (size_ == 1) return std::make_shared<SelfCommunicator>();
  return mpi::split(*communicator_, color, key, name);
}

void World::abort(int exit_code) const {
  if (mpi::started()) mpi::abort(exit_code);
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(exit_code);
}

}  // namespace tetra::parallel
