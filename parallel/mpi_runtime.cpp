#include "parallel/mpi_runtime.h"

#include <cstdlib>
#include <iostream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "parallel/mpi_communicator.h"

namespace tetra::parallel::mpi {

void stop_all_communicators();  // mpi_communicator.cpp

namespace {

std::once_flag g_once;
absl::Status g_status = absl::FailedPreconditionError("MPI was not started");
bool g_started = false;
Placement g_placement;

void finalize_at_exit() {
  stop_all_communicators();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Placement read_placement() {
  Placement p;
  MPI_Comm_rank(MPI_COMM_WORLD, &p.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &p.size);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, p.rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &p.local_rank);
  MPI_Comm_size(node, &p.local_size);
  MPI_Comm_free(&node);
  char host[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  MPI_Get_processor_name(host, &length);
  p.host.assign(host, static_cast<size_t>(length));
  return p;
}

void start_once() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
      g_status = absl::InternalError("MPI_Init_thread failed (see the MPI message above)");
      return;
    }
    if (provided < MPI_THREAD_MULTIPLE) {
      g_status = absl::FailedPreconditionError(absl::StrCat(
          "the MPI library provides thread level ", provided,
          " but Tetra needs MPI_THREAD_MULTIPLE (each communicator runs collectives on its own thread); "
          "use Open MPI >= 3 built with thread support (`ompi_info | grep THREAD_MULTIPLE`)"));
      return;
    }
  }
  std::atexit(finalize_at_exit);
  g_placement = read_placement();
  g_started = true;
  g_status = absl::OkStatus();
}

}  // namespace

bool compiled_in() { return true; }
bool started() { return g_started; }

absl::Status start() {
  std::call_once(g_once, start_once);
  return g_status;
}

Placement placement() { return g_placement; }

std::shared_ptr<Communicator> world() {
  static std::shared_ptr<Communicator> world = [] {
    TORCH_CHECK(g_started, "mpi::world() before mpi::start()");
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    return std::shared_ptr<Communicator>(std::make_shared<MpiCommunicator>(dup, "world"));
  }();
  return world;
}

std::shared_ptr<Communicator> split(Communicator& parent, int color, int key, const std::string& name) {
  auto* mpi_parent = dynamic_cast<MpiCommunicator*>(&parent);
  TORCH_CHECK(mpi_parent != nullptr, "mpi::split needs an MPI communicator, got '", parent.backend(), "'");
  MPI_Comm child = MPI_COMM_NULL;
  mpi_parent->enqueue(absl::StrCat("split into '", name, "'"), [&] {
    MPI_Comm_split(mpi_parent->comm(), color, key, &child);
  })->wait();
  return std::make_shared<MpiCommunicator>(child, name);
}

void abort(int exit_code) {
  std::cout.flush();
  std::cerr.flush();
  if (g_started) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace tetra::parallel::mpi
