// Running a command (usually `$TETRA_PYTHON script`) from a test and reading what it printed.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace tetra::test_support {

struct CommandResult {
  int exit_code = -1;  // -1: could not start, or did not exit normally
  std::string output;  // stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) result.output += buffer;
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace tetra::test_support
