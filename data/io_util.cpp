#include "data/io_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path, int err) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " '", path, "': ", std::strerror(err)));
}

// Closes the descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status FsyncOpened(const std::string& path, int flags, absl::string_view what) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(absl::StrCat("cannot open ", what), path, errno);
  if (::fsync(fd.get()) != 0) return ErrnoError(absl::StrCat("cannot fsync ", what), path, errno);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("cannot open", path, errno);
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path, errno);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  return bytes;
}

std::string ReadTextOrEmpty(const std::string& path) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileBytes(path);
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

absl::Status FsyncPath(const std::string& path) { return FsyncOpened(path, O_RDONLY, "file"); }

absl::Status FsyncDirectory(const std::string& dir) {
  return FsyncOpened(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY, "folder");
}

absl::Status PublishFile(const std::string& from, const std::string& to) {
  if (absl::Status s = FsyncPath(from); !s.ok()) return s;
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError(absl::StrCat("cannot rename '", from, "' to"), to, errno);
  }
  return FsyncDirectory(std::filesystem::path(to).parent_path().string());
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return ErrnoError("cannot create", tmp, errno);
    size_t written = 0;
    while (written < contents.size()) {
      const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("cannot write", tmp, errno);
      written += static_cast<size_t>(n);
    }
  }
  return PublishFile(tmp, path);
}

}  // namespace tetra::data
