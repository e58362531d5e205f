// Filter lexer and parser: RFC 7644 §3.4.2.2 text -> AST (core/filter/filter_ast.h). Precedence
// not > and > or; operators and keywords are case-insensitive; a bare word where a value
// is expected is a string literal (Microsoft's reference client). Errors are
// InvalidFilter with "position N" (1-based) and what was expected. Pure; any thread.
#pragma once

#include <memory>
#include <string_view>

#include "core/base/status.h"
#include "core/filter/filter_ast.h"

namespace scimd::core {

// Parses a whole filter. Bounded by kMaxFilterLength, kMaxFilterDepth and kMaxFilterNodes.
Result<std::unique_ptr<AstNode>> ParseFilter(std::string_view text);

// Parses one attribute path ("emails", "urn:...:User:manager"), e.g. the attribute a
// PATCH value filter applies to.
Result<AstPath> ParseAttrPath(std::string_view text);

// Builds "filter position N: <message>" (the one format of every filter error).
Status FilterError(size_t pos, std::string_view message);

}  // namespace scimd::core
