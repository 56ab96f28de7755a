#include "common/files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tetra::common {
namespace {

// ErrnoToStatus picks the code from errno and appends strerror ("...: No such file or directory").
absl::Status errno_error(absl::string_view what, const std::string& path, int err) {
  return absl::ErrnoToStatus(err, absl::StrCat(what, " '", path, "'"));
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

std::string to_hex(const unsigned char* digest, unsigned int size) {
  static const char* kDigits = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 15]);
  }
  return hex;
}

// Reads the whole descriptor in chunks, handing each to `sink`.
template <class Sink>
absl::Status read_all(const std::string& path, Sink sink) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("cannot open", path, errno);
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.get(), 1 << 20);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", path, errno);
    }
    if (n == 0) return absl::OkStatus();
    sink(buffer.get(), static_cast<size_t>(n));
  }
}

}  // namespace

absl::Status fsync_path(const std::string& path) {
  const std::string target = path.empty() ? "." : path;
  // O_RDONLY opens files and folders alike; fsync of a folder persists its entries (a rename).
  Fd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("cannot open to fsync", target, errno);
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", target, errno);
  return absl::OkStatus();
}

absl::Status publish_file(const std::string& from, const std::string& to) {
  if (absl::Status s = fsync_path(from); !s.ok()) return s;
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return errno_error(absl::StrCat("cannot rename '", from, "' to"), to, errno);
  }
  return fsync_path(std::filesystem::path(to).parent_path().string());
}

absl::Status write_file_atomic(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return errno_error("cannot create", tmp, errno);
    size_t written = 0;
    while (written < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::unlink(tmp.c_str());  // a half-written temp (e.g. disk full) must not stay behind
        return errno_error("cannot write (disk full or read-only?)", tmp, err);
      }
      written += static_cast<size_t>(n);
    }
  }
  return publish_file(tmp, path);
}

absl::StatusOr<std::string> read_file(const std::string& path) {
  std::string content;
  absl::Status s = read_all(path, [&](const char* data, size_t n) { content.append(data, n); });
  if (!s.ok()) return s;
  return content;
}

absl::StatusOr<std::string> sha256_file(const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  absl::Status s = read_all(path, [&](const char* data, size_t n) { EVP_DigestUpdate(ctx.get(), data, n); });
  if (!s.ok()) return s;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  return to_hex(digest, size);
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return to_hex(digest, size);
}

}  // namespace tetra::common
