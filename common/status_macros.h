// Early-return helpers for absl::Status / absl::StatusOr (the installed Abseil has no
// status_macros.h). Both evaluate `expr` exactly once and return its status unchanged on error.
//   TETRA_RETURN_IF_ERROR(write_file_atomic(path, text));
//   TETRA_ASSIGN_OR_RETURN(std::string text, read_file(path));   // declares `text`
//   TETRA_ASSIGN_OR_RETURN(existing, read_file(path));           // assigns to `existing`
// A function using them must return absl::Status or an absl::StatusOr<T>.
#pragma once
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TETRA_STATUS_CONCAT_INNER(a, b) a##b
#define TETRA_STATUS_CONCAT(a, b) TETRA_STATUS_CONCAT_INNER(a, b)

#define TETRA_RETURN_IF_ERROR(expr)                                                   \
  do {                                                                                \
    if (::absl::Status tetra_status_ = (expr); !tetra_status_.ok()) return tetra_status_; \
  } while (false)

// The temporary gets a name unique per use (__COUNTER__), so several uses can share a scope.
#define TETRA_ASSIGN_OR_RETURN(lhs, expr) \
  TETRA_ASSIGN_OR_RETURN_IMPL(TETRA_STATUS_CONCAT(tetra_statusor_, __COUNTER__), lhs, expr)

#define TETRA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()
